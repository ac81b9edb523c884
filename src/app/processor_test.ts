import assert from "node:assert/strict";
import { accessRequestView, AuthStore } from "../fakes/auth/store.ts";
import { Account } from "../fakes/pagerduty/state.ts";
import { autoApprovalConfig } from "../../tests/fixtures.ts";
import {
  InMemoryAuth,
  InMemoryPagerDuty,
  memoryProcessorDeps,
} from "../testing/app_memory_clients.ts";
import { PagerDutyError } from "../pagerduty/types.ts";
import { TeleportError } from "../teleport/types.ts";
import type { AccessRequest } from "../teleport/types.ts";
import { incidentKey, outcomeNote, reviewNote } from "./messages.ts";
import {
  decodeRecord,
  encodeRecord,
  PLUGIN_NAME,
  type RequestRecord,
  type ScheduledJob,
} from "./plugin_data.ts";
import { RequestProcessor } from "./processor.ts";
import type { Work } from "./queue.ts";
import { LEASE_MS, LeaseBusyError } from "./run.ts";
import type { JobHandlers } from "./scheduled.ts";

const NOTIFY = "pagerduty_notify_service";
const SERVICES = "pagerduty_services";

/** Both sides in memory, one processor per "instance", and a wall clock the test moves. */
function world(options: { autoApproval?: boolean; jobHandlers?: JobHandlers } = {}) {
  let wall = Date.parse("2026-12-06T12:00:00Z");
  const store = new AuthStore({ now: () => wall });
  const auth = new InMemoryAuth(store);
  const account = new Account();
  const bot = account.addUser({ name: "Bot", email: "bot@example.com" });
  const policy = account.addEscalationPolicy({ name: "Access policy" });
  const service = account.addService(
    { name: "Access", escalationPolicyId: policy.id },
    new Date(wall),
  );
  const onCallPolicy = account.addEscalationPolicy({ name: "Platform policy" });
  account.addService({ name: "Platform", escalationPolicyId: onCallPolicy.id }, new Date(wall));
  const pagerduty = new InMemoryPagerDuty(account, bot.id, () => new Date(wall));
  const instance = (instanceId: string) =>
    new RequestProcessor(memoryProcessorDeps({ auth, pagerduty, clock: () => wall }, {
      autoApproval: autoApprovalConfig({ enabled: options.autoApproval ?? false }),
      instanceId,
      jobHandlers: options.jobHandlers ?? {},
    }));
  return {
    store,
    auth,
    account,
    pagerduty,
    service,
    onCallPolicy,
    processor: instance("instance-a"),
    instance,
    advance: (ms: number) => (wall += ms),
    now: () => wall,
    createRequest(extra: { user?: string; thresholds?: { approve: number; deny: number }[] } = {}) {
      return accessRequestView(store.createRequest({
        user: extra.user ?? "alice@example.com",
        reason: "outage",
        systemAnnotations: { [NOTIFY]: ["Access"], [SERVICES]: ["Platform"] },
        thresholds: extra.thresholds,
      }));
    },
    request(id: string): AccessRequest {
      return accessRequestView(store.request(id)!);
    },
    record(id: string): RequestRecord {
      const entries = store.pluginData(id, PLUGIN_NAME)[0]?.entries.get(PLUGIN_NAME);
      return decodeRecord(entries && Object.fromEntries(entries));
    },
    writeRecord(id: string, change: (r: RequestRecord) => RequestRecord) {
      const entries = store.pluginData(id, PLUGIN_NAME)[0]?.entries.get(PLUGIN_NAME);
      const current = decodeRecord(entries && Object.fromEntries(entries));
      store.updatePluginData(id, PLUGIN_NAME, encodeRecord(change(current)), {});
    },
  };
}

function put(request: AccessRequest, source: "watch" | "resync" = "watch"): Work {
  return { kind: "put", request, firstSeen: performance.now(), source };
}

function incidentsOf(w: ReturnType<typeof world>) {
  return w.account.incidents();
}

function notesOf(w: ReturnType<typeof world>, incidentId: string): string[] {
  return w.account.notes(incidentId).map((n) => n.content);
}

