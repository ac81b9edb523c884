/**
 * The time source of the client's waits (rate limiter, retry back-off) and cache expiry.
 * Injected so tests drive it with a fake clock instead of sleeping.
 *
 * @module
 */

import type { Timers } from "../util/sleep.ts";
import { boundedDelay } from "../timers.ts";

/** What the client needs from a clock; `@sinonjs/fake-timers`' `createClock()` fits. */
export interface Clock extends Timers {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, boundedDelay(ms)),
  clearTimeout: (id) => clearTimeout(id as number),
};
