/**
 * The one wait of the code base: back-off between retries (Teleport, PagerDuty, the fakes'
 * webhook retries), scripted latency in the fake PagerDuty, pacing in tests and the benchmark.
 * Shared by every layer, so it imports nothing but the timer bound.
 *
 * @module
 */

import { boundedDelay } from "../timers.ts";

/** The timer functions a wait uses: the global ones, or a fake clock's in tests. */
export interface Timers {
  /** Calls `callback` after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a pending {@link Timers.setTimeout}. */
  clearTimeout(id: unknown): void;
}

/** The global timers. */
export const globalTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, boundedDelay(ms)),
  clearTimeout: (id) => clearTimeout(id as number),
};

/**
 * Waits `ms` on `timers`, or less when `signal` aborts first: it then resolves at once and clears
 * its timer, so nothing outlives the wait. It never rejects; a caller that must stop on abort
 * checks the signal after waiting.
 */
export function sleep(
  ms: number,
  signal?: AbortSignal,
  timers: Timers = globalTimers,
): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      timers.clearTimeout(id);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const id = timers.setTimeout(done, boundedDelay(ms));
    signal?.addEventListener("abort", done, { once: true });
  });
}
