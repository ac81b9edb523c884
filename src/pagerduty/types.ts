/**
 * Domain types for the PagerDuty side. JSON shapes of the REST API stay inside
 * `src/pagerduty/`: the client converts them to these.
 *
 * @module
 */

/** A PagerDuty service, with the escalation policy that pages for it. */
export interface Service {
  readonly id: string;
  readonly name: string;
  /** ID of the service's escalation policy; undefined when PagerDuty names none. */
  readonly escalationPolicyId: string | undefined;
  readonly htmlUrl: string;
}

/** A PagerDuty user. */
export interface User {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  /** IDs of the teams the user belongs to, as PagerDuty lists them on the user. */
  readonly teamIds?: readonly string[];
}

/** One on-call entry: a user on call at one level of one escalation policy. */
export interface OnCall {
  readonly userId: string;
  readonly escalationPolicyId: string;
  /**
   * 1 is the first level paged. Infinity when PagerDuty did not say: such an entry never passes
   * a level limit, and counts like any level without one (as in the Go plugin).
   */
  readonly escalationLevel: number;
  /** The schedule that puts the user on call; undefined for a user targeted directly. */
  readonly scheduleId: string | undefined;
  /** undefined for a permanent on-call, or when PagerDuty sent something that is not a time. */
  readonly start: Date | undefined;
  /**
   * When the on-call ends: undefined for a permanent on-call (PagerDuty sends `end: null`), and
   * `"unreadable"` when PagerDuty sent something that is not a time, so nothing can be concluded
   * from it.
   */
  readonly end: Date | undefined | "unreadable";
}

/** The status of an incident. */
export type IncidentStatus = "triggered" | "acknowledged" | "resolved";

/** A PagerDuty incident. */
export interface Incident {
  readonly id: string;
  /** The account-wide incident number; undefined when PagerDuty did not send it. */
  readonly number: number | undefined;
  /** Empty when PagerDuty did not send it. */
  readonly title: string;
  readonly status: IncidentStatus;
  /** The de-duplication key the incident was created with. */
  readonly incidentKey: string;
  readonly serviceId: string;
  /** The service's name as PagerDuty summarises it; "" when not sent. */
  readonly serviceName: string;
  readonly htmlUrl: string;
  /** Users the incident is assigned to (PagerDuty empties this once it is resolved). */
  readonly assigneeIds: readonly string[];
  /** Users who accepted a responder request (`incidents_responders` in state `joined`). */
  readonly acceptedResponderIds: readonly string[];
}

/** What the service asks PagerDuty to open. */
export interface NewIncident {
  readonly title: string;
  readonly serviceId: string;
  /** Stable per request and service: a retried create finds the open incident instead. */
  readonly incidentKey: string;
  /** Plain-text body. */
  readonly details: string;
  readonly urgency?: "high" | "low";
  /** Priority name or ID, when the account has priorities. */
  readonly priority?: string;
}

/** A note on an incident. */
export interface Note {
  readonly id: string;
  readonly content: string;
}

/** The PagerDuty operations the request lifecycle needs. */
/** Per-call options of the writing calls. */
export interface CallOptions {
  /** Aborts the call (and its retries), in addition to the client's own signal. */
  readonly signal?: AbortSignal;
}

/** The PagerDuty calls the service makes. */
export interface PagerDutyApi {
  /** The service whose name equals `name` ignoring case, or undefined. */
  findServiceByName(name: string): Promise<Service | undefined>;
  getService(id: string): Promise<Service>;
  /** Every user whose email equals `email` ignoring case (normally zero or one). */
  findUsersByEmail(email: string): Promise<User[]>;
  getUser(id: string): Promise<User>;
  /**
   * On-call entries of a user in the given escalation policies: current ones, or those covering
   * the instant `at` (sent as both `since` and `until`, so PagerDuty's clock does not matter).
   */
  listOnCalls(
    query: { userId: string; escalationPolicyIds: readonly string[]; at?: Date },
  ): Promise<OnCall[]>;
  /** Opens an incident; when one is already open with the same key in the service, returns it. */
  createIncident(incident: NewIncident, options?: CallOptions): Promise<Incident>;
  getIncident(id: string): Promise<Incident>;
  /**
   * Every open (triggered or acknowledged) incident of these services, of any age: one call per
   * 100 incidents, however many incidents a caller watches.
   */
  listOpenIncidents(serviceIds: readonly string[]): Promise<Incident[]>;
  /** The incident with this key in the service, open or not, if any. */
  findIncidentByKey(incidentKey: string, serviceId: string): Promise<Incident | undefined>;
  addNote(incidentId: string, content: string, options?: CallOptions): Promise<Note>;
  /** Every note on the incident (PagerDuty does not page them). */
  listNotes(incidentId: string): Promise<Note[]>;
  /** Resolves the incident; one already resolved counts as success. */
  resolveIncident(
    incidentId: string,
    resolution?: string,
    options?: CallOptions,
  ): Promise<Incident>;
  /** The account's abilities; proves the key works. */
  listAbilities(): Promise<string[]>;
}

/** An error answer from PagerDuty, or a failure to get one. Never carries the API key. */
export class PagerDutyError extends Error {
  /** HTTP status; 0 when no answer came (network error, timeout). */
  readonly status: number;
  /** PagerDuty's error code (e.g. 2001), when the body had one. */
  readonly code: number | undefined;
  /** PagerDuty's `errors[]` details. */
  readonly errors: readonly string[];
  /** Method and path of the call, without the query string. */
  readonly operation: string;

  /** Creates an error for one failed call. */
  constructor(
    message: string,
    details: {
      status: number;
      code?: number;
      errors?: readonly string[];
      operation: string;
      cause?: unknown;
    },
  ) {
    super(message, { cause: details.cause });
    this.name = "PagerDutyError";
    this.status = details.status;
    this.code = details.code;
    this.errors = details.errors ?? [];
    this.operation = details.operation;
  }
}
