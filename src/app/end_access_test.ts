/**
 * Executor unit tests of access that ends early: shift-bounded auto-approval and its shift-end
 * job, incident-linked approval and its refusals, and the lock room, on in-memory clients over
 * the fakes' stores, with a wall clock the test moves.
 */

import assert from "node:assert/strict";
import { lockTarget } from "../fakes/auth/locks.ts";
import { accessRequestView, AuthStore } from "../fakes/auth/store.ts";
import { Account } from "../fakes/pagerduty/state.ts";
import { autoApprovalConfig } from "../../tests/fixtures.ts";
import {
  InMemoryAuth,
  InMemoryPagerDuty,
  memoryProcessorDeps,
} from "../testing/app_memory_clients.ts";
import { DEFAULT_ACCESS_END } from "../config/access_end.ts";
import type { AccessEndConfig } from "../config/types.ts";
import { PagerDutyError } from "../pagerduty/types.ts";
import { type AccessRequest, TeleportError } from "../teleport/types.ts";
import type { LockReason } from "./access_end_messages.ts";
import { INCIDENT_LOCK_JOB, incidentLockJob, SHIFT_END_JOB } from "./access_end_jobs.ts";
import { ACCESS_END_JOB_HANDLERS } from "./access_end_handlers.ts";
import type { WatchedIncident } from "./incident_access.ts";
import { lockName } from "./locks.ts";
import { NO_OBSERVER } from "./observer.ts";
import { decodeRecord, encodeRecord, PLUGIN_NAME, type RequestRecord } from "./plugin_data.ts";
import { RequestProcessor } from "./processor.ts";
import type { Work } from "./queue.ts";

const NOTIFY = "pagerduty_notify_service";
const SERVICES = "pagerduty_services";
const INCIDENT_SERVICES = "pagerduty_incident_services";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Both sides in memory with access-end switched on, and what the executor reported. */
function world(accessEnd: Partial<AccessEndConfig> = {}) {
  let wall = Date.parse("2026-12-06T12:00:00Z");
  const store = new AuthStore({ now: () => wall });
  const auth = new InMemoryAuth(store);
  const account = new Account();
  const bot = account.addUser({ name: "Bot", email: "bot@example.com" });
  const alice = account.addUser({ name: "Alice", email: "alice@example.com" });
  const bob = account.addUser({ name: "Bob", email: "bob@example.com" });
  const accessPolicy = account.addEscalationPolicy({ name: "Access policy" });
  const notify = account.addService(
    { name: "Access", escalationPolicyId: accessPolicy.id },
    new Date(wall),
  );
  const platformPolicy = account.addEscalationPolicy({ name: "Platform policy" });
  account.addService({ name: "Platform", escalationPolicyId: platformPolicy.id }, new Date(wall));
  const checkoutPolicy = account.addEscalationPolicy({ name: "Checkout policy" });
  const checkout = account.addService(
    { name: "Checkout", escalationPolicyId: checkoutPolicy.id },
    new Date(wall),
  );
  const payments = account.addService(
    { name: "Payments", escalationPolicyId: checkoutPolicy.id },
    new Date(wall),
  );
  const pagerduty = new InMemoryPagerDuty(account, bot.id, () => new Date(wall));
  const locked: LockReason[] = [];
  const watched = new Map<string, WatchedIncident>();
  const processor = new RequestProcessor(
    memoryProcessorDeps({ auth, pagerduty, clock: () => wall }, {
      notifyAnnotation: NOTIFY,
      servicesAnnotation: SERVICES,
      autoApproval: autoApprovalConfig(),
      accessEnd: { ...DEFAULT_ACCESS_END, endWithShift: true, incidentAccess: true, ...accessEnd },
      incidentWatch: {
        watch: (w) => watched.set(w.requestId, w),
        unwatch: (id) => watched.delete(id),
      },
      observer: { ...NO_OBSERVER, accessLocked: (reason) => locked.push(reason) },
      jobHandlers: ACCESS_END_JOB_HANDLERS,
    }),
  );
  const record = (id: string): RequestRecord => {
    const entries = store.pluginData(id, PLUGIN_NAME)[0]?.entries.get(PLUGIN_NAME);
    return decodeRecord(entries && Object.fromEntries(entries));
  };
  return {
    store,
    auth,
    account,
    pagerduty,
    processor,
    bot,
    alice,
    bob,
    notify,
    checkout,
    payments,
    platformPolicy,
    locked,
    watched,
    now: () => wall,
    advance: (ms: number) => (wall += ms),
    record,
    writeRecord(id: string, change: (r: RequestRecord) => RequestRecord) {
      store.updatePluginData(id, PLUGIN_NAME, encodeRecord(change(record(id))), {});
    },
    request: (id: string): AccessRequest => accessRequestView(store.request(id)!),
    createRequest(fields: { reason?: string; annotations?: Record<string, string[]> } = {}) {
      return accessRequestView(store.createRequest({
        user: "alice@example.com",
        reason: fields.reason ?? "outage",
        ttlMs: 8 * HOUR,
        systemAnnotations: fields.annotations ??
          { [NOTIFY]: ["Access"], [SERVICES]: ["Platform"] },
      }));
    },
    /** Notes on the request's access-request incident. */
    notes(id: string): string[] {
      const incidentId = record(id).incidentId;
      return incidentId ? account.notes(incidentId).map((n) => n.content) : [];
    },
    /** An incident in Checkout assigned to `assignee`. */
    incident(assigneeId: string, title = "Checkout DB latency", serviceId = checkout.id) {
      return account.createIncident(
        { title, serviceId, assigneeIds: [assigneeId] },
        bot.id,
        new Date(wall),
      );
    },
    /** Processes the request as a watch event (its latest state) would. */
    put(id: string): Promise<number | undefined> {
      return processor.process(id, put(accessRequestView(store.request(id)!)), 1);
    },
    /** Processes the request as its wake timer would. */
    wake(id: string, attempt = 1): Promise<number | undefined> {
      return processor.process(id, WAKE, attempt);
    },
  };
}

