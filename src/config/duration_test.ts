import assert from "node:assert/strict";
import { formatGoDuration, nanosToMs, parseGoDuration } from "./duration.ts";

Deno.test("Go duration strings parse like time.ParseDuration", () => {
  const cases: Array<[string, number]> = [
    ["0", 0],
    ["1m", 60_000],
    ["30s", 30_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    [".5s", 500],
    ["250ms", 250],
    ["1500us", 1.5],
    ["1500µs", 1.5],
    ["2000000ns", 2],
    ["+10s", 10_000],
    ["-1s", -1000],
    ["1h0m0s", 3_600_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseGoDuration(text), ms, text);
});

Deno.test("anything else is not a duration", () => {
  for (const text of ["", "1", "10 s", "1 minute", "s", "1d", "1h30", "abc", "-", "1.5.5s", "m1"]) {
    assert.equal(parseGoDuration(text), undefined, text);
  }
});

Deno.test("nanoseconds convert to milliseconds and durations print like Go", () => {
  assert.equal(nanosToMs(60_000_000_000), 60_000);
  assert.equal(formatGoDuration(0), "0s");
  assert.equal(formatGoDuration(250), "250ms");
  assert.equal(formatGoDuration(1000), "1s");
  assert.equal(formatGoDuration(90_000), "1m30s");
  assert.equal(formatGoDuration(5_400_000), "1h30m0s");
});