Deno.test("executor: a new request gets one incident, recorded with the Go keys, lease given back", async () => {
  const w = world();
  const request = w.createRequest();
  await w.processor.process(request.id, put(request), 1);
  const [incident] = incidentsOf(w);
  assert.equal(incidentsOf(w).length, 1);
  assert.equal(incident.incidentKey, incidentKey(request.id));
  const record = w.record(request.id);
  assert.equal(record.incidentId, incident.id);
  assert.equal(record.serviceId, w.service.id);
  assert.deepEqual(record.opening, []);
  assert.equal(record.lease, undefined, "the lease is given back at the end of the run");
  assert.equal(w.pagerduty.calls.count("createIncident"), 1);
});

Deno.test("executor: an incident recorded first by a racing instance makes ours a resolved duplicate", async () => {
  const w = world();
  const request = w.createRequest();
  w.pagerduty.calls.intercept("createIncident", {
    kind: "before",
    before: () => {
      // The other instance (say, the Go plugin during a migration) opened and recorded its own.
      const theirs = w.account.createIncident(
        { title: "theirs", serviceId: w.service.id, incidentKey: "other-key", details: "" },
        w.pagerduty.actorId,
        new Date(w.now()),
      );
      w.writeRecord(request.id, (r) => ({
        ...r,
        incidentId: theirs.id,
        serviceId: w.service.id,
        incidents: { [w.service.id]: theirs.id },
      }));
    },
  });
  await w.processor.process(request.id, put(request), 1);
  const [theirs, ours] = incidentsOf(w);
  assert.equal(w.record(request.id).incidentId, theirs.id, "the first recorded incident is kept");
  assert.equal(ours.status, "resolved");
  assert.match(ours.resolution ?? "", /Duplicate of incident/);
  assert.equal(theirs.status, "triggered");
});

Deno.test("executor: an incident opened just before a crash (never recorded) is found by its key and resolved", async () => {
  const w = world();
  const request = w.createRequest();
  w.pagerduty.calls.intercept("createIncident", { kind: "lose_answer" });
  await assert.rejects(w.processor.process(request.id, put(request), 1), PagerDutyError);
  assert.deepEqual(w.record(request.id).opening, [w.service.id], "announced before the create");
  assert.equal(incidentsOf(w).length, 1, "the incident exists, unrecorded");
  // The process dies here; Teleport decides the request meanwhile.
  w.store.applyReview(request.id, { author: "carol@example.com", decision: "APPROVED" });
  w.advance(LEASE_MS + 1);
  await w.instance("instance-b").process(request.id, put(w.request(request.id), "resync"), 1);
  const [incident] = incidentsOf(w);
  assert.equal(incident.status, "resolved");
  assert.equal(w.record(request.id).resolution, "approved");
  assert.equal(w.record(request.id).incidentId, incident.id);
  assert.deepEqual(notesOf(w, incident.id).map((n) => n.split("\n")[0]), [
    notesOf(w, incident.id)[0].split("\n")[0],
    "Access request has been approved",
  ]);
});

Deno.test("executor: a record changed under a write is re-read, and the other writer's keys are kept", async () => {
  const w = world();
  const request = w.createRequest();
  await w.processor.process(request.id, put(request), 1);
  w.store.applyReview(request.id, {
    author: "carol@example.com",
    decision: "APPROVED",
    reason: "ok",
  });
  w.auth.calls.intercept("updatePluginData", {
    kind: "before",
    before: () =>
      w.store.updatePluginData(request.id, PLUGIN_NAME, { audit_note: "written by a tool" }, {}),
  });
  await w.processor.process(request.id, put(w.request(request.id)), 1);
  const data = w.store.pluginData(request.id, PLUGIN_NAME)[0].entries.get(PLUGIN_NAME)!;
  assert.equal(data.get("audit_note"), "written by a tool");
  assert.equal(w.record(request.id).resolution, "approved");
  assert.equal(notesOf(w, incidentsOf(w)[0].id).length, 2);
});

