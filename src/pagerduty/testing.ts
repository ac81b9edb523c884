/**
 * Test helpers for `src/pagerduty/`: a fake clock in the shape the client takes, and a fake
 * PagerDuty whose request validation is checked after every test.
 *
 * @module
 */

import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { FakePagerDuty, type FakePagerDutyOptions } from "../fakes/pagerduty/mod.ts";
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

/**
 * Runs `body` against a fresh fake PagerDuty, then checks that no request the client sent failed
 * the fake's OpenAPI/header validation, and always stops the fake.
 */
export async function withFakePagerDuty(
  options: FakePagerDutyOptions,
  body: (pd: FakePagerDuty) => Promise<void>,
): Promise<void> {
  const pd = await FakePagerDuty.start(options);
  try {
    await body(pd);
    assert.deepEqual(pd.validationFailures, [], "every request passed the fake's validation");
  } finally {
    await pd.stop();
  }
}

/**
 * Awaits `promise` while advancing `fake` whenever the code under test waits on it; real I/O
 * (the fake server) runs on real time in between.
 */
export async function drive<T>(fake: FakeTimers.Clock, promise: Promise<T>): Promise<T> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  while (!settled) {
    if (fake.countTimers() > 0) await fake.nextAsync();
    else await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return await promise;
}
