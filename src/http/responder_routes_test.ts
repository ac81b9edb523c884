import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { customActionPayload } from "../fakes/pagerduty/actions.ts";
import { FakePagerDuty } from "../fakes/pagerduty/server.ts";
import {
  annotatedEvent,
  eventEnvelope,
  pingEvent,
  signatureHeader,
  type WebhookEvent,
} from "../fakes/pagerduty/webhooks.ts";
import { ACTION_SECRET_HEADER, type ResponderEvent } from "../pagerduty/webhook.ts";
import { Health } from "./health.ts";
import { METRIC_PREFIX, Metrics } from "./metrics.ts";
import { customActionHandler, type SinkResult, v3WebhookHandler } from "./responder_routes.ts";
import { ACTION_PATHS, type HttpServerOptions, startHttpServer, WEBHOOK_PATH } from "./server.ts";
import { parseExposition, sampleValue } from "../testing/prometheus_text.ts";

const SECRET = "whsec-current-0123456789";
const OLD_SECRET = "whsec-previous-9876543210";
const ACTION_SECRET = "act-0123456789abcdef-SECRET";
const ALICE = { id: "PALICE1", type: "user_reference", summary: "Alice Example" };
const INCIDENT = { id: "Q1INCIDENT", type: "incident_reference", summary: "Access request" };

interface Received {
  readonly event: ResponderEvent;
  readonly deliveryId: string;
}

/** A sink that records what it got and answers `result` (or what `answer` says). */
function recordingSink(
  answer: (event: ResponderEvent) => Promise<SinkResult> = () => Promise.resolve("accepted"),
) {
  const received: Received[] = [];
  return {
    received,
    sink: (event: ResponderEvent, deliveryId: string) => {
      received.push({ event, deliveryId });
      return answer(event);
    },
  };
}

interface Routes {
  readonly base: string;
  readonly metrics: Metrics;
}

async function withRoutes(
  sink: (event: ResponderEvent, deliveryId: string) => Promise<SinkResult>,
  body: (routes: Routes) => Promise<void>,
  options: Partial<HttpServerOptions> = {},
): Promise<void> {
  const controller = new AbortController();
  const metrics = new Metrics();
  const server = await startHttpServer({
    listenAddr: "127.0.0.1:0",
    metrics,
    health: new Health(),
    signal: controller.signal,
    webhookHandler: v3WebhookHandler({ secrets: [SECRET, OLD_SECRET], sink, metrics }),
    actionHandlers: {
      approve: customActionHandler({ secret: ACTION_SECRET, decision: "approve", sink, metrics }),
      deny: customActionHandler({ secret: ACTION_SECRET, decision: "deny", sink, metrics }),
    },
    ...options,
  });
  try {
    await body({ base: `http://127.0.0.1:${server.port}`, metrics });
  } finally {
    controller.abort();
    await server.finished;
  }
}

async function post(url: string, body: string, headers: Record<string, string>) {
  const response = await fetch(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
  return { status: response.status, text: await response.text() };
}

async function signed(event: WebhookEvent | string, secrets = [SECRET]) {
  const body = typeof event === "string" ? event : JSON.stringify(event);
  return { body, headers: { "x-pagerduty-signature": await signatureHeader(secrets, body) } };
}

function noteEvent(content = "/approve checked") {
  return annotatedEvent({ incident: INCIDENT, noteId: "PNOTE01", content, agent: ALICE });
}

async function counter(metrics: Metrics, name: string, labels: Record<string, string>) {
  return sampleValue(parseExposition(await metrics.render()), METRIC_PREFIX + name, labels);
}

Deno.test("v3 route: a signed note is handed to the sink and answered 202 only after the sink resolved", async () => {
  let release = (_: SinkResult) => {};
  let called = () => {};
  const sinkCalled = new Promise<void>((resolve) => called = resolve);
  const { sink, received } = recordingSink(() => {
    called();
    return new Promise<SinkResult>((resolve) => release = resolve);
  });
  await withRoutes(sink, async ({ base, metrics }) => {
    const event = noteEvent();
    const { body, headers } = await signed(event);
    let answered = false;
    const response = post(`${base}${WEBHOOK_PATH}`, body, headers).then((r) => {
      answered = true;
      return r;
    });
    await sinkCalled;
    assert.equal(answered, false, "no answer while the sink has not resolved");
    release("accepted");
    const { status } = await response;
    assert.equal(status, 202);
    assert.equal(received.length, 1);
    assert.equal(received[0].deliveryId, `v3:${event.event.id}`);
    assert.deepEqual(received[0].event, {
      kind: "note",
      incidentId: "Q1INCIDENT",
      noteId: "PNOTE01",
      content: "/approve checked",
      agent: { id: "PALICE1", name: "Alice Example" },
      occurredAt: new Date(event.event.occurred_at),
    });
    assert.equal(
      await counter(metrics, "responder_webhooks_total", { route: "v3", result: "accepted" }),
      1,
    );
  });
});

Deno.test("v3 route: a redelivery the sink already has is 200; nothing to do is 200", async () => {
  const answers: SinkResult[] = ["accepted", "duplicate", "ignored"];
  const { sink, received } = recordingSink(() => Promise.resolve(answers.shift()!));
  await withRoutes(sink, async ({ base }) => {
    const { body, headers } = await signed(noteEvent());
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await post(`${base}${WEBHOOK_PATH}`, body, headers)).status);
    }
    assert.deepEqual(statuses, [202, 200, 200]);
    assert.equal(
      new Set(received.map((r) => r.deliveryId)).size,
      1,
      "the same delivery ID each time",
    );
  });
});

