/**
 * The words of decisions made from PagerDuty: the reason of the review submitted to Teleport
 * (who decided in PagerDuty, their email, the path they used, their own words) and every note
 * written back on the incident (decided, more approvals needed, refused and why). Pure; every
 * text from PagerDuty or Teleport is put on one line and clipped, so a hostile name or note
 * cannot forge extra lines or grow a note without bound.
 *
 * @module
 */

import type { RequestState } from "../teleport/types.ts";
import type { ResponderCommand } from "./responder_commands.ts";
import type { DecisionRefusal, Grounds, RefusalContext } from "./responder_policy.ts";

/** The responder's reason is cut to this many characters in the review. */
const MAX_REASON = 1_000;
/** Names, emails and IDs from PagerDuty are cut to this many characters. */
const MAX_NAME = 200;

/** "Alice Example (alice@example.com)". */
export function approverText(approver: { name: string; email: string }): string {
  const name = field(approver.name);
  const email = field(approver.email);
  return name === "" || name === email ? email : `${name} (${email})`;
}

/** How the decision was made, e.g. `with an /approve note on incident Q1ABC`. */
export function pathText(command: ResponderCommand): string {
  const incident = `on incident ${field(command.incidentId)}`;
  switch (command.path) {
    case "note":
      return `with a /${command.decision} note ${incident}`;
    case "workflow":
      return `by running the workflow ${quoted(command.via, command.workflowId ?? "")} ${incident}`;
    case "action":
      return `with the Custom Incident Action ${
        quoted(command.via, command.decision === "approve" ? "Approve" : "Deny")
      } ${incident}`;
  }
}

/** What was asked, as the note on the incident names it, e.g. `The /approve note`. */
export function askedText(command: ResponderCommand): string {
  switch (command.path) {
    case "note":
      return `The /${command.decision} note`;
    case "workflow":
      return `The workflow ${quoted(command.via, command.workflowId ?? "")}`;
    case "action":
      return `The Custom Incident Action ${
        quoted(command.via, command.decision === "approve" ? "Approve" : "Deny")
      }`;
  }
}

/** Why the approver may decide, e.g. `who is on call at escalation level 1 in service Ops`. */
export function groundsText(grounds: Grounds): string {
  switch (grounds.kind) {
    case "on_call":
      return `who is on call at escalation level ${grounds.escalationLevel} in service ${
        field(grounds.serviceName)
      }`;
    case "approver_email":
      return "who is listed in pagerduty.reviews.approver_emails";
    case "approver_team":
      return `who is a member of team ${field(grounds.teamId)} (pagerduty.reviews.approver_teams)`;
  }
}

/**
 * The reason of the review submitted to Teleport, e.g. `Approved in PagerDuty by Alice Example
 * (alice@example.com) with an /approve note on incident Q1ABC, who is on call at escalation
 * level 1 in service Access Requests. Reason: checked the ticket`.
 */
export function decisionReviewReason(
  command: ResponderCommand,
  approver: { name: string; email: string },
  grounds: Grounds,
): string {
  const verb = command.decision === "approve" ? "Approved" : "Denied";
  const reason = clip(oneLine(command.reason), MAX_REASON);
  return `${verb} in PagerDuty by ${approverText(approver)} ${pathText(command)}, ${
    groundsText(grounds)
  }.${reason === "" ? "" : ` Reason: ${reason}`}`;
}

/**
 * The note written back once Teleport took the review: decided, or recorded while the request
 * needs more reviews (thresholds) in Teleport.
 */
export function decidedNote(
  command: ResponderCommand,
  approver: { name: string; email: string },
  stateAfter: RequestState,
): string {
  const who = approverText(approver);
  const decided = command.decision === "approve" ? "approved" : "denied";
  if (stateAfter === "PENDING") {
    const more = command.decision === "approve" ? "approvals" : "denials";
    return `${who} ${decided} the access request ${
      pathText(command)
    }. Teleport recorded the review; the request needs more ${more} in Teleport before it is ${decided}.`;
  }
  return `${who} ${decided} the access request ${pathText(command)}. Teleport ${
    stateAfter === "APPROVED" ? "granted" : stateAfter === "DENIED" ? "denied" : "resolved"
  } the request.`;
}

