import assert from "node:assert/strict";
import { Account } from "../fakes/pagerduty/state.ts";
import { InMemoryPagerDuty } from "../testing/app_memory_clients.ts";
import { PagerDutyError } from "../pagerduty/types.ts";
import { TeleportError } from "../teleport/types.ts";
import { INCIDENT_LOCK_JOB } from "./access_end_jobs.ts";
import { IncidentWatch, type IncidentWatchOptions } from "./incident_watch.ts";
import type { ScheduledJob } from "./plugin_data.ts";

const NOW = Date.parse("2026-12-06T12:00:00Z");

function setup(overrides: Partial<IncidentWatchOptions> = {}) {
  const account = new Account();
  const bot = account.addUser({ name: "Bot", email: "bot@example.com" });
  const policy = account.addEscalationPolicy({ name: "Policy" });
  const checkout = account.addService(
    { name: "Checkout", escalationPolicyId: policy.id },
    new Date(NOW),
  );
  const payments = account.addService(
    { name: "Payments", escalationPolicyId: policy.id },
    new Date(NOW),
  );
  const pagerduty = new InMemoryPagerDuty(account, bot.id, () => new Date(NOW));
  const scheduled: Array<{ requestId: string; job: ScheduledJob }> = [];
  const moves: Array<[string, string]> = [];
  const watch = new IncidentWatch({
    pagerduty,
    schedule: (requestId, job) => {
      scheduled.push({ requestId, job });
      return Promise.resolve("accepted");
    },
    moved: (requestId, serviceId) => {
      moves.push([requestId, serviceId]);
      return Promise.resolve();
    },
    clock: () => NOW,
    intervalMs: 30_000,
    ...overrides,
  });
  const open = (title: string, serviceId = checkout.id) =>
    account.createIncident({ title, serviceId }, bot.id, new Date(NOW));
  const resolve = (id: string) =>
    account.updateIncident(id, { status: "resolved" }, bot.id, new Date(NOW));
  return { account, pagerduty, watch, scheduled, moves, checkout, payments, open, resolve };
}

Deno.test("incident watch: nothing watched, nothing asked", async () => {
  const s = setup();
  assert.deepEqual(await s.watch.pollOnce(), { polled: false, scheduled: 0 });
  assert.equal(s.pagerduty.calls.made.length, 0);
});

Deno.test("incident watch: one call per poll for every watched incident; a resolved one is confirmed once and locks each request on it", async () => {
  const s = setup();
  const a = s.open("Checkout DB latency");
  const b = s.open("Card fees", s.payments.id);
  s.watch.watch({ requestId: "r1", incidentId: a.id, serviceId: s.checkout.id });
  s.watch.watch({ requestId: "r2", incidentId: a.id, serviceId: s.checkout.id });
  s.watch.watch({ requestId: "r3", incidentId: b.id, serviceId: s.payments.id });
  assert.deepEqual(await s.watch.pollOnce(), { polled: true, scheduled: 0 });
  assert.equal(s.pagerduty.calls.count("listOpenIncidents"), 1);
  assert.equal(s.pagerduty.calls.count("getIncident"), 0, "all open: nothing looked up");

  s.resolve(a.id);
  assert.deepEqual(await s.watch.pollOnce(), { polled: true, scheduled: 2 });
  assert.equal(s.pagerduty.calls.count("listOpenIncidents"), 2);
  assert.equal(s.pagerduty.calls.count("getIncident"), 1, "confirmed once for both requests");
  assert.deepEqual(s.scheduled.map((x) => x.requestId), ["r1", "r2"]);
  const job = s.scheduled[0].job;
  assert.equal(job.kind, INCIDENT_LOCK_JOB);
  assert.equal(job.dueAt, NOW);
  assert.equal(job.data.reason, "incident_resolved");
  assert.equal(job.data.title, "Checkout DB latency");
  assert.deepEqual(s.watch.watched().map((w) => w.requestId), ["r3"], "no longer watched");
});

Deno.test("incident watch: an incident PagerDuty no longer has ends the access as gone", async () => {
  const s = setup();
  s.watch.watch({ requestId: "r1", incidentId: "PGONE01", serviceId: s.checkout.id });
  await s.watch.pollOnce();
  assert.equal(s.scheduled[0].job.data.reason, "incident_gone");
  assert.equal(s.scheduled[0].job.data.incident_id, undefined);
});

