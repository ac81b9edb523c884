import assert from "node:assert/strict";
import {
  annotatedEvent,
  eventEnvelope,
  pingEvent,
  signBody,
  workflowStartedEvent,
} from "../fakes/pagerduty/webhooks.ts";
import {
  ACTION_SECRET_HEADER,
  MAX_ACTION_MESSAGES,
  MAX_SIGNATURES,
  parseV2Delivery,
  parseV3Delivery,
  verifyActionSecret,
  verifySignature,
  type WebhookRefusalCode,
} from "./webhook.ts";

const encoder = new TextEncoder();
const SECRET = "whsec-current-0123456789";
const OLD_SECRET = "whsec-previous-9876543210";

function bytes(value: unknown): Uint8Array {
  return encoder.encode(typeof value === "string" ? value : JSON.stringify(value));
}

/** The refusal code of a failed check, or "ok". */
function outcome(result: { ok: true } | { ok: false; refusal: { code: WebhookRefusalCode } }) {
  return result.ok ? "ok" : result.refusal.code;
}

const ALICE = { id: "PALICE1", type: "user_reference", summary: "Alice Example" };
const INCIDENT = { id: "Q1INCIDENT", type: "incident_reference", summary: "Access request" };
const SERVICE = { id: "PSERVC1", type: "service_reference", summary: "Access Requests" };

// ---- signatures ---------------------------------------------------------------------------------

Deno.test("signature: a v1 HMAC-SHA256 of the exact body under the secret is accepted", async () => {
  const body = JSON.stringify(pingEvent());
  const header = `v1=${await signBody(SECRET, body)}`;
  assert.equal(outcome(verifySignature(bytes(body), header, [SECRET])), "ok");
  assert.equal(
    outcome(verifySignature(bytes(body), header.toUpperCase().replace("V1", "v1"), [SECRET])),
    "ok",
  );
});

Deno.test("signature: rotation — any entry may match, under any configured secret", async () => {
  const body = JSON.stringify(pingEvent());
  const current = await signBody(SECRET, body);
  const previous = await signBody(OLD_SECRET, body);
  const unrelated = await signBody("someone-else", body);
  // PagerDuty signs with old and new secrets while rotating; the service may know either.
  for (const header of [`v1=${unrelated},v1=${current}`, `v1=${current}, v1=${unrelated}`]) {
    assert.equal(outcome(verifySignature(bytes(body), header, [SECRET])), "ok", header);
  }
  assert.equal(outcome(verifySignature(bytes(body), `v1=${previous}`, [SECRET, OLD_SECRET])), "ok");
  assert.equal(outcome(verifySignature(bytes(body), `v1=${current}`, [OLD_SECRET, SECRET])), "ok");
  assert.equal(outcome(verifySignature(bytes(body), `v1=${previous}`, [SECRET])), "bad_signature");
});

Deno.test("signature: entries of other versions are skipped, not refused", async () => {
  const body = JSON.stringify(pingEvent());
  const header = `v0=abc,v2=${"f".repeat(64)},v1=${await signBody(SECRET, body)}`;
  assert.equal(outcome(verifySignature(bytes(body), header, [SECRET])), "ok");
  assert.equal(
    outcome(verifySignature(bytes(body), `v2=${"f".repeat(64)}`, [SECRET])),
    "malformed_signature",
  );
});

Deno.test("signature: a tampered body, a wrong secret or no secret at all is 403", async () => {
  const body = JSON.stringify(annotatedEvent({
    incident: INCIDENT,
    noteId: "PNOTE01",
    content: "/deny no",
    agent: ALICE,
  }));
  const header = `v1=${await signBody(SECRET, body)}`;
  const tampered = body.replace("/deny no", "/approve");
  for (
    const [what, result] of [
      ["tampered body", verifySignature(bytes(tampered), header, [SECRET])],
      ["one byte more", verifySignature(bytes(body + " "), header, [SECRET])],
      ["wrong secret", verifySignature(bytes(body), header, ["other-secret"])],
      ["no secret", verifySignature(bytes(body), header, [])],
    ] as const
  ) {
    assert.equal(result.ok, false, what);
    if (!result.ok) {
      assert.equal(result.refusal.code, "bad_signature", what);
      assert.equal(result.refusal.status, 403, what);
    }
  }
});

