import assert from "node:assert/strict";
import { LATENCY_BUCKETS, METRIC_PREFIX, Metrics, OTHER_LABEL_VALUE } from "./metrics.ts";
import { findSamples, parseExposition, sampleValue } from "../testing/prometheus_text.ts";
import { VERSION } from "../version.ts";

const p = METRIC_PREFIX;

Deno.test("metrics: every family has HELP and the right TYPE", async () => {
  const text = await new Metrics().render();
  const { type, help } = parseExposition(text);
  const expected: Record<string, string> = {
    events_received_total: "counter",
    incidents_created_total: "counter",
    incident_notes_total: "counter",
    incidents_resolved_total: "counter",
    auto_approvals_total: "counter",
    pagerduty_requests_total: "counter",
    pagerduty_retries_total: "counter",
    pagerduty_rate_limit_wait_seconds_total: "counter",
    teleport_watch_reconnects_total: "counter",
    work_queue_depth: "gauge",
    work_in_flight: "gauge",
    request_to_incident_seconds: "histogram",
    handler_errors_total: "counter",
    build_info: "gauge",
  };
  for (const [name, kind] of Object.entries(expected)) {
    assert.equal(type.get(p + name), kind, `TYPE of ${p + name}`);
    assert.ok((help.get(p + name) ?? "").length > 0, `HELP of ${p + name}`);
  }
});

Deno.test("metrics: fixed label sets start at zero and count increments", async () => {
  const metrics = new Metrics();
  let e = parseExposition(await metrics.render());
  assert.equal(
    sampleValue(e, `${p}events_received_total`, { kind: "access_request", type: "put" }),
    0,
  );
  assert.equal(sampleValue(e, `${p}auto_approvals_total`, { outcome: "not_on_call" }), 0);
  assert.equal(findSamples(e, `${p}incidents_resolved_total`).length, 5);
  assert.equal(findSamples(e, `${p}auto_approvals_total`).length, 12);
  assert.equal(findSamples(e, `${p}events_received_total`).length, 6);

  metrics.eventReceived("access_request", "put");
  metrics.eventReceived("access_request", "put");
  metrics.eventReceived("access_monitoring_rule", "delete");
  metrics.eventReceived("access_request", "resync");
  metrics.incidentCreated();
  metrics.incidentNoteAdded("review");
  metrics.incidentNoteAdded("resolution");
  metrics.incidentNoteAdded("review");
  metrics.incidentResolved("expired");
  metrics.autoApproval("approved");
  metrics.autoApproval("filtered_schedule");
  metrics.pagerDutyRequest("createIncident", 201);
  metrics.pagerDutyRequest("createIncident", 429);
  metrics.pagerDutyRequest("createIncident", 201);
  metrics.pagerDutyRequest("listOnCalls", "timeout");
  metrics.pagerDutyRetry("createIncident", "rate_limited");
  metrics.pagerDutyRateLimitWaited(1.5);
  metrics.pagerDutyRateLimitWaited(0.25);
  metrics.teleportWatchReconnected("stream_error");
  metrics.setWorkQueueDepth(7);
  metrics.setWorkInFlight(3);
  metrics.setWorkQueueDepth(5);
  metrics.handlerError("create_incident");

  e = parseExposition(await metrics.render());
  const v = (name: string, labels: Record<string, string> = {}) => sampleValue(e, p + name, labels);
  assert.equal(v("events_received_total", { kind: "access_request", type: "put" }), 2);
  assert.equal(v("events_received_total", { kind: "access_monitoring_rule", type: "delete" }), 1);
  assert.equal(v("events_received_total", { kind: "access_request", type: "resync" }), 1);
  assert.equal(v("events_received_total", { kind: "access_request", type: "delete" }), 0);
  assert.equal(v("incidents_created_total"), 1);
  assert.equal(v("incident_notes_total", { reason: "review" }), 2);
  assert.equal(v("incident_notes_total", { reason: "resolution" }), 1);
  assert.equal(v("incidents_resolved_total", { resolution: "expired" }), 1);
  assert.equal(v("incidents_resolved_total", { resolution: "approved" }), 0);
  assert.equal(v("auto_approvals_total", { outcome: "approved" }), 1);
  assert.equal(v("auto_approvals_total", { outcome: "filtered_schedule" }), 1);
  assert.equal(v("pagerduty_requests_total", { operation: "createIncident", status: "201" }), 2);
  assert.equal(v("pagerduty_requests_total", { operation: "createIncident", status: "429" }), 1);
  assert.equal(v("pagerduty_requests_total", { operation: "listOnCalls", status: "timeout" }), 1);
  assert.equal(
    v("pagerduty_retries_total", { operation: "createIncident", reason: "rate_limited" }),
    1,
  );
  assert.equal(v("pagerduty_rate_limit_wait_seconds_total"), 1.75);
  assert.equal(v("teleport_watch_reconnects_total", { reason: "stream_error" }), 1);
  assert.equal(v("work_queue_depth"), 5);
  assert.equal(v("work_in_flight"), 3);
  assert.equal(v("handler_errors_total", { stage: "create_incident" }), 1);
});

