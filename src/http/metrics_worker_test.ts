import assert from "node:assert/strict";
import { METRIC_PREFIX } from "./metrics.ts";
import type { MetricsWorkerResult } from "./testing/metrics_worker.ts";
import { runWorker } from "./testing/run_worker.ts";
import { parseExposition, sampleValue } from "./testing/prometheus_text.ts";

Deno.test("metrics: prom-client works in a Worker with no env, sys or read permission", async () => {
  const result = await runWorker<MetricsWorkerResult>(
    new URL("./testing/metrics_worker.ts", import.meta.url),
    { net: false },
  );
  assert.equal(result.envDenied, true, "env must really be denied in the worker");
  assert.equal(result.readDenied, true, "read must really be denied in the worker");
  const e = parseExposition(result.text);
  assert.equal(sampleValue(e, `${METRIC_PREFIX}incidents_created_total`), 1);
  assert.equal(sampleValue(e, `${METRIC_PREFIX}request_to_incident_seconds_count`), 1);
  assert.equal(
    sampleValue(e, `${METRIC_PREFIX}pagerduty_requests_total`, {
      operation: "createIncident",
      status: "201",
    }),
    1,
  );
  assert.ok(sampleValue(e, "process_resident_memory_bytes") > 0);
});