Deno.test("executor: a request deleted mid-work is handled as deleted, not retried forever", async () => {
  const w = world();
  const request = w.createRequest();
  // Listed by a reconciliation, then deleted before its work ran, with the DELETE unseen.
  w.auth.calls.intercept("getPluginData", {
    kind: "before",
    before: () => void w.store.deleteRequest(request.id),
  });
  await w.processor.process(request.id, put(request, "resync"), 1);
  assert.equal(incidentsOf(w).length, 0, "nothing is opened for a request that is gone");
  assert.equal(w.auth.calls.count("getAccessRequest"), 1, "Teleport was asked to confirm");
});

Deno.test("executor: a note whose answer was lost is not posted twice", async () => {
  const w = world();
  const request = w.createRequest({ thresholds: [{ approve: 2, deny: 2 }] });
  await w.processor.process(request.id, put(request), 1);
  w.store.applyReview(request.id, { author: "carol@example.com", decision: "APPROVED" });
  w.pagerduty.calls.intercept("addNote", { kind: "lose_answer" });
  await assert.rejects(
    w.processor.process(request.id, put(w.request(request.id)), 1),
    PagerDutyError,
  );
  assert.deepEqual(w.record(request.id).posting, { kind: "review", index: 1 });
  await w.processor.process(request.id, put(w.request(request.id)), 2);
  const incident = incidentsOf(w)[0];
  assert.equal(notesOf(w, incident.id).length, 1, "the retry found the note and added none");
  assert.equal(w.record(request.id).reviewsCount, 1);
  assert.equal(w.record(request.id).posting, undefined);
  assert.equal(w.pagerduty.calls.count("listNotes"), 1, "looked only because of the marker");
});

Deno.test("executor: reviews get one note each in order, then the outcome its own note", async () => {
  const w = world();
  const request = w.createRequest({ thresholds: [{ approve: 2, deny: 2 }] });
  await w.processor.process(request.id, put(request), 1);
  w.store.applyReview(request.id, {
    author: "carol@example.com",
    decision: "APPROVED",
    reason: "a",
  });
  w.store.applyReview(request.id, {
    author: "dave@example.com",
    decision: "APPROVED",
    reason: "b",
  });
  // Both reviews arrive coalesced into one event.
  await w.processor.process(request.id, put(w.request(request.id)), 1);
  const incident = incidentsOf(w)[0];
  const notes = notesOf(w, incident.id);
  assert.equal(notes.length, 3);
  assert.match(notes[0], /^carol@example.com reviewed the request/);
  assert.match(notes[1], /^dave@example.com reviewed the request/);
  assert.match(notes[2], /^Access request has been approved\nReason: /);
  assert.equal(incident.status, "resolved");
  assert.equal(w.pagerduty.calls.count("listNotes"), 0, "nothing to check without a marker");
});

Deno.test("executor: notes another instance posted while this run waited for the lease are not posted again", async () => {
  const w = world();
  const request = w.createRequest();
  await w.processor.process(request.id, put(request), 1);
  const incident = incidentsOf(w)[0];
  w.store.applyReview(request.id, {
    author: "carol@example.com",
    decision: "APPROVED",
    reason: "ok",
  });
  const decided = w.request(request.id);
  w.auth.calls.intercept("updatePluginData", {
    kind: "before",
    before: () => {
      // Between this run's read and its lease, another instance noted the review and the outcome.
      const at = new Date(w.now());
      w.account.addNote(incident.id, reviewNote(decided.reviews[0]), w.pagerduty.actorId, at);
      w.account.addNote(incident.id, outcomeNote("approved", "ok"), w.pagerduty.actorId, at);
      w.writeRecord(request.id, (r) => ({ ...r, reviewsCount: 1, outcomeNoted: true }));
    },
  });
  await w.instance("instance-b").process(request.id, put(decided), 1);
  const notes = notesOf(w, incident.id);
  assert.equal(notes.length, 2, "the review's note and the outcome's, once each");
  assert.match(notes[1], /^Access request has been approved/);
  assert.equal(w.account.incident(incident.id)?.status, "resolved");
  assert.equal(w.record(request.id).resolution, "approved");
});

