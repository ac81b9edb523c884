/**
 * The auto-approval rules as pure functions: who the requester is in PagerDuty, whether the
 * request may be auto-approved at all, and whether the requester's on-call entries justify it.
 * The service approves only when every step gives a positive, explainable answer.
 *
 * @module
 */

import { isEmailAddress } from "../pagerduty/email.ts";
import { asciiLowerCase, equalIgnoringAsciiCase } from "../ascii.ts";
import type { OnCall, Service, User } from "../pagerduty/types.ts";
import type { AutoApprovalConfig } from "../config/types.ts";

/** Every reason a request is not auto-approved; also the metric labels. */
export const REFUSAL_REASONS = [
  "role_not_allowed",
  "no_email",
  "no_user",
  "ambiguous_user",
  "unknown_services",
  "not_on_call",
  "filtered_level",
  "filtered_schedule",
] as const;

/** Why a request was not auto-approved; also the metric label. */
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Refusals that later events cannot change, so they are recorded and not re-checked. */
export const FINAL_REFUSALS: ReadonlySet<RefusalReason> = new Set([
  "role_not_allowed",
  "no_email",
]);

/** An on-call entry that justifies approval. */
export interface OnCallMatch {
  readonly serviceName: string;
  readonly escalationLevel: number;
  readonly scheduleId: string | undefined;
}

/** The outcome of one check. */
export type Verdict =
  | { readonly approve: true; readonly matches: readonly OnCallMatch[] }
  | { readonly approve: false; readonly reason: RefusalReason; readonly detail: string };

/**
 * Whether the text is a bare email address, as Go's `lib.IsEmail` (`net/mail`) accepts it: no
 * display name or comments, a dotless domain such as `localhost` included.
 */
export function isEmail(text: string): boolean {
  return isEmailAddress(text);
}

/**
 * Why `email` cannot safely identify a person, or undefined when it can. Emails are compared
 * ignoring ASCII case only, exactly as PagerDuty returned them; that is unambiguous only when
 * the local part is ASCII and the domain is in Unicode normalized form (NFKC): otherwise two
 * spellings of one address (`\u212Aate@` and `kate@`, a fullwidth domain) could stand for
 * different people, or one person for another.
 */
export function emailIdentityProblem(email: string): string | undefined {
  const at = email.lastIndexOf("@");
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (/[^\x21-\x7e]/.test(local)) {
    return `${JSON.stringify(email)} has characters outside ASCII before the @`;
  }
  if (domain !== domain.normalize("NFKC")) {
    return `the domain of ${JSON.stringify(email)} is not in normalized form (NFKC)`;
  }
  return undefined;
}

/**
 * The requester's PagerDuty email: the Teleport username when it is an email, else the single
 * email in the configured user trait. Several different emails in the trait are ambiguous, and
 * an email that {@link emailIdentityProblem} refuses is no email at all.
 */
export function requesterEmail(
  username: string,
  traits: Readonly<Record<string, readonly string[]>> | undefined,
  emailTrait: string | undefined,
): { email: string } | { refusal: Verdict & { approve: false } } {
  const refuse = (detail: string) => ({
    refusal: { approve: false as const, reason: "no_email" as const, detail },
  });
  if (isEmail(username)) {
    const problem = emailIdentityProblem(username);
    return problem === undefined ? { email: username } : refuse(`username ${problem}`);
  }
  if (!emailTrait) {
    return refuse(
      `username ${JSON.stringify(username)} is not an email and ` +
        "pagerduty.auto_approval.email_trait is not set",
    );
  }
  const candidates = (traits?.[emailTrait] ?? []).map((v) => v.trim()).filter(isEmail);
  const refused = candidates.map(emailIdentityProblem).filter((p) => p !== undefined);
  if (refused.length > 0) return refuse(`trait ${JSON.stringify(emailTrait)}: ${refused[0]}`);
  const emails: string[] = [];
  for (const email of candidates) {
    if (!emails.some((e) => asciiLowerCase(e) === asciiLowerCase(email))) emails.push(email);
  }
  if (emails.length === 1) return { email: emails[0] };
  return refuse(
    emails.length === 0
      ? `user ${JSON.stringify(username)} has no email in trait ${JSON.stringify(emailTrait)}`
      : `user ${JSON.stringify(username)} has ${emails.length} different emails in trait ` +
        JSON.stringify(emailTrait),
  );
}

