/**
 * Test helpers for `src/pagerduty/`: a fake clock in the shape the client takes.
 *
 * @module
 */

import FakeTimers from "@sinonjs/fake-timers";
import type { Clock } from "./clock.ts";

/** A fake clock (not installed globally) and its {@link Clock} view for the client. */
export interface FakeClock {
  /** Advance and inspect time with this. */
  readonly fake: FakeTimers.Clock;
  /** Hand this to the client, limiter or cache. */
  readonly clock: Clock;
}

/** Creates a fake clock starting at a round epoch time, so dates in failures are readable. */
export function fakeClock(start = Date.UTC(2026, 0, 1)): FakeClock {
  const fake = FakeTimers.createClock(start);
  return {
    fake,
    clock: {
      now: () => fake.now,
      setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
      clearTimeout: (id) => fake.clearTimeout(id as FakeTimers.TimerId),
    },
  };
}
