import assert from "node:assert/strict";
import { sleep } from "./clock.ts";
import { fakeClock } from "./testing.ts";

Deno.test("sleep resolves after the time passes on the given clock", async () => {
  const { clock, fake } = fakeClock();
  let done = false;
  const slept = sleep(clock, 5_000).then(() => done = true);
  await fake.tickAsync(4_999);
  assert.equal(done, false);
  await fake.tickAsync(1);
  await slept;
  assert.equal(done, true);
});

Deno.test("sleep rejects on abort and clears its timer", async () => {
  const { clock, fake } = fakeClock();
  const controller = new AbortController();
  const slept = sleep(clock, 5_000, controller.signal);
  controller.abort(new Error("stop"));
  await assert.rejects(slept, /stop/);
  assert.equal(fake.countTimers(), 0);
  await assert.rejects(sleep(clock, 1, AbortSignal.abort(new Error("early"))), /early/);
  await sleep(clock, 0);
});
