/**
 * Auto-approval: looks the requester up in PagerDuty, asks who is on call, judges with the pure
 * rules of `auto_approval.ts`, and submits the approval through the review room. Tried once per
 * request, as the Go plugin does: a refusal is recorded and final; only errors are retried.
 *
 * With `end_with_shift`, the approval also plans its end: a `shift_end` job due when the
 * qualifying on-call ends (`shift_end.ts`), written before the review is submitted, so no
 * approval is ever granted without the plan that ends it (a plan whose review never landed ends
 * nothing: `end_access.ts` checks the approval is on the request).
 *
 * @module
 */

import type { OnCall, Service, User } from "../pagerduty/types.ts";
import { type AccessRequest, TeleportError } from "../teleport/types.ts";
import { shiftReasonSuffix } from "./access_end_messages.ts";
import { shiftEndJob } from "./access_end_jobs.ts";
import {
  isEmail,
  judgeOnCalls,
  qualifyingOnCalls,
  requesterEmail,
  rolesAllowed,
  singleUser,
  type Verdict,
} from "./auto_approval.ts";
import { autoApprovalReason } from "./messages.ts";
import type { AutoApprovalRecord } from "./plugin_data.ts";
import { submitServiceReview } from "./reviews.ts";
import { namesFromAnnotation, namesOverCap } from "./routing.ts";
import { findServices, logOverCap } from "./open_incidents.ts";
import { keep, type RequestRun, write } from "./run.ts";
import { addJob } from "./scheduled.ts";
import { planAtApproval, type ShiftPlan } from "./shift_end.ts";

/** A refusal of the requester before any on-call entry is looked at. */
export type Refusal = Verdict & { approve: false };

/** What the on-call look-up found. */
export interface OnCallJudgement {
  readonly verdict: Verdict;
  /** The requester in PagerDuty, once found. */
  readonly who?: User;
  /** The on-call entries the verdict approves on (empty on a refusal). */
  readonly qualifying: readonly OnCall[];
}

/** Judges the request and approves it when the requester is on call. */
export async function autoApprove(run: RequestRun, request: AccessRequest): Promise<void> {
  const { observer } = run.deps;
  let judged: OnCallJudgement;
  try {
    judged = await judgeOnCall(run, request);
  } catch (error) {
    observer.autoApproval("error");
    throw error;
  }
  const { verdict, who, qualifying } = judged;
  if (!verdict.approve) {
    observer.autoApproval(verdict.reason);
    run.log.info("Not auto-approved: {detail}", { detail: verdict.detail, reason: verdict.reason });
    await settle(run, "not_eligible");
    return;
  }
  let plan: ShiftPlan | undefined;
  if (run.deps.accessEnd.endWithShift) {
    plan = planAtApproval(qualifying, request.accessExpires, new Date(run.deps.clock()));
    if (plan.kind === "lock") {
      observer.autoApproval("shift_over");
      run.log.info("Not auto-approved: {detail} by this host's clock", { detail: plan.detail });
      await settle(run, "not_eligible");
      return;
    }
    if (plan.kind === "check_at") {
      const job = shiftEndJob(plan.due, plan.shiftEnd);
      await run.change((current) => addJob(current, job));
    }
  }
  const reason = autoApprovalReason(who!, verdict.matches) + (plan ? shiftReasonSuffix(plan) : "");
  let outcome;
  try {
    outcome = await submitServiceReview(run.deps.auth, run.deps.selfUser, request.id, {
      decision: "APPROVED",
      reason,
    });
  } catch (error) {
    observer.autoApproval("error");
    throw error;
  }
  observer.autoApproval(outcome.kind === "submitted" ? "approved" : "already_reviewed");
  run.log.info("Auto-approved: {reason}", { reason, outcome: outcome.kind });
  await settle(run, "approved");
}

function settle(run: RequestRun, result: Exclude<AutoApprovalRecord, "">): Promise<void> {
  return run.change((current) =>
    current.autoApproval === result
      ? keep(undefined)
      : write({ ...current, autoApproval: result }, undefined)
  );
}

/**
 * Runs the on-call checks in order, stopping at the first refusal: the requester, the services
 * of the services annotation, and the on-call entries now, or at the instant `at`.
 */
export async function judgeOnCall(
  run: RequestRun,
  request: AccessRequest,
  at?: Date,
): Promise<OnCallJudgement> {
  const { autoApproval: config, pagerduty } = run.deps;
  const found = await eligibleRequester(run, request);
  if ("refusal" in found) return { verdict: found.refusal, qualifying: [] };
  const user = found.user;
  const names = namesFromAnnotation(request, run.deps.servicesAnnotation);
  const omitted = namesOverCap(request, run.deps.servicesAnnotation);
  if (omitted > 0) logOverCap(run.log, "checked for on-call responders", omitted);
  const services: Service[] = await findServices(run, names, run.log);
  const policyIds = [
    ...new Set(
      services.flatMap((s) => s.escalationPolicyId === undefined ? [] : [s.escalationPolicyId]),
    ),
  ];
  const onCalls = policyIds.length === 0 ? [] : await pagerduty.listOnCalls({
    userId: user.id,
    escalationPolicyIds: policyIds,
    ...(at === undefined ? {} : { at }),
  });
  return {
    verdict: judgeOnCalls(user.id, services, onCalls, config),
    who: user,
    qualifying: qualifyingOnCalls(user.id, services, onCalls, config),
  };
}

/**
 * The requester's single PagerDuty user, or why the request cannot be approved for them: roles
 * outside `pagerduty.auto_approval.roles`, no usable email, no or several PagerDuty users.
 * Shared by on-call and incident-linked approval.
 */
export async function eligibleRequester(
  run: RequestRun,
  request: AccessRequest,
): Promise<{ user: User } | { refusal: Refusal }> {
  const { autoApproval: config, pagerduty } = run.deps;
  const roles = rolesAllowed(request.roles, config);
  if (!roles.approve) return { refusal: roles };
  let traits: Readonly<Record<string, readonly string[]>> | undefined;
  if (!isEmail(request.user) && config.emailTrait) {
    const read = await readTraits(run, request.user);
    if ("refusal" in read) return read;
    traits = read.traits;
  }
  const email = requesterEmail(request.user, traits, config.emailTrait);
  if ("refusal" in email) return email;
  const user = singleUser(email.email, await pagerduty.findUsersByEmail(email.email));
  if ("approve" in user) return { refusal: user as Refusal };
  return { user };
}

/**
 * The requester's traits; a role that cannot read users is a refusal that retrying cannot fix,
 * so it is said once and recorded rather than retried forever.
 */
async function readTraits(
  run: RequestRun,
  username: string,
): Promise<{ traits: Readonly<Record<string, readonly string[]>> } | { refusal: Refusal }> {
  try {
    return { traits: (await run.deps.auth.getUser(username)).traits };
  } catch (error) {
    if (!(error instanceof TeleportError && error.kind === "permission_denied")) throw error;
    run.log.error(
      "Cannot read Teleport user {user} to find their email in trait {trait}: the plugin's role needs the rule user: [read] ({error})",
      { user: username, trait: run.deps.autoApproval.emailTrait, error: error.message },
    );
    return {
      refusal: {
        approve: false,
        reason: "no_email",
        detail: `the plugin's Teleport role cannot read user ${JSON.stringify(username)} ` +
          "(add the rule user: [read] to it)",
      },
    };
  }
}
