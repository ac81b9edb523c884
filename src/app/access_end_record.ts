/**
 * The plan of access that ends early, kept in the request's plugin data (plugin `pagerduty`)
 * next to the lifecycle record, so a lock that falls due while the service is down happens when
 * it is back, and two replicas (which write with compare-and-swap) lock once.
 *
 * Keys (all absent for requests without a plan):
 * - `shift_check_at`: RFC 3339 time to look at the requester's on-call again;
 * - `shift_end`: RFC 3339 end of the shift, when known (for the lock message);
 * - `access_incident`: JSON `{"id","service","number","title"}` of the incident the access
 *   depends on;
 * - `locked`: why the request was locked, once the lock is written.
 *
 * @module
 */

import type { PluginDataMap, PluginDataRecord } from "../teleport/types.ts";
import type { LockReason, NamedIncident } from "./access_end_messages.ts";
import type { WatchedIncident } from "./incident_access.ts";

/** The incident an approval depends on, as recorded. */
export interface RecordedIncident extends NamedIncident {
  readonly serviceId: string;
}

/** The decoded plan of one request. */
export interface AccessEndRecord {
  /** When to look at the shift again; undefined without a shift plan. */
  readonly shiftCheckAt: Date | undefined;
  /** The shift's end, when known. */
  readonly shiftEnd: Date | undefined;
  /**
   * The incident the access depends on; `"unreadable"` when the key holds something else (then
   * nothing tells which incident to watch, and the access should end).
   */
  readonly incident: RecordedIncident | "unreadable" | undefined;
  /** Set once the lock is written. */
  readonly locked: LockReason | "";
}

/** A request without a plan. */
export const NO_ACCESS_END: AccessEndRecord = Object.freeze({
  shiftCheckAt: undefined,
  shiftEnd: undefined,
  incident: undefined,
  locked: "",
});

const LOCK_REASONS: readonly LockReason[] = ["shift_ended", "incident_resolved", "incident_gone"];

/** Titles kept in plugin data are cut: Teleport limits plugin data size. */
const MAX_RECORDED_TITLE = 200;

/**
 * Reads the plan. A check time that cannot be read counts as due at once (the epoch): a plan is
 * never dropped silently, and looking again early is harmless.
 */
export function decodeAccessEnd(data: PluginDataMap | undefined): AccessEndRecord {
  if (!data) return NO_ACCESS_END;
  const locked = data.locked as LockReason | undefined;
  return {
    shiftCheckAt: data.shift_check_at ? parseTime(data.shift_check_at) ?? new Date(0) : undefined,
    shiftEnd: data.shift_end ? parseTime(data.shift_end) : undefined,
    incident: parseIncident(data.access_incident),
    locked: locked !== undefined && LOCK_REASONS.includes(locked) ? locked : "",
  };
}

/** Encodes the plan; "" deletes a key on the server, so a cleared field disappears. */
export function encodeAccessEnd(record: AccessEndRecord): Record<string, string> {
  const incident = record.incident;
  return {
    shift_check_at: record.shiftCheckAt?.toISOString() ?? "",
    shift_end: record.shiftEnd?.toISOString() ?? "",
    access_incident: incident === undefined || incident === "unreadable" ? "" : JSON.stringify({
      id: incident.id,
      service: incident.serviceId,
      number: incident.number,
      title: incident.title.slice(0, MAX_RECORDED_TITLE),
    }),
    locked: record.locked,
  };
}

/** Requests whose shift check is due at `now`, earliest first (not those already locked). */
export function dueShiftChecks(
  records: readonly PluginDataRecord[],
  now: Date,
): Array<{ requestId: string; due: Date }> {
  return records.flatMap(({ requestId, data }) => {
    const plan = decodeAccessEnd(data);
    const due = plan.shiftCheckAt;
    return plan.locked === "" && due !== undefined && due.getTime() <= now.getTime()
      ? [{ requestId, due }]
      : [];
  }).sort((a, b) => a.due.getTime() - b.due.getTime());
}

/** The earliest shift check still ahead, for the timer; undefined when none is planned. */
export function nextShiftCheck(records: readonly PluginDataRecord[], now: Date): Date | undefined {
  let next: Date | undefined;
  for (const { data } of records) {
    const plan = decodeAccessEnd(data);
    const due = plan.shiftCheckAt;
    if (plan.locked !== "" || due === undefined || due.getTime() <= now.getTime()) continue;
    if (next === undefined || due < next) next = due;
  }
  return next;
}

/** The incidents approved requests depend on and that are not locked yet: what to poll. */
export function watchedIncidents(records: readonly PluginDataRecord[]): WatchedIncident[] {
  return records.flatMap(({ requestId, data }) => {
    const { incident, locked } = decodeAccessEnd(data);
    return incident !== undefined && incident !== "unreadable" && locked === ""
      ? [{ requestId, incidentId: incident.id, serviceId: incident.serviceId }]
      : [];
  });
}

/** Requests whose recorded incident cannot be read and that are not locked yet. */
export function unreadableIncidentPlans(records: readonly PluginDataRecord[]): string[] {
  return records.flatMap(({ requestId, data }) => {
    const { incident, locked } = decodeAccessEnd(data);
    return incident === "unreadable" && locked === "" ? [requestId] : [];
  });
}

function parseTime(text: string): Date | undefined {
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function parseIncident(text: string | undefined): RecordedIncident | "unreadable" | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) return "unreadable";
    const { id, service, number, title } = value as Record<string, unknown>;
    if (typeof id !== "string" || id === "" || typeof service !== "string") return "unreadable";
    return {
      id,
      serviceId: service,
      number: typeof number === "number" ? number : 0,
      title: typeof title === "string" ? title : "",
    };
  } catch {
    return "unreadable";
  }
}
