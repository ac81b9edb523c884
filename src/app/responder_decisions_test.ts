import assert from "node:assert/strict";
import { accessRequestView, AuthStore } from "../fakes/auth/store.ts";
import { Account } from "../fakes/pagerduty/state.ts";
import { autoApprovalConfig } from "../../tests/fixtures.ts";
import {
  InMemoryAuth,
  InMemoryPagerDuty,
  memoryProcessorDeps,
} from "../testing/app_memory_clients.ts";
import type { ReviewsConfig } from "../config/types.ts";
import { PagerDutyError } from "../pagerduty/types.ts";
import { type AccessRequest, TeleportError } from "../teleport/types.ts";
import { NO_OBSERVER, type ResponderDecisionOutcome } from "./observer.ts";
import {
  decodeRecord,
  encodeRecord,
  NOTICE_CODE,
  PLUGIN_NAME,
  type RequestRecord,
  type ScheduledJob,
} from "./plugin_data.ts";
import { RequestProcessor } from "./processor.ts";
import type { Work } from "./queue.ts";
import type { ResponderCommand } from "./responder_commands.ts";
import {
  commandFromJobData,
  commandJobData,
  DECISION_JOB,
  decisionJobHandler,
  decisionNoticeCode,
  withoutFinishedDecisionNotices,
} from "./responder_decisions.ts";
import { LEASE_MS } from "./run.ts";

const NOTIFY = "pagerduty_notify_service";
const SELF = "teleport-plugin";

type Policy = Pick<ReviewsConfig, "approverEscalationLevels" | "approverEmails" | "approverTeams">;

/**
 * Both sides in memory: an "Access" service paged by a policy Carol is on call in at level 1
 * (Dave at level 2), Erin never on call, the service's own PagerDuty user Bot, and processors
 * that carry out decision jobs.
 */
