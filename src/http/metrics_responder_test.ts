import assert from "node:assert/strict";
import type { ResponderDecisionOutcome } from "../app/observer.ts";
import type { ReviewFailure } from "../app/responder_messages.ts";
import { METRIC_PREFIX, Metrics } from "./metrics.ts";
import { findSamples, parseExposition, sampleValue } from "../testing/prometheus_text.ts";

const p = METRIC_PREFIX;

Deno.test("metrics: every refusal Teleport's review answer can map to has a label (checked by the compiler)", () => {
  const failures: NonNullable<ReviewFailure["refusal"]> extends ResponderDecisionOutcome ? true
    : never = true;
  assert.equal(failures, true);
});

Deno.test("metrics: responder decisions by path and outcome, and deliveries by route and result", async () => {
  const metrics = new Metrics();
  let e = parseExposition(await metrics.render());
  assert.equal(e.type.get(`${p}responder_decisions_total`), "counter");
  assert.equal(e.type.get(`${p}responder_webhooks_total`), "counter");
  assert.equal(findSamples(e, `${p}responder_decisions_total`).length, 3 * 14);
  assert.equal(findSamples(e, `${p}responder_webhooks_total`).length, 2 * 6);
  assert.equal(
    sampleValue(e, `${p}responder_decisions_total`, { path: "workflow", outcome: "not_on_call" }),
    0,
  );

  metrics.responderDecision("note", "approved");
  metrics.responderDecision("note", "approved");
  metrics.responderDecision("action", "own_request");
  metrics.responderDelivery("v3", "accepted");
  metrics.responderDelivery("action", "forbidden");
  e = parseExposition(await metrics.render());
  assert.equal(
    sampleValue(e, `${p}responder_decisions_total`, { path: "note", outcome: "approved" }),
    2,
  );
  assert.equal(
    sampleValue(e, `${p}responder_decisions_total`, { path: "action", outcome: "own_request" }),
    1,
  );
  assert.equal(
    sampleValue(e, `${p}responder_webhooks_total`, { route: "v3", result: "accepted" }),
    1,
  );
  assert.equal(
    sampleValue(e, `${p}responder_webhooks_total`, { route: "action", result: "forbidden" }),
    1,
  );
});
