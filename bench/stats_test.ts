import assert from "node:assert/strict";
import { percentile, round } from "./stats.ts";

Deno.test("percentile is the nearest-rank value, whatever the input order", () => {
  const samples = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  assert.equal(percentile(samples, 50), 5);
  assert.equal(percentile(samples, 90), 9);
  assert.equal(percentile(samples, 99), 10);
  assert.equal(percentile(samples, 100), 10);
  assert.equal(percentile(samples, 1), 1);
  assert.deepEqual(samples, [5, 1, 4, 2, 3, 10, 9, 8, 7, 6], "the input is not reordered");
});

Deno.test("percentile of one sample is that sample", () => {
  assert.equal(percentile([42], 50), 42);
  assert.equal(percentile([42], 99), 42);
});

Deno.test("percentile refuses no samples and out-of-range ranks", () => {
  assert.throws(() => percentile([], 50), RangeError);
  assert.throws(() => percentile([1], 0), RangeError);
  assert.throws(() => percentile([1], 101), RangeError);
  assert.throws(() => percentile([1], Number.NaN), RangeError);
});

Deno.test("round keeps the asked decimal places", () => {
  assert.equal(round(1.23456, 2), 1.23);
  assert.equal(round(1.235, 1), 1.2);
  assert.equal(round(99.95, 0), 100);
});
