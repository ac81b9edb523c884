/**
 * Carrying out a responder's decision from PagerDuty: the scheduled job the webhook sink stored
 * before answering 2xx. The handler reads the job's data back as untrusted input, gathers live
 * facts (the incident, the acting user, their on-call entries), asks `responder_policy.ts` who
 * may decide, submits the review through `reviews.ts` only, and writes the outcome back as one
 * note on the incident, exactly once (a notice code derived from the job ID).
 *
 * A job may run more than once (a crash, a lost answer). Before submitting, the review it is
 * about to submit is written into the job; a later run that finds it looks for that review in
 * Teleport first, so a decision that landed is noted as decided, not as "already reviewed".
 * Transient failures throw (the queue retries the job); final refusals are notes.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { ReviewsConfig } from "../config/types.ts";
import { type OnCall, PagerDutyError, type Service, type User } from "../pagerduty/types.ts";
import { type AccessRequest, TeleportError } from "../teleport/types.ts";
import { isEmail } from "./auto_approval.ts";
import { requestLink } from "./messages.ts";
import { noteNotice } from "./notes.ts";
import { RESPONDER_DECISION_OUTCOMES, type ResponderDecisionOutcome } from "./observer.ts";
import type { RequestRecord, ScheduledJob } from "./plugin_data.ts";
import type { Decision, ResponderCommand, ResponderPath } from "./responder_commands.ts";
import {
  decidedNote,
  refusalNote,
  type ReviewFailure,
  reviewFailure,
  reviewRefusedNote,
} from "./responder_messages.ts";
import { authorizeDecision, type DecisionPolicy } from "./responder_policy.ts";
import { submitServiceReview } from "./reviews.ts";
import { keep, type RequestRun, write } from "./run.ts";
import type { JobHandler, JobResult } from "./scheduled.ts";

/** The kind of the scheduled job that carries out a responder's decision. */
export const DECISION_JOB = "responder_decision";

/** The responder's words are kept up to this many characters (the review quotes fewer). */
const MAX_STORED_REASON = 1_000;
/** Names from PagerDuty are kept up to this many characters. */
const MAX_STORED_NAME = 200;
/** PagerDuty object IDs, as the webhook parser accepts them. */
const PAGERDUTY_ID = /^[A-Za-z0-9]{1,64}$/;
/** Notice codes of decision notes: the prefix, then a digest of the job ID. */
const NOTICE_PREFIX = "decision.";

const PATHS: readonly ResponderPath[] = ["note", "workflow", "action"];
const DECISIONS: readonly Decision[] = ["approve", "deny"];

/** The job data of a command, as the sink stores it. */
export function commandJobData(command: ResponderCommand): Record<string, string> {
  const data: Record<string, string> = {
    path: command.path,
    decision: command.decision,
    incident: command.incidentId,
    reason: command.reason.slice(0, MAX_STORED_REASON),
    via: command.via.slice(0, MAX_STORED_NAME),
  };
  if (command.agent !== undefined) {
    data.agent_id = command.agent.id;
    data.agent_name = command.agent.name.slice(0, MAX_STORED_NAME);
  }
  if (command.workflowId !== undefined) data.workflow_id = command.workflowId;
  return data;
}

/** The command in a job's data, or undefined when the data is not one the sink wrote. */
export function commandFromJobData(
  data: Readonly<Record<string, string>>,
): ResponderCommand | undefined {
  const path = PATHS.find((p) => p === data.path);
  const decision = DECISIONS.find((d) => d === data.decision);
  if (path === undefined || decision === undefined) return undefined;
  if (!PAGERDUTY_ID.test(data.incident ?? "")) return undefined;
  const agentId = data.agent_id;
  if (agentId !== undefined && !PAGERDUTY_ID.test(agentId)) return undefined;
  const workflowId = data.workflow_id;
  if (workflowId !== undefined && !PAGERDUTY_ID.test(workflowId)) return undefined;
  if (path === "workflow" && workflowId === undefined) return undefined;
  return {
    path,
    decision,
    incidentId: data.incident,
    reason: (data.reason ?? "").slice(0, MAX_STORED_REASON),
    agent: agentId === undefined
      ? undefined
      : { id: agentId, name: (data.agent_name ?? "").slice(0, MAX_STORED_NAME) },
    via: (data.via ?? "").slice(0, MAX_STORED_NAME),
    ...(workflowId === undefined ? {} : { workflowId }),
  };
}

/** The notice code of a job's note: the same for every run of the job, so it is posted once. */
export function decisionNoticeCode(jobId: string): string {
  return NOTICE_PREFIX + createHash("sha256").update(jobId).digest("hex").slice(0, 40);
}