Deno.test("signature: a missing or malformed header, or an empty body, is 400", async () => {
  const text = JSON.stringify(pingEvent());
  const body = bytes(text);
  const good = `v1=${await signBody(SECRET, text)}`;
  const cases: Array<[string | null, Uint8Array, WebhookRefusalCode]> = [
    [null, body, "missing_signature"],
    ["", body, "missing_signature"],
    ["   ", body, "missing_signature"],
    ["sha256=abc", body, "malformed_signature"],
    ["v1=", body, "malformed_signature"],
    [`v1=${"a".repeat(63)}`, body, "malformed_signature"],
    [`v1=${"g".repeat(64)}`, body, "malformed_signature"],
    [`${good},`, body, "malformed_signature"],
    [`${good};v1=${"a".repeat(64)}`, body, "malformed_signature"],
    [Array(MAX_SIGNATURES + 1).fill(good).join(","), body, "malformed_signature"],
    [good, new Uint8Array(), "empty_body"],
  ];
  for (const [header, payload, code] of cases) {
    const result = verifySignature(payload, header, [SECRET]);
    assert.equal(outcome(result), code, String(header));
    if (!result.ok) assert.equal(result.refusal.status, 400);
  }
  assert.equal(
    outcome(verifySignature(body, Array(MAX_SIGNATURES).fill(good).join(","), [SECRET])),
    "ok",
  );
});

Deno.test("signature: refusal messages never contain the secret, the header or the body", async () => {
  const body = JSON.stringify(pingEvent());
  const header = `v1=${await signBody("other", body)}`;
  for (
    const result of [
      verifySignature(bytes(body), header, [SECRET]),
      verifySignature(bytes(body), "garbage", [SECRET]),
      verifyActionSecret("wrong-value", SECRET),
    ]
  ) {
    assert.equal(result.ok, false);
    if (result.ok) continue;
    for (const leak of [SECRET, header.slice(3), "garbage", "wrong-value", "Pagey"]) {
      assert.ok(!result.refusal.message.includes(leak), result.refusal.message);
    }
  }
});

Deno.test("action secret: equal is accepted; missing is 400; different (any length) is 403", () => {
  assert.equal(outcome(verifyActionSecret(SECRET, SECRET)), "ok");
  for (const header of [null, ""]) {
    const result = verifyActionSecret(header, SECRET);
    assert.equal(outcome(result), "missing_secret");
    if (!result.ok) {
      assert.equal(result.refusal.status, 400);
      assert.match(result.refusal.message, new RegExp(ACTION_SECRET_HEADER));
    }
  }
  for (const header of [SECRET.slice(0, -1), `${SECRET}x`, SECRET.toUpperCase(), "x"]) {
    const result = verifyActionSecret(header, SECRET);
    assert.equal(outcome(result), "bad_secret", header);
    if (!result.ok) assert.equal(result.refusal.status, 403);
  }
});

// ---- V3 events ----------------------------------------------------------------------------------

Deno.test("V3: incident.annotated becomes a note event with its author", () => {
  const envelope = annotatedEvent({
    incident: INCIDENT,
    noteId: "PNOTE01",
    content: "/approve on call, checked",
    agent: ALICE,
    occurredAt: new Date("2026-03-01T10:00:00Z"),
  });
  const result = parseV3Delivery(bytes(envelope));
  assert.ok(result.ok);
  assert.deepEqual(result.value, {
    kind: "event",
    deliveryId: envelope.event.id,
    event: {
      kind: "note",
      incidentId: "Q1INCIDENT",
      noteId: "PNOTE01",
      content: "/approve on call, checked",
      agent: { id: "PALICE1", name: "Alice Example" },
      occurredAt: new Date("2026-03-01T10:00:00Z"),
    },
  });
});

Deno.test("V3: incident.workflow.started names the workflow, the run and the service", () => {
  const envelope = workflowStartedEvent({
    incident: INCIDENT,
    service: SERVICE,
    workflow: { id: "PWF0001", summary: "Approve access request" },
    instanceId: "PWI0001",
    agent: ALICE,
  });
  const result = parseV3Delivery(bytes(envelope));
  assert.ok(result.ok && result.value.kind === "event");
  assert.deepEqual(result.value.event, {
    kind: "workflow",
    incidentId: "Q1INCIDENT",
    workflowId: "PWF0001",
    workflowName: "Approve access request",
    instanceId: "PWI0001",
    serviceId: "PSERVC1",
    agent: { id: "PALICE1", name: "Alice Example" },
    occurredAt: new Date(envelope.event.occurred_at),
  });
});

