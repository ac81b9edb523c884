/**
 * The service's record on each access request, stored as Teleport plugin data under the plugin
 * name `pagerduty`. The first nine keys are the Go plugin's, with the same meaning and encoding,
 * so state written by either implementation is read by the other; the rest are additions.
 *
 * @module
 */

import type { AccessRequest, PluginDataMap } from "../teleport/types.ts";
import {
  type AccessEndRecord,
  decodeAccessEnd,
  encodeAccessEnd,
  NO_ACCESS_END,
} from "./access_end_record.ts";

/** Plugin name the Go plugin uses; the data lives under it. */
export const PLUGIN_NAME = "pagerduty";

/** Every way a request ends, as the Go plugin spells it in `resolution`. */
export const REQUEST_OUTCOMES = ["approved", "denied", "expired", "promoted"] as const;

/** How a request ended (empty while it has not). */
export type Resolution = "" | (typeof REQUEST_OUTCOMES)[number];

/** Outcome of the auto-approval attempt, once one has been made. */
export type AutoApprovalRecord = "" | "approved" | "not_eligible";

/**
 * Which instance is working on the request, and until when (key `lease`, `<instance>@<ms>`).
 * Side effects in PagerDuty happen only under a lease, so two replicas never post the same note.
 */
export interface Lease {
  readonly holder: string;
  /** Wall-clock milliseconds after which another instance may take over. */
  readonly until: number;
}

/**
 * A note about to be posted (key `posting`): a review's (1-based position), the outcome, or a
 * notice to the responders named by a short code (e.g. a missing permission).
 */
export type PostingMarker =
  | { readonly kind: "review"; readonly index: number }
  | { readonly kind: "outcome" }
  | { readonly kind: "notice"; readonly code: string };

/**
 * Work due at a time, kept with the request so it survives restarts (key `scheduled`, JSON):
 * a lock that falls due, a responder's decision acknowledged but not yet carried out. `data` is
 * the job's own, read back by its handler as untrusted input.
 */
export interface ScheduledJob {
  /** Unique per request; also what makes scheduling the same job twice a no-op. */
  readonly id: string;
  readonly kind: string;
  /** Wall-clock milliseconds. */
  readonly dueAt: number;
  readonly data: Readonly<Record<string, string>>;
}

/** Decoded plugin data of one request. */
export interface RequestRecord {
  /** The first incident opened for the request (Go key `incident_id`). */
  readonly incidentId: string;
  /** The service of `incidentId` (Go key `service_id`). */
  readonly serviceId: string;
  /** Every incident opened, by service ID (key `incidents`, JSON). Includes the first. */
  readonly incidents: Readonly<Record<string, string>>;
  readonly user: string;
  readonly roles: readonly string[];
  readonly created: Date | undefined;
  readonly requestReason: string;
  /** How many of the request's reviews are already in incident notes. */
  readonly reviewsCount: number;
  /** Set once every incident is confirmed resolved in PagerDuty. */
  readonly resolution: Resolution;
  readonly resolveReason: string;
  /** Auto-approval outcome (key `auto_approval`), so it is tried once per request. */
  readonly autoApproval: AutoApprovalRecord;
  /**
   * Services asked to open an incident that is not recorded yet (key `opening`, comma-separated
   * IDs). Written before the create, so an incident opened just before a crash is still found
   * by its key and resolved when the request ends.
   */
  readonly opening: readonly string[];
  /** The instance holding the request's work, if any (key `lease`). */
  readonly lease: Lease | undefined;
  /** A note that may have been posted without being recorded (key `posting`). */
  readonly posting: PostingMarker | undefined;
  /** Whether the outcome note is on every incident (key `outcome_noted`). */
  readonly outcomeNoted: boolean;
  /** Codes of the notices already posted, so each is said once (key `notices`). */
  readonly notices: readonly string[];
  /** Jobs waiting for their time (key `scheduled`). */
  readonly scheduled: readonly ScheduledJob[];
  /** IDs of the latest jobs carried out, so a repeated one is recognised (key `jobs_done`). */
  readonly jobsDone: readonly string[];
  /** What ends the access early, and whether it has (keys of `access_end_record.ts`). */
  readonly accessEnd: AccessEndRecord;
}

