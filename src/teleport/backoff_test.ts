import assert from "node:assert/strict";
import { DecorrelatedBackoff } from "./backoff.ts";

Deno.test("each delay is drawn between the base and three times the previous, capped", () => {
  const half = new DecorrelatedBackoff({ baseMs: 20, maxMs: 5_000 }, () => 0.5);
  // 20 + 0.5 * (60 - 20) = 40; 20 + 0.5 * (120 - 20) = 70; ... 182.5 rounds to 183.
  assert.deepEqual([half.next(), half.next(), half.next(), half.next()], [40, 70, 115, 183]);
  const high = new DecorrelatedBackoff({ baseMs: 20, maxMs: 5_000 }, () => 0.999);
  const delays = Array.from({ length: 8 }, () => high.next());
  assert.ok(delays.every((d) => d >= 20 && d <= 5_000), String(delays));
  assert.equal(delays.at(-1), 5_000);
});

Deno.test("with the lowest jitter every delay is the base; reset starts over", () => {
  let r = 0.999;
  const backoff = new DecorrelatedBackoff({ baseMs: 10, maxMs: 1_000 }, () => r);
  backoff.next();
  backoff.next();
  backoff.reset();
  r = 0.5;
  assert.equal(backoff.next(), 20); // 10 + 0.5 * (30 - 10)
  r = 0;
  assert.equal(backoff.next(), 10);
});

Deno.test("backoff bounds are validated", () => {
  assert.throws(() => new DecorrelatedBackoff({ baseMs: 0, maxMs: 10 }), RangeError);
  assert.throws(() => new DecorrelatedBackoff({ baseMs: 10, maxMs: 5 }), RangeError);
});
