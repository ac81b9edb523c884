import assert from "node:assert/strict";
import type { FakePagerDuty } from "../fakes/pagerduty/mod.ts";
import { client, withFakePagerDuty } from "../testing/pagerduty_harness.ts";
import { PagerDutyError } from "./types.ts";
import { readExtensions, readWebhookSubscriptions, readWorkflowTriggers } from "./setup_wire.ts";
import { paginateCursor } from "./paging.ts";

function seed(pd: FakePagerDuty) {
  const policy = pd.addEscalationPolicy({ name: "Ops" });
  const service = pd.addService({ name: "Access Requests", escalationPolicyId: policy.id });
  const other = pd.addService({ name: "Databases", escalationPolicyId: policy.id });
  return { service, other };
}

const EVENTS = ["incident.annotated", "incident.workflow.started", "incident.resolved"];

Deno.test("webhook subscriptions: created with a secret shown once, listed per service, updated, enabled, deleted", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const { service, other } = seed(pd);
    const api = client(pd);
    const created = await api.createWebhookSubscription({
      url: "https://tp.example.com/pagerduty/webhook",
      description: "d",
      events: EVENTS,
      serviceId: service.id,
    });
    assert.equal(created.secret.reveal(), pd.integrations.webhookSubscriptions()[0].secret);
    assert.equal(String(created.secret), "[redacted]");
    assert.ok(!JSON.stringify(created).includes(created.secret.reveal()));
    assert.equal(Deno.inspect(created).includes(created.secret.reveal()), false);
    assert.deepEqual(created.subscription, {
      id: created.subscription.id,
      url: "https://tp.example.com/pagerduty/webhook",
      description: "d",
      events: EVENTS,
      filter: { kind: "service", serviceId: service.id },
      active: true,
      temporarilyDisabled: false,
    });
    pd.integrations.addWebhookSubscription({
      url: "https://elsewhere.example.com/",
      events: ["incident.triggered"],
      filter: { type: "service_reference", id: other.id },
    });
    assert.deepEqual(await api.listWebhookSubscriptions(service.id), [created.subscription]);

    const id = created.subscription.id;
    const updated = await api.updateWebhookSubscription(id, { events: ["incident.resolved"] });
    assert.deepEqual(updated.events, ["incident.resolved"]);
    assert.equal(updated.description, "d");
    pd.integrations.disableTemporarily(id);
    assert.equal((await api.listWebhookSubscriptions(service.id))[0].temporarilyDisabled, true);
    assert.equal((await api.enableWebhookSubscription(id)).temporarilyDisabled, false);
    await api.deleteWebhookSubscription(id);
    await api.deleteWebhookSubscription(id);
    assert.deepEqual(await api.listWebhookSubscriptions(service.id), []);
    // A create is never repeated after an unknown outcome: one call, whatever happened.
    assert.equal(pd.callsTo("createWebhookSubscription").length, 1);
  });
});

Deno.test("a failed create is not repeated, so no second subscription appears", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const { service } = seed(pd);
    pd.failNext(1, { operation: "createWebhookSubscription", status: 502 });
    const error = await client(pd).createWebhookSubscription({
      url: "https://tp.example.com/pagerduty/webhook",
      description: "d",
      events: EVENTS,
      serviceId: service.id,
    }).catch((e) => e);
    assert.ok(error instanceof PagerDutyError);
    assert.equal(error.status, 502);
    assert.equal(pd.callsTo("createWebhookSubscription").length, 1);
  });
});

Deno.test("workflows are found by exact name; manual triggers are created, extended and paged", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const { service, other } = seed(pd);
    const api = client(pd);
    pd.integrations.addWorkflow({ name: "Approve access request (old)" });
    const workflow = await api.createIncidentWorkflow({
      name: "Approve access request",
      description: "d",
    });
    assert.deepEqual(await api.findIncidentWorkflows("Approve access request"), [workflow]);
    assert.deepEqual(await api.findIncidentWorkflows("approve access request"), []);
    const trigger = await api.createManualTrigger(workflow.id, [service.id]);
    assert.deepEqual(trigger, {
      id: trigger.id,
      workflowId: workflow.id,
      serviceIds: [service.id],
      allServices: false,
    });
    const extended = await api.addServiceToTrigger(trigger.id, other.id);
    assert.deepEqual(extended.serviceIds, [service.id, other.id]);
    // More triggers than one page holds: every one is found through the cursor.
    for (let i = 0; i < 120; i++) pd.integrations.addTrigger({ workflowId: workflow.id });
    pd.integrations.addTrigger({ workflowId: workflow.id, triggerType: "conditional" });
    const triggers = await api.listManualTriggers(workflow.id);
    assert.equal(triggers.length, 121);
    assert.equal(pd.callsTo("listIncidentWorkflowTriggers").length, 2);
  });
});