function world(options: { policy?: Partial<Policy>; emailTrait?: string } = {}) {
  let wall = Date.parse("2026-12-06T12:00:00Z");
  const store = new AuthStore({ now: () => wall });
  const auth = new InMemoryAuth(store);
  const account = new Account();
  const bot = account.addUser({ name: "Bot", email: "bot@example.com" });
  const carol = account.addUser({ name: "Carol Chen", email: "carol@example.com" });
  const dave = account.addUser({ name: "Dave Davis", email: "dave@example.com" });
  const erin = account.addUser({ name: "Erin Evans", email: "erin@example.com" });
  const alice = account.addUser({ name: "Alice Anderson", email: "alice@example.com" });
  const policy = account.addEscalationPolicy({ name: "Access policy" });
  account.putOnCall({ userId: carol.id, escalationPolicyId: policy.id, level: 1 });
  account.putOnCall({ userId: dave.id, escalationPolicyId: policy.id, level: 2 });
  const service = account.addService(
    { name: "Access", escalationPolicyId: policy.id },
    new Date(wall),
  );
  const pagerduty = new InMemoryPagerDuty(account, bot.id, () => new Date(wall));
  const decisions: Array<[string, ResponderDecisionOutcome]> = [];
  const instance = (instanceId: string) =>
    new RequestProcessor(memoryProcessorDeps({ auth, pagerduty, clock: () => wall }, {
      selfUser: SELF,
      proxyAddr: () => "teleport.example.com",
      notifyAnnotation: NOTIFY,
      autoApproval: autoApprovalConfig({ enabled: false, emailTrait: options.emailTrait }),
      observer: {
        ...NO_OBSERVER,
        responderDecision: (path, outcome) => decisions.push([path, outcome]),
      },
      instanceId,
      jobHandlers: {
        [DECISION_JOB]: decisionJobHandler({
          reviews: {
            approverEscalationLevels: [],
            approverEmails: [],
            approverTeams: [],
            ...options.policy,
          },
          serviceUserEmail: bot.email,
          serviceUserId: () => Promise.resolve(bot.id),
        }),
      },
    }));
  const processor = instance("instance-a");
  let jobs = 0;
  const w = {
    store,
    auth,
    account,
    pagerduty,
    decisions,
    bot,
    carol,
    dave,
    erin,
    alice,
    service,
    processor,
    instance,
    advance: (ms: number) => (wall += ms),
    request: (id: string): AccessRequest | undefined => {
      const stored = store.request(id);
      return stored && accessRequestView(stored);
    },
    record(id: string): RequestRecord {
      const entries = store.pluginData(id, PLUGIN_NAME)[0]?.entries.get(PLUGIN_NAME);
      return decodeRecord(entries && Object.fromEntries(entries));
    },
    notes: (incidentId: string) => account.notes(incidentId).map((n) => n.content),
    /** The notes about decisions from PagerDuty: not the review and outcome notes. */
    decisionNotes: (incidentId: string) =>
      account.notes(incidentId).map((n) => n.content).filter((n) =>
        !/^\S+ reviewed the request at /.test(n) && !n.startsWith("Access request has been")
      ),
    /** A pending request with its incident opened by the service. */
    async paged(user = "alice@example.com", thresholds?: { approve: number; deny: number }[]) {
      const request = accessRequestView(store.createRequest({
        user,
        reason: "outage",
        systemAnnotations: { [NOTIFY]: ["Access"] },
        thresholds,
      }));
      await processor.process(request.id, put(request), 1);
      const incidentId = w.record(request.id).incidentId;
      assert.ok(incidentId, "the incident is opened");
      return { id: request.id, incidentId };
    },
    /** Stores a decision job as the sink would, and returns it. */
    schedule(requestId: string, command: Partial<ResponderCommand> & { incidentId: string }) {
      const job: ScheduledJob = {
        id: `v3:event-${++jobs}`,
        kind: DECISION_JOB,
        dueAt: wall,
        data: commandJobData({
          path: "note",
          decision: "approve",
          reason: "checked the ticket",
          agent: { id: carol.id, name: carol.name },
          via: "",
          ...command,
        }),
      };
      w.writeRecord(requestId, (r) => ({ ...r, scheduled: [...r.scheduled, job] }));
      return job;
    },
    writeRecord(id: string, change: (r: RequestRecord) => RequestRecord) {
      store.updatePluginData(id, PLUGIN_NAME, encodeRecord(change(w.record(id))), {});
    },
    /** Runs the request's due work as a wake-up, as the lifecycle does. */
    wake: (id: string, attempt = 1, on: RequestProcessor = processor) =>
      on.process(id, wake(), attempt),
  };
  return w;
}

function put(request: AccessRequest): Work {
  return { kind: "put", request, firstSeen: performance.now(), source: "watch" };
}

function wake(): Work {
  return { kind: "wake", firstSeen: performance.now(), source: "schedule" };
}

Deno.test("decision: an on-call responder's /approve is a review by the service, noted once, job done", async () => {
  const w = world();
  const { id, incidentId } = await w.paged();
  const job = w.schedule(id, { incidentId });
  await w.wake(id);
  const request = w.request(id)!;
  assert.equal(request.state, "APPROVED");
  assert.equal(request.reviews.length, 1);
  assert.equal(request.reviews[0].author, SELF);
  assert.equal(
    request.reviews[0].reason,
    `Approved in PagerDuty by Carol Chen (carol@example.com) with a /approve note on incident ${incidentId}, who is on call at escalation level 1 in service Access. Reason: checked the ticket`,
  );
  assert.deepEqual(w.notes(incidentId), [
    `Carol Chen (carol@example.com) approved the access request with a /approve note on incident ${incidentId}. Teleport granted the request.`,
  ]);
  const record = w.record(id);
  assert.deepEqual(record.scheduled, []);
  assert.deepEqual(record.jobsDone, [job.id]);
  assert.deepEqual(record.notices, [decisionNoticeCode(job.id)]);
  assert.deepEqual(w.decisions, [["note", "approved"]]);
});

