import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { parseAuthAddress } from "./address.ts";
import { type CallContext, toTeleportError } from "./errors.ts";
import { TeleportError } from "./types.ts";

const context: CallContext = {
  operation: "submit a review on access request r1",
  permissionHint: "give its role `review_requests`",
  address: parseAuthAddress("auth.example.com:3025"),
  credentials: "identity file /etc/id (teleport.identity)",
  user: "bot",
  clusterName: "example.com",
  tls: undefined,
  timeoutMs: 10_000,
};

function serviceError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), {
    code,
    details,
    metadata: new grpc.Metadata(),
  });
}

Deno.test("gRPC codes map to Teleport error kinds with the status kept", () => {
  const cases: [grpc.status, string][] = [
    [grpc.status.NOT_FOUND, "not_found"],
    [grpc.status.ALREADY_EXISTS, "already_exists"],
    [grpc.status.FAILED_PRECONDITION, "compare_failed"],
    [grpc.status.RESOURCE_EXHAUSTED, "limit_exceeded"],
    [grpc.status.UNIMPLEMENTED, "unimplemented"],
    [grpc.status.CANCELLED, "cancelled"],
    [grpc.status.UNKNOWN, "unknown"],
    [grpc.status.DATA_LOSS, "unknown"],
  ];
  for (const [code, kind] of cases) {
    const error = toTeleportError(serviceError(code, "text from Teleport"), context);
    assert.equal(error.kind, kind, grpc.status[code]);
    assert.equal(error.grpcCode, code);
    assert.ok(!error.message.includes("\n"), "one line");
  }
});

Deno.test("a review on a decided request keeps Teleport's wording, not a permission hint", () => {
  const error = toTeleportError(
    serviceError(grpc.status.PERMISSION_DENIED, "the access request has been already approved"),
    context,
  );
  assert.equal(error.kind, "permission_denied");
  assert.equal(
    error.message,
    "Could not submit a review on access request r1: the access request has been already approved.",
  );
  const denied = toTeleportError(
    serviceError(grpc.status.PERMISSION_DENIED, 'user "bot" cannot submit reviews'),
    context,
  );
  assert.equal(
    denied.message,
    'The Teleport user "bot" may not submit a review on access request r1 (user "bot" cannot submit reviews): give its role `review_requests`.',
  );
});

Deno.test("a connection torn down under a call (INTERNAL RST_STREAM) counts as unavailable", () => {
  const error = toTeleportError(
    serviceError(
      grpc.status.INTERNAL,
      "Received RST_STREAM with code 2 triggered by internal client error: write EPIPE",
    ),
    context,
  );
  assert.equal(error.kind, "unavailable");
  assert.match(
    error.message,
    /^The Teleport Auth Service at auth\.example\.com:3025 \(teleport\.addr\) is unavailable \(Received RST_STREAM/,
  );
  assert.equal(
    toTeleportError(serviceError(grpc.status.INTERNAL, "bad frame"), context).kind,
    "unknown",
  );
});

Deno.test("a slow answer and a failed connection give different deadline messages", () => {
  const slow = toTeleportError(
    serviceError(
      grpc.status.DEADLINE_EXCEEDED,
      "Deadline exceeded after 10.001s,remote_addr=1.2.3.4:3025",
    ),
    context,
  );
  assert.match(slow.message, /did not answer in 10 s when asked to submit a review/);
  const never = toTeleportError(
    serviceError(
      grpc.status.DEADLINE_EXCEEDED,
      "Deadline exceeded after 10.001s,Waiting for LB pick",
    ),
    context,
  );
  assert.match(
    never.message,
    /^Could not connect to auth\.example\.com:3025 \(teleport\.addr\) within 10 s/,
  );
});

Deno.test("TeleportErrors pass through and other throwables become a bug report", () => {
  const original = new TeleportError("not_found", "gone");
  assert.equal(toTeleportError(original, context), original);
  const bug = toTeleportError(new TypeError("x is undefined"), context);
  assert.equal(bug.kind, "unknown");
  assert.match(bug.message, /\(x is undefined\): this is a bug in teleport-pagerduty/);
});
