import assert from "node:assert/strict";
import {
  backoffMs,
  decideRetry,
  DEFAULT_RETRY,
  type Failure,
  type Idempotency,
  rateLimitResetMs,
  type RetryDecision,
} from "./retry.ts";

const NOW = Date.UTC(2026, 0, 1);

function decide(
  failure: Failure,
  overrides: { attempt?: number; elapsedMs?: number; idempotency?: Idempotency } = {},
): RetryDecision {
  return decideRetry({
    failure,
    attempt: overrides.attempt ?? 1,
    elapsedMs: overrides.elapsedMs ?? 0,
    idempotency: overrides.idempotency ?? "idempotent",
    options: DEFAULT_RETRY,
    now: NOW,
    random: () => 0.5,
  });
}

function status(code: number, headers: Record<string, string> = {}): Failure {
  return { kind: "status", status: code, headers: new Headers(headers) };
}

Deno.test("rateLimitResetMs prefers ratelimit-reset, then Retry-After seconds or date", () => {
  assert.equal(rateLimitResetMs(new Headers({ "ratelimit-reset": "20" }), NOW), 20_000);
  assert.equal(rateLimitResetMs(new Headers({ "ratelimit-reset": "0.25" }), NOW), 250);
  assert.equal(
    rateLimitResetMs(new Headers({ "ratelimit-reset": "3", "retry-after": "9" }), NOW),
    3_000,
  );
  assert.equal(rateLimitResetMs(new Headers({ "retry-after": "7" }), NOW), 7_000);
  const inTwelve = new Date(NOW + 12_000).toUTCString();
  assert.equal(rateLimitResetMs(new Headers({ "retry-after": inTwelve }), NOW), 12_000);
  assert.equal(
    rateLimitResetMs(new Headers({ "ratelimit-reset": "soon", "retry-after": "2" }), NOW),
    2_000,
    "an unreadable reset falls through to Retry-After",
  );
  assert.equal(rateLimitResetMs(new Headers({ "ratelimit-reset": "-4" }), NOW), undefined);
  assert.equal(rateLimitResetMs(new Headers(), NOW), undefined);
});

Deno.test("a 429 never asks for a wait longer than PagerDuty's minute", () => {
  const days = String(30 * 24 * 3600);
  assert.equal(rateLimitResetMs(new Headers({ "ratelimit-reset": days }), NOW), 60_000);
  assert.equal(rateLimitResetMs(new Headers({ "retry-after": days }), NOW), 60_000);
  const nextYear = new Date(NOW + 365 * 24 * 3600 * 1000).toUTCString();
  assert.equal(rateLimitResetMs(new Headers({ "retry-after": nextYear }), NOW), 60_000);
});

Deno.test("a 429 waits for the reset, or doubles a fallback when it has no headers", () => {
  assert.deepEqual(decide(status(429, { "ratelimit-reset": "20" })), {
    retry: true,
    delayMs: 20_000,
    rateLimited: true,
  });
  const fallbacks = [1, 2, 3, 4, 5].map((attempt) => decide(status(429), { attempt }));
  assert.deepEqual(fallbacks.map((d) => d.retry && d.delayMs), [1_000, 2_000, 4_000, 8_000, false]);
});

Deno.test("5xx, 408, timeouts and network errors back off with full jitter", () => {
  for (const failure of [status(500), status(502), status(503), status(408)]) {
    assert.deepEqual(decide(failure, { attempt: 2 }), {
      retry: true,
      delayMs: 500,
      rateLimited: false,
    });
  }
  assert.deepEqual(decide({ kind: "timeout" }), { retry: true, delayMs: 250, rateLimited: false });
  assert.equal(decide({ kind: "network", connectFailed: false }).retry, true);
});

Deno.test("other 4xx are never repeated", () => {
  for (const code of [400, 401, 402, 403, 404, 409, 413, 422]) {
    assert.deepEqual(decide(status(code)), { retry: false }, String(code));
  }
});

Deno.test("a note is repeated only after a 429 or a connection that never opened", () => {
  const note = { idempotency: "not-idempotent" as const };
  assert.equal(decide(status(429, { "ratelimit-reset": "1" }), note).retry, true);
  assert.equal(decide({ kind: "network", connectFailed: true }, note).retry, true);
  assert.equal(decide({ kind: "network", connectFailed: false }, note).retry, false);
  assert.equal(decide({ kind: "timeout" }, note).retry, false);
  assert.equal(decide(status(500), note).retry, false);
  assert.equal(decide(status(503), note).retry, false);
});

Deno.test("retries are bounded in attempts and in total time", () => {
  assert.equal(decide(status(503), { attempt: DEFAULT_RETRY.maxAttempts }).retry, false);
  assert.equal(decide(status(503), { attempt: DEFAULT_RETRY.maxAttempts - 1 }).retry, true);
  assert.equal(
    decide(status(429, { "ratelimit-reset": "30" }), { elapsedMs: 40_000 }).retry,
    false,
    "a reset beyond the total budget is not waited for",
  );
  assert.equal(decide(status(429, { "ratelimit-reset": "30" }), { elapsedMs: 30_000 }).retry, true);
});

Deno.test("backoffMs grows exponentially up to the cap and scales with the jitter", () => {
  const options = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1_000 };
  const ceilings = [1, 2, 3, 4, 5, 6].map((attempt) =>
    backoffMs(attempt, options, () => 0.999_999)
  );
  assert.deepEqual(ceilings, [99, 199, 399, 799, 999, 999]);
  assert.equal(backoffMs(3, options, () => 0), 0);
});
