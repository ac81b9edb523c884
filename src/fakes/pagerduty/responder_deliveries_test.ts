import assert from "node:assert/strict";
import {
  ACTION_SECRET_HEADER,
  parseV2Delivery,
  parseV3Delivery,
  SIGNATURE_HEADER,
  verifyActionSecret,
  verifySignature,
} from "../../pagerduty/webhook.ts";
import { FakePagerDuty } from "./server.ts";

interface Received {
  readonly path: string;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

/** A receiver on 127.0.0.1 that records every POST and answers `status`. */
function receiver(status = 202) {
  const received: Received[] = [];
  const controller = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen: () => {} },
    async (request) => {
      received.push({
        path: new URL(request.url).pathname,
        headers: request.headers,
        body: new Uint8Array(await request.arrayBuffer()),
      });
      return new Response(null, { status });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    received,
    async [Symbol.asyncDispose]() {
      controller.abort();
      await server.finished;
    },
  };
}

async function world() {
  const pd = await FakePagerDuty.start();
  const alice = pd.addUser({ name: "Alice", email: "alice@example.com" });
  const policy = pd.addEscalationPolicy({ name: "Ops", levels: [{ userIds: [alice.id] }] });
  const service = pd.addService({ name: "Access Requests", escalationPolicyId: policy.id });
  const incident = pd.account.createIncident(
    { title: "Access request", serviceId: service.id, incidentKey: "teleport-access-request/r1" },
    alice.id,
    new Date(),
  );
  return { pd, alice, service, incident };
}

Deno.test("fake: a note as a user arrives as a signed V3 incident.annotated naming the author", async () => {
  await using sink = receiver();
  const { pd, alice, incident } = await world();
  await using _ = pd;
  pd.subscribeWebhooks({
    url: `${sink.url}/pagerduty/webhook`,
    secret: "s3cret",
    events: ["incident.annotated"],
  });
  pd.addNoteAs(incident.id, alice.id, "/approve looks fine");
  await pd.waitFor(() => pd.deliveries.length === 1);
  const [delivery] = sink.received;
  assert.ok(verifySignature(delivery.body, delivery.headers.get(SIGNATURE_HEADER), ["s3cret"]).ok);
  const parsed = parseV3Delivery(delivery.body);
  assert.ok(parsed.ok && parsed.value.kind === "event");
  assert.deepEqual(parsed.value.event, {
    kind: "note",
    incidentId: incident.id,
    noteId: pd.notes(incident.id)[0].id,
    content: "/approve looks fine",
    agent: { id: alice.id, name: "Alice" },
    occurredAt: parsed.value.event.occurredAt,
  });
});

Deno.test("fake: starting a workflow as a user sends a signed V3 incident.workflow.started", async () => {
  await using sink = receiver();
  const { pd, alice, service, incident } = await world();
  await using _ = pd;
  pd.subscribeWebhooks({ url: sink.url, secret: "s3cret", serviceIds: [service.id] });
  const run = pd.startWorkflowAs(incident.id, alice.id, {
    id: "PWF0001",
    name: "Approve access request",
  });
  await pd.waitFor(() => pd.deliveries.length === 1);
  assert.equal(pd.deliveries[0].outcome, "delivered");
  const [delivery] = sink.received;
  assert.ok(verifySignature(delivery.body, delivery.headers.get(SIGNATURE_HEADER), ["s3cret"]).ok);
  const parsed = parseV3Delivery(delivery.body);
  assert.ok(parsed.ok && parsed.value.kind === "event");
  assert.deepEqual(parsed.value.event, {
    kind: "workflow",
    incidentId: incident.id,
    workflowId: "PWF0001",
    workflowName: "Approve access request",
    instanceId: run.instanceId,
    serviceId: service.id,
    agent: { id: alice.id, name: "Alice" },
    occurredAt: parsed.value.event.occurredAt,
  });
});