Deno.test("executor: two replicas at once: one works, the other is told the request is busy", async () => {
  const w = world();
  const request = w.createRequest();
  const a = w.processor;
  const b = w.instance("instance-b");
  const results = await Promise.allSettled([
    a.process(request.id, put(request), 1),
    b.process(request.id, put(request), 1),
  ]);
  const failed = results.filter((r) => r.status === "rejected");
  assert.equal(incidentsOf(w).length, 1);
  for (const f of failed) assert.ok((f as PromiseRejectedResult).reason instanceof LeaseBusyError);
  // The busy one's retry finds nothing left to do.
  await b.process(request.id, put(request), 2);
  assert.equal(incidentsOf(w).length, 1);
});

Deno.test("executor: a dead instance's lease is taken over once it expires, and its note marker checked", async () => {
  const w = world();
  const request = w.createRequest();
  await w.processor.process(request.id, put(request), 1);
  const incident = incidentsOf(w)[0];
  w.store.applyReview(request.id, { author: "carol@example.com", decision: "DENIED" });
  // Instance "dead" took the lease, marked the review note, posted it, then died.
  w.writeRecord(request.id, (r) => ({
    ...r,
    lease: { holder: "dead", until: w.now() + LEASE_MS },
    posting: { kind: "review", index: 1 },
  }));
  const review = w.request(request.id).reviews[0];
  w.account.addNote(incident.id, reviewNote(review), w.pagerduty.actorId, new Date());
  await assert.rejects(
    w.processor.process(request.id, put(w.request(request.id)), 1),
    LeaseBusyError,
  );
  assert.equal(notesOf(w, incident.id).length, 1, "nothing posted while the lease is alive");
  w.advance(LEASE_MS + 1);
  await w.processor.process(request.id, put(w.request(request.id)), 2);
  const notes = notesOf(w, incident.id);
  assert.equal(notes.length, 2, "the review note once, then the outcome");
  assert.match(notes[1], /^Access request has been denied/);
});

Deno.test("executor: auto-approval is tried once: a requester found not on call is not approved later", async () => {
  const w = world({ autoApproval: true });
  const alice = w.account.addUser({ name: "Alice", email: "alice@example.com" });
  const request = w.createRequest();
  await w.processor.process(request.id, put(request), 1);
  assert.equal(w.record(request.id).autoApproval, "not_eligible");
  w.account.putOnCall({ userId: alice.id, escalationPolicyId: w.onCallPolicy.id });
  await w.processor.process(request.id, put(w.request(request.id), "resync"), 1);
  assert.equal(w.request(request.id).state, "PENDING");
  assert.equal(w.pagerduty.calls.count("listOnCalls"), 1);
});

Deno.test("executor: auto-approval approves an on-call requester through the review room", async () => {
  const w = world({ autoApproval: true });
  const alice = w.account.addUser({ name: "Alice", email: "alice@example.com" });
  w.account.putOnCall({ userId: alice.id, escalationPolicyId: w.onCallPolicy.id });
  const request = w.createRequest();
  await w.processor.process(request.id, put(request), 1);
  const approved = w.request(request.id);
  assert.equal(approved.state, "APPROVED");
  assert.equal(approved.reviews[0].author, "teleport-plugin");
  assert.equal(w.record(request.id).autoApproval, "approved");
});

Deno.test("executor: a role that cannot read users refuses auto-approval once instead of retrying", async () => {
  const w = world({ autoApproval: true });
  const request = accessRequestView(w.store.createRequest({
    user: "alice",
    systemAnnotations: { [NOTIFY]: ["Access"], [SERVICES]: ["Platform"] },
  }));
  w.auth.calls.intercept("getUser", {
    kind: "fail",
    error: new TeleportError("permission_denied", "access denied to perform action read on user"),
  });
  const withTrait = new RequestProcessor(
    memoryProcessorDeps({ auth: w.auth, pagerduty: w.pagerduty, clock: () => w.now() }, {
      autoApproval: autoApprovalConfig({ enabled: true, emailTrait: "email" }),
    }),
  );
  await withTrait.process(request.id, put(request), 1);
  assert.equal(w.record(request.id).autoApproval, "not_eligible");
  assert.equal(w.request(request.id).state, "PENDING");
});