Deno.test("decision: a deny workflow with thresholds left says more denials are needed", async () => {
  const w = world();
  const { id, incidentId } = await w.paged("alice@example.com", [{ approve: 1, deny: 2 }]);
  w.schedule(id, {
    incidentId,
    path: "workflow",
    decision: "deny",
    reason: "",
    via: "Deny access request",
    workflowId: "PWF1",
  });
  await w.wake(id);
  const request = w.request(id)!;
  assert.equal(request.state, "PENDING");
  assert.equal(request.reviews[0].decision, "DENIED");
  assert.match(
    request.reviews[0].reason,
    /^Denied in PagerDuty by Carol Chen .* by running the workflow "Deny access request" on incident/,
  );
  assert.match(w.notes(incidentId)[0], /needs more denials in Teleport before it is denied\.$/);
  assert.deepEqual(w.decisions, [["workflow", "denied"]]);
});

Deno.test("decision: refusals are notes naming the rule, and nothing reaches Teleport", async (t) => {
  const cases: Array<{
    name: string;
    setup: (w: ReturnType<typeof world>, id: string) => Partial<ResponderCommand>;
    outcome: ResponderDecisionOutcome;
    note: RegExp;
    user?: string;
  }> = [
    {
      name: "not on call",
      setup: (w) => ({ agent: { id: w.erin.id, name: "Erin" } }),
      outcome: "not_on_call",
      note:
        /^The \/approve note was not carried out: Erin Evans \(erin@example\.com\) is not on call now in the escalation policy of service Access\./,
    },
    {
      name: "own request",
      setup: (w) => ({ agent: { id: w.carol.id, name: "Carol" } }),
      user: "CAROL@example.com",
      outcome: "own_request",
      note:
        /Carol Chen \(carol@example\.com\) made this access request\. Rule: nobody decides their own request/,
    },
    {
      name: "no agent",
      setup: () => ({ agent: undefined }),
      outcome: "no_agent",
      note: /PagerDuty did not say which user did it/,
    },
    {
      name: "unknown agent",
      setup: () => ({ agent: { id: "PNOBODY", name: "Ghost" } }),
      outcome: "unknown_agent",
      note: /PagerDuty user PNOBODY could not be looked up/,
    },
    {
      name: "already decided",
      setup: (w, id) => {
        w.store.applyReview(id, { author: "erin@example.com", decision: "DENIED" });
        return {};
      },
      outcome: "not_pending",
      note: /the access request is already denied\. Rule: only pending requests can be decided\./,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const w = world();
      const { id, incidentId } = await w.paged(c.user);
      const command = c.setup(w, id);
      const reviewsBefore = w.request(id)!.reviews.length;
      w.schedule(id, { incidentId, ...command });
      await w.wake(id);
      assert.equal(w.request(id)!.reviews.length, reviewsBefore, "no review submitted");
      assert.equal(w.auth.calls.count("submitReview"), 0);
      const notes = w.decisionNotes(incidentId);
      assert.equal(notes.length, 1, w.notes(incidentId).join("\n"));
      assert.match(notes[0], c.note);
      assert.deepEqual(w.decisions, [["note", c.outcome]]);
      assert.deepEqual(w.record(id).scheduled, []);
    });
  }
});

Deno.test("decision: the service's own PagerDuty user is ignored without a note", async () => {
  const w = world();
  const { id, incidentId } = await w.paged();
  w.schedule(id, { incidentId, agent: { id: w.bot.id, name: "Bot" } });
  await w.wake(id);
  assert.equal(w.request(id)!.state, "PENDING");
  assert.deepEqual(w.notes(incidentId), []);
  assert.deepEqual(w.decisions, []);
  assert.deepEqual(w.record(id).scheduled, []);
});

Deno.test("decision: a request deleted after the decision was acknowledged gets the unknown-request note", async () => {
  const w = world();
  const { id, incidentId } = await w.paged();
  w.schedule(id, { incidentId });
  w.store.deleteRequest(id);
  await w.wake(id);
  assert.match(
    w.decisionNotes(incidentId)[0],
    new RegExp(`access request ${id} does not exist in Teleport any more`),
  );
  assert.deepEqual(w.decisions, [["note", "unknown_request"]]);
});