/** A record with nothing in it: what a request without plugin data decodes to. */
export const EMPTY_RECORD: RequestRecord = Object.freeze({
  incidentId: "",
  serviceId: "",
  incidents: Object.freeze({}),
  user: "",
  roles: Object.freeze([]),
  created: undefined,
  requestReason: "",
  reviewsCount: 0,
  resolution: "",
  resolveReason: "",
  autoApproval: "",
  opening: Object.freeze([]),
  lease: undefined,
  posting: undefined,
  outcomeNoted: false,
  notices: Object.freeze([]),
  scheduled: Object.freeze([]),
  jobsDone: Object.freeze([]),
  accessEnd: NO_ACCESS_END,
});

/** How many finished job IDs are remembered per request. */
export const JOBS_DONE_KEPT = 32;

const RESOLUTIONS: readonly Resolution[] = ["", ...REQUEST_OUTCOMES];

/** Reads plugin data written by this service or by the Go plugin. Unknown values read as empty. */
export function decodeRecord(data: PluginDataMap | undefined): RequestRecord {
  if (!data) return EMPTY_RECORD;
  const incidentId = data.incident_id ?? "";
  const serviceId = data.service_id ?? "";
  const incidents: Record<string, string> = { ...parseIncidents(data.incidents) };
  // Data from the Go plugin has only the single pair.
  if (incidentId && serviceId && !incidents[serviceId]) incidents[serviceId] = incidentId;
  const seconds = Number(data.created);
  const count = Number(data.reviews_count);
  const resolution = (data.resolution ?? "").toLowerCase() as Resolution;
  const autoApproval = data.auto_approval as AutoApprovalRecord | undefined;
  return {
    incidentId,
    serviceId,
    incidents,
    user: data.user ?? "",
    roles: data.roles ? data.roles.split(",").filter((r) => r !== "") : [],
    created: data.created && Number.isFinite(seconds) ? new Date(seconds * 1000) : undefined,
    requestReason: data.request_reason ?? "",
    reviewsCount: Number.isInteger(count) && count > 0 ? count : 0,
    resolution: RESOLUTIONS.includes(resolution) ? resolution : "",
    resolveReason: data.resolve_reason ?? "",
    autoApproval: autoApproval === "approved" || autoApproval === "not_eligible"
      ? autoApproval
      : "",
    opening: data.opening ? data.opening.split(",").filter((id) => id !== "") : [],
    lease: parseLease(data.lease),
    posting: parsePosting(data.posting),
    outcomeNoted: data.outcome_noted === "true",
    notices: data.notices ? data.notices.split(",").filter((code) => NOTICE_CODE.test(code)) : [],
    scheduled: parseJobs(data.scheduled),
    jobsDone: data.jobs_done ? data.jobs_done.split(",").filter((id) => id !== "") : [],
    accessEnd: decodeAccessEnd(data),
  };
}

function parseLease(text: string | undefined): Lease | undefined {
  const match = /^(.+)@(\d{1,15})$/.exec(text ?? "");
  return match ? { holder: match[1], until: Number(match[2]) } : undefined;
}

/** What a notice code may look like: short, and safe inside a comma-separated list. */
export const NOTICE_CODE = /^[a-z][a-z0-9_.-]{0,63}$/;

function parsePosting(text: string | undefined): PostingMarker | undefined {
  if (text === "outcome") return { kind: "outcome" };
  const notice = /^notice:(.+)$/.exec(text ?? "");
  if (notice && NOTICE_CODE.test(notice[1])) return { kind: "notice", code: notice[1] };
  const match = /^review:([1-9]\d{0,5})$/.exec(text ?? "");
  return match ? { kind: "review", index: Number(match[1]) } : undefined;
}