Deno.test("incident watch: an incident moved to another service is watched there, recorded, and not locked", async () => {
  const s = setup();
  const a = s.open("Checkout DB latency", s.payments.id);
  s.watch.watch({ requestId: "r1", incidentId: a.id, serviceId: s.checkout.id });
  await s.watch.pollOnce();
  assert.deepEqual(s.scheduled, []);
  assert.deepEqual(s.moves, [["r1", s.payments.id]]);
  assert.deepEqual(s.watch.watched(), [
    { requestId: "r1", incidentId: a.id, serviceId: s.payments.id },
  ]);
  await s.watch.pollOnce();
  assert.equal(s.pagerduty.calls.count("getIncident"), 1, "found open where it is now");
});

Deno.test("incident watch: PagerDuty failing keeps everything watched for the next poll", async () => {
  const s = setup();
  const a = s.open("A");
  const b = s.open("B");
  s.watch.watch({ requestId: "r1", incidentId: a.id, serviceId: s.checkout.id });
  s.watch.watch({ requestId: "r2", incidentId: b.id, serviceId: s.checkout.id });
  s.resolve(a.id);
  s.resolve(b.id);
  const down = new PagerDutyError("PagerDuty answered 503", { status: 503, operation: "x" });
  s.pagerduty.calls.intercept("listOpenIncidents", { kind: "fail", error: down });
  await assert.rejects(s.watch.pollOnce(), PagerDutyError);
  s.pagerduty.calls.intercept("getIncident", { kind: "fail", error: down });
  assert.deepEqual(await s.watch.pollOnce(), { polled: true, scheduled: 1 });
  assert.deepEqual(s.watch.watched().map((w) => w.requestId), ["r1"], "the failed one stays");
  assert.deepEqual(await s.watch.pollOnce(), { polled: true, scheduled: 1 });
  assert.equal(s.watch.size, 0);
});

Deno.test("incident watch: the webhook is confirmed with PagerDuty; unknown or still open incidents lock nothing", async () => {
  const s = setup();
  const a = s.open("A");
  assert.equal(await s.watch.incidentResolved(a.id), 0);
  assert.equal(s.pagerduty.calls.made.length, 0, "an incident nothing depends on is not looked up");
  s.watch.watch({ requestId: "r1", incidentId: a.id, serviceId: s.checkout.id });
  assert.equal(await s.watch.incidentResolved(a.id), 0, "a forged or stale event is not believed");
  assert.equal(s.watch.size, 1);
  s.resolve(a.id);
  assert.equal(await s.watch.incidentResolved(a.id), 1);
  assert.equal(s.scheduled[0].requestId, "r1");
});

Deno.test("incident watch: a request gone is dropped; Teleport failing rejects so the webhook is retried", async () => {
  const failures: Error[] = [
    new TeleportError("not_found", "access request r1 is not found"),
    new TeleportError("unavailable", "the Auth Service is unreachable"),
  ];
  const s = setup({
    schedule: () => Promise.reject(failures.shift() ?? new Error("unexpected")),
  });
  const a = s.open("A");
  s.watch.watch({ requestId: "r1", incidentId: a.id, serviceId: s.checkout.id });
  s.watch.watch({ requestId: "r2", incidentId: a.id, serviceId: s.checkout.id });
  s.resolve(a.id);
  await assert.rejects(s.watch.incidentResolved(a.id), TeleportError);
  assert.deepEqual(s.watch.watched().map((w) => w.requestId), ["r2"]);
});

Deno.test("incident watch: a reconciliation's listing replaces the set but keeps what was watched meanwhile", () => {
  const s = setup();
  s.watch.watch({ requestId: "old", incidentId: "P1", serviceId: "S1" });
  const generation = s.watch.mark();
  s.watch.watch({ requestId: "new", incidentId: "P2", serviceId: "S1" });
  s.watch.replace([{ requestId: "listed", incidentId: "P3", serviceId: "S2" }], generation);
  assert.deepEqual(s.watch.watched().map((w) => w.requestId).sort(), ["listed", "new"]);
});
