import assert from "node:assert/strict";
import { type BenchSizes, formatTable, runBenchmark, verdicts } from "./harness.ts";

const FIGURES = {
  latency_ms: { p50: 3, p95: 9, p99: 20 },
  burst: { requests: 5000, seconds: 8, requests_per_second: 625 },
  rate_limited: { requests: 1000, drain_seconds: 61, floor_seconds: 62.6, http_429: 0 },
  calls_per_request: 4,
  peak_rss_mb: { idle: 90, tracked_10k: 110 },
};

Deno.test("verdicts check each figure against the issue's target", () => {
  const good = verdicts(FIGURES, 10_000);
  assert.equal(good[6].target, "<= 4, as the Go plugin");
  assert.deepEqual(good.map((v) => v.pass), [
    undefined,
    undefined,
    true,
    true,
    true,
    true,
    true,
    undefined,
    true,
  ]);
  const bad = verdicts({
    latency_ms: { p50: 3, p95: 9, p99: 25 },
    burst: { requests: 5000, seconds: 10, requests_per_second: 500 },
    rate_limited: { requests: 1000, drain_seconds: 66, floor_seconds: 62.6, http_429: 1 },
    calls_per_request: 4.01,
    peak_rss_mb: { idle: 90, tracked_10k: 120 },
  }, 10_000);
  assert.deepEqual(bad.filter((v) => v.pass !== undefined).map((v) => v.pass), [
    false,
    false,
    false,
    false,
    false,
    false,
  ]);
  assert.match(bad[4].measured, /66 s, floor 62\.6 s \(105\.4%\)/);
  assert.equal(bad[8].measure, "Peak RSS, 10000 tracked");
});

Deno.test("formatTable aligns the columns and marks each verdict", () => {
  const lines = formatTable(verdicts(FIGURES, 10_000)).split("\n");
  assert.equal(lines.length, 2 + 9);
  assert.match(lines[0], /^Measure\s+Target\s+Measured\s+Result$/);
  const resultColumn = lines[0].indexOf("Result");
  assert.equal(lines[4].slice(resultColumn), "PASS");
  assert.equal(lines[2].slice(resultColumn).trim(), "", "no verdict without a target");
  assert.ok(lines[2].includes(" - "), "a figure without a target shows a dash");
});

const TINY: BenchSizes = {
  latency: { requests: 10, perSecond: 100, warmUp: 2 },
  burst: { requests: 10 },
  rateLimited: { requests: 5 },
  calls: { requests: 3, warmUp: 1 },
  memory: { requests: 20, settleMs: 100 },
};

Deno.test("the harness runs every scenario against the real service and reports the issue's keys", async () => {
  const progress: string[] = [];
  const results = await runBenchmark(TINY, { progress: (s) => progress.push(s) });
  const json = JSON.parse(JSON.stringify(results));
  for (
    const [key, fields] of Object.entries({
      latency_ms: ["p50", "p95", "p99"],
      burst: ["requests", "seconds", "requests_per_second"],
      rate_limited: ["requests", "drain_seconds", "floor_seconds", "http_429"],
      peak_rss_mb: ["idle", "tracked_10k"],
    })
  ) {
    for (const field of fields) {
      const value = json[key][field];
      assert.ok(Number.isFinite(value) && value >= 0, `${key}.${field} = ${value}`);
    }
  }
  assert.ok(json.latency_ms.p50 <= json.latency_ms.p95);
  assert.ok(json.latency_ms.p95 <= json.latency_ms.p99);
  assert.equal(json.details.latency.requests, TINY.latency.requests);
  assert.equal(json.details.latency.warm_up.requests, TINY.latency.warmUp);
  assert.equal(json.burst.requests, TINY.burst.requests);
  assert.equal(json.rate_limited.requests, TINY.rateLimited.requests);
  assert.equal(json.rate_limited.http_429, 0, "5 requests stay far below 960 per minute");
  // One incident per request, resolved once; the total is the sum of the operations counted.
  const byOperation: Record<string, number> = json.details.calls.by_operation;
  assert.equal(byOperation.createIncident, 1);
  assert.equal(byOperation.updateIncident, 1);
  assert.equal(byOperation.createIncidentNote, 2, "the review's note and the outcome's, as in Go");
  const sum = Object.values(byOperation).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(json.calls_per_request - sum) < 0.01, `${json.calls_per_request} vs ${sum}`);
  assert.ok(json.peak_rss_mb.tracked_10k >= json.peak_rss_mb.idle, "a peak never goes down");
  assert.equal(json.verdicts.length, 9);
  assert.equal(json.machine.nproc, navigator.hardwareConcurrency);
  assert.equal(json.machine.deno, Deno.version.deno);
  assert.equal(progress.length, 5);
});
