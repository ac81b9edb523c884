import assert from "node:assert/strict";
import { METRIC_PREFIX, Metrics } from "./metrics.ts";
import { metricsObserver } from "./telemetry.ts";
import { findSamples, parseExposition, sampleValue } from "../testing/prometheus_text.ts";

const LOCKS = `${METRIC_PREFIX}locks_total`;

Deno.test("metrics: locks are counted by reason, every reason starting at zero", async () => {
  const metrics = new Metrics();
  let e = parseExposition(await metrics.render());
  assert.equal(e.type.get(LOCKS), "counter");
  assert.ok((e.help.get(LOCKS) ?? "").length > 0);
  assert.deepEqual(
    findSamples(e, LOCKS).map((s) => s.labels.reason).sort(),
    ["incident_gone", "incident_resolved", "shift_ended"],
  );
  const observer = metricsObserver(metrics);
  observer.accessLocked("shift_ended");
  observer.accessLocked("shift_ended");
  observer.accessLocked("incident_resolved");
  observer.autoApproval("shift_over");
  e = parseExposition(await metrics.render());
  assert.equal(sampleValue(e, LOCKS, { reason: "shift_ended" }), 2);
  assert.equal(sampleValue(e, LOCKS, { reason: "incident_resolved" }), 1);
  assert.equal(sampleValue(e, LOCKS, { reason: "incident_gone" }), 0);
  assert.equal(
    sampleValue(e, `${METRIC_PREFIX}auto_approvals_total`, { outcome: "shift_over" }),
    1,
  );
});