const WAKE: Work = { kind: "wake", firstSeen: 0, source: "schedule" };

function put(request: AccessRequest): Work {
  return { kind: "put", request, firstSeen: performance.now(), source: "watch" };
}

function citing(incidentId: string): { reason: string; annotations: Record<string, string[]> } {
  return {
    reason: `Fixing https://memory.pagerduty.com/incidents/${incidentId} now`,
    annotations: { [NOTIFY]: ["Access"], [INCIDENT_SERVICES]: ["Checkout"] },
  };
}

// ---- shift-bounded auto-approval ------------------------------------------------------------

Deno.test("shift end: the approval says until when, and the lock comes at the shift's end, not before", async () => {
  const w = world();
  const end = new Date(w.now() + 2 * HOUR);
  w.account.putOnCall({ userId: w.alice.id, escalationPolicyId: w.platformPolicy.id, end });
  const request = w.createRequest();
  const dueAt = await w.put(request.id);
  const approved = w.request(request.id);
  assert.equal(approved.state, "APPROVED");
  assert.match(
    approved.reviews[0].reason,
    /who is on call in service\(s\) Platform \(escalation level 1\); the access ends when the on-call shift ends at 2026-12-06T14:00:00Z$/,
  );
  assert.equal(dueAt, end.getTime(), "the wake timer is armed for the shift's end");
  assert.deepEqual(w.record(request.id).scheduled.map((j) => [j.kind, j.dueAt]), [
    [SHIFT_END_JOB, end.getTime()],
  ]);
  // The resolving run (the APPROVED event) and an early wake change nothing.
  await w.put(request.id);
  w.advance(2 * HOUR - 1);
  assert.equal(await w.wake(request.id), end.getTime());
  assert.equal(w.auth.store.locks.find(lockName(request.id)), undefined, "not before the end");
  assert.equal(w.pagerduty.calls.count("listOnCalls"), 1, "nothing asked before it is due");

  w.advance(1);
  assert.equal(await w.wake(request.id), undefined, "nothing left scheduled");
  const lock = w.auth.store.locks.find(lockName(request.id));
  assert.ok(lock, "locked at the shift's end");
  assert.equal(lock.target.accessRequest, request.id);
  assert.equal(
    lock.message,
    `Your access from request ${request.id} ended: your PagerDuty on-call shift ended at 2026-12-06T14:00:00Z.`,
  );
  assert.equal(lock.expires, approved.accessExpires!.getTime(), "expires with the access");
  assert.equal(w.record(request.id).accessEnd.locked, "shift_ended");
  assert.deepEqual(w.locked, ["shift_ended"]);
  const last = w.notes(request.id).at(-1)!;
  assert.match(
    last,
    /^Access from this request was ended at 2026-12-06T14:00:00Z: the requester's on-call shift ended at 2026-12-06T14:00:00Z\./,
  );
  assert.match(last, new RegExp(`Teleport lock ${lockName(request.id)} now refuses`));
});