/**
 * The record without the notice codes of decision jobs that are finished: a finished job never
 * runs again, so its code is not needed, and the record stays small however many decisions a
 * request gets. Pure.
 */
export function withoutFinishedDecisionNotices(record: RequestRecord): RequestRecord {
  const waiting = new Set(
    record.scheduled.filter((j) => j.kind === DECISION_JOB).map((j) => decisionNoticeCode(j.id)),
  );
  const notices = record.notices.filter((code) =>
    !code.startsWith(NOTICE_PREFIX) || waiting.has(code)
  );
  return notices.length === record.notices.length ? record : { ...record, notices };
}

/** The review a run is about to submit, kept in the job so a later run can recognise it. */
interface SubmittedMarker {
  readonly reason: string;
  readonly approver: { readonly name: string; readonly email: string };
}

function markerOf(data: Readonly<Record<string, string>>): SubmittedMarker | undefined {
  if (!data.review) return undefined;
  return {
    reason: data.review,
    approver: { name: data.approver_name ?? "", email: data.approver_email ?? "" },
  };
}

/** Pure change writing `marker` into the job with `jobId` (nothing when the job is gone). */
function withSubmittedMarker(
  current: RequestRecord,
  jobId: string,
  marker: SubmittedMarker,
): RequestRecord {
  return {
    ...current,
    scheduled: current.scheduled.map((job) =>
      job.id !== jobId ? job : {
        ...job,
        data: {
          ...job.data,
          review: marker.reason,
          approver_name: marker.approver.name,
          approver_email: marker.approver.email,
        },
      }
    ),
  };
}

/** What the decision handler needs beyond the run's dependencies. */
export interface DecisionHandlerOptions {
  /** The policy part of `[pagerduty.reviews]`. */
  readonly reviews: Pick<
    ReviewsConfig,
    "approverEscalationLevels" | "approverEmails" | "approverTeams"
  >;
  /** `pagerduty.user_email`: the service's own PagerDuty user. */
  readonly serviceUserEmail: string;
  /** The service's own PagerDuty user ID, when it can be found. */
  readonly serviceUserId: () => Promise<string | undefined>;
}

const DONE: JobResult = { kind: "done" };

/** Longest note text read back from a job. */
const MAX_STORED_NOTE = 10_000;

/** The outcomes a stored decision may carry (an `error` is never stored). */
const OUTCOMES: ReadonlySet<string> = new Set(
  RESPONDER_DECISION_OUTCOMES.filter((outcome) => outcome !== "error"),
);

/** What a decision came to, once settled: the note to write and the metric label. */
interface Settled {
  readonly outcome: ResponderDecisionOutcome;
  readonly note: string;
}

/** The settled outcome an earlier run stored in the job, if any. */
function settledOf(data: Readonly<Record<string, string>>): Settled | undefined {
  const { outcome, note } = data;
  if (outcome === undefined || !OUTCOMES.has(outcome) || !note) return undefined;
  if (note.length > MAX_STORED_NOTE) return undefined;
  return { outcome: outcome as ResponderDecisionOutcome, note };
}

/** Pure change storing the settled outcome in the job with `jobId`. */
function withSettled(
  current: RequestRecord,
  jobId: string,
  settled: Settled,
): RequestRecord {
  return {
    ...current,
    scheduled: current.scheduled.map((job) =>
      job.id !== jobId
        ? job
        : { ...job, data: { ...job.data, outcome: settled.outcome, note: settled.note } }
    ),
  };
}

/**
 * The handler of {@linkcode DECISION_JOB} jobs. A decision is settled once (review submitted or
 * refused) and the outcome stored in the job before its note is posted, so a later run only
 * posts the same note, after checking whether an earlier run already did.
 */
