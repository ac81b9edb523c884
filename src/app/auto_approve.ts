/**
 * Auto-approval: looks the requester up in PagerDuty, asks who is on call, judges with the pure
 * rules of `auto_approval.ts`, and submits the approval through the review room. Tried once per
 * request, as the Go plugin does: a refusal is recorded and final; only errors are retried.
 *
 * @module
 */

import type { Service, User } from "../pagerduty/types.ts";
import { type AccessRequest, TeleportError } from "../teleport/types.ts";
import {
  isEmail,
  judgeOnCalls,
  requesterEmail,
  rolesAllowed,
  singleUser,
  type Verdict,
} from "./auto_approval.ts";
import { autoApprovalReason } from "./messages.ts";
import type { AutoApprovalRecord } from "./plugin_data.ts";
import { submitServiceReview } from "./reviews.ts";
import { namesFromAnnotation } from "./routing.ts";
import { findServices } from "./open_incidents.ts";
import { keep, type RequestRun, write } from "./run.ts";

/** Judges the request and approves it when the requester is on call. */
export async function autoApprove(run: RequestRun, request: AccessRequest): Promise<void> {
  const { observer } = run.deps;
  let judged: { verdict: Verdict; who?: User };
  try {
    judged = await judge(run, request);
  } catch (error) {
    observer.autoApproval("error");
    throw error;
  }
  const { verdict, who } = judged;
  if (!verdict.approve) {
    observer.autoApproval(verdict.reason);
    run.log.info("Not auto-approved: {detail}", { detail: verdict.detail, reason: verdict.reason });
    await settle(run, "not_eligible");
    return;
  }
  const reason = autoApprovalReason(who!, verdict.matches);
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

/** Runs the auto-approval checks in order, stopping at the first refusal. */
async function judge(
  run: RequestRun,
  request: AccessRequest,
): Promise<{ verdict: Verdict; who?: User }> {
  const { autoApproval: config, pagerduty } = run.deps;
  const roles = rolesAllowed(request.roles, config);
  if (!roles.approve) return { verdict: roles };
  let traits: Readonly<Record<string, readonly string[]>> | undefined;
  if (!isEmail(request.user) && config.emailTrait) {
    const read = await readTraits(run, request.user);
    if ("refusal" in read) return { verdict: read.refusal };
    traits = read.traits;
  }
  const email = requesterEmail(request.user, traits, config.emailTrait);
  if ("refusal" in email) return { verdict: email.refusal };
  const user = singleUser(email.email, await pagerduty.findUsersByEmail(email.email));
  if ("approve" in user) return { verdict: user };
  const names = namesFromAnnotation(request, run.deps.servicesAnnotation);
  const services: Service[] = await findServices(run, names, run.log);
  const policyIds = [
    ...new Set(
      services.flatMap((s) => s.escalationPolicyId === undefined ? [] : [s.escalationPolicyId]),
    ),
  ];
  const onCalls = policyIds.length === 0
    ? []
    : await pagerduty.listOnCalls({ userId: user.id, escalationPolicyIds: policyIds });
  return { verdict: judgeOnCalls(user.id, services, onCalls, config), who: user };
}

/**
 * The requester's traits; a role that cannot read users is a refusal that retrying cannot fix,
 * so it is said once and recorded rather than retried forever.
 */
async function readTraits(
  run: RequestRun,
  username: string,
): Promise<{ traits: Readonly<Record<string, readonly string[]>> } | { refusal: Verdict }> {
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
