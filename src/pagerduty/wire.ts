/**
 * PagerDuty's JSON shapes → the domain types of `types.ts`. Readers are strict where a wrong
 * value would cause a wrong decision (IDs, emails, statuses) and fail with a
 * {@link PagerDutyError} naming the field, so a changed or wrong upstream (a proxy's HTML, a
 * different API) is reported instead of misread. Everything else is tolerated: a missing or
 * null `incident_number`, `title`, `escalation_level` or `escalation_policy`, and `null` for a
 * list, never stop an incident from being recorded or an on-call answer from being used.
 *
 * @module
 */

import { unexpectedBodyError } from "./errors.ts";
import type { HttpResult } from "./http.ts";
import type { Incident, IncidentStatus, Note, OnCall, Service, User } from "./types.ts";

type Json = Record<string, unknown>;

/** Reads fields of one answer; every failure names the answer's operation. */
export class Reader {
  readonly #result: HttpResult;

  /** Reads `result`. */
  constructor(result: HttpResult) {
    this.#result = result;
  }

  /** Throws the error for an answer that lacks what the operation returns. */
  fail(problem: string): never {
    throw unexpectedBodyError({
      operation: this.#result.operation,
      status: this.#result.status,
      problem,
    });
  }

  /** `value` as an object; `path` names it in the error. */
  object(value: unknown, path: string): Json {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(`${path} is not an object`);
    }
    return value as Json;
  }

  /** `value` as a string. */
  string(value: unknown, path: string): string {
    if (typeof value !== "string") this.fail(`${path} is not a string`);
    return value;
  }

  /** `value` as an array. */
  array(value: unknown, path: string): readonly unknown[] {
    if (!Array.isArray(value)) this.fail(`${path} is not an array`);
    return value;
  }

  /** A list in which `null` means empty (PagerDuty sends it for some empty lists). */
  list(value: unknown, path: string): readonly unknown[] {
    return value === null ? [] : this.array(value, path);
  }

  /** `value` as a string; null or missing is undefined. */
  optionalString(value: unknown, path: string): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, path);
  }

  /** `value` as a finite number. */
  number(value: unknown, path: string): number {
    if (typeof value !== "number" || !Number.isFinite(value)) this.fail(`${path} is not a number`);
    return value;
  }

  /** `value` as a finite number; null or missing is undefined. */
  optionalNumber(value: unknown, path: string): number | undefined {
    if (value === undefined || value === null) return undefined;
    return this.number(value, path);
  }

  /** An object that may be missing or null. */
  optionalObject(value: unknown, path: string): Json | undefined {
    return value === undefined || value === null ? undefined : this.object(value, path);
  }

  /**
   * A time, undefined for null or absent, `"unreadable"` for anything else: for times a caller
   * must be able to doubt rather than a reason to reject the whole answer.
   */
  lenientDate(value: unknown): Date | undefined | "unreadable" {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") return "unreadable";
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? "unreadable" : date;
  }

  /** `value` as an ISO date; null or missing is undefined. */
  date(value: unknown, path: string): Date | undefined {
    const text = this.optionalString(value, path);
    if (text === undefined) return undefined;
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) this.fail(`${path} is not a date`);
    return date;
  }

  /** `body[key]`, the wrapped entity of a single-object answer. */
  entity(key: string): Json {
    return this.object(this.object(this.#result.body, "the body")[key], key);
  }
}

/** One page of a classic (offset) list answer. */
export interface ListPage {
  readonly items: readonly unknown[];
  readonly more: boolean;
}

/** Reads `{<key>: [...], more}`; a missing `more` means the last page. */
export function readList(result: HttpResult, key: string): ListPage {
  const reader = new Reader(result);
  const body = reader.object(result.body, "the body");
  return { items: reader.list(body[key], key), more: body.more === true };
}

function service(reader: Reader, raw: unknown, path: string): Service {
  const json = reader.object(raw, path);
  // Incidents can be opened in a service without a policy; only auto-approval needs one.
  const policy = reader.optionalObject(json.escalation_policy, `${path}.escalation_policy`);
  return {
    id: reader.string(json.id, `${path}.id`),
    name: reader.string(json.name, `${path}.name`),
    escalationPolicyId: policy && reader.string(policy.id, `${path}.escalation_policy.id`),
    htmlUrl: reader.optionalString(json.html_url, `${path}.html_url`) ?? "",
  };
}

function user(reader: Reader, raw: unknown, path: string): User {
  const json = reader.object(raw, path);
  return {
    id: reader.string(json.id, `${path}.id`),
    name: reader.optionalString(json.name, `${path}.name`) ?? "",
    email: reader.string(json.email, `${path}.email`),
    teamIds: json.teams === undefined || json.teams === null
      ? []
      : reader.array(json.teams, `${path}.teams`).map((team, i) =>
        reader.string(reader.object(team, `${path}.teams[${i}]`).id, `${path}.teams[${i}].id`)
      ),
  };
}

const STATUSES: readonly IncidentStatus[] = ["triggered", "acknowledged", "resolved"];

function incident(reader: Reader, raw: unknown, path: string): Incident {
  const json = reader.object(raw, path);
  const status = reader.string(json.status, `${path}.status`);
  if (!(STATUSES as readonly string[]).includes(status)) {
    reader.fail(`${path}.status ${JSON.stringify(status)} is not a known incident status`);
  }
  const svc = reader.object(json.service, `${path}.service`);
  return {
    id: reader.string(json.id, `${path}.id`),
    number: reader.optionalNumber(json.incident_number, `${path}.incident_number`),
    title: reader.optionalString(json.title, `${path}.title`) ?? "",
    status: status as IncidentStatus,
    // Incidents grouped from alerts have no key of their own.
    incidentKey: reader.optionalString(json.incident_key, `${path}.incident_key`) ?? "",
    serviceId: reader.string(svc.id, `${path}.service.id`),
    serviceName: typeof svc.summary === "string" ? svc.summary : "",
    htmlUrl: reader.optionalString(json.html_url, `${path}.html_url`) ?? "",
    assigneeIds: assigneeIds(reader, json.assignments, `${path}.assignments`),
    acceptedResponderIds: acceptedResponderIds(
      reader,
      json.incidents_responders,
      `${path}.incidents_responders`,
    ),
  };
}

/** Assignee IDs; absent or null (a resolved incident, an older answer) reads as none. */
function assigneeIds(reader: Reader, raw: unknown, path: string): string[] {
  if (raw === undefined || raw === null) return [];
  return reader.array(raw, path).map((item, i) => {
    const assignee = reader.object(
      reader.object(item, `${path}[${i}]`).assignee,
      `${path}[${i}].assignee`,
    );
    return reader.string(assignee.id, `${path}[${i}].assignee.id`);
  });
}

/**
 * Users who joined as responders. Absent or null (an account without responder requests) reads
 * as none; entries in any other state (pending, declined, a state added later) do not count.
 */
function acceptedResponderIds(reader: Reader, raw: unknown, path: string): string[] {
  if (raw === undefined || raw === null) return [];
  return reader.array(raw, path).flatMap((item, i) => {
    const entry = reader.object(item, `${path}[${i}]`);
    if (entry.state !== "joined") return [];
    const user = reader.object(entry.user, `${path}[${i}].user`);
    return [reader.string(user.id, `${path}[${i}].user.id`)];
  });
}

/**
 * One on-call entry; undefined for an entry without a user or policy, which cannot be anybody's
 * on-call in a policy (the Go plugin skips such entries too).
 */
function onCall(reader: Reader, raw: unknown, path: string): OnCall | undefined {
  const json = reader.object(raw, path);
  const user = reader.optionalObject(json.user, `${path}.user`);
  const policy = reader.optionalObject(json.escalation_policy, `${path}.escalation_policy`);
  if (user === undefined || policy === undefined) return undefined;
  const schedule = reader.optionalObject(json.schedule, `${path}.schedule`);
  return {
    userId: reader.string(user.id, `${path}.user.id`),
    escalationPolicyId: reader.string(policy.id, `${path}.escalation_policy.id`),
    escalationLevel: reader.optionalNumber(json.escalation_level, `${path}.escalation_level`) ??
      Number.POSITIVE_INFINITY,
    scheduleId: schedule === undefined
      ? undefined
      : reader.string(schedule.id, `${path}.schedule.id`),
    // Odd times must not hide the entry: the listing already says the user is on call.
    start: dateOrUndefined(reader.lenientDate(json.start)),
    end: reader.lenientDate(json.end),
  };
}

function dateOrUndefined(value: Date | undefined | "unreadable"): Date | undefined {
  return value instanceof Date ? value : undefined;
}

function note(reader: Reader, raw: unknown, path: string): Note {
  const json = reader.object(raw, path);
  return {
    id: reader.string(json.id, `${path}.id`),
    content: reader.string(json.content, `${path}.content`),
  };
}

/** Reads the `{"service": …}` answer. */
export function readService(result: HttpResult): Service {
  const reader = new Reader(result);
  return service(reader, reader.entity("service"), "service");
}

/** Reads the `{"user": …}` answer. */
export function readUser(result: HttpResult): User {
  const reader = new Reader(result);
  return user(reader, reader.entity("user"), "user");
}

/** Reads the `{"incident": …}` answer. */
export function readIncident(result: HttpResult): Incident {
  const reader = new Reader(result);
  return incident(reader, reader.entity("incident"), "incident");
}

/** Reads the `{"note": …}` answer. */
export function readNote(result: HttpResult): Note {
  const reader = new Reader(result);
  return note(reader, reader.entity("note"), "note");
}

/** Reads the `{"notes": […]}` answer of `GET /incidents/{id}/notes`. */
export function readNotes(result: HttpResult): Note[] {
  const reader = new Reader(result);
  const body = reader.object(result.body, "the body");
  return reader.list(body.notes, "notes").map((raw, i) => note(reader, raw, `notes[${i}]`));
}

/** Reads the services of a `GET /services` page. */
export function readServices(result: HttpResult, page: ListPage): Service[] {
  const reader = new Reader(result);
  return page.items.map((raw, i) => service(reader, raw, `services[${i}]`));
}

/** Reads the users of a `GET /users` page. */
export function readUsers(result: HttpResult, page: ListPage): User[] {
  const reader = new Reader(result);
  return page.items.map((raw, i) => user(reader, raw, `users[${i}]`));
}

/** Reads the incidents of a `GET /incidents` page. */
export function readIncidents(result: HttpResult, page: ListPage): Incident[] {
  const reader = new Reader(result);
  return page.items.map((raw, i) => incident(reader, raw, `incidents[${i}]`));
}

/** Reads the entries of a `GET /oncalls` page. */
export function readOnCalls(result: HttpResult, page: ListPage): OnCall[] {
  const reader = new Reader(result);
  return page.items.map((raw, i) => onCall(reader, raw, `oncalls[${i}]`))
    .filter((entry) => entry !== undefined);
}

/** A priority of the account (`GET /priorities`). */
export interface Priority {
  readonly id: string;
  readonly name: string;
}

/** Reads the priorities of a `GET /priorities` page. */
export function readPriorities(result: HttpResult, page: ListPage): Priority[] {
  const reader = new Reader(result);
  return page.items.map((raw, i) => {
    const json = reader.object(raw, `priorities[${i}]`);
    return {
      id: reader.string(json.id, `priorities[${i}].id`),
      name: reader.string(json.name, `priorities[${i}].name`),
    };
  });
}

/** Reads the `{"abilities": [...]}` answer. */
export function readAbilities(result: HttpResult): string[] {
  const reader = new Reader(result);
  const abilities = reader.list(reader.object(result.body, "the body").abilities, "abilities");
  return abilities.map((raw, i) => reader.string(raw, `abilities[${i}]`));
}