export function decisionJobHandler(options: DecisionHandlerOptions): JobHandler {
  return async (run, job, request) => {
    const command = commandFromJobData(job.data);
    if (command === undefined) {
      run.log.warn(
        "Scheduled decision {job} has data this version cannot read; it is dropped without a review",
        { job: job.id },
      );
      return DONE;
    }
    // Held before reading the job again: another replica may have carried it out meanwhile.
    await run.hold();
    const current = run.record.scheduled.find((j) => j.id === job.id);
    if (current === undefined) return DONE;
    await run.change((record) => {
      const pruned = withoutFinishedDecisionNotices(record);
      return pruned === record ? keep(undefined) : write(pruned, undefined);
    });
    const earlier = settledOf(current.data);
    if (earlier !== undefined) {
      await postDecisionNote(run, job.id, command, earlier.note, { lookFirst: true });
      return DONE;
    }
    const observer = run.deps.observer;
    let carried: Carried;
    try {
      carried = await carryOut(run, current, command, request, options);
    } catch (error) {
      observer.responderDecision(command.path, "error");
      throw error;
    }
    if (carried.kind === "ignored") {
      run.log.info("PagerDuty {path} decision on incident {incident} ignored: {detail}", {
        path: command.path,
        incident: command.incidentId,
        detail: carried.detail,
      });
      return DONE;
    }
    const settled: Settled = { outcome: carried.outcome, note: carried.note };
    await run.change((record) => write(withSettled(record, job.id, settled), undefined));
    observer.responderDecision(command.path, settled.outcome);
    run.log.info("PagerDuty {path} decision by {agent} on incident {incident}: {outcome}", {
      path: command.path,
      agent: command.agent?.id ?? "nobody",
      incident: command.incidentId,
      outcome: settled.outcome,
    });
    await postDecisionNote(run, job.id, command, settled.note, { lookFirst: false });
    return DONE;
  };
}

/**
 * Posts the decision's note once. A run that finds the outcome stored by an earlier one looks
 * at the incident's notes first: the earlier run may have posted it before it stopped, and its
 * posting marker may since have been replaced by another note's. An incident PagerDuty no
 * longer has gets no note.
 */
async function postDecisionNote(
  run: RequestRun,
  jobId: string,
  command: ResponderCommand,
  note: string,
  options: { lookFirst: boolean },
): Promise<void> {
  const code = decisionNoticeCode(jobId);
  if (run.record.notices.includes(code)) return;
  try {
    if (options.lookFirst) {
      const notes = await run.deps.pagerduty.listNotes(command.incidentId);
      if (notes.some((n) => n.content === note)) {
        await run.change((record) =>
          write({ ...record, notices: [...new Set([...record.notices, code])] }, undefined)
        );
        return;
      }
    }
    await noteNotice(run, code, note, [command.incidentId]);
  } catch (error) {
    if (!(error instanceof PagerDutyError && error.status === 404)) throw error;
    run.log.info("Incident {incident} no longer exists; the decision's note is not written", {
      incident: command.incidentId,
    });
  }
}

/** What came of a decision: a note to write with its metric label, or nothing to say. */
type Carried =
  | ({ readonly kind: "noted" } & Settled)
  | { readonly kind: "ignored"; readonly detail: string };

async function carryOut(
  run: RequestRun,
  job: ScheduledJob,
  command: ResponderCommand,
  request: AccessRequest | undefined,
  options: DecisionHandlerOptions,
): Promise<Carried> {
  const { auth, pagerduty, selfUser } = run.deps;
  const earlier = markerOf(job.data);
  // An earlier run submitted this review and stopped before the note: say what it did.
  if (earlier !== undefined && ownReview(request, selfUser, earlier.reason)) {
    return decided(command, earlier.approver, request!.state);
  }
  const incident = await orUndefinedWhenGone(pagerduty.getIncident(command.incidentId));
  if (incident === undefined) {
    return { kind: "ignored", detail: `incident ${command.incidentId} no longer exists` };
  }
  const policy = await policyOf(run, options);
  const facts = await gatherFacts(run, command, incident, request, options);
  const verdict = authorizeDecision({
    command,
    incident: { id: incident.id, serviceId: incident.serviceId, incidentKey: incident.incidentKey },
    request,
    record: run.record,
    ...facts,
    now: new Date(run.deps.clock()),
  }, policy);
  if (verdict.kind === "ignore") return { kind: "ignored", detail: verdict.detail };
  if (verdict.kind === "refuse") {
    return { kind: "noted", outcome: verdict.reason, note: verdict.note };
  }
  const marker: SubmittedMarker = { reason: verdict.reviewReason, approver: verdict.approver };
  await run.change((record) => write(withSubmittedMarker(record, job.id, marker), undefined));
  const refusal = (
    reason: "already_reviewed" | "not_pending" | "unknown_request",
    current: AccessRequest | undefined,
  ): Carried => ({
    kind: "noted",
    outcome: reason,
    note: refusalNote(reason, {
      command,
      requestId: verdict.requestId,
      link: policy.proxyAddr === undefined
        ? undefined
        : requestLink(policy.proxyAddr, verdict.requestId),
      approver: verdict.approver,
      request: current,
    }),
  });
  let submitted;
  try {
    submitted = await submitServiceReview(auth, selfUser, verdict.requestId, {
      decision: verdict.proposedState,
      reason: verdict.reviewReason,
    });
  } catch (error) {
    const failure: ReviewFailure = error instanceof TeleportError
      ? reviewFailure(error.kind, error.message)
      : { retry: true };
    if (failure.retry) throw error;
    run.log.error(
      "Teleport refused the service's review of a decision made in PagerDuty; the service's role needs review_requests for this request: {error}",
      { error: (error as Error).message },
    );
    return {
      kind: "noted",
      outcome: "review_refused",
      note: reviewRefusedNote(command, (error as Error).message),
    };
  }
  switch (submitted.kind) {
    case "submitted":
      return decided(command, verdict.approver, submitted.state);
    case "not_found":
      return refusal("unknown_request", undefined);
    case "already_reviewed":
    case "not_pending": {
      const now = await auth.getAccessRequest(verdict.requestId);
      // A review this job submitted before a lost answer is this decision, not another one.
      if (earlier !== undefined && ownReview(now, selfUser, earlier.reason)) {
        return decided(command, earlier.approver, now!.state);
      }
      if (now === undefined) return refusal("unknown_request", undefined);
      return refusal(submitted.kind, now);
    }
  }
}