Deno.test("v3 route: signatures from either configured secret are accepted (rotation)", async () => {
  const { sink, received } = recordingSink();
  await withRoutes(sink, async ({ base }) => {
    for (const secrets of [[OLD_SECRET], ["unknown-secret", SECRET]]) {
      const { body, headers } = await signed(noteEvent(), secrets);
      assert.equal((await post(`${base}${WEBHOOK_PATH}`, body, headers)).status, 202);
    }
    assert.equal(received.length, 2);
  });
});

Deno.test("v3 route: pings and event types not acted on are 200 without reaching the sink", async () => {
  const { sink, received } = recordingSink();
  await withRoutes(sink, async ({ base }) => {
    const acknowledged = eventEnvelope({
      eventType: "incident.acknowledged",
      resourceType: "incident",
      data: { id: "Q1INCIDENT", type: "incident" },
    });
    for (const event of [pingEvent(), acknowledged]) {
      const { body, headers } = await signed(event);
      assert.equal((await post(`${base}${WEBHOOK_PATH}`, body, headers)).status, 200);
    }
    assert.equal(received.length, 0);
  });
});

Deno.test("v3 route: forged, tampered, malformed and oversized deliveries are refused; the sink never sees them and nothing is logged about them", async () => {
  const records: LogRecord[] = [];
  await configure({
    sinks: { memory: (record) => records.push(record) },
    loggers: [
      { category: ["teleport-pagerduty"], sinks: ["memory"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  try {
    const { sink, received } = recordingSink();
    await withRoutes(sink, async ({ base, metrics }) => {
      const url = `${base}${WEBHOOK_PATH}`;
      const event = noteEvent("/approve SENSITIVE-NOTE-TEXT");
      const good = await signed(event);
      const forged = await signed(event, ["attacker-secret"]);
      const notJson = await signed("SENSITIVE-NOT-JSON");
      const wrongShape = await signed(
        JSON.stringify({
          event: { id: "e1", event_type: "incident.annotated", data: { type: "SENSITIVE" } },
        }),
      );
      const cases: Array<[string, string, Record<string, string>, number]> = [
        ["no signature", good.body, {}, 400],
        ["malformed signature", good.body, { "x-pagerduty-signature": "sha256=SENSITIVE" }, 400],
        ["forged", forged.body, forged.headers, 403],
        ["tampered", good.body.replace("PNOTE01", "PNOTE02"), good.headers, 403],
        ["tampered", good.body.replace("SENSITIVE-NOTE-TEXT", "x"), good.headers, 403],
        ["empty body", "", good.headers, 400],
        ["signed, not JSON", notJson.body, notJson.headers, 400],
        ["signed, wrong shape", wrongShape.body, wrongShape.headers, 400],
        ["over the cap", `{"pad":"${"SENSITIVE".repeat(200)}"}`, good.headers, 413],
      ];
      for (const [what, body, headers, status] of cases) {
        const answer = await post(url, body, headers);
        assert.equal(answer.status, status, what);
        assert.ok(!answer.text.includes("SENSITIVE"), `${what}: ${answer.text}`);
      }
      assert.equal(received.length, 0);
      assert.equal(
        await counter(metrics, "responder_webhooks_total", { route: "v3", result: "forbidden" }),
        3,
      );
      assert.equal(
        await counter(metrics, "responder_webhooks_total", { route: "v3", result: "bad_request" }),
        5,
      );
    }, { maxBodyBytes: 1024 });
    const logged = records.map((r) =>
      JSON.stringify({ message: r.message, properties: r.properties })
    );
    assert.ok(logged.some((line) => line.includes("bad_signature")), "refusals are logged by code");
    for (const line of logged) {
      for (const leak of ["SENSITIVE", SECRET, OLD_SECRET, "attacker-secret", "v1="]) {
        assert.ok(!line.includes(leak), `a log line shows ${leak}: ${line}`);
      }
    }
  } finally {
    await reset();
  }
});

Deno.test("v3 route: a sink that fails gives 500, so PagerDuty delivers again", async () => {
  const { sink } = recordingSink(() => Promise.reject(new Error("plugin data unavailable")));
  await withRoutes(sink, async ({ base, metrics }) => {
    const { body, headers } = await signed(noteEvent());
    assert.equal((await post(`${base}${WEBHOOK_PATH}`, body, headers)).status, 500);
    assert.equal(
      await counter(metrics, "responder_webhooks_total", { route: "v3", result: "error" }),
      1,
    );
  });
});

Deno.test("action routes: the route decides; the clicker comes from the payload; the secret is required", async () => {
  const { sink, received } = recordingSink();
  await withRoutes(sink, async ({ base, metrics }) => {
    const payload = customActionPayload({
      action: { name: "Approve request", url: "unused" },
      incident: {
        id: "Q1INCIDENT",
        summary: "[#12] Access request",
        incident_key: "teleport-access-request/r1",
        service: { id: "PSVC001", type: "service_reference" },
      },
      agent: ALICE,
      at: new Date("2026-03-01T10:00:00Z"),
      messageId: "5ac64822-4adc-4fda-ade0-410becf0de4f",
    });
    const body = JSON.stringify(payload);
    const withSecret = { [ACTION_SECRET_HEADER]: ACTION_SECRET };
    assert.equal((await post(`${base}${ACTION_PATHS.approve}`, body, withSecret)).status, 202);
    assert.equal((await post(`${base}${ACTION_PATHS.deny}`, body, withSecret)).status, 202);
    assert.deepEqual(
      received.map((r) => [r.deliveryId, r.event.kind === "action" && r.event.decision]),
      [
        ["v2:5ac64822-4adc-4fda-ade0-410becf0de4f", "approve"],
        ["v2:5ac64822-4adc-4fda-ade0-410becf0de4f", "deny"],
      ],
    );
    assert.equal(received[0].event.agent?.id, "PALICE1");
    const refusals: Array<[Record<string, string>, number]> = [
      [{}, 400],
      [{ [ACTION_SECRET_HEADER]: "wrong" }, 403],
      [{ [ACTION_SECRET_HEADER]: `${ACTION_SECRET}x` }, 403],
      // A V3 signature is no substitute for the action secret.
      [{ "x-pagerduty-signature": (await signed(body)).headers["x-pagerduty-signature"] }, 400],
    ];
    for (const [headers, status] of refusals) {
      assert.equal((await post(`${base}${ACTION_PATHS.approve}`, body, headers)).status, status);
    }
    assert.equal(received.length, 2);
    assert.equal(
      (await post(`${base}${ACTION_PATHS.approve}`, "{}", withSecret)).status,
      400,
      "a malformed body with the right secret is still refused",
    );
    assert.equal(
      await counter(metrics, "responder_webhooks_total", { route: "action", result: "forbidden" }),
      2,
    );
  });
});

Deno.test("routes: without handlers the decision routes do not exist", async () => {
  const { sink } = recordingSink();
  await withRoutes(sink, async ({ base }) => {
    for (const path of [WEBHOOK_PATH, ACTION_PATHS.approve, ACTION_PATHS.deny]) {
      assert.equal((await post(`${base}${path}`, "{}", {})).status, 404, path);
    }
  }, { webhookHandler: undefined, actionHandlers: undefined });
});

Deno.test("routes: the fake PagerDuty's notes and Custom Incident Actions reach the sink end to end", async () => {
  const { sink, received } = recordingSink();
  await using pd = await FakePagerDuty.start();
  const alice = pd.addUser({ name: "Alice", email: "alice@example.com" });
  const policy = pd.addEscalationPolicy({ name: "Ops", levels: [{ userIds: [alice.id] }] });
  const service = pd.addService({ name: "Access Requests", escalationPolicyId: policy.id });
  const incident = pd.account.createIncident(
    { title: "Access request", serviceId: service.id, incidentKey: "teleport-access-request/r1" },
    alice.id,
    new Date(),
  );
  await withRoutes(sink, async ({ base }) => {
    pd.subscribeWebhooks({
      url: `${base}${WEBHOOK_PATH}`,
      secret: SECRET,
      events: ["incident.annotated", "incident.workflow.started"],
    });
    pd.addNoteAs(incident.id, alice.id, "/deny not now");
    pd.startWorkflowAs(incident.id, alice.id, { id: "PWF0001", name: "Approve access request" });
    await pd.waitFor(() => pd.deliveries.length === 2);
    assert.deepEqual(pd.deliveries.map((d) => d.outcome), ["delivered", "delivered"]);
    const click = await pd.runCustomActionAs(incident.id, alice.id, {
      name: "Approve request",
      url: `${base}${ACTION_PATHS.approve}`,
      headers: { [ACTION_SECRET_HEADER]: ACTION_SECRET },
    });
    assert.equal(click.attempt.status, 202);
  });
  assert.deepEqual(received.map((r) => r.event.kind), ["note", "workflow", "action"]);
  assert.ok(
    received.every((r) => r.event.agent?.id === alice.id && r.event.incidentId === incident.id),
  );
});