Deno.test("fake: resolving an incident as a user sends incident.resolved", async () => {
  await using sink = receiver();
  const { pd, alice, service, incident } = await world();
  await using _ = pd;
  pd.subscribeWebhooks({ url: sink.url, secret: "s3cret", events: ["incident.resolved"] });
  pd.updateIncidentAs(incident.id, alice.id, { status: "resolved" });
  await pd.waitFor(() => pd.deliveries.length === 1);
  const parsed = parseV3Delivery(sink.received[0].body);
  assert.ok(parsed.ok && parsed.value.kind === "event");
  assert.deepEqual(parsed.value.event, {
    kind: "resolved",
    incidentId: incident.id,
    incidentKey: "teleport-access-request/r1",
    serviceId: service.id,
    agent: { id: alice.id, name: "Alice" },
    occurredAt: parsed.value.event.occurredAt,
  });
});

Deno.test("fake: clicking a Custom Incident Action POSTs the legacy V2 payload with the custom secret header", async () => {
  await using sink = receiver(200);
  const { pd, alice, service, incident } = await world();
  await using _ = pd;
  const delivery = await pd.runCustomActionAs(incident.id, alice.id, {
    name: "Approve request",
    url: `${sink.url}/pagerduty/action/approve`,
    headers: { [ACTION_SECRET_HEADER]: "per-install-secret-123" },
  });
  assert.equal(delivery.attempt.status, 200);
  assert.equal(
    sink.received.length,
    1,
    "one attempt: PagerDuty shows the outcome instead of retrying",
  );
  const [request] = sink.received;
  assert.equal(request.path, "/pagerduty/action/approve");
  assert.equal(request.headers.get("user-agent"), "PagerDuty-Webhook/V2.0");
  assert.equal(request.headers.get(SIGNATURE_HEADER), null, "V2 deliveries are not signed");
  assert.ok(
    verifyActionSecret(request.headers.get(ACTION_SECRET_HEADER), "per-install-secret-123").ok,
  );
  const parsed = parseV2Delivery(request.body, "approve");
  assert.ok(parsed.ok && parsed.value[0].kind === "event");
  assert.deepEqual(parsed.value[0].deliveryId, delivery.messageId);
  assert.deepEqual(parsed.value[0].event, {
    kind: "action",
    decision: "approve",
    actionName: "Approve request",
    incidentId: incident.id,
    incidentKey: "teleport-access-request/r1",
    serviceId: service.id,
    agent: { id: alice.id, name: "Alice" },
    occurredAt: parsed.value[0].event.occurredAt,
  });
});

Deno.test("fake: a click without a user agent, and a receiver that refuses, are reported as such", async () => {
  await using sink = receiver(403);
  const { pd, incident } = await world();
  await using _ = pd;
  const delivery = await pd.runCustomActionAs(incident.id, null, {
    name: "Deny request",
    url: `${sink.url}/pagerduty/action/deny`,
  });
  assert.equal(delivery.attempt.status, 403);
  const parsed = parseV2Delivery(sink.received[0].body, "deny");
  assert.ok(parsed.ok && parsed.value[0].kind === "event");
  assert.equal(parsed.value[0].event.agent, undefined);
  assert.throws(
    () => pd.runCustomActionAs("QNOPE", null, { name: "x", url: sink.url }),
    /No incident/,
  );
});

Deno.test("fake: team memberships show on the user", async () => {
  const { pd, alice } = await world();
  await using _ = pd;
  pd.account.addTeamMember(alice.id, "PTEAM01");
  pd.account.addTeamMember(alice.id, "PTEAM01");
  const response = await fetch(`${pd.url}/users/${alice.id}`, {
    headers: {
      authorization: `Token token=${pd.apiKey}`,
      accept: "application/vnd.pagerduty+json;version=2",
    },
  });
  const { user } = await response.json();
  assert.deepEqual(user.teams.map((t: { id: string; type: string }) => [t.id, t.type]), [
    ["PTEAM01", "team_reference"],
  ]);
});
