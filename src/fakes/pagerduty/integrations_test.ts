import assert from "node:assert/strict";
import { FakePagerDuty } from "./server.ts";
import { signBody } from "./webhooks.ts";

// JSON answers are inspected field by field; a precise type per route would only restate the asserts.
// deno-lint-ignore no-explicit-any
type Loose = any;

/** A minimal client sending what PagerDuty requires; always consumes the body. */
async function call(
  pd: FakePagerDuty,
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<{ status: number; body: Loose }> {
  const response = await fetch(`${pd.url}${path}`, {
    method,
    headers: {
      Accept: "application/vnd.pagerduty+json;version=2",
      "Content-Type": "application/json",
      Authorization: `Token token=${options.token ?? pd.apiKey}`,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
}

function account(pd: FakePagerDuty) {
  const alice = pd.addUser({ name: "Alice", email: "alice@example.com" });
  const policy = pd.addEscalationPolicy({ name: "Ops", levels: [{ userIds: [alice.id] }] });
  const service = pd.addService({ name: "Access Requests", escalationPolicyId: policy.id });
  return { alice, service };
}

function subscriptionBody(serviceId: string, url: string, events = ["incident.annotated"]) {
  return {
    webhook_subscription: {
      type: "webhook_subscription",
      delivery_method: { type: "http_delivery_method", url },
      events,
      filter: { type: "service_reference", id: serviceId },
      description: "d",
    },
  };
}

Deno.test("a subscription's secret is in the create answer only, and signs its deliveries", async () => {
  await using pd = await FakePagerDuty.start();
  const { alice, service } = account(pd);
  const received: Array<{ body: string; signature: string | null }> = [];
  const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (r) => {
    received.push({ body: await r.text(), signature: r.headers.get("x-pagerduty-signature") });
    return new Response(null, { status: 202 });
  });
  try {
    const url = `http://127.0.0.1:${receiver.addr.port}/pagerduty/webhook`;
    const created = await call(pd, "POST", "/webhook_subscriptions", {
      body: subscriptionBody(service.id, url),
    });
    assert.equal(created.status, 200);
    const secret = created.body.webhook_subscription.delivery_method.secret;
    assert.match(secret, /^[0-9a-f]{64}$/);
    const id = created.body.webhook_subscription.id;
    const listed = await call(
      pd,
      "GET",
      `/webhook_subscriptions?filter_type=service&filter_id=${service.id}`,
    );
    assert.equal(listed.body.webhook_subscriptions.length, 1);
    assert.equal(listed.body.webhook_subscriptions[0].delivery_method.secret, null);
    assert.equal(
      (await call(pd, "GET", `/webhook_subscriptions/${id}`)).body.webhook_subscription
        .delivery_method.secret,
      null,
    );

    const incident = pd.account.createIncident(
      { title: "t", serviceId: service.id },
      alice.id,
      new Date(),
    );
    pd.addNoteAs(incident.id, alice.id, "/approve fine");
    await pd.waitFor(() => pd.deliveries.length === 1);
    assert.equal(received.length, 1);
    assert.equal(received[0].signature, `v1=${await signBody(secret, received[0].body)}`);
    assert.equal(JSON.parse(received[0].body).event.event_type, "incident.annotated");
    assert.deepEqual(pd.validationFailures, []);
  } finally {
    await receiver.shutdown();
  }
});

Deno.test("subscriptions: update, temporary disable and enable, delete; bad input refused", async () => {
  await using pd = await FakePagerDuty.start();
  const { service } = account(pd);
  const created = await call(pd, "POST", "/webhook_subscriptions", {
    body: subscriptionBody(service.id, "https://example.com/hook"),
  });
  const id = created.body.webhook_subscription.id;
  const updated = await call(pd, "PUT", `/webhook_subscriptions/${id}`, {
    body: { webhook_subscription: { events: ["incident.resolved"], active: false } },
  });
  assert.equal(updated.status, 200);
  assert.deepEqual(updated.body.webhook_subscription.events, ["incident.resolved"]);
  assert.equal(updated.body.webhook_subscription.active, false);
  pd.integrations.disableTemporarily(id);
  assert.equal(pd.integrations.deliveryTargets().length, 0);
  const enabled = await call(pd, "POST", `/webhook_subscriptions/${id}/enable`);
  assert.equal(enabled.body.webhook_subscription.delivery_method.temporarily_disabled, false);
  assert.equal((await call(pd, "DELETE", `/webhook_subscriptions/${id}`)).status, 204);
  assert.equal((await call(pd, "GET", `/webhook_subscriptions/${id}`)).status, 404);

  const unknownEvent = await call(pd, "POST", "/webhook_subscriptions", {
    body: subscriptionBody(service.id, "https://example.com/hook", ["incident.annotate"]),
  });
  assert.equal(unknownEvent.status, 400);
  assert.match(unknownEvent.body.error.errors[0], /"incident.annotate" is not a webhook event/);
  const unknownService = await call(pd, "POST", "/webhook_subscriptions", {
    body: subscriptionBody("PNOPE00", "https://example.com/hook"),
  });
  assert.equal(unknownService.status, 400);
  // Schema errors are the pipeline's (OpenAPI validation), recorded for the test to see.
  const noEvents = await call(pd, "POST", "/webhook_subscriptions", {
    body: subscriptionBody(service.id, "https://example.com/hook", []),
  });
  assert.equal(noEvents.status, 400);
  assert.equal(pd.validationFailures.length, 1);
});

Deno.test("workflows and manual triggers; 402 without the incident_workflows ability", async () => {
  await using pd = await FakePagerDuty.start();
  const { service } = account(pd);
  const workflow = await call(pd, "POST", "/incident_workflows", {
    body: { incident_workflow: { name: "Approve access request", description: "d" } },
  });
  assert.equal(workflow.status, 201);
  const workflowId = workflow.body.incident_workflow.id;
  const found = await call(pd, "GET", "/incident_workflows?query=approve%20access");
  assert.deepEqual(found.body.incident_workflows.map((w: Loose) => w.id), [workflowId]);
  const trigger = await call(pd, "POST", "/incident_workflows/triggers", {
    body: {
      trigger: {
        trigger_type: "manual",
        workflow: { id: workflowId },
        services: [],
        is_subscribed_to_all_services: false,
      },
    },
  });
  assert.equal(trigger.status, 201);
  const triggerId = trigger.body.trigger.id;
  const added = await call(pd, "POST", `/incident_workflows/triggers/${triggerId}/services`, {
    body: { service: { id: service.id } },
  });
  assert.equal(added.status, 201);
  assert.deepEqual(added.body.trigger.services.map((s: Loose) => s.id), [service.id]);
  const again = await call(pd, "POST", `/incident_workflows/triggers/${triggerId}/services`, {
    body: { service: { id: service.id } },
  });
  assert.equal(again.status, 400);
  const listed = await call(
    pd,
    "GET",
    `/incident_workflows/triggers?workflow_id=${workflowId}&trigger_type=manual&limit=1`,
  );
  assert.equal(listed.body.triggers.length, 1);
  assert.equal(listed.body.next_cursor, null);
  assert.deepEqual(pd.validationFailures, []);

  await using basic = await FakePagerDuty.start({ abilities: ["teams"] });
  for (
    const [method, path] of [
      ["GET", "/incident_workflows"],
      ["GET", "/incident_workflows/triggers"],
    ]
  ) {
    const refused = await call(basic, method, path);
    assert.equal(refused.status, 402, path);
    assert.equal(refused.body.error.code, 2014);
  }
});

Deno.test("trigger lists are paged by cursor", async () => {
  await using pd = await FakePagerDuty.start();
  const workflows = Array.from(
    { length: 3 },
    (_, i) => pd.integrations.addWorkflow({ name: `W${i}` }),
  );
  for (const w of workflows) pd.integrations.addTrigger({ workflowId: w.id });
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: Loose } = await call(
      pd,
      "GET",
      `/incident_workflows/triggers?limit=2${cursor === null ? "" : `&cursor=${cursor}`}`,
    );
    seen.push(...page.body.triggers.map((t: Loose) => t.workflow_id));
    cursor = page.body.next_cursor;
  } while (cursor !== null);
  assert.deepEqual(seen, workflows.map((w) => w.id));
});

Deno.test("custom incident actions: schema offered or not, at most three per service", async () => {
  await using pd = await FakePagerDuty.start();
  const { service } = account(pd);
  const schemas = await call(pd, "GET", "/extension_schemas");
  const custom = schemas.body.extension_schemas.find((s: Loose) => s.key === "custom_webhook");
  const extension = (name: string) => ({
    extension: {
      name,
      endpoint_url: "https://tp.example.com/pagerduty/action",
      extension_schema: { id: custom.id, type: "extension_schema_reference" },
      extension_objects: [{ id: service.id, type: "service_reference" }],
      config: { headers: [{ name: "X-Secret", value: "v" }] },
    },
  });
  for (const name of ["A", "B", "C"]) {
    assert.equal((await call(pd, "POST", "/extensions", { body: extension(name) })).status, 201);
  }
  const fourth = await call(pd, "POST", "/extensions", { body: extension("D") });
  assert.equal(fourth.status, 400);
  const listed = await call(
    pd,
    "GET",
    `/extensions?extension_object_id=${service.id}&extension_schema_id=${custom.id}`,
  );
  assert.deepEqual(listed.body.extensions.map((e: Loose) => e.name), ["A", "B", "C"]);
  const id = listed.body.extensions[0].id;
  const renamed = await call(pd, "PUT", `/extensions/${id}`, { body: extension("A2") });
  assert.equal(renamed.status, 200);
  assert.equal(renamed.body.extension.name, "A2");
  assert.deepEqual(pd.validationFailures, []);

  pd.integrations.offerCustomIncidentActions = false;
  const without = await call(pd, "GET", "/extension_schemas");
  assert.deepEqual(without.body.extension_schemas.map((s: Loose) => s.key), ["generic_webhook"]);
});

Deno.test("only Managers, Admins and the Owner may write; read-only keys never", async () => {
  await using pd = await FakePagerDuty.start();
  const { service } = account(pd);
  const responder = pd.addUser({ name: "R", email: "r@example.com", role: "limited_user" });
  const manager = pd.addUser({ name: "M", email: "m@example.com", role: "user" });
  const body = subscriptionBody(service.id, "https://example.com/hook");
  const refused = await call(pd, "POST", "/webhook_subscriptions", {
    body,
    token: pd.addToken({ userId: responder.id }),
  });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error.code, 2010);
  const workflow = await call(pd, "POST", "/incident_workflows", {
    body: { incident_workflow: { name: "W" } },
    token: pd.addToken({ userId: responder.id }),
  });
  assert.equal(workflow.status, 403);
  const readOnly = await call(pd, "POST", "/webhook_subscriptions", {
    body,
    token: pd.addToken({ readOnly: true }),
  });
  assert.equal(readOnly.status, 403);
  const allowed = await call(pd, "POST", "/webhook_subscriptions", {
    body,
    token: pd.addToken({ userId: manager.id }),
  });
  assert.equal(allowed.status, 200);
  // Reads stay open to responders.
  const read = await call(pd, "GET", "/webhook_subscriptions", {
    token: pd.addToken({ userId: responder.id }),
  });
  assert.equal(read.status, 200);
});
