/**
 * The plan of access that ends early, kept in the request's plugin data (plugin `pagerduty`)
 * next to the lifecycle record, so a lock that falls due while the service is down happens when
 * it is back, and two replicas (which write with compare-and-swap) lock once. When the on-call
 * shift is looked at again is a scheduled job (`scheduled.ts`, kind `shift_end`); what is kept
 * here is what no job carries.
 *
 * Keys (all absent for requests without a plan):
 * - `access_incident`: JSON `{"id","service","number","title"}` of the incident the access
 *   depends on;
 * - `incident_approval`: `approved` or `refused` once incident-linked approval was tried, so it
 *   is tried once per request;
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

/** Outcome of the incident-linked approval attempt, once one has been made. */
export type IncidentApprovalRecord = "" | "approved" | "refused";

/** The decoded plan of one request. */
export interface AccessEndRecord {
  /**
   * The incident the access depends on; `"unreadable"` when the key holds something else (then
   * nothing tells which incident to watch, and the access should end).
   */
  readonly incident: RecordedIncident | "unreadable" | undefined;
  /** Whether incident-linked approval was tried, and how it ended. */
  readonly incidentApproval: IncidentApprovalRecord;
  /** Set once the lock is written. */
  readonly locked: LockReason | "";
}

/** A request without a plan. */
export const NO_ACCESS_END: AccessEndRecord = Object.freeze({
  incident: undefined,
  incidentApproval: "",
  locked: "",
});

/** Every reason a request is locked for, in a fixed order (also the metric's label values). */
export const LOCK_REASONS: readonly LockReason[] = [
  "shift_ended",
  "incident_resolved",
  "incident_gone",
];

/** Titles kept in plugin data are cut: Teleport limits plugin data size. */
const MAX_RECORDED_TITLE = 200;

/** Reads the plan; values this version does not know read as empty. */
export function decodeAccessEnd(data: PluginDataMap | undefined): AccessEndRecord {
  if (!data) return NO_ACCESS_END;
  const locked = data.locked as LockReason | undefined;
  const approval = data.incident_approval;
  return {
    incident: parseIncident(data.access_incident),
    incidentApproval: approval === "approved" || approval === "refused" ? approval : "",
    locked: locked !== undefined && LOCK_REASONS.includes(locked) ? locked : "",
  };
}

/** Encodes the plan; "" deletes a key on the server, so a cleared field disappears. */
export function encodeAccessEnd(record: AccessEndRecord): Record<string, string> {
  const incident = record.incident;
  return {
    access_incident: incident === undefined || incident === "unreadable" ? "" : JSON.stringify({
      id: incident.id,
      service: incident.serviceId,
      number: incident.number,
      title: incident.title.slice(0, MAX_RECORDED_TITLE),
    }),
    incident_approval: record.incidentApproval,
    locked: record.locked,
  };
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