Deno.test("V3: incident.resolved names the incident key and service", () => {
  const envelope = eventEnvelope({
    eventType: "incident.resolved",
    resourceType: "incident",
    agent: ALICE,
    data: {
      id: "Q1INCIDENT",
      type: "incident",
      status: "resolved",
      incident_key: "teleport-access-request/0b0c",
      service: SERVICE,
    },
  });
  const result = parseV3Delivery(bytes(envelope));
  assert.ok(result.ok && result.value.kind === "event");
  assert.deepEqual(result.value.event, {
    kind: "resolved",
    incidentId: "Q1INCIDENT",
    incidentKey: "teleport-access-request/0b0c",
    serviceId: "PSERVC1",
    agent: { id: "PALICE1", name: "Alice Example" },
    occurredAt: new Date(envelope.event.occurred_at),
  });
});

Deno.test("V3: a null agent or an agent that is not a user names nobody", () => {
  for (const agent of [null, { id: "PSERVC1", type: "service_reference" }]) {
    const result = parseV3Delivery(bytes(annotatedEvent({
      incident: INCIDENT,
      noteId: "PNOTE01",
      content: "/approve",
      agent,
    })));
    assert.ok(result.ok && result.value.kind === "event");
    assert.equal(result.value.event.agent, undefined);
  }
});

Deno.test("V3: pagey.ping and events the service does not act on are accepted as such", () => {
  const ping = parseV3Delivery(bytes(pingEvent()));
  assert.ok(ping.ok);
  assert.equal(ping.value.kind, "ping");
  const other = parseV3Delivery(bytes(eventEnvelope({
    eventType: "incident.acknowledged",
    resourceType: "incident",
    data: { anything: true },
  })));
  assert.ok(other.ok);
  assert.deepEqual(
    other.value.kind === "other" && other.value.eventType,
    "incident.acknowledged",
  );
});

Deno.test("V3: bodies that are not JSON, or not the documented shape, are refused with 400", () => {
  const note = annotatedEvent({
    incident: INCIDENT,
    noteId: "PNOTE01",
    content: "x",
    agent: ALICE,
  });
  const withEvent = (patch: Record<string, unknown>) => ({ event: { ...note.event, ...patch } });
  const withData = (patch: Record<string, unknown>) =>
    withEvent({ data: { ...note.event.data, ...patch } });
  const cases: Array<[string, Uint8Array, WebhookRefusalCode]> = [
    ["empty", new Uint8Array(), "empty_body"],
    ["not UTF-8", new Uint8Array([0x7b, 0xff, 0x7d]), "not_json"],
    ["not JSON", bytes("event=incident.annotated"), "not_json"],
    ["an array", bytes([note]), "bad_shape"],
    ["no event", bytes({ messages: [] }), "bad_shape"],
    ["no event id", bytes(withEvent({ id: undefined })), "bad_shape"],
    ["odd event id", bytes(withEvent({ id: "a b" })), "bad_shape"],
    ["no event type", bytes(withEvent({ event_type: 7 })), "bad_shape"],
    ["bad date", bytes(withEvent({ occurred_at: "yesterday" })), "bad_shape"],
    ["agent not an object", bytes(withEvent({ agent: "PALICE1" })), "bad_shape"],
    ["user agent without id", bytes(withEvent({ agent: { type: "user_reference" } })), "bad_shape"],
    ["wrong data type", bytes(withData({ type: "incident" })), "bad_shape"],
    ["content not text", bytes(withData({ content: ["/approve"] })), "bad_shape"],
    ["no incident", bytes(withData({ incident: null })), "bad_shape"],
    ["hostile incident id", bytes(withData({ incident: { id: "../../users/me" } })), "bad_shape"],
  ];
  for (const [what, body, code] of cases) {
    const result = parseV3Delivery(body);
    assert.equal(outcome(result), code, what);
    if (!result.ok) {
      assert.equal(result.refusal.status, 400, what);
      assert.ok(!result.refusal.message.includes("users/me"), what);
    }
  }
});

Deno.test("V3: a workflow event without incident_workflow is refused", () => {
  const envelope = workflowStartedEvent({
    incident: INCIDENT,
    service: SERVICE,
    workflow: { id: "PWF0001", summary: "Approve" },
    agent: ALICE,
  });
  const data = { ...envelope.event.data, incident_workflow: null };
  const result = parseV3Delivery(bytes({ event: { ...envelope.event, data } }));
  assert.equal(outcome(result), "bad_shape");
  assert.match(
    result.ok ? "" : result.refusal.message,
    /event\.data\.incident_workflow is not an object/,
  );
});

