/**
 * The fake PagerDuty account: users, schedules, escalation policies, services, on-call entries,
 * priorities, incidents and notes, with PagerDuty's rules for creating, updating and annotating
 * incidents. No HTTP here; rule violations are thrown as {@link PdHttpError}s because every caller
 * (the request handlers and the driver API) wants PagerDuty's answer for them.
 *
 * Sized for benchmarks: incidents are indexed by id, number, incident_key and open dedup key.
 *
 * @module
 */

import { DEDUP_MESSAGE, errorBody, invalidInput, notFound, PdHttpError } from "./errors.ts";

/** A user of the account. */
export interface UserRecord {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly role: string;
  readonly timeZone: string;
  /** Teams the user belongs to (PagerDuty lists them as `teams` on the user). */
  readonly teamIds: readonly string[];
}

/** An on-call schedule (its shifts are the on-call entries that name it). */
export interface ScheduleRecord {
  readonly id: string;
  readonly name: string;
  readonly timeZone: string;
}

/** An escalation policy (its levels are derived from the on-call entries that name it). */
export interface EscalationPolicyRecord {
  readonly id: string;
  readonly name: string;
  readonly numLoops: number;
}

/** A service. */
export interface ServiceRecord {
  readonly id: string;
  readonly name: string;
  readonly escalationPolicyId: string;
  /** Urgency given to incidents that do not name one (a constant urgency rule). */
  readonly urgency: "high" | "low";
  readonly createdAt: Date;
}

/** One on-call entry: a user on call at one level of an escalation policy, maybe via a schedule. */
export interface OnCallRecord {
  readonly userId: string;
  readonly escalationPolicyId: string;
  /** 1 is the first level paged. */
  readonly level: number;
  readonly scheduleId: string | undefined;
  /** undefined: on call since forever (a user targeted directly). */
  readonly start: Date | undefined;
  /** undefined: on call until further notice. */
  readonly end: Date | undefined;
  /** Sent as `end` instead of `end`'s time, to test answers with odd times (e.g. "soon"). */
  readonly endText?: string;
}

/** A priority of the account. */
export interface PriorityRecord {
  readonly id: string;
  readonly name: string;
  readonly description: string;
}

/** An incident assignment. */
export interface AssignmentRecord {
  readonly at: Date;
  readonly userId: string;
}

/** How a user answered a responder request (`incidents_responders[].state`). */
export type ResponderState = "pending" | "joined" | "declined";

/** A user asked to help on an incident, and their answer. */
export interface ResponderRecord {
  readonly userId: string;
  readonly state: ResponderState;
  /** Who asked them. */
  readonly requesterId: string;
  readonly requestedAt: Date;
  readonly updatedAt: Date;
}

/** A note on an incident. */
export interface NoteRecord {
  readonly id: string;
  readonly incidentId: string;
  readonly userId: string;
  readonly content: string;
  readonly createdAt: Date;
}

/** One run of an incident workflow on an incident. */
export interface WorkflowRunRecord {
  /** The workflow's ID. */
  readonly id: string;
  readonly name: string;
  /** The run (workflow instance) ID. */
  readonly instanceId: string;
}

/** Incident status. */
export type IncidentStatusValue = "triggered" | "acknowledged" | "resolved";

/** An incident, as the fake stores it. */
export interface IncidentRecord {
  readonly id: string;
  readonly number: number;
  readonly title: string;
  readonly status: IncidentStatusValue;
  readonly incidentKey: string | undefined;
  readonly serviceId: string;
  readonly escalationPolicyId: string;
  readonly escalationLevel: number;
  readonly urgency: "high" | "low";
  readonly priorityId: string | undefined;
  /** `body.details` as sent. */
  readonly details: string | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly lastStatusChangeAt: Date;
  /** User who made the last status change. */
  readonly lastStatusChangeById: string;
  readonly resolvedAt: Date | undefined;
  /** The `resolution` text of the last resolve. */
  readonly resolution: string | undefined;
  readonly assignedVia: "escalation_policy" | "direct_assignment";
  readonly assignments: readonly AssignmentRecord[];
  readonly acknowledgements: readonly AssignmentRecord[];
  readonly notes: readonly NoteRecord[];
  /** Responder requests, one per user, in the order they were made. */
  readonly responders: readonly ResponderRecord[];
}

