import assert from "node:assert/strict";
import { FakePagerDuty } from "./server.ts";
import { seedDemo } from "./seed.ts";
import { pingEvent, sendWebhook, type WebhookEvent, workflowStartedEvent } from "./webhooks.ts";

interface Received {
  readonly headers: Headers;
  readonly body: string;
}

/** A webhook receiver on 127.0.0.1 that answers with the scripted statuses (then 200). */
function receiver(script: Array<number | "hang"> = []) {
  const received: Received[] = [];
  const hanging: Array<() => void> = [];
  let arrived = () => {};
  const controller = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen: () => {} },
    async (request) => {
      received.push({ headers: request.headers, body: await request.text() });
      arrived();
      const next = script.shift() ?? 200;
      // Never answer in time; released when the receiver closes.
      if (next === "hang") await new Promise<void>((resolve) => hanging.push(resolve));
      return new Response(null, { status: next === "hang" ? 599 : next });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/pd`,
    received,
    /** Resolves once at least one request has arrived. */
    firstRequest: new Promise<void>((resolve) => arrived = resolve),
    async [Symbol.asyncDispose]() {
      for (const release of hanging) release();
      controller.abort();
      await server.finished;
    },
  };
}

/** Verifies `X-PagerDuty-Signature` independently with WebCrypto: true when any v1 entry matches. */
async function verify(secret: string, body: string, header: string): Promise<boolean[]> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const results = [];
  for (const entry of header.split(",")) {
    assert.match(entry, /^v1=[0-9a-f]{64}$/);
    const mac = new Uint8Array(entry.slice(3).match(/../g)!.map((h) => parseInt(h, 16)));
    results.push(await crypto.subtle.verify("HMAC", key, mac, new TextEncoder().encode(body)));
  }
  return results;
}

Deno.test("sendWebhook: V3 headers, envelope and a signature that verifies with the secret", async () => {
  await using sink = receiver();
  const result = await sendWebhook(sink.url, pingEvent(), {
    secret: "s3cret",
    subscriptionId: "PSUB123",
  });
  assert.equal(result.outcome, "delivered");
  assert.equal(sink.received.length, 1);
  const { headers, body } = sink.received[0];
  assert.equal(headers.get("content-type"), "application/json");
  assert.equal(headers.get("user-agent"), "PagerDuty-Webhook/V3.0");
  assert.equal(headers.get("x-webhook-subscription"), "PSUB123");
  assert.equal(headers.get("x-webhook-id"), result.webhookId);
  assert.deepEqual(await verify("s3cret", body, headers.get("x-pagerduty-signature")!), [true]);
  assert.deepEqual(await verify("other", body, headers.get("x-pagerduty-signature")!), [false]);
  const event = (JSON.parse(body) as WebhookEvent).event;
  assert.equal(event.event_type, "pagey.ping");
  assert.equal(event.resource_type, "pagey");
  assert.deepEqual(event.data, { message: "Hello from your friend Pagey!", type: "ping" });
  assert.ok(!Number.isNaN(Date.parse(event.occurred_at)));
});

Deno.test("sendWebhook: a rotating secret sends one v1 entry per secret", async () => {
  await using sink = receiver();
  await sendWebhook(sink.url, pingEvent(), { secret: "old", secrets: ["new"] });
  const { headers, body } = sink.received[0];
  const header = headers.get("x-pagerduty-signature")!;
  assert.deepEqual(await verify("old", body, header), [true, false]);
  assert.deepEqual(await verify("new", body, header), [false, true]);
});

Deno.test("sendWebhook retries 5xx, 429 and timeouts with the same X-Webhook-Id", async () => {
  await using sink = receiver([500, 429, "hang", 204]);
  const result = await sendWebhook(sink.url, pingEvent(), {
    secret: "s",
    timeoutMs: 50,
    retryDelaysMs: [1],
  });
  assert.equal(result.outcome, "delivered");
  assert.deepEqual(result.attempts.map((a) => a.status), [500, 429, 0, 204]);
  assert.match(result.attempts[2].error!, /no answer within 50 ms/);
  assert.equal(new Set(sink.received.map((r) => r.headers.get("x-webhook-id"))).size, 1);
});

Deno.test("sendWebhook drops on other 4xx and gives up after maxAttempts", async () => {
  await using sink = receiver([403, 503, 503]);
  const dropped = await sendWebhook(sink.url, pingEvent(), { secret: "s" });
  assert.equal(dropped.outcome, "dropped");
  assert.equal(dropped.attempts.length, 1);
  const gaveUp = await sendWebhook(sink.url, pingEvent(), {
    secret: "s",
    maxAttempts: 2,
    retryDelaysMs: [1],
  });
  assert.equal(gaveUp.outcome, "gave-up");
  assert.deepEqual(gaveUp.attempts.map((a) => a.status), [503, 503]);
});

Deno.test("subscriptions deliver incident events in order; a responder's note arrives as incident.annotated", async () => {
  await using sink = receiver();
  await using pd = await FakePagerDuty.start();
  const demo = seedDemo(pd);
  pd.subscribeWebhooks({
    url: sink.url,
    secret: "sub-secret",
    events: ["incident.triggered", "incident.annotated", "incident.resolved"],
    serviceIds: [demo.notifyService.id],
  });
  const incident = pd.account.createIncident(
    { title: "Access request", serviceId: demo.notifyService.id },
    demo.bot.id,
    new Date(),
  );
  pd.account.createIncident(
    { title: "other service", serviceId: demo.platformService.id },
    demo.bot.id,
    new Date(),
  );
  pd.addNoteAs(incident.id, demo.carol.id, "approve looks fine");
  pd.updateIncidentAs(incident.id, demo.carol.id, { status: "acknowledged" });
  pd.updateIncidentAs(incident.id, demo.carol.id, { status: "resolved" });
  await pd.waitFor(() => pd.deliveries.length === 3);
  const events = sink.received.map((r) => (JSON.parse(r.body) as WebhookEvent).event);
  assert.deepEqual(events.map((e) => e.event_type), [
    "incident.triggered",
    "incident.annotated",
    "incident.resolved",
  ]);
  const note = events[1];
  assert.equal(note.agent?.id, demo.carol.id);
  assert.equal(note.data.type, "incident_note");
  assert.equal(note.data.content, "approve looks fine");
  assert.equal((note.data.incident as { id: string }).id, incident.id);
  assert.equal(events[2].data.status, "resolved");
  for (const r of sink.received) {
    assert.deepEqual(await verify("sub-secret", r.body, r.headers.get("x-pagerduty-signature")!), [
      true,
    ]);
  }
});

Deno.test("workflow-started events name the workflow, the incident and who ran it", async () => {
  await using sink = receiver();
  await using pd = await FakePagerDuty.start();
  const demo = seedDemo(pd);
  const incident = pd.account.createIncident(
    { title: "t", serviceId: demo.notifyService.id },
    demo.bot.id,
    new Date(),
  );
  const event = workflowStartedEvent({
    incident: pd.reference("incident", "incidents", incident.id, incident.title),
    service: pd.reference("service", "services", demo.notifyService.id, demo.notifyService.name),
    workflow: { id: "PWF0001", summary: "Approve access request" },
    agent: pd.userReference(demo.carol.id),
  });
  const result = await pd.sendWebhook(sink.url, event, { secret: "s", webhookId: "fixed-id" });
  assert.equal(result.outcome, "delivered");
  assert.equal(sink.received[0].headers.get("x-webhook-id"), "fixed-id");
  const sent = (JSON.parse(sink.received[0].body) as WebhookEvent).event;
  assert.equal(sent.event_type, "incident.workflow.started");
  assert.equal(sent.data.type, "incident_workflow_instance");
  assert.deepEqual(sent.data.incident_workflow, {
    id: "PWF0001",
    summary: "Approve access request",
    type: "incident_workflow_reference",
  });
  assert.equal(sent.agent?.id, demo.carol.id);
});

Deno.test("stop aborts pending webhook retries instead of waiting for them", async () => {
  await using sink = receiver([503, 503, 503, 503, 503]);
  const pd = await FakePagerDuty.start();
  const pending = pd.sendWebhook(sink.url, pingEvent(), { secret: "s", retryDelaysMs: [60_000] });
  await sink.firstRequest;
  await pd.stop();
  assert.equal((await pending).outcome, "aborted");
});