Deno.test("decision: a second decision through the service says another reviewer is needed in Teleport", async () => {
  const w = world();
  const { id, incidentId } = await w.paged("alice@example.com", [{ approve: 2, deny: 1 }]);
  w.schedule(id, { incidentId });
  await w.wake(id);
  const second = w.schedule(id, {
    incidentId,
    agent: { id: w.dave.id, name: "Dave" },
    reason: "me too",
  });
  await w.wake(id);
  const request = w.request(id)!;
  assert.equal(request.reviews.length, 1, "Teleport counts one review per author");
  assert.equal(request.state, "PENDING");
  const notes = w.decisionNotes(incidentId);
  assert.equal(notes.length, 2);
  assert.match(notes[0], /needs more approvals in Teleport/);
  assert.match(
    notes[1],
    new RegExp(
      `^The /approve note was not carried out: this service has already submitted a review of the request, and Teleport counts one review per author\\. Another reviewer must decide in Teleport: https://teleport\\.example\\.com/web/requests/${id}$`,
    ),
  );
  assert.deepEqual(w.decisions, [["note", "approved"], ["note", "already_reviewed"]]);
  assert.deepEqual(
    w.record(id).notices,
    [decisionNoticeCode(second.id)],
    "a finished decision's notice code is dropped when the next one runs",
  );
});

Deno.test("decision: Teleport failing mid-decision is retried, and decides once", async () => {
  const w = world();
  const { id, incidentId } = await w.paged();
  w.schedule(id, { incidentId });
  w.auth.calls.intercept("submitReview", {
    kind: "fail",
    error: new TeleportError("unavailable", "the Auth Service is restarting"),
  });
  await assert.rejects(w.wake(id), TeleportError);
  assert.equal(w.record(id).scheduled.length, 1, "the decision is kept");
  assert.deepEqual(w.notes(incidentId), []);
  await w.wake(id, 2);
  assert.equal(w.request(id)!.state, "APPROVED");
  assert.equal(w.notes(incidentId).length, 1);
  assert.deepEqual(w.decisions, [["note", "error"], ["note", "approved"]]);
});

Deno.test("decision: a review whose answer was lost is recognised on the retry, not taken for another", async () => {
  const w = world();
  const { id, incidentId } = await w.paged("alice@example.com", [{ approve: 2, deny: 1 }]);
  w.schedule(id, { incidentId });
  w.auth.calls.intercept("submitReview", { kind: "lose_answer" });
  await assert.rejects(w.wake(id), TeleportError);
  assert.equal(w.request(id)!.reviews.length, 1, "the review landed");
  await w.wake(id, 2);
  assert.equal(w.request(id)!.reviews.length, 1);
  assert.deepEqual(w.decisionNotes(incidentId), [
    `Carol Chen (carol@example.com) approved the access request with a /approve note on incident ${incidentId}. Teleport recorded the review; the request needs more approvals in Teleport before it is approved.`,
  ]);
  assert.deepEqual(w.decisions, [["note", "error"], ["note", "approved"]]);
});

Deno.test("decision: PagerDuty failing mid-decision is retried; a note whose answer was lost is not repeated", async () => {
  const w = world();
  const { id, incidentId } = await w.paged();
  const job = w.schedule(id, { incidentId });
  w.pagerduty.calls.intercept("listOnCalls", {
    kind: "fail",
    error: new PagerDutyError("PagerDuty answered 503", { status: 503, operation: "GET /oncalls" }),
  });
  await assert.rejects(w.wake(id), PagerDutyError);
  assert.equal(w.request(id)!.state, "PENDING");
  w.pagerduty.calls.intercept("addNote", { kind: "lose_answer" });
  await assert.rejects(w.wake(id, 2), PagerDutyError);
  assert.equal(w.request(id)!.state, "APPROVED");
  assert.equal(w.record(id).scheduled.length, 1, "not finished before its note is recorded");
  await w.wake(id, 3);
  assert.equal(w.decisionNotes(incidentId).length, 1);
  assert.deepEqual(w.record(id).jobsDone, [job.id]);
  assert.deepEqual(w.decisions, [["note", "error"], ["note", "approved"]]);
});