function decided(
  command: ResponderCommand,
  approver: { name: string; email: string },
  state: AccessRequest["state"],
): Carried {
  return {
    kind: "noted",
    outcome: command.decision === "approve" ? "approved" : "denied",
    note: decidedNote(command, approver, state),
  };
}

/** Whether the service's own review with exactly `reason` is on the request. */
function ownReview(
  request: AccessRequest | undefined,
  selfUser: string,
  reason: string,
): boolean {
  return request?.reviews.some((r) => r.author === selfUser && r.reason === reason) ?? false;
}

async function policyOf(run: RequestRun, options: DecisionHandlerOptions): Promise<DecisionPolicy> {
  const proxyAddr = run.deps.proxyAddr();
  return {
    reviews: options.reviews,
    emailTrait: run.deps.autoApproval.emailTrait,
    teleportUser: run.deps.selfUser,
    serviceUser: { id: await options.serviceUserId(), email: options.serviceUserEmail },
    proxyAddr: proxyAddr === "" ? undefined : proxyAddr,
  };
}

/**
 * The live facts the policy reads. Looked up only as far as they can matter: nothing about the
 * user without a request and a user, no on-call entries when the allow-lists replace them.
 */
async function gatherFacts(
  run: RequestRun,
  command: ResponderCommand,
  incident: { readonly serviceId: string },
  request: AccessRequest | undefined,
  options: DecisionHandlerOptions,
): Promise<{
  agentUser: User | undefined;
  service: Service | undefined;
  agentOnCalls: readonly OnCall[];
  requesterTraits: Readonly<Record<string, readonly string[]>> | undefined;
}> {
  const none = {
    agentUser: undefined,
    service: undefined,
    agentOnCalls: [],
    requesterTraits: undefined,
  };
  const agent = command.agent;
  if (request === undefined || agent === undefined) return none;
  const { pagerduty } = run.deps;
  const agentUser = await orUndefinedWhenGone(pagerduty.getUser(agent.id));
  if (agentUser === undefined) return none;
  const requesterTraits = await traitsOf(run, request.user);
  const { approverEmails, approverTeams } = options.reviews;
  if (approverEmails.length > 0 || approverTeams.length > 0) {
    return { ...none, agentUser, requesterTraits };
  }
  const service = await orUndefinedWhenGone(pagerduty.getService(incident.serviceId));
  // A service PagerDuty shows without an escalation policy has nobody on call for it.
  const policyId = service?.escalationPolicyId;
  const agentOnCalls = policyId === undefined
    ? []
    : await pagerduty.listOnCalls({ userId: agentUser.id, escalationPolicyIds: [policyId] });
  return { agentUser, service, agentOnCalls, requesterTraits };
}

/**
 * The requester's traits, read only when the username is not an email and a trait is
 * configured. A user Teleport does not have, or may not show, has none: the policy then
 * refuses, since it cannot rule out a self-approval.
 */
async function traitsOf(
  run: RequestRun,
  username: string,
): Promise<Readonly<Record<string, readonly string[]>> | undefined> {
  const trait = run.deps.autoApproval.emailTrait;
  if (isEmail(username) || !trait) return undefined;
  try {
    return (await run.deps.auth.getUser(username)).traits;
  } catch (error) {
    if (
      error instanceof TeleportError &&
      (error.kind === "not_found" || error.kind === "permission_denied")
    ) {
      run.log.warn("Cannot read Teleport user {user} for their email trait: {error}", {
        user: username,
        error: error.message,
      });
      return undefined;
    }
    throw error;
  }
}

/** The answer, or undefined when PagerDuty says the object does not exist. */
async function orUndefinedWhenGone<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof PagerDutyError && error.status === 404) return undefined;
    throw error;
  }
}
