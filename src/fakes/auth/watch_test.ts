import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { status } from "@grpc/grpc-js";
import type { Buffer } from "node:buffer";
import {
  EventSchema,
  Operation,
} from "../../teleport/gen/teleport/legacy/client/proto/event_pb.ts";
import { AuthError } from "./errors.ts";
import { ACCESS_PLUGIN_PERMISSIONS } from "./rbac.ts";
import { AuthStore } from "./store.ts";
import { authorizeWatch, type RequestedKind, WatchHub } from "./watch.ts";

const kind = (k: string, filter: Record<string, string> = {}, name = ""): RequestedKind => ({
  kind: k,
  name,
  subKind: "",
  version: "",
  loadSecrets: false,
  filter,
});

function denied(fn: () => unknown, code: status, message: string): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof AuthError && e.code === code && e.message === message,
  );
}

Deno.test("no kinds is a global watch, which is denied", () => {
  denied(
    () => authorizeWatch("p", ACCESS_PLUGIN_PERMISSIONS, [], true),
    status.PERMISSION_DENIED,
    "can't setup global watch",
  );
});

Deno.test("partial success drops kinds without read; without it the first is denied", () => {
  const perms = { rules: { access_request: ["read" as const] } };
  const kinds = [kind("access_request"), kind("access_monitoring_rule")];
  assert.deepEqual(
    authorizeWatch("p", perms, kinds, true).map((k) => k.requested.kind),
    ["access_request"],
  );
  denied(
    () => authorizeWatch("p", perms, kinds, false),
    status.PERMISSION_DENIED,
    'access denied to perform action "read" on "access_monitoring_rule"',
  );
  denied(
    () => authorizeWatch("p", {}, kinds, true),
    status.INVALID_ARGUMENT,
    "none of the requested kinds can be watched",
  );
  // Own requests may be watched without read permission.
  assert.equal(
    authorizeWatch("alice", {}, [kind("access_request", { user: "alice" })], false).length,
    1,
  );
});

Deno.test("access request filters accept only id, user and an upper-case state", () => {
  const p = ACCESS_PLUGIN_PERMISSIONS;
  assert.deepEqual(
    authorizeWatch("p", p, [kind("access_request", { state: "PENDING", user: "a" })], false)[0]
      .accessRequestFilter,
    { state: "PENDING", user: "a" },
  );
  denied(
    () => authorizeWatch("p", p, [kind("access_request", { colour: "red" })], false),
    status.INVALID_ARGUMENT,
    'unknown filter key "colour"',
  );
  denied(
    () => authorizeWatch("p", p, [kind("access_request", { state: "pending" })], false),
    status.INVALID_ARGUMENT,
    'unknown request state: "pending"',
  );
});

Deno.test("fan-out: INIT first, filters on PUT only, one encoding shared by all watchers", () => {
  const store = new AuthStore();
  const hub = new WatchHub();
  store.onEvent((e) => hub.publish(e));
  const sinks = [[], [], []] as Buffer[][];
  const sink = (out: Buffer[]) => ({ write: (b: Buffer) => out.push(b), end: () => {} });
  const p = ACCESS_PLUGIN_PERMISSIONS;
  hub.add("p", authorizeWatch("p", p, [kind("access_request")], false), sink(sinks[0]));
  hub.add("p", authorizeWatch("p", p, [kind("access_request")], false), sink(sinks[1]));
  hub.add(
    "p",
    authorizeWatch("p", p, [kind("access_request", { state: "PENDING" })], false),
    sink(sinks[2]),
  );
  const r = store.createRequest({ user: "alice" });
  store.setState(r.id, "APPROVED");
  store.deleteRequest(r.id);
  const decoded = sinks.map((s) => s.map((b) => fromBinary(EventSchema, b)));
  for (const events of decoded) assert.equal(events[0].Type, Operation.INIT);
  assert.deepEqual(decoded[0].map((e) => [e.Type, e.Resource.case]), [
    [Operation.INIT, "WatchStatus"],
    [Operation.PUT, "AccessRequest"],
    [Operation.PUT, "AccessRequest"],
    [Operation.DELETE, "ResourceHeader"],
  ]);
  // The PENDING-only watcher misses the APPROVED PUT but still gets the DELETE.
  assert.deepEqual(decoded[2].map((e) => e.Type), [
    Operation.INIT,
    Operation.PUT,
    Operation.DELETE,
  ]);
  assert.equal(sinks[0][1], sinks[1][1], "the same encoded bytes go to every watcher");
});

Deno.test("held INIT queues events and releases them after INIT", () => {
  const store = new AuthStore();
  const hub = new WatchHub();
  store.onEvent((e) => hub.publish(e));
  const out: Buffer[] = [];
  hub.setHoldInit(true);
  hub.add("p", authorizeWatch("p", ACCESS_PLUGIN_PERMISSIONS, [kind("access_request")], false), {
    write: (b) => out.push(b),
    end: () => {},
  });
  store.createRequest({ user: "alice" });
  assert.equal(out.length, 0);
  hub.setHoldInit(false);
  assert.deepEqual(out.map((b) => fromBinary(EventSchema, b).Type), [
    Operation.INIT,
    Operation.PUT,
  ]);
});