Deno.test("decision: a review Teleport refuses for good is noted once and not retried", async () => {
  const w = world();
  const { id, incidentId } = await w.paged();
  w.schedule(id, { incidentId });
  w.auth.calls.intercept("submitReview", {
    kind: "fail",
    error: new TeleportError(
      "permission_denied",
      'access denied to perform action "review" on access_request',
    ),
  });
  await w.wake(id);
  assert.equal(w.request(id)!.state, "PENDING");
  assert.deepEqual(w.notes(incidentId), [
    "The /approve note was not carried out: Teleport refused the service's review (access denied to perform action \"review\" on access_request). An administrator must let the service's Teleport role review this request (review_requests), or someone must decide in Teleport.",
  ]);
  assert.deepEqual(w.decisions, [["note", "review_refused"]]);
  assert.deepEqual(w.record(id).scheduled, []);
});

Deno.test("decision: allow-lists replace the on-call rule, and levels restrict it", async (t) => {
  await t.step("an allow-listed email decides without being on call", async () => {
    const w = world({ policy: { approverEmails: ["ERIN@example.com"] } });
    const { id, incidentId } = await w.paged();
    w.schedule(id, { incidentId, agent: { id: w.erin.id, name: "Erin" } });
    await w.wake(id);
    assert.equal(w.request(id)!.state, "APPROVED");
    assert.match(
      w.request(id)!.reviews[0].reason,
      /who is listed in pagerduty\.reviews\.approver_emails/,
    );
    assert.equal(w.pagerduty.calls.count("listOnCalls"), 0, "on-call is not asked");
  });
  await t.step(
    "a team member decides; the on-call responder outside the lists does not",
    async () => {
      const w = world({ policy: { approverTeams: ["PTEAM1"] } });
      w.account.addTeamMember(w.erin.id, "PTEAM1");
      const { id, incidentId } = await w.paged("alice@example.com", [{ approve: 2, deny: 1 }]);
      w.schedule(id, { incidentId });
      w.schedule(id, { incidentId, agent: { id: w.erin.id, name: "Erin" } });
      await w.wake(id);
      const notes = w.decisionNotes(incidentId);
      assert.match(
        notes[0],
        /Carol Chen .* is neither listed in pagerduty\.reviews\.approver_emails nor a member/,
      );
      assert.match(notes[1], /^Erin Evans \(erin@example\.com\) approved/);
      assert.deepEqual(w.decisions, [["note", "not_allowed"], ["note", "approved"]]);
    },
  );
  await t.step("level 2 is refused when only level 1 may decide", async () => {
    const w = world({ policy: { approverEscalationLevels: [1] } });
    const { id, incidentId } = await w.paged();
    w.schedule(id, { incidentId, agent: { id: w.dave.id, name: "Dave" } });
    await w.wake(id);
    assert.equal(w.request(id)!.state, "PENDING");
    assert.match(
      w.notes(incidentId)[0],
      /is on call only at escalation level 2\. Rule: pagerduty\.reviews\.approver_escalation_levels allows level 1\./,
    );
  });
});

Deno.test("decision: a requester without a known email cannot be decided for; traits are read when configured", async () => {
  const w = world({ emailTrait: "email" });
  w.store.putUser({
    name: "carol",
    roles: ["dev"],
    traits: { email: ["carol@example.com"] },
    permissions: {},
  });
  const own = await w.paged("carol");
  w.schedule(own.id, { incidentId: own.incidentId });
  const unknown = await w.paged("mallory");
  w.schedule(unknown.id, { incidentId: unknown.incidentId });
  await w.wake(own.id);
  await w.wake(unknown.id);
  assert.match(w.notes(own.incidentId)[0], /made this access request/);
  assert.match(w.notes(unknown.incidentId)[0], /the requester mallory has no known email/);
  assert.equal(w.request(own.id)!.state, "PENDING");
  assert.equal(w.request(unknown.id)!.state, "PENDING");
});

