import assert from "node:assert/strict";
import { formatDuration } from "./duration.ts";

const HOUR = 3_600_000;

Deno.test("formatDuration shows the two largest units", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(999), "1s");
  assert.equal(formatDuration(59_000), "59s");
  assert.equal(formatDuration(61_000), "1m 1s");
  assert.equal(formatDuration(HOUR), "1h");
  assert.equal(formatDuration(HOUR + 5 * 60_000 + 7_000), "1h 5m");
  assert.equal(formatDuration(26 * HOUR), "1d 2h");
  assert.equal(formatDuration(-90_000), "1m 30s");
});
