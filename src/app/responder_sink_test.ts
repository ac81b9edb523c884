import assert from "node:assert/strict";
import { accessRequestView, AuthStore } from "../fakes/auth/store.ts";
import { Account } from "../fakes/pagerduty/state.ts";
import { InMemoryAuth, InMemoryPagerDuty } from "../testing/app_memory_clients.ts";
import { PagerDutyError } from "../pagerduty/types.ts";
import type { ResponderEvent } from "../pagerduty/webhook.ts";
import { incidentKey } from "./messages.ts";
import { decodeRecord, encodeRecord, PLUGIN_NAME, type RequestRecord } from "./plugin_data.ts";
import { commandFromJobData, DECISION_JOB } from "./responder_decisions.ts";
import {
  DecisionBacklogError,
  MAX_WAITING_DECISIONS,
  responderSink,
  type ResponderSinkOptions,
  serviceUserIdLookup,
} from "./responder_sink.ts";
import { addJob } from "./scheduled.ts";

const NOW = Date.parse("2026-12-06T12:00:00Z");

/** A request whose incident the service opened, and a sink storing jobs in the fake store. */
function world(overrides: Partial<ResponderSinkOptions> = {}) {
  const store = new AuthStore({ now: () => NOW });
  const auth = new InMemoryAuth(store);
  const account = new Account();
  const bot = account.addUser({ name: "Bot", email: "bot@example.com" });
  const carol = account.addUser({ name: "Carol", email: "carol@example.com" });
  const policy = account.addEscalationPolicy({ name: "Access policy" });
  const service = account.addService(
    { name: "Access", escalationPolicyId: policy.id },
    new Date(NOW),
  );
  const pagerduty = new InMemoryPagerDuty(account, bot.id, () => new Date(NOW));
  const request = accessRequestView(store.createRequest({ user: "alice@example.com" }));
  const incident = account.createIncident(
    { title: "t", serviceId: service.id, incidentKey: incidentKey(request.id), details: "" },
    bot.id,
    new Date(NOW),
  );
  const record = (): RequestRecord => {
    const entries = store.pluginData(request.id, PLUGIN_NAME)[0]?.entries.get(PLUGIN_NAME);
    return decodeRecord(entries && Object.fromEntries(entries));
  };
  const writeRecord = (change: (r: RequestRecord) => RequestRecord) =>
    store.updatePluginData(request.id, PLUGIN_NAME, encodeRecord(change(record())), {});
  writeRecord((r) => ({
    ...r,
    incidentId: incident.id,
    serviceId: service.id,
    incidents: { [service.id]: incident.id },
  }));
  const scheduled: string[] = [];
  const sink = responderSink({
    auth,
    pagerduty,
    scheduleJob: (requestId, job) => {
      assert.equal(requestId, request.id);
      const change = addJob(record(), job);
      if (change.next) writeRecord(() => change.next!);
      if (change.outcome === "accepted") scheduled.push(job.id);
      return Promise.resolve(change.outcome);
    },
    serviceUserId: () => Promise.resolve(bot.id),
    approveWorkflows: ["PWFAPPROVE"],
    denyWorkflows: ["PWFDENY"],
    clock: () => NOW,
    ...overrides,
  });
  const note = (content: string, agentId: string | undefined = carol.id): ResponderEvent => ({
    kind: "note",
    incidentId: incident.id,
    noteId: "PNOTE1",
    content,
    agent: agentId === undefined ? undefined : { id: agentId, name: "Someone" },
    occurredAt: new Date(NOW - 1000),
  });
  return {
    store,
    auth,
    account,
    pagerduty,
    bot,
    carol,
    service,
    request,
    incident,
    record,
    writeRecord,
    scheduled,
    sink,
    note,
  };
}

Deno.test("sink: a command on the service's incident is stored as a job keyed by the delivery ID", async () => {
  const w = world();
  assert.equal(await w.sink(w.note("/Approve  checked the ticket"), "v3:E1"), "accepted");
  const [job] = w.record().scheduled;
  assert.equal(job.id, "v3:E1");
  assert.equal(job.kind, DECISION_JOB);
  assert.equal(job.dueAt, NOW);
  assert.deepEqual(commandFromJobData(job.data), {
    path: "note",
    decision: "approve",
    reason: "checked the ticket",
    incidentId: w.incident.id,
    agent: { id: w.carol.id, name: "Someone" },
    via: "",
  });
  assert.equal(await w.sink(w.note("/approve checked the ticket"), "v3:E1"), "duplicate");
  assert.deepEqual(w.scheduled, ["v3:E1"]);
  w.writeRecord((r) => ({ ...r, scheduled: [], jobsDone: ["v3:E1"] }));
  assert.equal(await w.sink(w.note("/approve"), "v3:E1"), "duplicate", "done jobs are known too");
});

