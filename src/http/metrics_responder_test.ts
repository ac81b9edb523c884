import assert from "node:assert/strict";
import type { ResponderPath as CommandPath } from "../app/responder_commands.ts";
import type { ReviewFailure } from "../app/responder_messages.ts";
import type { DecisionRefusal } from "../app/responder_policy.ts";
import { METRIC_PREFIX, Metrics, type ResponderOutcome, type ResponderPath } from "./metrics.ts";
import { findSamples, parseExposition, sampleValue } from "../testing/prometheus_text.ts";

const p = METRIC_PREFIX;

Deno.test("metrics: every path and refusal of the decision policy has a label (checked by the compiler)", () => {
  const refusals: DecisionRefusal extends ResponderOutcome ? true : never = true;
  const failures: NonNullable<ReviewFailure["refusal"]> extends ResponderOutcome ? true : never =
    true;
  const paths: CommandPath extends ResponderPath ? true : never = true;
  assert.deepEqual([refusals, failures, paths], [true, true, true]);
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