/** The note for a refused decision: what was asked, by whom, and the rule that stopped it. */
export function refusalNote(
  reason: DecisionRefusal,
  context: RefusalContext & { command: ResponderCommand; requestId: string; link?: string },
): string {
  const { command } = context;
  const who = context.approver === undefined ? "This user" : approverText(context.approver);
  const state = context.request?.state.toLowerCase() ?? "";
  const why: Record<DecisionRefusal, () => string> = {
    unknown_request: () =>
      `access request ${
        field(context.requestId)
      } does not exist in Teleport any more (it expired or was deleted).`,
    no_agent: () =>
      "PagerDuty did not say which user did it (it came from automation or an API key), so " +
      "nobody could be checked. Rule: a PagerDuty user must act.",
    unknown_agent: () =>
      `PagerDuty user ${
        field(command.agent?.id ?? "")
      } could not be looked up, so they could not be checked. Rule: the acting user must exist in PagerDuty.`,
    requester_email_unknown: () =>
      `the requester ${
        field(context.request?.user ?? "")
      } has no known email (the Teleport username is not an email and ` +
      "pagerduty.auto_approval.email_trait gives none), so the service cannot rule out that " +
      "they are deciding their own request. Rule: nobody decides their own request.",
    own_request: () =>
      `${who} made this access request. Rule: nobody decides their own request; another ` +
      "responder must.",
    not_on_call: () =>
      `${who} is not on call now in the escalation policy of ${
        context.service === undefined
          ? "the incident's service"
          : `service ${field(context.service.name)}`
      }. Rule: only responders on call for the incident's service may decide.`,
    level_not_allowed: () =>
      `${who} is on call only at escalation level ${
        (context.levels ?? []).join(", ")
      }. Rule: pagerduty.reviews.approver_escalation_levels allows level ${
        (context.allowedLevels ?? []).join(", ")
      }.`,
    not_allowed: () =>
      `${who} is neither listed in pagerduty.reviews.approver_emails nor a member of a team in ` +
      "pagerduty.reviews.approver_teams. Rule: only those approvers may decide.",
    not_pending: () =>
      `the access request is already ${state}. Rule: only pending requests can be decided.`,
    already_reviewed: () =>
      "this service has already submitted a review of the request, and Teleport counts one " +
      "review per author. Another reviewer must decide in Teleport" +
      (context.link === undefined ? "." : `: ${context.link}`),
  };
  return `${askedText(command)} was not carried out: ${why[reason]()}`;
}

/** How a failed review submission ends, from Teleport's error. */
export interface ReviewFailure {
  /** Try again later (the intent stays); no note yet. */
  readonly retry: boolean;
  /** The refusal, when Teleport's answer is final. */
  readonly refusal?: DecisionRefusal | "review_refused";
}

/**
 * Maps Teleport's answer to a failed `SubmitAccessReview` (see docs/teleport-wire.md §6): one
 * review per author (`already_exists`), a request gone (`not_found`) or already resolved, and
 * other refusals, which an administrator must fix; everything else is transient.
 */
export function reviewFailure(kind: string, message: string): ReviewFailure {
  if (kind === "already_exists") return { retry: false, refusal: "already_reviewed" };
  if (kind === "not_found") return { retry: false, refusal: "unknown_request" };
  if (kind === "permission_denied" && /has been already (approved|denied|promoted)/.test(message)) {
    return { retry: false, refusal: "not_pending" };
  }
  if (kind === "permission_denied" || kind === "invalid_argument" || kind === "unimplemented") {
    return { retry: false, refusal: "review_refused" };
  }
  return { retry: true };
}

/** The note when Teleport refused the service's review for a reason an administrator must fix. */
export function reviewRefusedNote(command: ResponderCommand, teleportMessage: string): string {
  return `${askedText(command)} was not carried out: Teleport refused the service's review (${
    clip(oneLine(teleportMessage), MAX_NAME)
  }). An administrator must let the service's Teleport role review this request ` +
    "(review_requests), or someone must decide in Teleport.";
}

function field(text: string): string {
  return clip(oneLine(text), MAX_NAME);
}

function quoted(name: string, fallback: string): string {
  const text = field(name);
  return JSON.stringify(text === "" ? fallback : text);
}

/** Control characters (line breaks included) become spaces; runs of spaces collapse. */
function oneLine(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ").replace(/ {2,}/g, " ").trim();
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