Deno.test("decision: two replicas at once carry a decision out once", async () => {
  const w = world();
  const { id, incidentId } = await w.paged();
  w.schedule(id, { incidentId });
  const b = w.instance("instance-b");
  await Promise.allSettled([w.wake(id), w.wake(id, 1, b)]);
  // Whoever was turned away retries after the lease; the job is gone by then.
  w.advance(LEASE_MS + 1);
  await w.wake(id, 2, b);
  await w.wake(id, 2);
  assert.equal(w.request(id)!.reviews.length, 1);
  assert.equal(w.decisionNotes(incidentId).length, 1);
  assert.equal(w.auth.calls.count("submitReview"), 1);
});

Deno.test("decision: job data it cannot read is dropped without a review or a note", async () => {
  const w = world();
  const { id, incidentId } = await w.paged();
  w.writeRecord(id, (r) => ({
    ...r,
    scheduled: [{
      id: "v3:odd",
      kind: DECISION_JOB,
      dueAt: 0,
      data: { path: "note", decision: "approve", incident: "../../etc" },
    }],
  }));
  await w.wake(id);
  assert.equal(w.request(id)!.state, "PENDING");
  assert.deepEqual(w.notes(incidentId), []);
  assert.deepEqual(w.record(id).jobsDone, ["v3:odd"]);
});

Deno.test("decision job data: round trip, hostile values refused, long texts clipped", () => {
  const command: ResponderCommand = {
    path: "workflow",
    decision: "deny",
    reason: "",
    incidentId: "Q1ABC",
    agent: { id: "PUSER1", name: "Carol" },
    via: "Deny access request",
    workflowId: "PWF1",
  };
  assert.deepEqual(commandFromJobData(commandJobData(command)), command);
  const note = {
    ...command,
    path: "note" as const,
    reason: "x".repeat(5_000),
    workflowId: undefined,
  };
  const { workflowId: _, ...noWorkflow } = note;
  const back = commandFromJobData(commandJobData(noWorkflow));
  assert.equal(back?.reason.length, 1_000);
  assert.equal(back?.agent?.id, "PUSER1");
  const data = commandJobData(command);
  const odds: Array<Record<string, string>> = [
    { ...data, path: "email" },
    { ...data, decision: "maybe" },
    { ...data, incident: "" },
    { ...data, incident: "Q1,ABC" },
    { ...data, agent_id: "P USER" },
    { ...data, workflow_id: "x/y" },
    { path: "workflow", decision: "approve", incident: "Q1" },
    {},
  ];
  for (const odd of odds) {
    assert.equal(commandFromJobData(odd), undefined, JSON.stringify(odd));
  }
});

Deno.test("decision notice codes are valid notice codes, stable per job, and pruned once finished", () => {
  const code = decisionNoticeCode("v3:01JZ-ABC:def");
  assert.match(code, NOTICE_CODE);
  assert.equal(code, decisionNoticeCode("v3:01JZ-ABC:def"));
  assert.notEqual(code, decisionNoticeCode("v3:01JZ-ABC:deg"));
  const waiting: ScheduledJob = { id: "v3:w", kind: DECISION_JOB, dueAt: 0, data: {} };
  const record = decodeRecord({});
  const withNotices = {
    ...record,
    scheduled: [waiting],
    notices: ["permission.teleport", decisionNoticeCode("v3:w"), decisionNoticeCode("v3:done")],
  };
  assert.deepEqual(withoutFinishedDecisionNotices(withNotices).notices, [
    "permission.teleport",
    decisionNoticeCode("v3:w"),
  ]);
  const clean = { ...withNotices, notices: ["permission.teleport"] };
  assert.equal(withoutFinishedDecisionNotices(clean), clean, "unchanged when nothing to prune");
});
