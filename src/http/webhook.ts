/**
 * Receives a webhook POST and hands the raw body to an injected handler, within a body size
 * cap and a time cap. Signature verification needs the exact bytes, so nothing here parses or
 * re-encodes the body. PagerDuty expects an answer within 5 s and retries on 5xx, so a handler
 * that runs out of time gets a 503.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { boundedDelay } from "../timers.ts";

const log = getLogger(["teleport-pagerduty", "http", "webhook"]);

/** One received webhook, as the handler sees it. */
export interface WebhookRequest {
  /** The body exactly as received. */
  readonly body: Uint8Array;
  readonly headers: Headers;
  /** The client's address, for logs. */
  readonly remoteAddr: string;
  /**
   * Aborted when the time cap passes. It is for the work done before answering; work continued
   * after answering (e.g. queued processing) must not use it.
   */
  readonly signal: AbortSignal;
}

/**
 * Verifies and accepts one webhook and answers it, e.g. 202 once queued, 400 for a malformed
 * request, 403 for a bad signature. Throwing answers 500, which makes PagerDuty retry.
 */
export type WebhookHandler = (request: WebhookRequest) => Promise<Response>;

/** Limits applied to every webhook. */
export interface WebhookLimits {
  /** Largest accepted body; larger ones get 413. */
  readonly maxBodyBytes: number;
  /** Time to read the body and run the handler; beyond it the answer is 503. */
  readonly timeoutMs: number;
}

class TimeCapExceeded extends Error {
  constructor(timeoutMs: number) {
    super(`webhook not handled within ${timeoutMs} ms`);
    this.name = "TimeCapExceeded";
  }
}

/** Reads `request` within `limits` and runs `handler` on it, always producing a response. */
export async function receiveWebhook(
  request: Request,
  remoteAddr: string,
  handler: WebhookHandler,
  limits: WebhookLimits,
): Promise<Response> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limits.maxBodyBytes) {
    return tooLarge(limits.maxBodyBytes);
  }
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new TimeCapExceeded(limits.timeoutMs)),
    boundedDelay(limits.timeoutMs),
  );
  // Not combined with request.signal: Deno aborts that after every successful response too.
  const signal = deadline.signal;
  try {
    const body = await readCapped(request, limits.maxBodyBytes, signal);
    if (body === undefined) return tooLarge(limits.maxBodyBytes);
    return await untilAborted(
      handler({ body, headers: request.headers, remoteAddr, signal }),
      signal,
    );
  } catch (error) {
    if (signal.aborted) {
      log.warn("Webhook from {remoteAddr} not handled: {reason}", {
        remoteAddr,
        reason: signal.reason instanceof Error ? signal.reason.message : String(signal.reason),
      });
      return text(503, "The webhook was not handled in time; send it again.\n");
    }
    log.error("Webhook handler failed for a request from {remoteAddr}: {error}", {
      remoteAddr,
      error: error instanceof Error ? error.message : String(error),
    });
    return text(500, "The webhook could not be handled; send it again.\n");
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the whole body, or returns undefined (after cancelling the stream) past `max` bytes. */
async function readCapped(
  request: Request,
  max: number,
  signal: AbortSignal,
): Promise<Uint8Array | undefined> {
  if (request.body === null) return new Uint8Array();
  const reader = request.body.getReader();
  const cancel = () => void reader.cancel(signal.reason).catch(() => {});
  signal.addEventListener("abort", cancel, { once: true });
  try {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      signal.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel();
        return undefined;
      }
      chunks.push(value);
    }
    signal.throwIfAborted();
    const body = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return body;
  } finally {
    signal.removeEventListener("abort", cancel);
  }
}

/** Settles like `promise`, or rejects with the abort reason if `signal` aborts first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function tooLarge(max: number): Response {
  return text(413, `The body is larger than ${max} bytes.\n`);
}

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}