Deno.test("metrics: request_to_incident histogram has cumulative buckets from 1 ms to 60 s", async () => {
  const metrics = new Metrics();
  for (const seconds of [0.0005, 0.003, 0.003, 0.7, 45, 120]) {
    metrics.observeRequestToIncident(seconds);
  }
  const e = parseExposition(await metrics.render());
  const name = `${p}request_to_incident_seconds`;
  const buckets = findSamples(e, `${name}_bucket`);
  const bounds = buckets.map((b) => Number(b.labels.le === "+Inf" ? Infinity : b.labels.le));
  assert.deepEqual(bounds, [...LATENCY_BUCKETS, Infinity]);
  assert.equal(bounds[0], 0.001);
  assert.equal(bounds.at(-2), 60);
  const le = (bound: string) => sampleValue(e, `${name}_bucket`, { le: bound });
  assert.equal(le("0.001"), 1);
  assert.equal(le("0.0025"), 1);
  assert.equal(le("0.005"), 3);
  assert.equal(le("0.5"), 3);
  assert.equal(le("1"), 4);
  assert.equal(le("30"), 4);
  assert.equal(le("60"), 5);
  assert.equal(le("+Inf"), 6);
  for (let i = 1; i < buckets.length; i++) {
    assert.ok(buckets[i].value >= buckets[i - 1].value, "buckets are cumulative");
  }
  assert.equal(sampleValue(e, `${name}_count`), 6);
  assert.ok(Math.abs(sampleValue(e, `${name}_sum`) - 165.7065) < 1e-9);
});

Deno.test("metrics: build_info carries the versions", async () => {
  let e = parseExposition(await new Metrics().render());
  assert.equal(sampleValue(e, `${p}build_info`, { version: VERSION, deno: Deno.version.deno }), 1);
  e = parseExposition(await new Metrics({ version: "9.9.9", denoVersion: "2.0.0" }).render());
  assert.equal(sampleValue(e, `${p}build_info`, { version: "9.9.9", deno: "2.0.0" }), 1);
});

Deno.test("metrics: free-form label values that are not identifiers become 'other'", async () => {
  const metrics = new Metrics();
  metrics.handlerError("connection refused: dial tcp 10.0.0.1:443");
  metrics.handlerError("x".repeat(65));
  metrics.teleportWatchReconnected("");
  metrics.pagerDutyRequest("GET /users?query=alice@example.com", 200);
  metrics.handlerError("resolve_incident");
  const e = parseExposition(await metrics.render());
  assert.equal(sampleValue(e, `${p}handler_errors_total`, { stage: OTHER_LABEL_VALUE }), 2);
  assert.equal(sampleValue(e, `${p}handler_errors_total`, { stage: "resolve_incident" }), 1);
  assert.equal(
    sampleValue(e, `${p}teleport_watch_reconnects_total`, { reason: OTHER_LABEL_VALUE }),
    1,
  );
  assert.equal(
    sampleValue(e, `${p}pagerduty_requests_total`, { operation: OTHER_LABEL_VALUE }),
    1,
  );
});

Deno.test("metrics: instances keep separate registries", async () => {
  const a = new Metrics();
  const b = new Metrics();
  a.incidentCreated();
  a.incidentCreated();
  b.incidentCreated();
  const ea = parseExposition(await a.render());
  const eb = parseExposition(await b.render());
  assert.equal(sampleValue(ea, `${p}incidents_created_total`), 2);
  assert.equal(sampleValue(eb, `${p}incidents_created_total`), 1);
});

Deno.test("metrics: process metrics come from permission-free APIs", async () => {
  const e = parseExposition(await new Metrics().render());
  assert.ok(sampleValue(e, "process_resident_memory_bytes") > 0);
  assert.ok(sampleValue(e, "process_heap_bytes") > 0);
  assert.ok(sampleValue(e, "process_cpu_seconds_total") > 0);
  const start = sampleValue(e, "process_start_time_seconds");
  assert.ok(start > 1.6e9 && start <= Date.now() / 1000, `start time ${start}`);
  assert.equal(findSamples(e, "nodejs_eventloop_lag_seconds").length, 0);
});

Deno.test("metrics: content type is the Prometheus text format", () => {
  assert.match(new Metrics().contentType, /^text\/plain; version=0\.0\.4; charset=utf-8$/);
});

Deno.test("PagerDuty operations keep their method and path template, never IDs or free text", async () => {
  const metrics = new Metrics();
  metrics.pagerDutyRequest("POST /incidents/{id}/notes", 201);
  metrics.pagerDutyRequest("GET /incidents/Q1R2DLCB21K7NP", 200);
  metrics.pagerDutyRetry("PUT /incidents/{id}", "server_error");
  const text = await metrics.render();
  assert.match(
    text,
    /requests_total\{operation="POST \/incidents\/\{id\}\/notes",status="201"\} 1/,
  );
  assert.match(text, /requests_total\{operation="other",status="200"\} 1/);
  assert.match(
    text,
    /retries_total\{operation="PUT \/incidents\/\{id\}",reason="server_error"\} 1/,
  );
});
