import assert from "node:assert/strict";
import { receiveWebhook, type WebhookHandler, type WebhookRequest } from "./webhook.ts";

const limits = { maxBodyBytes: 1024, timeoutMs: 5_000 };

/** A handler that records what it received and answers 202. */
function recording(): { handler: WebhookHandler; seen: WebhookRequest[] } {
  const seen: WebhookRequest[] = [];
  return {
    seen,
    handler: (request) => {
      seen.push(request);
      return Promise.resolve(new Response(null, { status: 202 }));
    },
  };
}

/** A body stream that sends `chunks` and records whether it was cancelled. */
function streamOf(
  chunks: Uint8Array[],
): { stream: ReadableStream<Uint8Array>; cancelled(): boolean } {
  let cancelled = false;
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request("http://127.0.0.1/pagerduty/webhook", { method: "POST", body, headers });
}

Deno.test("webhook: the handler gets the exact body bytes, headers and remote address", async () => {
  const { handler, seen } = recording();
  const bytes = new Uint8Array([0x7b, 0xff, 0x00, 0xfe, 0x7d]);
  const response = await receiveWebhook(
    post(bytes, { "x-pagerduty-signature": "v1=abc", "x-webhook-id": "w-1" }),
    "[::1]:5555",
    handler,
    limits,
  );
  assert.equal(response.status, 202);
  assert.equal(seen.length, 1);
  assert.deepEqual(seen[0].body, bytes);
  assert.equal(seen[0].headers.get("x-pagerduty-signature"), "v1=abc");
  assert.equal(seen[0].headers.get("x-webhook-id"), "w-1");
  assert.equal(seen[0].remoteAddr, "[::1]:5555");
  assert.equal(seen[0].signal.aborted, false);
});

Deno.test("webhook: a request without a body gives the handler zero bytes", async () => {
  const { handler, seen } = recording();
  const response = await receiveWebhook(post(null), "127.0.0.1:1", handler, limits);
  assert.equal(response.status, 202);
  assert.equal(seen[0].body.byteLength, 0);
});

Deno.test("webhook: a declared length over the cap is refused with 413 unread", async () => {
  const { handler, seen } = recording();
  const { stream, cancelled } = streamOf([new Uint8Array(10)]);
  const request = post(stream, { "content-length": "1025" });
  const response = await receiveWebhook(request, "127.0.0.1:1", handler, limits);
  assert.equal(response.status, 413);
  assert.match(await response.text(), /larger than 1024 bytes/);
  assert.equal(seen.length, 0);
  assert.equal(cancelled(), false, "the body was not read");
  await request.body?.cancel();
});

Deno.test("webhook: a streamed body over the cap is cut off with 413", async () => {
  const { handler, seen } = recording();
  const { stream, cancelled } = streamOf([
    new Uint8Array(600),
    new Uint8Array(600),
    new Uint8Array(600),
  ]);
  const response = await receiveWebhook(post(stream), "127.0.0.1:1", handler, limits);
  assert.equal(response.status, 413);
  assert.equal(seen.length, 0);
  assert.equal(cancelled(), true, "the rest of the body was not read");
});

Deno.test("webhook: a body of exactly the cap is accepted", async () => {
  const { handler, seen } = recording();
  const { stream } = streamOf([new Uint8Array(1000).fill(1), new Uint8Array(24).fill(2)]);
  const response = await receiveWebhook(post(stream), "127.0.0.1:1", handler, limits);
  assert.equal(response.status, 202);
  assert.equal(seen[0].body.byteLength, 1024);
  assert.equal(seen[0].body[1023], 2);
});

Deno.test("webhook: a handler past the time cap gets its signal aborted and the sender 503", async () => {
  let handlerSignal: AbortSignal | undefined;
  const handler: WebhookHandler = ({ signal }) => {
    handlerSignal = signal;
    return new Promise((_, reject) =>
      signal.addEventListener("abort", () => reject(signal.reason))
    );
  };
  const response = await receiveWebhook(post("{}"), "127.0.0.1:1", handler, {
    ...limits,
    timeoutMs: 20,
  });
  assert.equal(response.status, 503);
  assert.equal(handlerSignal?.aborted, true);
  assert.match(String(handlerSignal?.reason), /not handled within 20 ms/);
});

Deno.test("webhook: a body that never finishes arriving gets 503 without calling the handler", async () => {
  const { handler, seen } = recording();
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(10));
    },
    cancel() {
      cancelled = true;
    },
  });
  const response = await receiveWebhook(post(stream), "127.0.0.1:1", handler, {
    ...limits,
    timeoutMs: 20,
  });
  assert.equal(response.status, 503);
  assert.equal(seen.length, 0);
  assert.equal(cancelled, true);
});

Deno.test("webhook: a throwing handler answers 500 so PagerDuty retries", async () => {
  const response = await receiveWebhook(post("{}"), "127.0.0.1:1", () => {
    throw new Error("queue closed");
  }, limits);
  assert.equal(response.status, 500);
  assert.doesNotMatch(await response.text(), /queue closed/, "internal errors stay in the log");
  const rejected = await receiveWebhook(
    post("{}"),
    "127.0.0.1:1",
    () => Promise.reject(new Error("store unavailable")),
    limits,
  );
  assert.equal(rejected.status, 500);
  await rejected.body?.cancel();
});
