/**
 * The words of access that ends early: the lock's name and message (what a locked-out user
 * reads), the notes on the access-request incident, and the review reasons that say until when
 * the access lasts. Pure functions, so each text is easy to read and test.
 *
 * @module
 */

import type { Incident, User } from "../pagerduty/types.ts";
import { formatTime } from "./messages.ts";
import { incidentName, type IncidentVerdict } from "./incident_access.ts";
import type { ShiftPlan } from "./shift_end.ts";

/** Why a request was locked; also the metric label. */
export type LockReason = "shift_ended" | "incident_resolved" | "incident_gone";

/** The incident a lock message names: enough to recognise it. */
export type NamedIncident = Pick<Incident, "id" | "number" | "title">;

/** Titles are cut in lock messages, which Teleport shows to the user in one line. */
const MAX_TITLE = 120;
/** Teleport's lock message stays one readable sentence. */
const MAX_LOCK_MESSAGE = 500;

/** The lock message when the on-call shift ended; `endedAt` undefined when it is not known. */
export function shiftLockMessage(requestId: string, endedAt: Date | undefined): string {
  const when = endedAt === undefined ? "has ended" : `ended at ${formatTime(endedAt)}`;
  return clip(
    `Your access from request ${requestId} ended: your PagerDuty on-call shift ${when}.`,
    MAX_LOCK_MESSAGE,
  );
}

/**
 * The lock message when the incident the access depended on was resolved or is gone;
 * `incident` undefined when the record no longer says which one it was.
 */
export function incidentLockMessage(
  requestId: string,
  incident: NamedIncident | undefined,
  reason: Exclude<LockReason, "shift_ended">,
): string {
  const what = reason === "incident_resolved" ? "was resolved" : "can no longer be found";
  const which = incident === undefined
    ? "the PagerDuty incident it depended on"
    : `PagerDuty ${shortName(incident)}`;
  return clip(
    `Your access from request ${requestId} ended: ${which} ${what}.`,
    MAX_LOCK_MESSAGE,
  );
}

/** The note on the access-request incident once the request is locked. */
export function lockNote(
  reason: LockReason,
  details: {
    readonly lockName: string;
    readonly lockedAt: Date;
    readonly shiftEndedAt?: Date;
    readonly incident?: NamedIncident & { readonly htmlUrl?: string };
  },
): string {
  const why = reason === "shift_ended"
    ? `the requester's on-call shift ${
      details.shiftEndedAt ? `ended at ${formatTime(details.shiftEndedAt)}` : "has ended"
    }`
    : `PagerDuty ${details.incident ? shortName(details.incident) : "incident"}${
      details.incident?.htmlUrl ? ` (${details.incident.htmlUrl})` : ""
    } ${reason === "incident_resolved" ? "was resolved" : "can no longer be found"}`;
  return `Access from this request was ended at ${formatTime(details.lockedAt)}: ${why}.\n` +
    `Teleport lock ${details.lockName} now refuses every certificate issued from the request.`;
}

/**
 * The end of an on-call approval's review reason, saying until when the access lasts: added to
 * the existing reason ("Access requested by user … who is on call in …").
 */
export function shiftReasonSuffix(plan: ShiftPlan): string {
  switch (plan.kind) {
    case "check_at":
      return plan.shiftEnd !== undefined
        ? `; the access ends when the on-call shift ends at ${formatTime(plan.shiftEnd)}`
        : `; the access ends with the on-call shift (PagerDuty gave no readable end; checked again at ${
          formatTime(plan.due)
        })`;
    case "no_lock":
      return plan.why === "permanent"
        ? "; on call permanently, so the access lasts until the request expires"
        : "; the on-call shift outlasts the access";
    case "lock":
      return "";
  }
}

/** The review reason of an approval for a cited incident, naming it (number, title, link). */
export function incidentApprovalReason(
  requester: User,
  verdict: IncidentVerdict & { approve: true },
): string {
  const { incident } = verdict;
  const how = verdict.role === "assigned" ? "assigned to" : "an accepted responder on";
  const link = incident.htmlUrl ? ` (${incident.htmlUrl})` : "";
  const service = incident.serviceName ? ` in service ${incident.serviceName}` : "";
  const which = verdict.passedOver.length === 0
    ? ""
    : `; it is the first cited incident that qualifies (${verdict.passedOver.join("; ")})`;
  // No closing period, like the on-call reason: the review note adds one.
  return clip(
    `Access requested by user ${requester.name} (${requester.email}) who is ${how} ` +
      `PagerDuty ${incidentName(incident)}${link}${service}; the access ends when the incident ` +
      `is resolved${which}`,
    2_000,
  );
}

/** The note saying why a request citing incidents was not approved and is left for humans. */
export function incidentRefusalNote(verdict: IncidentVerdict & { approve: false }): string {
  const lines = [
    "Not approved automatically for the cited PagerDuty incident; the request is left for a reviewer:",
    ...verdict.details.map((d) => `- ${d}`),
  ];
  return clip(lines.join("\n"), 10_000);
}

function shortName(incident: NamedIncident): string {
  return `incident #${incident.number} ${
    JSON.stringify(clip(incident.title.replace(/[\r\n\t]+/g, " "), MAX_TITLE))
  }`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