Deno.test("executor: an incident that comes after the request was resolved is closed with the outcome", async () => {
  const w = world();
  const request = w.createRequest();
  w.pagerduty.calls.intercept("createIncident", {
    kind: "before",
    before: () => w.writeRecord(request.id, (r) => ({ ...r, resolution: "denied" })),
  });
  await w.processor.process(request.id, put(request), 1);
  const [incident] = incidentsOf(w);
  assert.equal(incident.status, "resolved");
  assert.deepEqual(notesOf(w, incident.id), ["Access request has been denied"]);
  assert.equal(w.record(request.id).incidents[w.service.id], incident.id);
});

Deno.test("executor: scheduled jobs run when due, move when asked, and are remembered when done", async () => {
  const ran: string[] = [];
  const w = world({
    jobHandlers: {
      check: (_run, job) => {
        ran.push(job.id);
        return Promise.resolve(
          job.data.again === "yes"
            ? { kind: "later", dueAt: w.now() + 60_000, data: { again: "no" } }
            : { kind: "done" },
        );
      },
    },
  });
  const request = w.createRequest();
  const job: ScheduledJob = {
    id: "j1",
    kind: "check",
    dueAt: w.now() + 1_000,
    data: { again: "yes" },
  };
  w.writeRecord(
    request.id,
    (r) => ({ ...r, scheduled: [job, { ...job, id: "j2", kind: "future" }] }),
  );
  const wake: Work = { kind: "wake", firstSeen: performance.now(), source: "schedule" };
  assert.equal(await w.processor.process(request.id, wake, 1), job.dueAt, "not due yet");
  assert.deepEqual(ran, []);
  w.advance(1_000);
  const next = await w.processor.process(request.id, wake, 1);
  assert.deepEqual(ran, ["j1"]);
  assert.equal(next, w.now() + 60_000, "moved to its new time");
  w.advance(60_000);
  assert.equal(await w.processor.process(request.id, wake, 1), undefined, "an unknown kind waits");
  assert.deepEqual(ran, ["j1", "j1"]);
  const record = w.record(request.id);
  assert.deepEqual(record.scheduled.map((j) => j.id), ["j2"], "a kind this version lacks is kept");
  assert.deepEqual(record.jobsDone, ["j1"]);
});

Deno.test("executor: a failing job is retried by throwing, and nothing else is lost", async () => {
  let fail = true;
  const w = world({
    jobHandlers: {
      lock: () => {
        if (fail) return Promise.reject(new TeleportError("unavailable", "Teleport is down"));
        return Promise.resolve({ kind: "done" });
      },
    },
  });
  const request = w.createRequest();
  w.writeRecord(request.id, (r) => ({
    ...r,
    scheduled: [{ id: "l1", kind: "lock", dueAt: w.now(), data: {} }],
  }));
  const wake: Work = { kind: "wake", firstSeen: performance.now(), source: "schedule" };
  await assert.rejects(w.processor.process(request.id, wake, 1), TeleportError);
  assert.equal(w.record(request.id).scheduled.length, 1);
  fail = false;
  await w.processor.process(request.id, wake, 2);
  assert.equal(w.record(request.id).scheduled.length, 0);
});

Deno.test("executor: a missing permission is said once on the incident, however often it recurs", async () => {
  const w = world({ autoApproval: true });
  const alice = w.account.addUser({ name: "Alice", email: "alice@example.com" });
  w.account.putOnCall({ userId: alice.id, escalationPolicyId: w.onCallPolicy.id });
  const request = w.createRequest();
  const denied = () =>
    new TeleportError(
      "permission_denied",
      'The Teleport user "teleport-plugin" may not review access requests: give its role review_requests.',
    );
  for (let attempt = 1; attempt <= 2; attempt++) {
    w.auth.calls.intercept("submitReview", { kind: "fail", error: denied() });
    await assert.rejects(w.processor.process(request.id, put(request), attempt), TeleportError);
  }
  const notes = notesOf(w, incidentsOf(w)[0].id);
  assert.equal(notes.length, 1);
  assert.match(
    notes[0],
    /^teleport-pagerduty cannot finish handling this access request: .*review_requests/,
  );
  assert.deepEqual(w.record(request.id).notices, ["permission.teleport"]);
});
