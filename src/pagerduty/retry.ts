/**
 * When and how long to wait before repeating a failed PagerDuty call. Pure functions, so the
 * policy is easy to read and to test.
 *
 * - 429: wait PagerDuty's `ratelimit-reset` seconds, else `Retry-After`, else an exponential
 *   fallback (PagerDuty documents that some 429s carry no headers).
 * - 408, 5xx, timeouts and network errors: exponential back-off with full jitter.
 * - Any other 4xx: never repeated (the request itself is wrong).
 * - Calls that are not idempotent (adding a note) are repeated only when PagerDuty provably did
 *   not process them: a 429, or a connection that was never established.
 *
 * @module
 */

/** Retry limits; every call is bounded both in attempts and in total time. */
export interface RetryOptions {
  /** Attempts including the first; default 5. */
  readonly maxAttempts: number;
  /** No retry starts once waiting would pass this many ms since the first attempt; default 60 000. */
  readonly maxTotalMs: number;
  /** First back-off step for 408/5xx/network errors; default 500 ms. */
  readonly baseDelayMs: number;
  /** Cap of one back-off step; default 20 000 ms. */
  readonly maxDelayMs: number;
  /** First wait after a 429 that says nothing about its reset; default 1 000 ms, doubling. */
  readonly rateLimitFallbackMs: number;
}

/** The defaults of {@link RetryOptions}. */
export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 5,
  maxTotalMs: 60_000,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  rateLimitFallbackMs: 1_000,
};

/** Whether repeating a call can do harm. */
export type Idempotency =
  /** Reads, resolves, and creates deduplicated by `incident_key`. */
  | "idempotent"
  /** Adding a note: a repeat after an unknown outcome may post it twice. */
  | "not-idempotent";

/** How one attempt failed. */
export type Failure =
  | { readonly kind: "status"; readonly status: number; readonly headers: Headers }
  | { readonly kind: "timeout" }
  /** `connectFailed`: the connection was never established, so nothing reached PagerDuty. */
  | { readonly kind: "network"; readonly connectFailed: boolean };

/** What to do after a failed attempt. */
export type RetryDecision =
  | { readonly retry: false }
  | { readonly retry: true; readonly delayMs: number; readonly rateLimited: boolean };

/**
 * The longest wait a 429 may impose. PagerDuty's limit is per minute, so its reset is never
 * further away than that; a larger value (a proxy's, or a hostile answer) would otherwise hold
 * every call of the key for as long as it says.
 */
export const MAX_RATE_LIMIT_WAIT_MS = 60_000;

/**
 * The wait a 429 asks for, in ms, at most {@link MAX_RATE_LIMIT_WAIT_MS}: `ratelimit-reset`
 * (seconds), else `Retry-After` (seconds or an HTTP date), else undefined.
 */
export function rateLimitResetMs(headers: Headers, now: number): number | undefined {
  const asked = askedResetMs(headers, now);
  return asked === undefined ? undefined : Math.min(asked, MAX_RATE_LIMIT_WAIT_MS);
}

function askedResetMs(headers: Headers, now: number): number | undefined {
  const reset = headers.get("ratelimit-reset");
  if (reset !== null && reset.trim() !== "") {
    const seconds = Number(reset);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  }
  const retryAfter = headers.get("retry-after");
  if (retryAfter !== null && retryAfter.trim() !== "") {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  return undefined;
}

/** Full-jitter exponential back-off for the given (1-based) failed attempt. */
export function backoffMs(attempt: number, options: RetryOptions, random: () => number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Whether a status is worth repeating at all. */
function transientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Decides whether attempt number `attempt` (1-based) of a call should be repeated, and after
 * how long. `elapsedMs` is the time since the first attempt started.
 */
export function decideRetry(input: {
  readonly failure: Failure;
  readonly attempt: number;
  readonly elapsedMs: number;
  readonly idempotency: Idempotency;
  readonly options: RetryOptions;
  readonly now: number;
  readonly random: () => number;
}): RetryDecision {
  const { failure, attempt, options } = input;
  if (attempt >= options.maxAttempts) return { retry: false };

  let delayMs: number;
  let rateLimited = false;
  if (failure.kind === "status") {
    if (!transientStatus(failure.status)) return { retry: false };
    if (failure.status === 429) {
      rateLimited = true;
      delayMs = rateLimitResetMs(failure.headers, input.now) ??
        Math.min(options.maxDelayMs, options.rateLimitFallbackMs * 2 ** (attempt - 1));
    } else {
      if (input.idempotency === "not-idempotent") return { retry: false };
      delayMs = backoffMs(attempt, options, input.random);
    }
  } else {
    const unprocessed = failure.kind === "network" && failure.connectFailed;
    if (input.idempotency === "not-idempotent" && !unprocessed) return { retry: false };
    delayMs = backoffMs(attempt, options, input.random);
  }

  if (input.elapsedMs + delayMs > options.maxTotalMs) return { retry: false };
  return { retry: true, delayMs, rateLimited };
}