Deno.test("shift end: a back-to-back shift moves the check to its end; the lock comes after it", async () => {
  const w = world();
  const first = new Date(w.now() + HOUR);
  const second = new Date(w.now() + 3 * HOUR);
  w.account.putOnCall({ userId: w.alice.id, escalationPolicyId: w.platformPolicy.id, end: first });
  const request = w.createRequest();
  await w.put(request.id);
  w.account.putOnCall({
    userId: w.alice.id,
    escalationPolicyId: w.platformPolicy.id,
    start: first,
    end: second,
  });
  w.advance(HOUR);
  assert.equal(await w.wake(request.id), second.getTime(), "moved to the next shift's end");
  assert.equal(w.auth.store.locks.find(lockName(request.id)), undefined);
  assert.deepEqual(w.record(request.id).scheduled[0].data, { shift_end: second.toISOString() });
  w.advance(2 * HOUR);
  await w.wake(request.id);
  assert.match(
    w.auth.store.locks.find(lockName(request.id))!.message,
    /shift ended at 2026-12-06T15:00:00Z\.$/,
  );
});

Deno.test("shift end: a permanent on-call plans nothing and says the access lasts until it expires", async () => {
  const w = world();
  w.account.putOnCall({ userId: w.alice.id, escalationPolicyId: w.platformPolicy.id });
  const request = w.createRequest();
  assert.equal(await w.put(request.id), undefined);
  assert.match(w.request(request.id).reviews[0].reason, /on call permanently/);
  assert.deepEqual(w.record(request.id).scheduled, []);
});

Deno.test("shift end: a shift already over by this host's clock (PagerDuty's runs behind) is not approved", async () => {
  const w = world();
  w.account.putOnCall({
    userId: w.alice.id,
    escalationPolicyId: w.platformPolicy.id,
    end: new Date(w.now() - MINUTE),
  });
  // PagerDuty's clock is five minutes behind, so it still lists the shift.
  const behind = new InMemoryPagerDuty(w.account, w.bot.id, () => new Date(w.now() - 5 * MINUTE));
  const skewed = new RequestProcessor(
    memoryProcessorDeps({ auth: w.auth, pagerduty: behind, clock: () => w.now() }, {
      notifyAnnotation: NOTIFY,
      servicesAnnotation: SERVICES,
      autoApproval: autoApprovalConfig(),
      accessEnd: { ...DEFAULT_ACCESS_END, endWithShift: true },
      jobHandlers: ACCESS_END_JOB_HANDLERS,
    }),
  );
  const request = w.createRequest();
  await skewed.process(request.id, put(request), 1);
  assert.equal(behind.calls.count("listOnCalls"), 1);
  assert.equal(w.request(request.id).state, "PENDING");
  assert.equal(w.record(request.id).autoApproval, "not_eligible");
});

Deno.test("shift end: Teleport or PagerDuty down when the lock falls due is retried until done", async () => {
  const w = world();
  w.account.putOnCall({
    userId: w.alice.id,
    escalationPolicyId: w.platformPolicy.id,
    end: new Date(w.now() + HOUR),
  });
  const request = w.createRequest();
  await w.put(request.id);
  w.advance(HOUR);
  w.pagerduty.calls.intercept("listOnCalls", {
    kind: "fail",
    error: new PagerDutyError("PagerDuty answered 503", { status: 503, operation: "listOnCalls" }),
  });
  await assert.rejects(w.wake(request.id, 1), PagerDutyError);
  w.auth.calls.intercept("upsertLock", {
    kind: "fail",
    error: new TeleportError("unavailable", "the Auth Service is unreachable"),
  });
  await assert.rejects(w.wake(request.id, 2), TeleportError);
  assert.equal(w.record(request.id).scheduled.length, 1, "the job waits for its retry");
  assert.equal(w.record(request.id).accessEnd.locked, "");
  await w.wake(request.id, 3);
  assert.ok(w.auth.store.locks.isRequestLocked(request.id));
  assert.equal(w.record(request.id).scheduled.length, 0);
  assert.deepEqual(w.locked, ["shift_ended"]);
});