Deno.test("402 and 403 reach the caller as PagerDutyErrors with their status", async () => {
  await withFakePagerDuty({ abilities: ["teams"] }, async (pd) => {
    seed(pd);
    const noFeature = await client(pd).findIncidentWorkflows("x").catch((e) => e);
    assert.ok(noFeature instanceof PagerDutyError);
    assert.equal(noFeature.status, 402);
    const readOnly = client(pd, { apiKey: pd.addToken({ readOnly: true }) });
    const denied = await readOnly.createExtension({
      name: "n",
      endpointUrl: "https://x.example.com/",
      schemaId: "PCUSTOM",
      serviceIds: [],
      headers: [],
    }).catch((e) => e);
    assert.ok(denied instanceof PagerDutyError);
    assert.equal(denied.status, 403);
  });
});

Deno.test("extensions: the custom_webhook schema, listed per service, created and updated", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const { service, other } = seed(pd);
    const api = client(pd);
    const schema = await api.findExtensionSchema("custom_webhook");
    assert.deepEqual(schema, {
      id: "PCUSTOM",
      key: "custom_webhook",
      label: "Custom Incident Action",
    });
    const input = {
      name: "Approve request",
      endpointUrl: "https://tp.example.com/pagerduty/action?decision=approve",
      schemaId: schema!.id,
      serviceIds: [service.id],
      headers: [{ name: "X-Secret", value: "v1" }],
    };
    const created = await api.createExtension(input);
    assert.deepEqual(created, {
      ...input,
      id: created.id,
      headers: [{ name: "X-Secret", value: "v1" }],
    });
    assert.deepEqual(await api.listExtensions({ schemaId: schema!.id, serviceId: service.id }), [
      created,
    ]);
    assert.deepEqual(await api.listExtensions({ schemaId: schema!.id, serviceId: other.id }), []);
    const updated = await api.updateExtension(created.id, {
      ...input,
      headers: [{ name: "X-Secret", value: "v2" }],
    });
    assert.equal(updated.headers[0].value, "v2");
    pd.integrations.offerCustomIncidentActions = false;
    assert.equal(await api.findExtensionSchema("custom_webhook"), undefined);
  });
});

Deno.test("readers take PagerDuty's defaults for missing flags and never need unknown fields", () => {
  const result = (body: unknown) => ({ status: 200, body, operation: "GET /x" });
  const [subscription] = readWebhookSubscriptions(result({}), {
    items: [{
      id: "PS1",
      delivery_method: { url: "https://x.example.com/" },
      filter: { type: "account_reference" },
      oauth_client: { id: "O" },
    }],
    more: false,
  });
  assert.deepEqual(subscription, {
    id: "PS1",
    url: "https://x.example.com/",
    description: "",
    events: [],
    filter: { kind: "account" },
    active: true,
    temporarilyDisabled: false,
  });
  const [trigger] = readWorkflowTriggers(result({}), {
    items: [{ id: "T", workflow_id: "PW1", services: null }],
    nextCursor: undefined,
  });
  assert.deepEqual(trigger, { id: "T", workflowId: "PW1", serviceIds: [], allServices: false });
  const [extension] = readExtensions(result({}), {
    items: [{
      id: "PE1",
      name: "Approve request",
      extension_schema: { id: "PCUSTOM" },
      extension_objects: [{ id: "PSVC" }],
      config: { headers: [{ name: "X-Secret" }], other: 1 },
    }],
    more: false,
  });
  assert.deepEqual(extension.headers, [{ name: "X-Secret", value: undefined }]);
  assert.equal(extension.endpointUrl, "");
  assert.throws(
    () =>
      readWebhookSubscriptions(result({}), {
        items: [{ id: "PS1", delivery_method: { url: "u" }, filter: { type: "user_reference" } }],
        more: false,
      }),
    /webhook_subscriptions\[0\]\.filter\.type "user_reference" is not a known filter type/,
  );
});

Deno.test("paginateCursor stops on the last page, an empty page or a repeated cursor", async () => {
  const pages: Record<string, { items: number[]; nextCursor: string | undefined }> = {
    start: { items: [1, 2], nextCursor: "a" },
    a: { items: [3], nextCursor: "b" },
    b: { items: [4], nextCursor: "a" },
  };
  const fetched: Array<string | undefined> = [];
  const items: number[] = [];
  for await (
    const item of paginateCursor("GET /x", (cursor) => {
      fetched.push(cursor);
      return Promise.resolve(pages[cursor ?? "start"]);
    })
  ) {
    items.push(item);
  }
  assert.deepEqual(items, [1, 2, 3, 4]);
  assert.deepEqual(fetched, [undefined, "a", "b"]);
});
