import assert from "node:assert/strict";
import { SlidingWindowLimiter } from "./rate_limiter.ts";
import { fakeClock } from "../testing/pagerduty_harness.ts";

/** The largest number of starts inside any window of `windowMs` (inclusive start). */
function maxInAnyWindow(starts: number[], windowMs: number): number {
  let best = 0;
  for (let i = 0; i < starts.length; i++) {
    let count = 0;
    for (let j = i; j < starts.length && starts[j] < starts[i] + windowMs; j++) count++;
    best = Math.max(best, count);
  }
  return best;
}

Deno.test("limiter holds a burst under the rate over every window", async () => {
  const { clock, fake } = fakeClock();
  const limiter = new SlidingWindowLimiter({ maxRequests: 10, windowMs: 60_000, clock });
  const starts: number[] = [];
  const order: number[] = [];
  const calls = Array.from({ length: 35 }, (_, i) =>
    limiter.acquire().then(() => {
      starts.push(clock.now());
      order.push(i);
    }));
  await fake.tickAsync(0);
  assert.equal(starts.length, 10, "the first 10 start at once");
  await fake.tickAsync(59_999);
  assert.equal(starts.length, 10, "nothing more before the window ends");
  await fake.tickAsync(1);
  assert.equal(starts.length, 20);
  await fake.runAllAsync();
  await Promise.all(calls);
  assert.equal(starts.length, 35);
  assert.equal(maxInAnyWindow(starts, 60_000), 10);
  assert.deepEqual(order, [...Array(35).keys()], "callers are served in arrival order");
  assert.equal(fake.countTimers(), 0, "no timer left once the queue is empty");
});

Deno.test("limiter reports how long a caller waited", async () => {
  const { clock, fake } = fakeClock();
  const limiter = new SlidingWindowLimiter({ maxRequests: 1, windowMs: 1_000, clock });
  assert.equal(await limiter.acquire(), 0);
  const second = limiter.acquire();
  await fake.tickAsync(1_000);
  assert.equal(await second, 1_000);
});

Deno.test("pause after a 429 holds queued and new callers until the reset", async () => {
  const { clock, fake } = fakeClock();
  const limiter = new SlidingWindowLimiter({ maxRequests: 100, clock });
  await limiter.acquire();
  limiter.pause(20_000);
  const pausedAt = clock.now();
  const starts: number[] = [];
  const waits = [limiter.acquire(), limiter.acquire()].map((p) =>
    p.then((waited) => {
      starts.push(clock.now());
      return waited;
    })
  );
  await fake.tickAsync(19_999);
  assert.equal(starts.length, 0);
  await fake.tickAsync(1);
  assert.deepEqual(await Promise.all(waits), [20_000, 20_000]);
  assert.deepEqual(starts, [pausedAt + 20_000, pausedAt + 20_000]);
  // A shorter pause never shortens a longer one.
  limiter.pause(5_000);
  limiter.pause(1_000);
  const late = limiter.acquire();
  await fake.tickAsync(5_000);
  assert.equal(await late, 5_000);
});

Deno.test("an aborted waiter leaves the queue without taking a slot", async () => {
  const { clock, fake } = fakeClock();
  const limiter = new SlidingWindowLimiter({ maxRequests: 1, windowMs: 1_000, clock });
  await limiter.acquire();
  const controller = new AbortController();
  const aborted = limiter.acquire(controller.signal);
  const next = limiter.acquire();
  controller.abort(new Error("shutting down"));
  await assert.rejects(aborted, /shutting down/);
  await fake.tickAsync(1_000);
  assert.equal(await next, 1_000, "the next caller got the slot the aborted one gave up");
  await assert.rejects(limiter.acquire(AbortSignal.abort(new Error("already"))), /already/);
  await fake.tickAsync(1_000);
  assert.equal(fake.countTimers(), 0);
});

Deno.test("limiter refuses a non-positive or fractional rate", () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => new SlidingWindowLimiter({ maxRequests: bad }), RangeError);
  }
});