Deno.test("sink: what asks for nothing is ignored with nothing read or written", async () => {
  const w = world();
  const before = w.store.pluginData(w.request.id, PLUGIN_NAME)[0].entries.get(PLUGIN_NAME);
  const snapshot = JSON.stringify([...before!]);
  const events: ResponderEvent[] = [
    w.note("I approve of the plan"),
    w.note("/approved"),
    w.note("/approve", w.bot.id),
    { ...w.note("/approve"), occurredAt: new Date(NOW - 50 * 3600_000) },
    {
      kind: "workflow",
      incidentId: w.incident.id,
      workflowId: "POTHER",
      workflowName: "Something else",
      instanceId: "PWI1",
      serviceId: w.service.id,
      agent: { id: w.carol.id, name: "Carol" },
      occurredAt: undefined,
    },
    {
      kind: "resolved",
      incidentId: w.incident.id,
      incidentKey: "",
      serviceId: w.service.id,
      agent: undefined,
      occurredAt: undefined,
    },
  ];
  for (const [i, event] of events.entries()) {
    assert.equal(await w.sink(event, `v3:E${i}`), "ignored", JSON.stringify(event));
  }
  assert.equal(w.pagerduty.calls.count("getIncident"), 0);
  const after = w.store.pluginData(w.request.id, PLUGIN_NAME)[0].entries.get(PLUGIN_NAME);
  assert.equal(JSON.stringify([...after!]), snapshot);
});

Deno.test("sink: commands on incidents this service did not open are ignored, nothing written", async () => {
  const w = world();
  const other = w.account.createIncident(
    { title: "disk full", serviceId: w.service.id, details: "" },
    w.carol.id,
    new Date(NOW),
  );
  // The request's key, but not the incident the record lists (someone made it by hand).
  const lookalike = w.account.createIncident(
    {
      title: "copy",
      serviceId: w.service.id,
      incidentKey: `${incidentKey(w.request.id)}x`,
      details: "",
    },
    w.carol.id,
    new Date(NOW),
  );
  const unrecorded = w.account.createIncident(
    {
      title: "copy",
      serviceId: w.service.id,
      incidentKey: incidentKey("0190-unknown"),
      details: "",
    },
    w.carol.id,
    new Date(NOW),
  );
  for (const incidentId of [other.id, lookalike.id, unrecorded.id, "PNOSUCH"]) {
    assert.equal(
      await w.sink({ ...w.note("/approve"), incidentId }, `v3:${incidentId}`),
      "ignored",
    );
  }
  assert.deepEqual(w.record().scheduled, []);
  assert.deepEqual(w.scheduled, []);
});

Deno.test("sink: PagerDuty failing makes the route answer 500 (PagerDuty delivers again)", async () => {
  const w = world();
  w.pagerduty.calls.intercept("getIncident", {
    kind: "fail",
    error: new PagerDutyError("PagerDuty answered 502", {
      status: 502,
      operation: "GET /incidents/{id}",
    }),
  });
  await assert.rejects(w.sink(w.note("/deny"), "v3:E1"), PagerDutyError);
  assert.equal(await w.sink(w.note("/deny"), "v3:E1"), "accepted");
});

Deno.test("sink: a flood of decisions on one request is turned away once too many wait", async () => {
  const w = world();
  for (let i = 0; i < MAX_WAITING_DECISIONS; i++) {
    assert.equal(await w.sink(w.note("/approve"), `v3:E${i}`), "accepted");
  }
  await assert.rejects(w.sink(w.note("/approve"), "v3:ONE-TOO-MANY"), DecisionBacklogError);
  assert.equal(await w.sink(w.note("/approve"), "v3:E0"), "duplicate", "a known one still dedups");
  assert.equal(w.record().scheduled.length, MAX_WAITING_DECISIONS);
});

Deno.test("sink: incident.resolved goes to the callback, which decides accepted or ignored", async () => {
  const told: string[] = [];
  let locked = 1;
  const w = world({
    onIncidentResolved: (incidentId) => {
      told.push(incidentId);
      return Promise.resolve(locked);
    },
  });
  const resolved: ResponderEvent = {
    kind: "resolved",
    incidentId: w.incident.id,
    incidentKey: "",
    serviceId: w.service.id,
    agent: undefined,
    occurredAt: undefined,
  };
  assert.equal(await w.sink(resolved, "v3:R1"), "accepted");
  locked = 0;
  assert.equal(await w.sink(resolved, "v3:R2"), "ignored");
  assert.deepEqual(told, [w.incident.id, w.incident.id]);
});

Deno.test("service user lookup: one match is the ID; none, several or a failure is unknown", async () => {
  const account = new Account();
  const bot = account.addUser({ name: "Bot", email: "bot@example.com" });
  const pagerduty = new InMemoryPagerDuty(account, bot.id);
  assert.equal(await serviceUserIdLookup(pagerduty, "BOT@example.com")(), bot.id);
  assert.equal(await serviceUserIdLookup(pagerduty, "nobody@example.com")(), undefined);
  pagerduty.calls.intercept("findUsersByEmail", {
    kind: "fail",
    error: new PagerDutyError("down", { status: 0, operation: "GET /users" }),
  });
  assert.equal(await serviceUserIdLookup(pagerduty, "bot@example.com")(), undefined);
});
