/**
 * The scheduled jobs of access that ends early, as pure functions: the shift-end check
 * (`shift_end`, due when the on-call shift that justified an approval ends; moved when a
 * back-to-back shift follows) and the lock of a request whose incident ended (`lock`, due at
 * once, created by the incident poller or the `incident.resolved` webhook). Their handlers are
 * in `access_end_handlers.ts`.
 *
 * Job data is read back as untrusted input: every field is checked, and a field that cannot be
 * read is treated as unknown rather than failing the job.
 *
 * @module
 */

import type { Incident } from "../pagerduty/types.ts";
import type { LockReason, NamedIncident } from "./access_end_messages.ts";
import type { ScheduledJob } from "./plugin_data.ts";

/** Kind (and ID: one per request) of the job that looks at the shift again when it ends. */
export const SHIFT_END_JOB = "shift_end";
/** Kind (and ID: one per request) of the job that locks a request whose incident ended. */
export const INCIDENT_LOCK_JOB = "lock";

/** Titles kept in job data are cut: Teleport limits plugin data size. */
const MAX_JOB_TITLE = 200;

/** The shift-end check due at `due`; `shiftEnd` is the shift's known end, for the lock message. */
export function shiftEndJob(due: Date, shiftEnd: Date | undefined): ScheduledJob {
  return {
    id: SHIFT_END_JOB,
    kind: SHIFT_END_JOB,
    dueAt: due.getTime(),
    data: shiftEndData(shiftEnd),
  };
}

/** The data of a shift-end job: the shift's end when known. */
export function shiftEndData(shiftEnd: Date | undefined): Record<string, string> {
  return shiftEnd === undefined ? {} : { shift_end: shiftEnd.toISOString() };
}

/** The shift's end kept in a shift-end job, when it is there and readable. */
export function shiftEndOf(job: ScheduledJob): Date | undefined {
  const text = job.data.shift_end;
  if (text === undefined) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Why the incident an access depended on ended it. */
export type IncidentEnd = Exclude<LockReason, "shift_ended">;

/**
 * The job locking a request whose incident ended, due at `now`; the incident as PagerDuty
 * answered (undefined when it is gone) names it in the lock message and the note.
 */
export function incidentLockJob(
  reason: IncidentEnd,
  incident: Incident | undefined,
  now: number,
): ScheduledJob {
  const data: Record<string, string> = { reason };
  if (incident !== undefined) {
    data.incident_id = incident.id;
    data.number = String(incident.number);
    data.title = incident.title.slice(0, MAX_JOB_TITLE);
    if (incident.htmlUrl) data.url = incident.htmlUrl;
  }
  return { id: INCIDENT_LOCK_JOB, kind: INCIDENT_LOCK_JOB, dueAt: now, data };
}

/** What an incident lock job says: why, and which incident (as named then), when known. */
export interface IncidentLockFacts {
  readonly reason: IncidentEnd;
  readonly incident: (NamedIncident & { readonly htmlUrl?: string }) | undefined;
}

/**
 * Reads an incident lock job. An unknown reason reads as `incident_gone` (the access has nothing
 * left to justify it either way); a missing incident falls back to `recorded`, the incident the
 * request's plan names.
 */
export function incidentLockFacts(
  job: ScheduledJob,
  recorded: NamedIncident | undefined,
): IncidentLockFacts {
  const reason: IncidentEnd = job.data.reason === "incident_resolved"
    ? "incident_resolved"
    : "incident_gone";
  const number = Number(job.data.number);
  const fromJob = typeof job.data.incident_id === "string" && job.data.incident_id !== "" &&
      Number.isSafeInteger(number)
    ? {
      id: job.data.incident_id,
      number,
      title: job.data.title ?? "",
      htmlUrl: safeUrl(job.data.url),
    }
    : undefined;
  return { reason, incident: fromJob ?? recorded };
}

/** Only an https link is repeated in the note. */
function safeUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    return new URL(text).protocol === "https:" ? text : undefined;
  } catch {
    return undefined;
  }
}