Deno.test("shift end: a request deleted before its lock needs nothing", async () => {
  const w = world();
  w.account.putOnCall({
    userId: w.alice.id,
    escalationPolicyId: w.platformPolicy.id,
    end: new Date(w.now() + HOUR),
  });
  const request = w.createRequest();
  await w.put(request.id);
  w.store.deleteRequest(request.id);
  w.advance(HOUR);
  await w.wake(request.id);
  assert.equal(w.auth.calls.count("upsertLock"), 0);
  assert.equal(w.auth.calls.count("getLock"), 0);
  assert.deepEqual(w.record(request.id).scheduled, [], "the job is done");
  assert.deepEqual(w.record(request.id).jobsDone, [SHIFT_END_JOB]);
});

Deno.test("shift end: a lock already there is left as it is; the note and the record still follow", async () => {
  const w = world();
  w.account.putOnCall({
    userId: w.alice.id,
    escalationPolicyId: w.platformPolicy.id,
    end: new Date(w.now() + HOUR),
  });
  const request = w.createRequest();
  await w.put(request.id);
  w.store.locks.upsert({
    name: lockName(request.id),
    target: lockTarget({ accessRequest: request.id }),
    message: "Locked by the security team",
    expires: undefined,
    deleteAt: undefined,
    createdBy: "security",
  });
  w.advance(HOUR);
  await w.wake(request.id);
  assert.equal(w.auth.calls.count("upsertLock"), 0);
  assert.equal(w.store.locks.find(lockName(request.id))!.message, "Locked by the security team");
  assert.equal(w.record(request.id).accessEnd.locked, "shift_ended");
  assert.deepEqual(w.locked, [], "only locks the service wrote are counted");
  assert.match(w.notes(request.id).at(-1)!, /^Access from this request was ended/);
});

Deno.test("shift end: access the service did not grant is not its to end", async () => {
  const w = world({ endWithShift: true });
  w.account.putOnCall({
    userId: w.alice.id,
    escalationPolicyId: w.platformPolicy.id,
    end: new Date(w.now() + HOUR),
  });
  const request = w.createRequest();
  // The review never landed (e.g. refused), and a human approved the request instead.
  w.auth.calls.intercept("submitReview", {
    kind: "fail",
    error: new TeleportError("unavailable", "the Auth Service is unreachable"),
  });
  await assert.rejects(w.put(request.id), TeleportError);
  assert.equal(w.record(request.id).scheduled.length, 1, "the plan was written before the review");
  w.store.applyReview(request.id, { author: "carol@example.com", decision: "APPROVED" });
  w.advance(HOUR);
  await w.wake(request.id);
  assert.equal(w.auth.calls.count("upsertLock"), 0);
  assert.equal(w.record(request.id).scheduled.length, 0);
});

// ---- incident-linked approval ---------------------------------------------------------------

Deno.test("incident access: an assignee citing an open incident of a listed service is approved, and it is watched", async () => {
  const w = world();
  const incident = w.incident(w.alice.id);
  const request = w.createRequest(citing(incident.id));
  await w.put(request.id);
  const approved = w.request(request.id);
  assert.equal(approved.state, "APPROVED");
  assert.equal(
    approved.reviews[0].reason,
    `Access requested by user Alice (alice@example.com) who is assigned to PagerDuty incident #${incident.number} "Checkout DB latency" (https://memory.pagerduty.com/incidents/${incident.id}) in service Checkout; the access ends when the incident is resolved`,
  );
  const plan = w.record(request.id).accessEnd;
  assert.deepEqual(plan.incident, {
    id: incident.id,
    serviceId: w.checkout.id,
    number: incident.number,
    title: "Checkout DB latency",
  });
  assert.equal(plan.incidentApproval, "approved");
  assert.deepEqual(w.watched.get(request.id), {
    requestId: request.id,
    incidentId: incident.id,
    serviceId: w.checkout.id,
  });
});

