/**
 * PagerDuty's REST rate limit: a sliding 60-second window per token (960 requests/minute by
 * default on the real API), plus optional stricter per-operation windows (PagerDuty limits
 * `POST /incidents` separately without publishing the number). Rejected requests do not count.
 *
 * @module
 */

/** The `ratelimit-*` header values of one evaluated request. */
export interface RateLimitVerdict {
  /** False when the request must be answered with 429. */
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Whole seconds until the window frees a slot. */
  readonly resetSeconds: number;
}

const WINDOW_MS = 60_000;

/** Request times of one window, oldest first, in a compacting array. */
class Window {
  readonly #times: number[] = [];
  #head = 0;

  /** Forgets requests older than the window and returns how many remain. */
  count(now: number): number {
    while (this.#head < this.#times.length && this.#times[this.#head] <= now - WINDOW_MS) {
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times.splice(0, this.#head);
      this.#head = 0;
    }
    return this.#times.length - this.#head;
  }

  /** Whole seconds until the oldest request leaves the window (60 when empty). */
  resetSeconds(now: number): number {
    const oldest = this.#times[this.#head];
    return oldest === undefined ? 60 : Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1000));
  }

  /** Records a request. */
  add(now: number): void {
    this.#times.push(now);
  }
}

/** Per-token and per-operation sliding-window limits. */
export class RateLimiter {
  /** Requests per minute per token; `undefined` disables the general limit. */
  perMinute: number | undefined;
  /** Stricter limits per operation id, per token. */
  readonly operationLimits: Map<string, number>;
  readonly #windows = new Map<string, Window>();

  /** Creates a limiter. */
  constructor(
    perMinute: number | undefined,
    operationLimits: Readonly<Record<string, number>> = {},
  ) {
    this.perMinute = perMinute;
    this.operationLimits = new Map(Object.entries(operationLimits));
  }

  /** True when no limit applies at all (no headers are sent then). */
  get disabled(): boolean {
    return this.perMinute === undefined && this.operationLimits.size === 0;
  }

  #window(key: string): Window {
    let window = this.#windows.get(key);
    if (window === undefined) this.#windows.set(key, window = new Window());
    return window;
  }

  /**
   * Evaluates one request of `token` for `operationId` at `now` (ms). When allowed, the request is
   * counted. The verdict describes whichever applicable limit is closest to being hit.
   */
  evaluate(token: string, operationId: string, now: number): RateLimitVerdict | undefined {
    const checks: Array<{ window: Window; limit: number }> = [];
    if (this.perMinute !== undefined) {
      checks.push({ window: this.#window(token), limit: this.perMinute });
    }
    const operationLimit = this.operationLimits.get(operationId);
    if (operationLimit !== undefined) {
      checks.push({ window: this.#window(`${token}\u0000${operationId}`), limit: operationLimit });
    }
    if (checks.length === 0) return undefined;
    const verdicts = checks.map(({ window, limit }) => {
      const used = window.count(now);
      return {
        allowed: used < limit,
        limit,
        remaining: Math.max(0, limit - used),
        resetSeconds: window.resetSeconds(now),
      };
    });
    const refused = verdicts.find((v) => !v.allowed);
    if (refused !== undefined) return refused;
    for (const { window } of checks) window.add(now);
    const tightest = verdicts.reduce((a, b) => (b.remaining < a.remaining ? b : a));
    // Report what is left after counting this request.
    return { ...tightest, remaining: tightest.remaining - 1 };
  }

  /** Forgets every counted request (e.g. between benchmark phases). */
  reset(): void {
    this.#windows.clear();
  }
}
