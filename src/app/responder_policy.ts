/**
 * Who may decide an access request from PagerDuty, as one pure function of the facts gathered
 * after a command arrives. The service submits a review only on a positive, explainable answer;
 * every refusal carries the note that tells the responder which rule stopped them.
 *
 * Rules, in order: the incident must be one this service opened for the request; a user must
 * have acted, and not the service's own user; PagerDuty must know that user; nobody decides
 * their own request; the user must be allowed (on call now in the escalation policy of the
 * incident's service at an allowed level, or, when `approver_emails` / `approver_teams` are set,
 * listed there instead); the request must be pending; and the service must not have reviewed
 * it already, because Teleport counts one review per author.
 *
 * @module
 */

import type { ReviewsConfig } from "../config/types.ts";
import type { OnCall, Service, User } from "../pagerduty/types.ts";
import type { AccessRequest } from "../teleport/types.ts";
import { isEmail } from "./auto_approval.ts";
import { sameEmail } from "./email.ts";
import { requestLink } from "./messages.ts";
import type { RequestRecord } from "./plugin_data.ts";
import type { IgnoreReason, ResponderCommand } from "./responder_commands.ts";
import { decisionReviewReason, refusalNote } from "./responder_messages.ts";

/** Every reason a decision is refused; also metric labels. */
export const DECISION_REFUSALS = [
  "unknown_request",
  "no_agent",
  "unknown_agent",
  "own_request",
  "requester_email_unknown",
  "not_on_call",
  "level_not_allowed",
  "not_allowed",
  "not_pending",
  "already_reviewed",
] as const;

/** Why a decision was refused; also the metric label. */
export type DecisionRefusal = (typeof DECISION_REFUSALS)[number];

/** What justified a decision, named in the review reason and the note. */
export type Grounds =
  | {
    readonly kind: "on_call";
    readonly serviceName: string;
    readonly escalationLevel: number;
  }
  | { readonly kind: "approver_email" }
  | { readonly kind: "approver_team"; readonly teamId: string };

/** The outcome of {@link authorizeDecision}. */
export type DecisionVerdict =
  | {
    readonly kind: "decide";
    readonly requestId: string;
    /** The review to submit, as Teleport names the state. */
    readonly proposedState: "APPROVED" | "DENIED";
    /** The review's reason: who decided in PagerDuty, their email, the path, their words. */
    readonly reviewReason: string;
    /** The PagerDuty user who decided. */
    readonly approver: { readonly name: string; readonly email: string };
    readonly grounds: Grounds;
  }
  | {
    readonly kind: "refuse";
    readonly reason: DecisionRefusal;
    /** The note to add to the incident, naming the rule (never a secret). */
    readonly note: string;
  }
  | { readonly kind: "ignore"; readonly reason: IgnoreReason; readonly detail: string };

/** Everything known when a command is judged. */
export interface DecisionFacts {
  readonly command: ResponderCommand;
  /** The incident as PagerDuty has it now (`getIncident`). */
  readonly incident: {
    readonly id: string;
    readonly serviceId: string;
    readonly incidentKey: string;
  };
  /** The request the incident key names, or undefined when Teleport does not have it. */
  readonly request: AccessRequest | undefined;
  /** The service's record on that request (its plugin data; empty when there is none). */
  readonly record: RequestRecord;
  /** The acting user as PagerDuty has them (`getUser`), or undefined when unknown. */
  readonly agentUser: User | undefined;
  /**
   * The incident's service (`getService`), for its escalation policy. Not read when
   * `approver_emails` or `approver_teams` is set: pass undefined and skip the lookup.
   */
  readonly service: Service | undefined;
  /**
   * The acting user's current on-call entries in that escalation policy (`listOnCalls`). Not
   * read when `approver_emails` or `approver_teams` is set: pass [] and skip the lookup.
   */
  readonly agentOnCalls: readonly OnCall[];
  /** The requester's Teleport traits, for the configured email trait; undefined if unknown. */
  readonly requesterTraits: Readonly<Record<string, readonly string[]>> | undefined;
  readonly now: Date;
}

/** The configuration the rules read. */
export interface DecisionPolicy {
  readonly reviews: Pick<
    ReviewsConfig,
    "approverEscalationLevels" | "approverEmails" | "approverTeams"
  >;
  /** `pagerduty.auto_approval.email_trait`: where a requester's email is when the username is not one. */
  readonly emailTrait: string | undefined;
  /** The service's own Teleport user, the author of its reviews. */
  readonly teleportUser: string;
  /** The service's own PagerDuty user (`pagerduty.user_email`, and its ID once known). */
  readonly serviceUser: { readonly id: string | undefined; readonly email: string };
  /** The Proxy's public address, to link the request in notes; undefined leaves links out. */
  readonly proxyAddr?: string;
}

/** The prefix of the incident keys the service (and the Go plugin) opens incidents with. */
const INCIDENT_KEY_PREFIX = "teleport-access-request/";
/** Teleport request IDs are UUIDs; anything else in a key was not written by the service. */
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

/** The access request ID an incident key names, or undefined when the service did not write it. */
export function requestIdFromIncidentKey(incidentKey: string): string | undefined {
  if (!incidentKey.startsWith(INCIDENT_KEY_PREFIX)) return undefined;
  const id = incidentKey.slice(INCIDENT_KEY_PREFIX.length);
  return REQUEST_ID.test(id) ? id : undefined;
}

/**
 * Whether the service opened `incident` for the request of `record`: recorded under its
 * service, or asked for there just before a crash (still `opening`, found again by its key).
 */
export function incidentBelongsToRecord(
  record: RequestRecord,
  incident: { readonly id: string; readonly serviceId: string },
): boolean {
  return Object.values(record.incidents).includes(incident.id) ||
    record.opening.includes(incident.serviceId);
}