Deno.test("incident access: an accepted responder is approved too; several citations take the first that qualifies", async () => {
  const w = world();
  const other = w.incident(w.bob.id, "Payments down", w.payments.id);
  const incident = w.incident(w.bob.id);
  w.account.requestResponder(incident.id, w.alice.id, w.bob.id, new Date(w.now()));
  w.account.answerResponder(incident.id, w.alice.id, "joined", new Date(w.now()));
  const request = w.createRequest({
    ...citing(incident.id),
    reason: `See ${other.id} and https://memory.pagerduty.com/incidents/${incident.id}`,
  });
  await w.put(request.id);
  const reason = w.request(request.id).reviews[0].reason;
  assert.match(
    reason,
    /who is an accepted responder on PagerDuty incident #\d+ "Checkout DB latency"/,
  );
  assert.match(
    reason,
    /; it is the first cited incident that qualifies \(incident #\d+ "Payments down" is in service Payments, not in Checkout/,
  );
});

for (
  const [name, setup, expected] of [
    [
      "the incident is resolved",
      (w: ReturnType<typeof world>) => {
        const incident = w.incident(w.alice.id);
        w.account.updateIncident(incident.id, { status: "resolved" }, w.bob.id, new Date(w.now()));
        return citing(incident.id);
      },
      /incident #\d+ "Checkout DB latency" is resolved/,
    ],
    [
      "the incident is in another service",
      (w: ReturnType<typeof world>) =>
        citing(w.incident(w.alice.id, "Card fees", w.payments.id).id),
      /is in service Payments, not in Checkout \(annotation pagerduty_incident_services\)/,
    ],
    [
      "the requester is not on it",
      (w: ReturnType<typeof world>) => citing(w.incident(w.bob.id).id),
      /Alice \(alice@example\.com\) is neither assigned to incident #\d+ "Checkout DB latency" nor an accepted responder/,
    ],
    [
      "the role has no incident services annotation",
      (w: ReturnType<typeof world>) => ({
        ...citing(w.incident(w.alice.id).id),
        annotations: { [NOTIFY]: ["Access"] },
      }),
      /the requester's roles name no PagerDuty services in annotation pagerduty_incident_services/,
    ],
    [
      "the cited incident does not exist",
      (_w: ReturnType<typeof world>) => citing("PNOSUCH1"),
      /https:\/\/memory\.pagerduty\.com\/incidents\/PNOSUCH1 does not exist in this PagerDuty account/,
    ],
    [
      "the link is from another account",
      (w: ReturnType<typeof world>) => ({
        ...citing(""),
        reason: `https://other.pagerduty.com/incidents/${w.incident(w.alice.id).id}`,
      }),
      /is a link into another PagerDuty account \(other\.pagerduty\.com, not memory\.pagerduty\.com\)/,
    ],
  ] as const
) {
  Deno.test(`incident access: not approved when ${name}; one note says why and the request is left for humans`, async () => {
    const w = world();
    const request = w.createRequest(setup(w));
    await w.put(request.id);
    assert.equal(w.request(request.id).state, "PENDING");
    assert.equal(w.request(request.id).reviews.length, 0);
    const notes = w.notes(request.id);
    assert.equal(notes.length, 1);
    assert.match(
      notes[0],
      /^Not approved automatically for the cited PagerDuty incident; the request is left for a reviewer:\n- /,
    );
    assert.match(notes[0], expected);
    assert.equal(w.record(request.id).accessEnd.incidentApproval, "refused");
    assert.equal(w.record(request.id).accessEnd.incident, undefined);
    // Tried once: a later event neither looks again nor notes again.
    const lookUps = () =>
      w.pagerduty.calls.count("getIncident") + w.pagerduty.calls.count("findUsersByEmail");
    const before = lookUps();
    await w.put(request.id);
    assert.equal(w.notes(request.id).length, 1);
    assert.equal(lookUps(), before);
  });
}

Deno.test("incident access: a reason citing nothing is neither looked at nor noted", async () => {
  const w = world();
  const request = w.createRequest({ ...citing(""), reason: "PRODUCT outage, see the runbook" });
  await w.put(request.id);
  assert.equal(w.pagerduty.calls.count("getIncident"), 0);
  assert.deepEqual(w.notes(request.id), []);
  assert.equal(w.request(request.id).state, "PENDING");
});

Deno.test("incident access: an on-call approval comes first, and the incident is not tried after it", async () => {
  const w = world({ endWithShift: false });
  w.account.putOnCall({ userId: w.alice.id, escalationPolicyId: w.platformPolicy.id });
  const incident = w.incident(w.alice.id);
  const request = w.createRequest({
    ...citing(incident.id),
    annotations: {
      [NOTIFY]: ["Access"],
      [SERVICES]: ["Platform"],
      [INCIDENT_SERVICES]: ["Checkout"],
    },
  });
  await w.put(request.id);
  assert.equal(w.request(request.id).reviews.length, 1);
  assert.match(w.request(request.id).reviews[0].reason, /who is on call/);
  assert.equal(w.pagerduty.calls.count("getIncident"), 0);
});

// ---- the lock of an incident that ended -----------------------------------------------------

Deno.test("incident lock: the lock job ends the access with the incident's name, notes it and stops the watch", async () => {
  const w = world();
  const incident = w.incident(w.alice.id);
  const request = w.createRequest(citing(incident.id));
  await w.put(request.id);
  w.account.updateIncident(incident.id, { status: "resolved" }, w.alice.id, new Date(w.now()));
  const resolved = await w.pagerduty.getIncident(incident.id);
  w.writeRecord(request.id, (r) => ({
    ...r,
    scheduled: [incidentLockJob("incident_resolved", resolved, w.now())],
  }));
  await w.wake(request.id);
  assert.equal(
    w.store.locks.find(lockName(request.id))!.message,
    `Your access from request ${request.id} ended: PagerDuty incident #${incident.number} "Checkout DB latency" was resolved.`,
  );
  assert.equal(w.record(request.id).accessEnd.locked, "incident_resolved");
  assert.deepEqual(w.locked, ["incident_resolved"]);
  assert.equal(w.watched.has(request.id), false);
  assert.match(
    w.notes(request.id).at(-1)!,
    new RegExp(
      `PagerDuty incident #${incident.number} "Checkout DB latency" \\(https://memory\\.pagerduty\\.com/incidents/${incident.id}\\) was resolved\\.`,
    ),
  );
  // Done once: the same job again (another replica's poll) changes nothing.
  w.writeRecord(request.id, (r) => ({
    ...r,
    scheduled: [{ ...incidentLockJob("incident_resolved", resolved, w.now()), id: "again" }],
  }));
  await w.wake(request.id);
  assert.equal(w.auth.calls.count("upsertLock"), 1);
  assert.equal(w.notes(request.id).filter((n) => n.startsWith("Access from this")).length, 1);
});

Deno.test("incident lock: an operator who deleted the lock gets no new one", async () => {
  const w = world();
  const incident = w.incident(w.alice.id);
  const request = w.createRequest(citing(incident.id));
  await w.put(request.id);
  w.writeRecord(request.id, (r) => ({
    ...r,
    scheduled: [incidentLockJob("incident_gone", undefined, w.now())],
  }));
  await w.wake(request.id);
  assert.match(
    w.store.locks.find(lockName(request.id))!.message,
    /incident #\d+ "Checkout DB latency" can no longer be found\.$/,
  );
  w.store.locks.delete(lockName(request.id));
  w.writeRecord(request.id, (r) => ({
    ...r,
    scheduled: [{ ...incidentLockJob("incident_gone", undefined, w.now()), id: "later" }],
  }));
  await w.wake(request.id);
  assert.equal(w.store.locks.find(lockName(request.id)), undefined);
  assert.equal(w.auth.calls.count("upsertLock"), 1);
});

Deno.test("incident lock: a job whose data is odd still locks, naming the recorded incident", async () => {
  const w = world();
  const incident = w.incident(w.alice.id);
  const request = w.createRequest(citing(incident.id));
  await w.put(request.id);
  w.writeRecord(request.id, (r) => ({
    ...r,
    scheduled: [{
      id: INCIDENT_LOCK_JOB,
      kind: INCIDENT_LOCK_JOB,
      dueAt: w.now(),
      data: { reason: "whatever", number: "x", url: "javascript:alert(1)" },
    }],
  }));
  await w.wake(request.id);
  assert.match(
    w.store.locks.find(lockName(request.id))!.message,
    new RegExp(
      `PagerDuty incident #${incident.number} "Checkout DB latency" can no longer be found\\.$`,
    ),
  );
  assert.doesNotMatch(w.notes(request.id).at(-1)!, /javascript/);
});
