/**
 * A client-side limit on PagerDuty calls, shared by every call of one client, so the service
 * slows down instead of collecting 429s (PagerDuty allows 960 requests per minute per key).
 *
 * It is a sliding-window log: a call may start only while fewer than `maxRequests` calls
 * started in the last `windowMs`, which holds ANY window of that length under the limit
 * (a token bucket would let a full bucket plus a window's refill through). Waiting calls are
 * served in arrival order. After a 429, {@link SlidingWindowLimiter.pause} holds every caller
 * until PagerDuty's reset.
 *
 * @module
 */

import { type Clock, systemClock } from "./clock.ts";

/** Options of {@link SlidingWindowLimiter}. */
export interface RateLimiterOptions {
  /** Calls allowed to start in any window; at least 1. */
  readonly maxRequests: number;
  /** Window length; one minute by default. */
  readonly windowMs?: number;
  readonly clock?: Clock;
}

interface Waiter {
  readonly enqueuedAt: number;
  readonly resolve: (waitedMs: number) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/** A FIFO sliding-window rate limiter with a pause for server-side rate limiting. */
export class SlidingWindowLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #clock: Clock;
  /** Start times of the last `#max` calls, as a ring; `#head` is the oldest once full. */
  readonly #starts: number[] = [];
  #head = 0;
  #pausedUntil = 0;
  readonly #queue: Waiter[] = [];
  #timer: unknown = undefined;

  /** Creates a limiter; `maxRequests` must be a positive integer. */
  constructor(options: RateLimiterOptions) {
    if (!Number.isInteger(options.maxRequests) || options.maxRequests < 1) {
      throw new RangeError(
        `The PagerDuty request limit must be a positive whole number of requests per window (got ${options.maxRequests}).`,
      );
    }
    this.#max = options.maxRequests;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Waits for a slot and takes it. Resolves with the milliseconds waited; rejects with the
   * signal's reason if `signal` aborts first (the slot is then not taken).
   */
  acquire(signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        enqueuedAt: this.#clock.now(),
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.#queue.indexOf(waiter);
          if (index >= 0) this.#queue.splice(index, 1);
          reject(signal?.reason);
          this.#schedule();
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.#queue.push(waiter);
      this.#schedule();
    });
  }

  /** Holds every caller, queued or future, until `ms` from now (PagerDuty's 429 reset). */
  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#clock.now() + ms);
    this.#schedule();
  }

  /** The earliest time the next call may start. */
  #nextStart(): number {
    const windowFree = this.#starts.length < this.#max
      ? 0
      : this.#starts[this.#head] + this.#windowMs;
    return Math.max(windowFree, this.#pausedUntil);
  }

  #record(start: number): void {
    if (this.#starts.length < this.#max) {
      this.#starts.push(start);
    } else {
      this.#starts[this.#head] = start;
      this.#head = (this.#head + 1) % this.#max;
    }
  }

  /** Releases every waiter that may start now, then arms one timer for the next one. */
  #schedule(): void {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    while (this.#queue.length > 0) {
      const now = this.#clock.now();
      const next = this.#nextStart();
      if (next > now) {
        this.#timer = this.#clock.setTimeout(() => {
          this.#timer = undefined;
          this.#schedule();
        }, next - now);
        return;
      }
      const waiter = this.#queue.shift()!;
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
      this.#record(now);
      waiter.resolve(now - waiter.enqueuedAt);
    }
  }
}