/**
 * Every email the requester is known by: the Teleport username when it is an email, and the
 * emails in the configured trait. Empty when none is known.
 */
export function requesterEmails(
  username: string,
  traits: Readonly<Record<string, readonly string[]>> | undefined,
  emailTrait: string | undefined,
): string[] {
  const emails = isEmail(username) ? [username] : [];
  if (emailTrait) {
    for (const value of traits?.[emailTrait] ?? []) {
      if (isEmail(value.trim())) emails.push(value.trim());
    }
  }
  return emails;
}

/** Judges a command against the facts: decide, refuse (with the note to write), or ignore. */
export function authorizeDecision(facts: DecisionFacts, policy: DecisionPolicy): DecisionVerdict {
  const { command, incident, request } = facts;
  const requestId = requestIdFromIncidentKey(incident.incidentKey);
  if (requestId === undefined) {
    return ignore("not_our_incident", `incident ${incident.id} has no access request key`);
  }
  const refuse = (reason: DecisionRefusal, context: RefusalContext = {}): DecisionVerdict => ({
    kind: "refuse",
    reason,
    note: refusalNote(reason, {
      command,
      requestId,
      link: policy.proxyAddr === undefined ? undefined : requestLink(policy.proxyAddr, requestId),
      ...context,
    }),
  });
  if (request === undefined) return refuse("unknown_request");
  if (request.id !== requestId) {
    return ignore("not_our_incident", `incident ${incident.id} names another request`);
  }
  if (!incidentBelongsToRecord(facts.record, incident)) {
    return ignore(
      "not_our_incident",
      `incident ${incident.id} is not recorded for request ${requestId}`,
    );
  }
  const agent = command.agent;
  if (agent === undefined) return refuse("no_agent");
  if (
    agent.id === policy.serviceUser.id ||
    (facts.agentUser !== undefined && sameEmail(facts.agentUser.email, policy.serviceUser.email))
  ) {
    return ignore("own_action", `run by the service's own PagerDuty user ${agent.id}`);
  }
  const user = facts.agentUser;
  if (user === undefined || user.id !== agent.id) return refuse("unknown_agent");
  const approver = { name: user.name || agent.name || user.id, email: user.email };
  const requester = requesterEmails(request.user, facts.requesterTraits, policy.emailTrait);
  if (requester.length === 0) return refuse("requester_email_unknown", { approver, request });
  if (requester.some((email) => sameEmail(email, user.email))) {
    return refuse("own_request", { approver, request });
  }
  const allowed = allowedBy(facts, policy);
  if ("refusal" in allowed) {
    return refuse(allowed.refusal, { approver, request, service: facts.service, ...allowed });
  }
  if (request.state !== "PENDING") return refuse("not_pending", { approver, request });
  if (request.reviews.some((r) => r.author === policy.teleportUser)) {
    return refuse("already_reviewed", { approver, request });
  }
  return {
    kind: "decide",
    requestId,
    proposedState: command.decision === "approve" ? "APPROVED" : "DENIED",
    reviewReason: decisionReviewReason(command, approver, allowed.grounds),
    approver,
    grounds: allowed.grounds,
  };
}

/** What a refusal note may mention. */
export interface RefusalContext {
  readonly approver?: { readonly name: string; readonly email: string };
  readonly request?: AccessRequest;
  readonly service?: Service;
  /** Levels the user is on call at, for `level_not_allowed`. */
  readonly levels?: readonly number[];
  readonly allowedLevels?: readonly number[];
}

type Allowed =
  | { readonly grounds: Grounds }
  | {
    readonly refusal: "not_on_call" | "level_not_allowed" | "not_allowed";
    readonly levels?: readonly number[];
    readonly allowedLevels?: readonly number[];
  };

/** The allow-lists when set, else the on-call rule. */
function allowedBy(facts: DecisionFacts, policy: DecisionPolicy): Allowed {
  const user = facts.agentUser!;
  const { approverEmails, approverTeams, approverEscalationLevels } = policy.reviews;
  if (approverEmails.length > 0 || approverTeams.length > 0) {
    if (approverEmails.some((email) => sameEmail(email, user.email))) {
      return { grounds: { kind: "approver_email" } };
    }
    const team = approverTeams.find((id) => (user.teamIds ?? []).includes(id));
    if (team !== undefined) return { grounds: { kind: "approver_team", teamId: team } };
    return { refusal: "not_allowed" };
  }
  const service = facts.service;
  if (service === undefined || service.id !== facts.incident.serviceId) {
    return { refusal: "not_on_call" };
  }
  const now = facts.now.getTime();
  const current = facts.agentOnCalls.filter((o) =>
    o.userId === user.id &&
    o.escalationPolicyId === service.escalationPolicyId &&
    // An unreadable time never counts: deciding for someone needs a clear answer.
    (o.start === undefined || (o.start instanceof Date && o.start.getTime() <= now)) &&
    (o.end === undefined || (o.end instanceof Date && o.end.getTime() > now))
  );
  if (current.length === 0) return { refusal: "not_on_call" };
  const levels = [...new Set(current.map((o) => o.escalationLevel))].sort((a, b) => a - b);
  const allowedLevels = approverEscalationLevels;
  const level = levels.find((l) => allowedLevels.length === 0 || allowedLevels.includes(l));
  if (level === undefined) return { refusal: "level_not_allowed", levels, allowedLevels };
  return { grounds: { kind: "on_call", serviceName: service.name, escalationLevel: level } };
}

function ignore(reason: IgnoreReason, detail: string): DecisionVerdict {
  return { kind: "ignore", reason, detail };
}