/** Something that changed in the account, for webhooks and waiters. */
export interface AccountEvent {
  readonly type:
    | "incident.triggered"
    | "incident.acknowledged"
    | "incident.unacknowledged"
    | "incident.resolved"
    | "incident.reopened"
    | "incident.reassigned"
    | "incident.priority_updated"
    | "incident.annotated"
    | "incident.responder.added"
    | "incident.responder.replied"
    | "incident.workflow.started";
  readonly incident: IncidentRecord;
  readonly note?: NoteRecord;
  /** The workflow run, for `incident.workflow.started`. */
  readonly workflow?: WorkflowRunRecord;
  /** The user who caused it. */
  readonly agentId: string;
  readonly at: Date;
}

/** What putting a user on call needs; level 1, permanent and without a schedule by default. */
export interface OnCallInput {
  readonly userId: string;
  readonly escalationPolicyId: string;
  readonly level?: number;
  readonly scheduleId?: string;
  readonly start?: Date;
  readonly end?: Date;
  /** Sent as `end` instead of `end`'s ISO form: an odd value, to test tolerant readers. */
  readonly endText?: string;
}

/** What creating an incident needs (already validated against the schema). */
export interface CreateIncidentInput {
  readonly title: string;
  readonly serviceId: string;
  readonly incidentKey?: string;
  readonly urgency?: "high" | "low";
  readonly priorityId?: string;
  readonly details?: string;
  /** Assign to this user instead of the escalation policy. */
  readonly assigneeIds?: readonly string[];
  readonly escalationPolicyId?: string;
}

/** What updating an incident may change (already validated against the schema). */
export interface UpdateIncidentInput {
  readonly status?: IncidentStatusValue;
  readonly resolution?: string;
  readonly title?: string;
  readonly urgency?: "high" | "low";
  /** A priority id or name. */
  readonly priority?: { readonly id: string } | string;
  readonly escalationLevel?: number;
  readonly assigneeIds?: readonly string[];
  readonly escalationPolicyId?: string;
}

/** Rules that differ between accounts or whose real behaviour is unverified. */
export interface AccountRules {
  /** HTTP status when POST /incidents names an unknown service (real value unverified). */
  readonly unknownServiceStatus: 400 | 404;
  /** The error message and code of a duplicate open incident_key (only `errors[]` is verified). */
  readonly dedupError: { readonly message: string; readonly code: number };
  /** Resolving a resolved incident: PagerDuty's 1001 error (assumed) or a no-op 200. */
  readonly resolveResolved: "error" | "ok";
  /** Notes allowed per incident. */
  readonly maxNotesPerIncident: number;
}

/** Default rules: the most likely real behaviour. */
export const DEFAULT_RULES: AccountRules = {
  unknownServiceStatus: 400,
  dedupError: { message: "Invalid Input Provided", code: 2001 },
  resolveResolved: "error",
  maxNotesPerIncident: 2000,
};

/** The standard priorities PagerDuty creates (fixed ids, from the spec's example). */
export const STANDARD_PRIORITIES: readonly PriorityRecord[] = [
  { id: "PSLWBL8", name: "P1", description: "Critical issue that warrants public notification" },
  {
    id: "P53ZZH5",
    name: "P2",
    description: "Critical system issue actively impacting many customers",
  },
  { id: "PGE9YCZ", name: "P3", description: "Stability or minor customer-impacting issues" },
  { id: "PVJPWYW", name: "P4", description: "Minor issues requiring action" },
  { id: "P81SUUT", name: "P5", description: "Cosmetic issues or bugs" },
];

const ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Deterministic, PagerDuty-looking ids: `P` + 6 characters, incidents `Q` + 13. */
class IdSource {
  #next = 1;

  /** The next id with this prefix and length. */
  take(prefix: string, length: number): string {
    // A multiplicative hash of a counter: unique, stable across runs, not visibly sequential.
    let n = BigInt(this.#next++) * 2654435761n + 97n;
    let out = "";
    for (let i = 0; i < length; i++) {
      out += ID_ALPHABET[Number(n % 36n)];
      n /= 36n;
    }
    return prefix + out;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MutableIncident = Mutable<IncidentRecord> & {
  assignments: AssignmentRecord[];
  acknowledgements: AssignmentRecord[];
  notes: NoteRecord[];
  responders: ResponderRecord[];
};

/** The account's data and rules. */
export class Account {
  readonly rules: AccountRules;
  readonly #ids = new IdSource();
  readonly #listeners = new Set<(event: AccountEvent) => void>();
  readonly #users = new Map<string, UserRecord>();
  readonly #usersByEmail = new Map<string, UserRecord>();
  readonly #schedules = new Map<string, ScheduleRecord>();
  readonly #policies = new Map<string, EscalationPolicyRecord>();
  readonly #services = new Map<string, ServiceRecord>();
  readonly #priorities: PriorityRecord[];
  #onCalls: OnCallRecord[] = [];
  readonly #incidents: MutableIncident[] = [];
  readonly #incidentsById = new Map<string, MutableIncident>();
  readonly #incidentsByKey = new Map<string, MutableIncident[]>();
  /** `serviceId \0 incident_key` of open incidents. */
  readonly #openKeys = new Map<string, MutableIncident>();
  #nextNumber = 1;

  /** Creates an empty account; `priorities: false` models an account without the feature. */
  constructor(
    rules: Partial<AccountRules> = {},
    priorities: boolean | readonly PriorityRecord[] = true,
  ) {
    this.rules = { ...DEFAULT_RULES, ...rules };
    this.#priorities = priorities === true
      ? [...STANDARD_PRIORITIES]
      : priorities === false
      ? []
      : [...priorities];
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  subscribe(listener: (event: AccountEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(
    type: AccountEvent["type"],
    incident: MutableIncident,
    agentId: string,
    at: Date,
    note?: NoteRecord,
    workflow?: WorkflowRunRecord,
  ): void {
    const event: AccountEvent = {
      type,
      incident: snapshot(incident),
      agentId,
      at,
      ...(note ? { note } : {}),
      ...(workflow ? { workflow } : {}),
    };
    for (const listener of this.#listeners) listener(event);
  }

  // ---- directory -------------------------------------------------------------------------------

  /** Adds a user; emails are unique ignoring case. */
  addUser(
    input: { name: string; email: string; role?: string; timeZone?: string; id?: string },
  ): UserRecord {
    const email = input.email.toLowerCase();
    if (this.#usersByEmail.has(email)) {
      throw new Error(
        `A user with email ${input.email} already exists in the fake PagerDuty account.`,
      );
    }
    const user: UserRecord = {
      id: input.id ?? this.#ids.take("P", 6),
      name: input.name,
      email: input.email,
      role: input.role ?? "user",
      timeZone: input.timeZone ?? "Etc/UTC",
      teamIds: [],
    };
    this.#users.set(user.id, user);
    this.#usersByEmail.set(email, user);
    return user;
  }

  /** Makes a user a member of a team (teams exist as IDs only in the fake). */
  addTeamMember(userId: string, teamId: string): UserRecord {
    const user = this.requireUser(userId);
    if (user.teamIds.includes(teamId)) return user;
    const updated = { ...user, teamIds: [...user.teamIds, teamId] };
    this.#users.set(user.id, updated);
    this.#usersByEmail.set(user.email.toLowerCase(), updated);
    return updated;
  }

  /** Adds a schedule. */
  addSchedule(input: { name: string; timeZone?: string; id?: string }): ScheduleRecord {
    const schedule = {
      id: input.id ?? this.#ids.take("P", 6),
      name: input.name,
      timeZone: input.timeZone ?? "Etc/UTC",
    };
    this.#schedules.set(schedule.id, schedule);
    return schedule;
  }

  /** Adds an escalation policy. */
  addEscalationPolicy(
    input: { name: string; numLoops?: number; id?: string },
  ): EscalationPolicyRecord {
    const policy = {
      id: input.id ?? this.#ids.take("P", 6),
      name: input.name,
      numLoops: input.numLoops ?? 0,
    };
    this.#policies.set(policy.id, policy);
    return policy;
  }

  /** Adds a service paged through an existing escalation policy. */
  addService(
    input: { name: string; escalationPolicyId: string; urgency?: "high" | "low"; id?: string },
    now: Date,
  ): ServiceRecord {
    this.requirePolicy(input.escalationPolicyId);
    const lower = input.name.toLowerCase();
    for (const existing of this.#services.values()) {
      // PagerDuty service names are unique ignoring case.
      if (existing.name.toLowerCase() === lower) {
        throw new Error(
          `A service named ${input.name} already exists in the fake PagerDuty account.`,
        );
      }
    }
    const service: ServiceRecord = {
      id: input.id ?? this.#ids.take("P", 6),
      name: input.name,
      escalationPolicyId: input.escalationPolicyId,
      urgency: input.urgency ?? "high",
      createdAt: now,
    };
    this.#services.set(service.id, service);
    return service;
  }

  /** Adds an on-call entry. */
  putOnCall(input: OnCallInput): OnCallRecord {
    this.requireUser(input.userId);
    this.requirePolicy(input.escalationPolicyId);
    if (input.scheduleId !== undefined && !this.#schedules.has(input.scheduleId)) {
      throw new Error(
        `No schedule ${input.scheduleId} in the fake PagerDuty account; add it with addSchedule first.`,
      );
    }
    const entry: OnCallRecord = {
      userId: input.userId,
      escalationPolicyId: input.escalationPolicyId,
      level: input.level ?? 1,
      scheduleId: input.scheduleId,
      start: input.start,
      end: input.end,
      ...(input.endText === undefined ? {} : { endText: input.endText }),
    };
    this.#onCalls.push(entry);
    return entry;
  }

  /** Removes the on-call entries matching every given field; returns how many were removed. */
  removeOnCalls(
    filter: { userId?: string; escalationPolicyId?: string; scheduleId?: string },
  ): number {
    const before = this.#onCalls.length;
    this.#onCalls = this.#onCalls.filter((e) =>
      !((filter.userId === undefined || e.userId === filter.userId) &&
        (filter.escalationPolicyId === undefined ||
          e.escalationPolicyId === filter.escalationPolicyId) &&
        (filter.scheduleId === undefined || e.scheduleId === filter.scheduleId))
    );
    return before - this.#onCalls.length;
  }

  /** The user with this id, or undefined. */
  user(id: string): UserRecord | undefined {
    return this.#users.get(id);
  }

  /** The user with this email ignoring case, or undefined. */
  userByEmail(email: string): UserRecord | undefined {
    return this.#usersByEmail.get(email.toLowerCase());
  }

  /** All users, in creation order. */
  users(): UserRecord[] {
    return [...this.#users.values()];
  }

  /** The schedule with this id, or undefined. */
  schedule(id: string): ScheduleRecord | undefined {
    return this.#schedules.get(id);
  }

  /** All schedules. */
  schedules(): ScheduleRecord[] {
    return [...this.#schedules.values()];
  }

  /** The escalation policy with this id, or undefined. */
  policy(id: string): EscalationPolicyRecord | undefined {
    return this.#policies.get(id);
  }

  /** The service with this id, or undefined. */
  service(id: string): ServiceRecord | undefined {
    return this.#services.get(id);
  }

  /** All services. */
  services(): ServiceRecord[] {
    return [...this.#services.values()];
  }

  /** The account's priorities, highest first. */
  priorities(): readonly PriorityRecord[] {
    return this.#priorities;
  }

  /** Every on-call entry. */
  onCalls(): readonly OnCallRecord[] {
    return this.#onCalls;
  }

  /** Users on call at `now` at one level of a policy, without duplicates. */
  onCallUsersAt(policyId: string, level: number, now: Date): string[] {
    const t = now.getTime();
    const users = new Set<string>();
    for (const e of this.#onCalls) {
      if (e.escalationPolicyId !== policyId || e.level !== level) continue;
      if (
        (e.start === undefined || e.start.getTime() <= t) &&
        (e.end === undefined || e.end.getTime() > t)
      ) {
        users.add(e.userId);
      }
    }
    return [...users];
  }

  /** Throws when the user does not exist (driver misuse). */
  requireUser(id: string): UserRecord {
    const user = this.#users.get(id);
    if (user === undefined) {
      throw new Error(`No user ${id} in the fake PagerDuty account; add it with addUser first.`);
    }
    return user;
  }

  /** Throws when the policy does not exist (driver misuse). */
  requirePolicy(id: string): EscalationPolicyRecord {
    const policy = this.#policies.get(id);
    if (policy === undefined) {
      throw new Error(
        `No escalation policy ${id} in the fake PagerDuty account; add it with addEscalationPolicy first.`,
      );
    }
    return policy;
  }

  // ---- incidents -------------------------------------------------------------------------------

  /** Every incident, oldest first (snapshots). */
  incidents(): IncidentRecord[] {
    return this.#incidents.map(snapshot);
  }

  /** Live incidents, oldest first, for read-only filtering by the handlers (no copies). */
  incidentsView(): readonly IncidentRecord[] {
    return this.#incidents;
  }

  /** Incidents created with this incident_key, oldest first (live records). */
  incidentsWithKey(key: string): readonly IncidentRecord[] {
    return this.#incidentsByKey.get(key) ?? [];
  }

  /** The incident with this id or number (snapshot), or undefined. */
  incident(idOrNumber: string): IncidentRecord | undefined {
    const found = this.#find(idOrNumber);
    return found === undefined ? undefined : snapshot(found);
  }

  #find(idOrNumber: string): MutableIncident | undefined {
    const byId = this.#incidentsById.get(idOrNumber);
    if (byId !== undefined) return byId;
    if (/^[1-9]\d*$/.test(idOrNumber)) return this.#incidents[Number(idOrNumber) - 1];
    return undefined;
  }

  #require(idOrNumber: string): MutableIncident {
    const incident = this.#find(idOrNumber);
    if (incident === undefined) throw notFound();
    return incident;
  }

  #priority(reference: { readonly id: string } | string): PriorityRecord {
    const found = typeof reference === "string"
      ? this.#priorities.find((p) => p.name === reference)
      : this.#priorities.find((p) => p.id === reference.id);
    if (found === undefined) {
      throw new PdHttpError(400, errorBody("Invalid Priority", 1020, ["Priority not found"]));
    }
    return found;
  }

  #assignees(ids: readonly string[], at: Date): AssignmentRecord[] {
    return ids.map((userId) => {
      if (!this.#users.has(userId)) {
        throw new PdHttpError(
          400,
          errorBody("Assigned To User Not Found", 1007, [`User ${userId} not found`]),
        );
      }
      return { at, userId };
    });
  }

  #policyAssignments(policyId: string, level: number, at: Date): AssignmentRecord[] {
    return this.onCallUsersAt(policyId, level, at).map((userId) => ({ at, userId }));
  }

  /** Creates an incident as `POST /incidents` does; `actorId` is the `From` user. */
  createIncident(input: CreateIncidentInput, actorId: string, now: Date): IncidentRecord {
    const service = this.#services.get(input.serviceId);
    if (service === undefined) {
      throw this.rules.unknownServiceStatus === 404
        ? notFound()
        : invalidInput(["Service not found"]);
    }
    if (input.assigneeIds !== undefined && input.escalationPolicyId !== undefined) {
      throw invalidInput(["Assignments cannot be specified together with an escalation policy"]);
    }
    if (input.escalationPolicyId !== undefined && !this.#policies.has(input.escalationPolicyId)) {
      throw new PdHttpError(400, errorBody("Escalation Policy Not Found", 1014));
    }
    if (
      input.incidentKey !== undefined && this.#openKeys.has(openKey(service.id, input.incidentKey))
    ) {
      const { message, code } = this.rules.dedupError;
      throw new PdHttpError(400, errorBody(message, code, [DEDUP_MESSAGE]));
    }
    const priority = input.priorityId === undefined
      ? undefined
      : this.#priority({ id: input.priorityId });
    const policyId = input.escalationPolicyId ?? service.escalationPolicyId;
    const direct = input.assigneeIds !== undefined;
    const assignments = direct
      ? this.#assignees(input.assigneeIds!, now)
      : this.#policyAssignments(policyId, 1, now);
    // Assigning only yourself creates the incident already acknowledged (PagerDuty's rule).
    const selfAssigned = direct && assignments.length === 1 && assignments[0].userId === actorId;
    const number = this.#nextNumber++;
    const incident: MutableIncident = {
      id: this.#ids.take("Q", 13),
      number,
      title: input.title,
      status: selfAssigned ? "acknowledged" : "triggered",
      incidentKey: input.incidentKey,
      serviceId: service.id,
      escalationPolicyId: policyId,
      escalationLevel: 1,
      urgency: input.urgency ?? service.urgency,
      priorityId: priority?.id,
      details: input.details,
      createdAt: now,
      updatedAt: now,
      lastStatusChangeAt: now,
      lastStatusChangeById: actorId,
      resolvedAt: undefined,
      resolution: undefined,
      assignedVia: direct ? "direct_assignment" : "escalation_policy",
      assignments,
      acknowledgements: selfAssigned ? [{ at: now, userId: actorId }] : [],
      notes: [],
      responders: [],
    };
    this.#incidents.push(incident);
    this.#incidentsById.set(incident.id, incident);
    if (incident.incidentKey !== undefined) {
      const list = this.#incidentsByKey.get(incident.incidentKey);
      if (list === undefined) this.#incidentsByKey.set(incident.incidentKey, [incident]);
      else list.push(incident);
      this.#openKeys.set(openKey(service.id, incident.incidentKey), incident);
    }
    this.#emit("incident.triggered", incident, actorId, now);
    if (selfAssigned) this.#emit("incident.acknowledged", incident, actorId, now);
    return snapshot(incident);
  }

  /**
   * Checks that an update would be accepted, without changing anything (bulk updates are checked
   * in full before any is applied).
   */
  checkUpdate(idOrNumber: string, input: UpdateIncidentInput): void {
    const incident = this.#require(idOrNumber);
    if (
      input.status === "resolved" && incident.status === "resolved" &&
      this.rules.resolveResolved === "error"
    ) {
      throw new PdHttpError(400, errorBody("Incident Already Resolved", 1001));
    }
    if (input.priority !== undefined) this.#priority(input.priority);
    if (input.assigneeIds !== undefined && input.escalationPolicyId !== undefined) {
      throw invalidInput(["Assignments cannot be specified together with an escalation policy"]);
    }
    if (input.escalationPolicyId !== undefined && !this.#policies.has(input.escalationPolicyId)) {
      throw new PdHttpError(400, errorBody("Escalation Policy Not Found", 1014));
    }
    if (input.assigneeIds !== undefined) this.#assignees(input.assigneeIds, new Date(0));
    const reopening = incident.status === "resolved" && input.status !== undefined &&
      input.status !== "resolved";
    if (reopening && incident.incidentKey !== undefined) {
      const holder = this.#openKeys.get(openKey(incident.serviceId, incident.incidentKey));
      if (holder !== undefined && holder !== incident) {
        const { message, code } = this.rules.dedupError;
        throw new PdHttpError(400, errorBody(message, code, [DEDUP_MESSAGE]));
      }
    }
  }

  /** Updates an incident as `PUT /incidents/{id}` does; `actorId` is the `From` user. */
  updateIncident(
    idOrNumber: string,
    input: UpdateIncidentInput,
    actorId: string,
    now: Date,
  ): IncidentRecord {
    this.checkUpdate(idOrNumber, input);
    const incident = this.#require(idOrNumber);
    const events: AccountEvent["type"][] = [];
    if (input.title !== undefined) incident.title = input.title;
    if (input.urgency !== undefined) incident.urgency = input.urgency;
    if (input.priority !== undefined) {
      const priority = this.#priority(input.priority);
      if (priority.id !== incident.priorityId) events.push("incident.priority_updated");
      incident.priorityId = priority.id;
    }
    if (input.escalationPolicyId !== undefined) {
      incident.escalationPolicyId = input.escalationPolicyId;
    }
    const wasResolved = incident.status === "resolved";
    switch (input.status) {
      case "resolved":
        if (!wasResolved) {
          incident.status = "resolved";
          incident.resolvedAt = now;
          incident.assignments = [];
          incident.lastStatusChangeAt = now;
          incident.lastStatusChangeById = actorId;
          // After resolution the incident_key may open a new incident (the dedup rule covers open ones).
          if (incident.incidentKey !== undefined) {
            this.#openKeys.delete(openKey(incident.serviceId, incident.incidentKey));
          }
          events.push("incident.resolved");
        }
        if (input.resolution !== undefined) incident.resolution = input.resolution;
        break;
      case "acknowledged":
        // Acknowledging through the API makes the From user the assignee (PagerDuty's quirk).
        if (wasResolved) this.#reopen(incident, now, events);
        if (incident.status !== "acknowledged" || wasResolved) {
          incident.status = "acknowledged";
          incident.assignments = [{ at: now, userId: actorId }];
          incident.acknowledgements.push({ at: now, userId: actorId });
          incident.lastStatusChangeAt = now;
          incident.lastStatusChangeById = actorId;
          events.push("incident.acknowledged");
        }
        break;
      case "triggered":
        if (wasResolved) this.#reopen(incident, now, events);
        else if (incident.status === "acknowledged") events.push("incident.unacknowledged");
        if (incident.status !== "triggered" || wasResolved) {
          incident.status = "triggered";
          incident.acknowledgements = [];
          incident.lastStatusChangeAt = now;
          incident.lastStatusChangeById = actorId;
        }
        break;
    }
    if (incident.status !== "resolved") {
      if (input.assigneeIds !== undefined) {
        incident.assignments = this.#assignees(input.assigneeIds, now);
        incident.assignedVia = "direct_assignment";
        events.push("incident.reassigned");
      } else if (input.escalationLevel !== undefined || input.escalationPolicyId !== undefined) {
        incident.escalationLevel = input.escalationLevel ?? 1;
        incident.assignments = this.#policyAssignments(
          incident.escalationPolicyId,
          incident.escalationLevel,
          now,
        );
        incident.assignedVia = "escalation_policy";
        events.push("incident.reassigned");
      } else if (wasResolved && input.status === "triggered") {
        incident.assignments = this.#policyAssignments(incident.escalationPolicyId, 1, now);
        incident.assignedVia = "escalation_policy";
      }
    }
    incident.updatedAt = now;
    for (const type of events) this.#emit(type, incident, actorId, now);
    return snapshot(incident);
  }

  #reopen(incident: MutableIncident, now: Date, events: AccountEvent["type"][]): void {
    incident.resolvedAt = undefined;
    incident.escalationLevel = 1;
    if (incident.incidentKey !== undefined) {
      this.#openKeys.set(openKey(incident.serviceId, incident.incidentKey), incident);
    }
    incident.lastStatusChangeAt = now;
    events.push("incident.reopened");
  }

  /** Adds a note as `POST /incidents/{id}/notes` does. */
  addNote(idOrNumber: string, content: string, userId: string, now: Date): NoteRecord {
    const incident = this.#require(idOrNumber);
    if (incident.notes.length >= this.rules.maxNotesPerIncident) {
      throw invalidInput([`An incident can have at most ${this.rules.maxNotesPerIncident} notes`]);
    }
    const note: NoteRecord = {
      id: this.#ids.take("P", 6),
      incidentId: incident.id,
      userId,
      content,
      createdAt: now,
    };
    incident.notes.push(note);
    this.#emit("incident.annotated", incident, userId, now, note);
    return note;
  }

  /**
   * Asks `userId` to respond (state `pending`), as adding a responder in the web UI does; asking
   * again leaves an existing answer alone.
   */
  requestResponder(
    idOrNumber: string,
    userId: string,
    requesterId: string,
    now: Date,
  ): ResponderRecord {
    this.requireUser(userId);
    this.requireUser(requesterId);
    const incident = this.#require(idOrNumber);
    const existing = incident.responders.find((r) => r.userId === userId);
    if (existing !== undefined) return existing;
    const responder: ResponderRecord = {
      userId,
      state: "pending",
      requesterId,
      requestedAt: now,
      updatedAt: now,
    };
    incident.responders.push(responder);
    incident.updatedAt = now;
    this.#emit("incident.responder.added", incident, requesterId, now);
    return responder;
  }

  /** Records a responder's answer (`joined` accepts, `declined` refuses). */
  answerResponder(
    idOrNumber: string,
    userId: string,
    state: "joined" | "declined",
    now: Date,
  ): ResponderRecord {
    const incident = this.#require(idOrNumber);
    const index = incident.responders.findIndex((r) => r.userId === userId);
    if (index < 0) {
      throw new Error(
        `User ${userId} was not asked to respond to incident ${idOrNumber}; call requestResponder first.`,
      );
    }
    const answered = { ...incident.responders[index], state, updatedAt: now };
    incident.responders[index] = answered;
    incident.updatedAt = now;
    this.#emit("incident.responder.replied", incident, userId, now);
    return answered;
  }

  /** Starts an incident workflow on an incident as `userId` (a manual trigger in the web UI). */
  startWorkflow(
    idOrNumber: string,
    workflow: { id: string; name: string },
    userId: string,
    now: Date,
  ): WorkflowRunRecord {
    const incident = this.#require(idOrNumber);
    const run = { ...workflow, instanceId: this.#ids.take("P", 6) };
    this.#emit("incident.workflow.started", incident, userId, now, undefined, run);
    return run;
  }

  /** Notes of an incident, oldest first; throws a 404 error for an unknown incident. */
  notes(idOrNumber: string): readonly NoteRecord[] {
    return [...this.#require(idOrNumber).notes];
  }
}

function openKey(serviceId: string, incidentKey: string): string {
  return `${serviceId}\u0000${incidentKey}`;
}

/** A copy detached from the live record, so callers cannot change the account by accident. */
function snapshot(incident: MutableIncident): IncidentRecord {
  return Object.freeze({
    ...incident,
    assignments: Object.freeze([...incident.assignments]),
    acknowledgements: Object.freeze([...incident.acknowledgements]),
    notes: Object.freeze([...incident.notes]),
    responders: Object.freeze([...incident.responders]),
  });
}