/** Whether every requested role may be auto-approved under the configured allow-list. */
export function rolesAllowed(roles: readonly string[], config: AutoApprovalConfig): Verdict {
  if (config.roles.length === 0) return { approve: true, matches: [] };
  const denied = roles.filter((r) => !config.roles.includes(r));
  if (denied.length === 0 && roles.length > 0) return { approve: true, matches: [] };
  return {
    approve: false,
    reason: "role_not_allowed",
    detail: `role(s) ${denied.join(", ") || "(none)"} are not in pagerduty.auto_approval.roles`,
  };
}

/** Exactly one PagerDuty user must carry the email; otherwise nothing is approved. */
export function singleUser(email: string, users: readonly User[]): User | Verdict {
  const exact = users.filter((u) => equalIgnoringAsciiCase(u.email, email));
  if (exact.length === 1) return exact[0];
  return exact.length === 0
    ? { approve: false, reason: "no_user", detail: `no PagerDuty user has email ${email}` }
    : {
      approve: false,
      reason: "ambiguous_user",
      detail: `${exact.length} PagerDuty users have email ${email}`,
    };
}

/** The user's entries in the services' policies, then those at allowed levels and schedules. */
function filterOnCalls(
  userId: string,
  services: readonly Service[],
  onCalls: readonly OnCall[],
  config: AutoApprovalConfig,
): { mine: OnCall[]; levelOk: OnCall[]; scheduleOk: OnCall[] } {
  const mine = onCalls.filter((o) =>
    o.userId === userId && services.some((s) => s.escalationPolicyId === o.escalationPolicyId)
  );
  const max = config.maxEscalationLevel;
  const levelOk = mine.filter((o) => max === undefined || o.escalationLevel <= max);
  const allowed = config.scheduleIds;
  const scheduleOk = levelOk.filter((o) =>
    allowed.length === 0 || (o.scheduleId !== undefined && allowed.includes(o.scheduleId))
  );
  return { mine, levelOk, scheduleOk };
}

/**
 * The on-call entries that justify approval (those {@linkcode judgeOnCalls} approves on), e.g.
 * to learn when the last of them ends.
 */
export function qualifyingOnCalls(
  userId: string,
  services: readonly Service[],
  onCalls: readonly OnCall[],
  config: AutoApprovalConfig,
): OnCall[] {
  return filterOnCalls(userId, services, onCalls, config).scheduleOk;
}

/**
 * Whether the user's on-call entries justify approval: an entry of this user, in the escalation
 * policy of one of the services, at an allowed level, from an allowed schedule.
 */
export function judgeOnCalls(
  userId: string,
  services: readonly Service[],
  onCalls: readonly OnCall[],
  config: AutoApprovalConfig,
): Verdict {
  if (services.length === 0) {
    return { approve: false, reason: "unknown_services", detail: "none of the services exist" };
  }
  const { mine, levelOk, scheduleOk } = filterOnCalls(userId, services, onCalls, config);
  if (mine.length === 0) {
    return {
      approve: false,
      reason: "not_on_call",
      detail: `not on call in ${services.map((s) => s.name).join(", ")}`,
    };
  }
  if (levelOk.length === 0) {
    return {
      approve: false,
      reason: "filtered_level",
      detail: `on call only above escalation level ${config.maxEscalationLevel} ` +
        "(pagerduty.auto_approval.max_escalation_level)",
    };
  }
  if (scheduleOk.length === 0) {
    return {
      approve: false,
      reason: "filtered_schedule",
      detail: "on call only through schedules not in pagerduty.auto_approval.schedule_ids",
    };
  }
  const matches: OnCallMatch[] = [];
  for (const onCall of scheduleOk) {
    for (const service of services) {
      if (service.escalationPolicyId !== onCall.escalationPolicyId) continue;
      matches.push({
        serviceName: service.name,
        escalationLevel: onCall.escalationLevel,
        scheduleId: onCall.scheduleId,
      });
    }
  }
  matches.sort((a, b) =>
    a.escalationLevel - b.escalationLevel || a.serviceName.localeCompare(b.serviceName)
  );
  return { approve: true, matches };
}