function encodePosting(marker: PostingMarker | undefined): string {
  if (!marker) return "";
  if (marker.kind === "notice") return `notice:${marker.code}`;
  return marker.kind === "outcome" ? "outcome" : `review:${marker.index}`;
}

/** Jobs as stored; a malformed entry is dropped rather than failing the whole record. */
function parseJobs(text: string | undefined): ScheduledJob[] {
  if (!text) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  return value.flatMap((item): ScheduledJob[] => {
    if (typeof item !== "object" || item === null) return [];
    const { id, kind, dueAt, data } = item as Record<string, unknown>;
    if (typeof id !== "string" || id === "" || typeof kind !== "string" || kind === "") return [];
    if (typeof dueAt !== "number" || !Number.isFinite(dueAt)) return [];
    if (typeof data !== "object" || data === null || Array.isArray(data)) return [];
    const fields = Object.entries(data).filter((e): e is [string, string] =>
      typeof e[1] === "string"
    );
    return [{ id, kind, dueAt, data: Object.fromEntries(fields) }];
  });
}

function parseIncidents(text: string | undefined): Record<string, string> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
    return Object.fromEntries(
      Object.entries(value).filter((e): e is [string, string] =>
        typeof e[1] === "string" && e[1] !== ""
      ),
    );
  } catch {
    return {};
  }
}

/**
 * Encodes a record as plugin data. All nine Go keys are always written (empty strings allowed),
 * as the Go plugin does; an empty value deletes the key on the server.
 */
export function encodeRecord(record: RequestRecord): Record<string, string> {
  const incidents = Object.keys(record.incidents).length > 0
    ? JSON.stringify(sortKeys(record.incidents))
    : "";
  return {
    incident_id: record.incidentId,
    service_id: record.serviceId,
    user: record.user,
    roles: record.roles.join(","),
    created: record.created ? String(Math.floor(record.created.getTime() / 1000)) : "",
    request_reason: record.requestReason,
    reviews_count: record.reviewsCount > 0 ? String(record.reviewsCount) : "",
    resolution: record.resolution,
    resolve_reason: record.resolveReason,
    incidents,
    auto_approval: record.autoApproval,
    opening: record.opening.join(","),
    lease: record.lease ? `${record.lease.holder}@${Math.floor(record.lease.until)}` : "",
    posting: encodePosting(record.posting),
    outcome_noted: record.outcomeNoted ? "true" : "",
    notices: record.notices.join(","),
    scheduled: record.scheduled.length > 0 ? JSON.stringify(record.scheduled) : "",
    jobs_done: record.jobsDone.join(","),
    ...encodeAccessEnd(record.accessEnd),
  };
}

function sortKeys(map: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => a.localeCompare(b)));
}

/** The request facts the Go plugin copies into its record. */
export function withRequestFacts(record: RequestRecord, request: AccessRequest): RequestRecord {
  return {
    ...record,
    user: request.user,
    roles: [...request.roles],
    created: request.created,
    requestReason: request.requestReason,
  };
}

/**
 * Adds one incident to the record (no longer `opening`); the first one also fills the Go
 * plugin's single pair.
 */
export function withIncident(
  record: RequestRecord,
  serviceId: string,
  incidentId: string,
): RequestRecord {
  const first = record.incidentId === "";
  return {
    ...record,
    incidentId: first ? incidentId : record.incidentId,
    serviceId: first ? serviceId : record.serviceId,
    incidents: { ...record.incidents, [serviceId]: incidentId },
    opening: record.opening.filter((id) => id !== serviceId),
  };
}

/** Whether the request has, or may have, an incident: recorded, or asked for before a crash. */
export function mayHaveIncident(record: RequestRecord): boolean {
  return Object.keys(record.incidents).length > 0 || record.opening.length > 0;
}
