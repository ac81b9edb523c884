/**
 * Test helpers for `src/pagerduty/`: a fake clock in the shape the client takes, and a fake
 * PagerDuty whose request validation is checked after every test.
 *
 * @module
 */

import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { FakePagerDuty, type FakePagerDutyOptions } from "../fakes/pagerduty/mod.ts";
import type { Clock } from "../pagerduty/clock.ts";
import { PagerDutyClient, type PagerDutyClientOptions } from "../pagerduty/client.ts";

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

/** A fake clock plus a `fetch` that lets {@link FakeTime.drive} see real I/O in flight. */
export interface FakeTime extends FakeClock {
  /** The global fetch, counted; hand it to the client with {@link FakeClock.clock}. */
  readonly fetch: typeof fetch;
  /**
   * Awaits `promise`, advancing fake time to the next timer whenever no request is in flight:
   * requests take no fake time, and waits (limiter, back-off) take no real time.
   */
  drive<T>(promise: Promise<T>): Promise<T>;
}

/** Creates a {@link FakeTime}. */
export function fakeTime(): FakeTime {
  const { clock, fake } = fakeClock();
  let inFlight = 0;
  const counted: typeof fetch = async (input, init) => {
    inFlight++;
    try {
      const response = await fetch(input, init);
      // Read the body here, so the exchange counts as in flight until it is complete.
      const body = await response.arrayBuffer();
      return new Response(response.status === 204 ? null : body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } finally {
      inFlight--;
    }
  };
  const drive = async <T>(promise: Promise<T>): Promise<T> => {
    let settled = false;
    promise.then(() => settled = true, () => settled = true);
    while (!settled) {
      // Let pending continuations start their requests before deciding that none is in flight.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (inFlight === 0 && fake.countTimers() > 0) await fake.nextAsync();
      else if (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return await promise;
  };
  return { clock, fake, fetch: counted, drive };
}

/** The email of the bot user the client tests act as (`From`). */
export const BOT = "teleport-bot@example.com";

/** A client against the fake, acting as {@linkcode BOT}, with fast retries unless overridden. */
export function client(
  pd: FakePagerDuty,
  options: Partial<PagerDutyClientOptions> = {},
): PagerDutyClient {
  return new PagerDutyClient({
    apiKey: pd.apiKey,
    userEmail: BOT,
    baseUrl: pd.url,
    retry: { baseDelayMs: 1 },
    ...options,
  });
}
