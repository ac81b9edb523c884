import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { sleep, type Timers } from "./sleep.ts";

function fakeTimers(): { fake: FakeTimers.Clock; timers: Timers } {
  const fake = FakeTimers.createClock(0);
  return {
    fake,
    timers: {
      setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
      clearTimeout: (id) => fake.clearTimeout(id as FakeTimers.TimerId),
    },
  };
}

Deno.test("sleep resolves after the time passes on the given timers", async () => {
  const { fake, timers } = fakeTimers();
  let done = false;
  const slept = sleep(5_000, undefined, timers).then(() => done = true);
  await fake.tickAsync(4_999);
  assert.equal(done, false);
  await fake.tickAsync(1);
  await slept;
  assert.equal(done, true);
});

Deno.test("sleep ends early when its signal aborts, and at once when already aborted", async () => {
  const controller = new AbortController();
  const slept = sleep(60_000, controller.signal);
  controller.abort();
  await slept; // a leaked 60 s timer would fail the op sanitizer
  await sleep(60_000, AbortSignal.abort());
});

Deno.test("sleep clears its timer on abort and takes no timer for nothing", async () => {
  const { fake, timers } = fakeTimers();
  const controller = new AbortController();
  const slept = sleep(5_000, controller.signal, timers);
  assert.equal(fake.countTimers(), 1);
  controller.abort(new Error("stop"));
  await slept;
  assert.equal(fake.countTimers(), 0);
  await sleep(1, AbortSignal.abort(new Error("early")), timers);
  await sleep(0, undefined, timers);
  assert.equal(fake.countTimers(), 0);
});
