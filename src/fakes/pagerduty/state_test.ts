import assert from "node:assert/strict";
import { PdHttpError } from "./errors.ts";
import { Account } from "./state.ts";

function setup() {
  const account = new Account();
  const bot = account.addUser({ name: "Bot", email: "bot@example.com" });
  const alice = account.addUser({ name: "Alice", email: "alice@example.com" });
  const bob = account.addUser({ name: "Bob", email: "bob@example.com" });
  const policy = account.addEscalationPolicy({ name: "Ops" });
  account.putOnCall({ userId: alice.id, escalationPolicyId: policy.id, level: 1 });
  account.putOnCall({ userId: bob.id, escalationPolicyId: policy.id, level: 2 });
  const service = account.addService({ name: "Ops", escalationPolicyId: policy.id }, new Date(0));
  return { account, bot, alice, bob, policy, service };
}

function pdError(status: number, code: number) {
  return (error: unknown) =>
    error instanceof PdHttpError && error.status === status && error.body?.error.code === code;
}

const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

Deno.test("acknowledging through the API assigns the incident to the acting user", () => {
  const { account, bot, alice, service } = setup();
  const incident = account.createIncident({ title: "t", serviceId: service.id }, bot.id, t(0));
  assert.deepEqual(incident.assignments.map((a) => a.userId), [alice.id]);
  const acked = account.updateIncident(incident.id, { status: "acknowledged" }, bot.id, t(1));
  assert.equal(acked.status, "acknowledged");
  assert.deepEqual(acked.assignments.map((a) => a.userId), [bot.id]);
  assert.deepEqual(acked.acknowledgements.map((a) => a.userId), [bot.id]);
  const unacked = account.updateIncident(incident.id, { status: "triggered" }, bot.id, t(2));
  assert.equal(unacked.status, "triggered");
  assert.deepEqual(unacked.acknowledgements, []);
});

Deno.test("reopening a resolved incident re-assigns from the policy and re-claims its dedup key", () => {
  const { account, bot, alice, service } = setup();
  const incident = account.createIncident(
    { title: "t", serviceId: service.id, incidentKey: "k" },
    bot.id,
    t(0),
  );
  account.updateIncident(incident.id, { status: "resolved" }, bot.id, t(1));
  const reopened = account.updateIncident(incident.id, { status: "triggered" }, bot.id, t(2));
  assert.equal(reopened.status, "triggered");
  assert.equal(reopened.resolvedAt, undefined);
  assert.deepEqual(reopened.assignments.map((a) => a.userId), [alice.id]);
  assert.throws(
    () =>
      account.createIncident({ title: "t", serviceId: service.id, incidentKey: "k" }, bot.id, t(3)),
    pdError(400, 2001),
  );

  // A resolved incident cannot reopen while a newer one holds its key.
  account.updateIncident(incident.id, { status: "resolved" }, bot.id, t(4));
  account.createIncident({ title: "t2", serviceId: service.id, incidentKey: "k" }, bot.id, t(5));
  assert.throws(
    () => account.updateIncident(incident.id, { status: "acknowledged" }, bot.id, t(6)),
    pdError(400, 2001),
  );
});

Deno.test("escalating to level 2 assigns its on-call; direct and self assignment; rule conflicts", () => {
  const { account, bot, bob, policy, service } = setup();
  const incident = account.createIncident({ title: "t", serviceId: service.id }, bot.id, t(0));
  const escalated = account.updateIncident(incident.id, { escalationLevel: 2 }, bot.id, t(1));
  assert.deepEqual(escalated.assignments.map((a) => a.userId), [bob.id]);
  assert.equal(escalated.escalationLevel, 2);

  const direct = account.createIncident(
    { title: "d", serviceId: service.id, assigneeIds: [bob.id] },
    bot.id,
    t(2),
  );
  assert.equal(direct.status, "triggered");
  assert.equal(direct.assignedVia, "direct_assignment");
  const self = account.createIncident(
    { title: "s", serviceId: service.id, assigneeIds: [bot.id] },
    bot.id,
    t(3),
  );
  assert.equal(self.status, "acknowledged", "assigning only yourself creates it acknowledged");

  assert.throws(
    () =>
      account.createIncident(
        { title: "x", serviceId: service.id, assigneeIds: [bob.id], escalationPolicyId: policy.id },
        bot.id,
        t(4),
      ),
    pdError(400, 2001),
  );
  assert.throws(
    () =>
      account.createIncident(
        { title: "x", serviceId: service.id, assigneeIds: ["PNOPE"] },
        bot.id,
        t(4),
      ),
    pdError(400, 1007),
  );
  assert.equal(account.incidents().length, 3);
});

Deno.test("configurable rules: unknown service as 404, resolving twice as a no-op, dedup code", () => {
  const account = new Account({
    unknownServiceStatus: 404,
    resolveResolved: "ok",
    dedupError: { message: "Arguments Caused Error", code: 2002 },
  });
  const bot = account.addUser({ name: "Bot", email: "bot@example.com" });
  const policy = account.addEscalationPolicy({ name: "Ops" });
  const service = account.addService({ name: "Ops", escalationPolicyId: policy.id }, t(0));
  assert.throws(
    () => account.createIncident({ title: "t", serviceId: "PNOPE" }, bot.id, t(0)),
    pdError(404, 2100),
  );
  const incident = account.createIncident(
    { title: "t", serviceId: service.id, incidentKey: "k" },
    bot.id,
    t(0),
  );
  assert.throws(
    () =>
      account.createIncident({ title: "t", serviceId: service.id, incidentKey: "k" }, bot.id, t(0)),
    pdError(400, 2002),
  );
  account.updateIncident(incident.id, { status: "resolved" }, bot.id, t(1));
  const again = account.updateIncident(incident.id, { status: "resolved" }, bot.id, t(2));
  assert.deepEqual(again.resolvedAt, t(1), "the first resolution stands");
});

Deno.test("events: one per change, with the acting user, and snapshots that do not change later", () => {
  const { account, bot, alice, service } = setup();
  const events: string[] = [];
  const unsubscribe = account.subscribe((e) =>
    events.push(`${e.type}:${e.agentId === bot.id ? "bot" : e.agentId}`)
  );
  const incident = account.createIncident({ title: "t", serviceId: service.id }, bot.id, t(0));
  account.addNote(incident.id, "hello", alice.id, t(1));
  account.updateIncident(incident.id, { status: "resolved" }, bot.id, t(2));
  unsubscribe();
  account.addNote(incident.id, "after", bot.id, t(3));
  assert.deepEqual(events, [
    "incident.triggered:bot",
    `incident.annotated:${alice.id}`,
    "incident.resolved:bot",
  ]);
  assert.equal(incident.status, "triggered", "the returned record is a snapshot");
  assert.ok(Object.isFrozen(incident));
  assert.throws(
    () => account.addUser({ name: "Dup", email: "ALICE@example.com" }),
    /already exists/,
  );
});