// ---- V2 Custom Incident Actions -----------------------------------------------------------------

/** A V2 Custom Incident Action delivery as PagerDuty documents it (abridged). */
function v2Body(overrides: { agent?: unknown; event?: string; logEntries?: unknown[] } = {}) {
  const agent = "agent" in overrides ? overrides.agent : ALICE;
  return {
    messages: [{
      id: "bb8b8fe0-e8d5-11e6-9d4a-0242ac110002",
      event: overrides.event ?? "incident.custom",
      created_on: "2026-03-01T10:00:00Z",
      incident: {
        id: "Q1INCIDENT",
        incident_number: 12,
        incident_key: "teleport-access-request/0b0c",
        status: "triggered",
        service: SERVICE,
      },
      webhook: { id: "PEXT001", type: "webhook", name: "Approve request" },
      log_entries: overrides.logEntries ?? [
        { id: "R1", type: "custom_log_entry", agent, channel: { type: "web_trigger" } },
      ],
    }],
  };
}

Deno.test("V2: a Custom Incident Action click becomes an action event; the clicker is the custom log entry's agent", () => {
  const result = parseV2Delivery(bytes(v2Body()), "approve");
  assert.ok(result.ok);
  assert.deepEqual(result.value, [{
    kind: "event",
    deliveryId: "bb8b8fe0-e8d5-11e6-9d4a-0242ac110002",
    event: {
      kind: "action",
      decision: "approve",
      actionName: "Approve request",
      incidentId: "Q1INCIDENT",
      incidentKey: "teleport-access-request/0b0c",
      serviceId: "PSERVC1",
      agent: { id: "PALICE1", name: "Alice Example" },
      occurredAt: new Date("2026-03-01T10:00:00Z"),
    },
  }]);
  const deny = parseV2Delivery(bytes(v2Body()), "deny");
  assert.ok(deny.ok && deny.value[0].kind === "event");
  assert.equal(deny.value[0].event.decision, "deny", "the route decides, not the action's name");
});

Deno.test("V2: other log entries are not the clicker; none at all names nobody", () => {
  const trigger = {
    id: "R0",
    type: "trigger_log_entry",
    agent: { id: "PBOB001", type: "user_reference" },
  };
  const withOther = parseV2Delivery(
    bytes(v2Body({ logEntries: [trigger, { id: "R1", type: "custom_log_entry", agent: ALICE }] })),
    "approve",
  );
  assert.ok(withOther.ok && withOther.value[0].kind === "event");
  assert.equal(withOther.value[0].event.agent?.id, "PALICE1");
  for (const body of [v2Body({ logEntries: [trigger] }), v2Body({ agent: null })]) {
    const result = parseV2Delivery(bytes(body), "approve");
    assert.ok(result.ok && result.value[0].kind === "event");
    assert.equal(result.value[0].event.agent, undefined);
  }
});

Deno.test("V2: messages other than incident.custom are passed on as other", () => {
  const result = parseV2Delivery(bytes(v2Body({ event: "incident.acknowledge" })), "approve");
  assert.ok(result.ok);
  assert.equal(result.value[0].kind, "other");
});

Deno.test("V2: malformed or ambiguous deliveries are refused with 400", () => {
  const two = v2Body({
    logEntries: [
      { id: "R1", type: "custom_log_entry", agent: ALICE },
      { id: "R2", type: "custom_log_entry", agent: { id: "PBOB001", type: "user_reference" } },
    ],
  });
  const message = v2Body().messages[0];
  const cases: Array<[string, unknown]> = [
    ["no messages", { messages: [] }],
    ["messages not a list", { messages: message }],
    ["too many", { messages: Array(MAX_ACTION_MESSAGES + 1).fill(message) }],
    ["two clickers", two],
    ["no incident", { messages: [{ ...message, incident: undefined }] }],
    ["no service", {
      messages: [{ ...message, incident: { ...message.incident, service: null } }],
    }],
    ["no message id", { messages: [{ ...message, id: undefined }] }],
    ["log entries not a list", { messages: [{ ...message, log_entries: {} }] }],
  ];
  for (const [what, body] of cases) {
    const result = parseV2Delivery(bytes(body), "approve");
    assert.equal(outcome(result), "bad_shape", what);
  }
  assert.equal(outcome(parseV2Delivery(bytes("<html>"), "approve")), "not_json");
});
