/**
 * The routes the fake PagerDuty serves and what each one does, given a request that already
 * passed authentication, header checks and OpenAPI validation.
 *
 * @module
 */

import { argumentsError, invalidInput, notFound, PdHttpError } from "./errors.ts";
import { INTEGRATION_ROUTES, type Integrations } from "./integrations.ts";
import type { JsonObject, Renderer } from "./render.ts";
import type {
  Account,
  IncidentRecord,
  IncidentStatusValue,
  UpdateIncidentInput,
  UserRecord,
} from "./state.ts";

/** Everything a handler may use. */
export interface RequestContext {
  readonly account: Account;
  readonly render: Renderer;
  readonly now: Date;
  /** Path parameters (`id`). */
  readonly params: Readonly<Record<string, string>>;
  /** Validated, typed query parameters. */
  readonly query: Readonly<Record<string, unknown>>;
  /** Validated JSON body (writes only). */
  readonly body: JsonObject;
  /** The acting user: the `From` user, or the owner of a user token. */
  readonly actor: UserRecord | undefined;
  /** The owner of the token, for user tokens. */
  readonly tokenUser: UserRecord | undefined;
  /** Abilities of the account. */
  readonly abilities: readonly string[];
  /** Webhook subscriptions, workflows and extensions of the account. */
  readonly integrations: Integrations;
}

/** A handler's answer: status and JSON body (none for 204). */
export interface HandlerResult {
  readonly status: number;
  readonly body?: JsonObject;
}

/** One served route. */
export interface Route {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** PagerDuty's operationId; also the key of faults and per-operation rate limits. */
  readonly operationId: string;
  readonly pattern: URLPattern;
  /** The spec marks `From` required. */
  readonly requiresFrom: boolean;
  readonly handle: (ctx: RequestContext) => HandlerResult;
}

/** Every ability PagerDuty knows (a subset; an account has some of them). */
export const KNOWN_ABILITIES: readonly string[] = [
  "sso",
  "advanced_reports",
  "teams",
  "read_only_users",
  "team_responders",
  "service_support_hours",
  "urgencies",
  "manage_schedules",
  "manage_api_keys",
  "coordinated_responding",
  "event_rules",
  "beta_custom_actions",
  "coordinated_responding_preview",
  "preview_incident_alert_grouping",
  "incident_workflows",
  "priorities",
];

const MAX_LIMIT = 100;
const DEFAULT_LIMIT = 25;
const MAX_OFFSET_PLUS_LIMIT = 10_000;
const DEFAULT_INCIDENT_WINDOW_MS = 30 * 24 * 3600 * 1000;

/** Classic offset pagination: `{<key>: page, limit, offset, more, total}`. */
function page<T>(
  ctx: RequestContext,
  key: string,
  items: readonly T[],
  render: (item: T) => unknown,
): HandlerResult {
  const requested = ctx.query.limit as number | undefined;
  const limit = requested === undefined || requested < 1
    ? DEFAULT_LIMIT
    : Math.min(requested, MAX_LIMIT);
  const offset = (ctx.query.offset as number | undefined) ?? 0;
  if (offset < 0) throw argumentsError(["Offset must not be negative."]);
  if (offset + limit > MAX_OFFSET_PLUS_LIMIT) {
    throw argumentsError([
      `Offset+limit exceeds maximum allowed value of ${MAX_OFFSET_PLUS_LIMIT}. Please try to refine your search to reduce the number of results.`,
    ]);
  }
  const slice = items.slice(offset, offset + limit);
  return {
    status: 200,
    body: {
      [key]: slice.map(render),
      limit,
      offset,
      more: offset + slice.length < items.length,
      total: ctx.query.total === true ? items.length : null,
    },
  };
}

function ids(ctx: RequestContext, name: string): Set<string> | undefined {
  const values = ctx.query[name] as string[] | undefined;
  return values === undefined ? undefined : new Set(values);
}

function parseTime(value: unknown, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value as string);
  if (Number.isNaN(date.getTime())) {
    throw new PdHttpError(400, {
      error: {
        message: "Invalid Input Provided",
        code: 2001,
        errors: [`${name} is not a valid date-time.`],
      },
    });
  }
  return date;
}

function renderIncident(ctx: RequestContext, incident: IncidentRecord): JsonObject {
  const { account } = ctx;
  const service = account.service(incident.serviceId);
  const priority = incident.priorityId === undefined
    ? undefined
    : account.priorities().find((p) => p.id === incident.priorityId);
  return ctx.render.incident(
    incident,
    service,
    account.policy(incident.escalationPolicyId),
    priority,
  );
}

function requireActor(ctx: RequestContext): UserRecord {
  if (ctx.actor === undefined) throw new Error("A write route ran without an acting user.");
  return ctx.actor;
}

function listIncidents(ctx: RequestContext): HandlerResult {
  const q = ctx.query;
  const statuses = ids(ctx, "statuses[]");
  const services = ids(ctx, "service_ids[]");
  const users = ids(ctx, "user_ids[]");
  const urgencies = ids(ctx, "urgencies[]");
  const teams = ids(ctx, "team_ids[]");
  const key = q.incident_key as string | undefined;
  let since: number | undefined;
  let until: number | undefined;
  if (q.date_range !== "all") {
    const untilDate = parseTime(q.until, "until") ?? ctx.now;
    const sinceDate = parseTime(q.since, "since") ??
      new Date(untilDate.getTime() - DEFAULT_INCIDENT_WINDOW_MS);
    if (sinceDate > untilDate) {
      throw new PdHttpError(400, {
        error: {
          message: "Invalid Query Date Range",
          code: 2005,
          errors: ["since must be before until."],
        },
      });
    }
    since = sinceDate.getTime();
    until = untilDate.getTime();
  }
  const source = key === undefined
    ? ctx.account.incidentsView()
    : ctx.account.incidentsWithKey(key);
  const matches = source.filter((i) =>
    (statuses === undefined || statuses.has(i.status)) &&
    (services === undefined || services.has(i.serviceId)) &&
    (urgencies === undefined || urgencies.has(i.urgency)) &&
    // Services of the fake belong to no team.
    (teams === undefined || teams.size === 0) &&
    (users === undefined || i.assignments.some((a) => users.has(a.userId))) &&
    (since === undefined || (i.createdAt.getTime() >= since && i.createdAt.getTime() <= until!))
  );
  const sortBy = (q.sort_by as string[] | undefined) ?? [];
  if (sortBy.length > 0) {
    const urgencyRank = { high: 1, low: 0 };
    const keys = sortBy.map((spec) => {
      const [field, direction = "asc"] = spec.split(":");
      const value = (i: IncidentRecord): number => {
        switch (field) {
          case "incident_number":
            return i.number;
          case "created_at":
            return i.createdAt.getTime();
          case "resolved_at":
            return i.resolvedAt?.getTime() ?? Number.MAX_SAFE_INTEGER;
          case "urgency":
            return urgencyRank[i.urgency];
          default:
            throw invalidInput([`sort_by field "${field}" is not supported.`]);
        }
      };
      if (direction !== "asc" && direction !== "desc") {
        throw invalidInput([`sort_by direction "${direction}" is invalid.`]);
      }
      return { value, sign: direction === "asc" ? 1 : -1 };
    });
    matches.sort((a, b) => {
      for (const { value, sign } of keys) {
        const d = value(a) - value(b);
        if (d !== 0) return d * sign;
      }
      return a.number - b.number;
    });
  }
  return page(ctx, "incidents", matches, (i) => renderIncident(ctx, i));
}

function createIncident(ctx: RequestContext): HandlerResult {
  const body = ctx.body.incident as JsonObject;
  const assignments = body.assignments as Array<{ assignee?: { id: string } }> | undefined;
  const incident = ctx.account.createIncident(
    {
      title: body.title as string,
      serviceId: (body.service as { id: string }).id,
      incidentKey: body.incident_key as string | undefined,
      urgency: body.urgency as "high" | "low" | undefined,
      priorityId: (body.priority as { id: string } | undefined)?.id,
      details: (body.body as { details?: string } | undefined)?.details,
      assigneeIds: assignments?.map((a) => a.assignee?.id ?? ""),
      escalationPolicyId: (body.escalation_policy as { id: string } | undefined)?.id,
    },
    requireActor(ctx).id,
    ctx.now,
  );
  return { status: 201, body: { incident: renderIncident(ctx, incident) } };
}

function updateInput(body: JsonObject): UpdateIncidentInput {
  const assignments = body.assignments as Array<{ assignee?: { id: string } }> | undefined;
  return {
    status: body.status as IncidentStatusValue | undefined,
    resolution: body.resolution as string | undefined,
    title: body.title as string | undefined,
    urgency: body.urgency as "high" | "low" | undefined,
    priority: body.priority as { id: string } | string | undefined,
    escalationLevel: body.escalation_level as number | undefined,
    assigneeIds: assignments?.map((a) => a.assignee?.id ?? ""),
    escalationPolicyId: (body.escalation_policy as { id: string } | undefined)?.id,
  };
}

function updateIncident(ctx: RequestContext): HandlerResult {
  const incident = ctx.account.updateIncident(
    ctx.params.id,
    updateInput(ctx.body.incident as JsonObject),
    requireActor(ctx).id,
    ctx.now,
  );
  return { status: 200, body: { incident: renderIncident(ctx, incident) } };
}

/** Maximum incidents per bulk update; more gets 413. */
export const MAX_BULK_UPDATE = 250;

function updateIncidents(ctx: RequestContext): HandlerResult {
  const items = (ctx.body.incidents ?? []) as JsonObject[];
  if (items.length > MAX_BULK_UPDATE) {
    throw new PdHttpError(413, {
      error: {
        message: "Request Entity Too Large",
        code: 2001,
        errors: [`At most ${MAX_BULK_UPDATE} incidents can be updated in one request.`],
      },
    });
  }
  const updates = items.map((item) => {
    if (typeof item.id !== "string") throw invalidInput(["incidents[].id is required."]);
    return { id: item.id, input: updateInput(item) };
  });
  // All or nothing: check every update before applying any.
  for (const { id, input } of updates) ctx.account.checkUpdate(id, input);
  const actor = requireActor(ctx).id;
  const updated = updates.map(({ id, input }) =>
    ctx.account.updateIncident(id, input, actor, ctx.now)
  );
  return { status: 200, body: { incidents: updated.map((i) => renderIncident(ctx, i)) } };
}

function getIncident(ctx: RequestContext): HandlerResult {
  const incident = ctx.account.incident(ctx.params.id);
  if (incident === undefined) throw notFound();
  return { status: 200, body: { incident: renderIncident(ctx, incident) } };
}

function listNotes(ctx: RequestContext): HandlerResult {
  return {
    status: 200,
    body: { notes: ctx.account.notes(ctx.params.id).map((n) => ctx.render.note(n)) },
  };
}

function createNote(ctx: RequestContext): HandlerResult {
  const content = (ctx.body.note as { content: string }).content;
  const note = ctx.account.addNote(ctx.params.id, content, requireActor(ctx).id, ctx.now);
  return { status: 201, body: { note: ctx.render.note(note) } };
}

function contains(haystack: string, needle: string | undefined): boolean {
  return needle === undefined || haystack.toLowerCase().includes(needle.toLowerCase());
}

function listUsers(ctx: RequestContext): HandlerResult {
  const query = ctx.query.query as string | undefined;
  const teams = ids(ctx, "team_ids[]");
  const users = ctx.account.users().filter((u) =>
    (contains(u.name, query) || contains(u.email, query)) &&
    (teams === undefined || teams.size === 0)
  );
  return page(ctx, "users", users, (u) => ctx.render.user(u));
}

function getUser(ctx: RequestContext): HandlerResult {
  const user = ctx.account.user(ctx.params.id);
  if (user === undefined) throw notFound();
  return { status: 200, body: { user: ctx.render.user(user) } };
}

function getCurrentUser(ctx: RequestContext): HandlerResult {
  if (ctx.tokenUser === undefined) {
    throw invalidInput([
      "This endpoint requires a user-level API key or an OAuth token; account API keys have no user.",
    ]);
  }
  return { status: 200, body: { user: ctx.render.user(ctx.tokenUser) } };
}

function listServices(ctx: RequestContext): HandlerResult {
  const query = ctx.query.query as string | undefined;
  const name = ctx.query.name as string | undefined;
  const teams = ids(ctx, "team_ids[]");
  const services = ctx.account.services().filter((s) =>
    contains(s.name, query) &&
    (name === undefined || s.name.toLowerCase() === name.toLowerCase()) &&
    (teams === undefined || teams.size === 0)
  );
  const descending = ctx.query.sort_by === "name:desc";
  services.sort((a, b) => a.name.localeCompare(b.name) * (descending ? -1 : 1));
  return page(
    ctx,
    "services",
    services,
    (s) => ctx.render.service(s, ctx.account.policy(s.escalationPolicyId)),
  );
}

function getService(ctx: RequestContext): HandlerResult {
  const service = ctx.account.service(ctx.params.id);
  if (service === undefined) throw notFound();
  return {
    status: 200,
    body: { service: ctx.render.service(service, ctx.account.policy(service.escalationPolicyId)) },
  };
}

function getEscalationPolicy(ctx: RequestContext): HandlerResult {
  const policy = ctx.account.policy(ctx.params.id);
  if (policy === undefined) throw notFound();
  const rendered = ctx.render.escalationPolicy(
    policy,
    ctx.account.onCalls(),
    ctx.account.services(),
    (id) => ctx.account.schedule(id),
  );
  return { status: 200, body: { escalation_policy: rendered } };
}

function listSchedules(ctx: RequestContext): HandlerResult {
  const query = ctx.query.query as string | undefined;
  const schedules = ctx.account.schedules().filter((s) => contains(s.name, query));
  return page(ctx, "schedules", schedules, (s) => ctx.render.schedule(s));
}

function listPriorities(ctx: RequestContext): HandlerResult {
  return page(ctx, "priorities", ctx.account.priorities(), (p) => ctx.render.priority(p));
}

function listOnCalls(ctx: RequestContext): HandlerResult {
  const users = ids(ctx, "user_ids[]");
  const policies = ids(ctx, "escalation_policy_ids[]");
  const schedules = ids(ctx, "schedule_ids[]");
  const since = parseTime(ctx.query.since, "since") ?? ctx.now;
  const until = parseTime(ctx.query.until, "until") ?? since;
  if (until < since) {
    throw new PdHttpError(400, {
      error: {
        message: "Invalid Input Provided",
        code: 2004,
        errors: ["until must not be before since."],
      },
    });
  }
  let entries = ctx.account.onCalls().filter((e) =>
    (users === undefined || users.has(e.userId)) &&
    (policies === undefined || policies.has(e.escalationPolicyId)) &&
    // `schedule_ids[]` may contain "null" to also include users targeted directly.
    (schedules === undefined ||
      (e.scheduleId === undefined ? schedules.has("null") : schedules.has(e.scheduleId))) &&
    (e.start === undefined || e.start <= until) &&
    (e.end === undefined || e.end > since)
  );
  entries = [...entries].sort((a, b) =>
    a.escalationPolicyId.localeCompare(b.escalationPolicyId) || a.level - b.level ||
    (a.start?.getTime() ?? -Infinity) - (b.start?.getTime() ?? -Infinity)
  );
  if (ctx.query.earliest === true) {
    const seen = new Set<string>();
    entries = entries.filter((e) => {
      const key = `${e.escalationPolicyId}\u0000${e.level}\u0000${e.userId}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
  return page(ctx, "oncalls", entries, (e) =>
    ctx.render.onCall(
      e,
      ctx.account.policy(e.escalationPolicyId),
      e.scheduleId === undefined ? undefined : ctx.account.schedule(e.scheduleId),
    ));
}

function listAbilities(ctx: RequestContext): HandlerResult {
  return { status: 200, body: { abilities: [...ctx.abilities] } };
}

function getAbility(ctx: RequestContext): HandlerResult {
  if (ctx.abilities.includes(ctx.params.id)) return { status: 204 };
  if (KNOWN_ABILITIES.includes(ctx.params.id)) {
    throw new PdHttpError(402, {
      error: {
        message: "Account does not have the ability",
        code: 2014,
        errors: [`Missing ability ${ctx.params.id}`],
      },
    });
  }
  throw notFound();
}

function route(
  method: Route["method"],
  pathname: string,
  operationId: string,
  handle: Route["handle"],
  requiresFrom = false,
): Route {
  return { method, operationId, pattern: new URLPattern({ pathname }), requiresFrom, handle };
}

/** The routes, most specific first (`/users/me` before `/users/:id`). */
export const ROUTES: readonly Route[] = [
  route("GET", "/abilities", "listAbilities", listAbilities),
  route("GET", "/abilities/:id", "getAbility", getAbility),
  route("GET", "/users", "listUsers", listUsers),
  route("GET", "/users/me", "getCurrentUser", getCurrentUser),
  route("GET", "/users/:id", "getUser", getUser),
  route("GET", "/services", "listServices", listServices),
  route("GET", "/services/:id", "getService", getService),
  route("GET", "/escalation_policies/:id", "getEscalationPolicy", getEscalationPolicy),
  route("GET", "/schedules", "listSchedules", listSchedules),
  route("GET", "/priorities", "listPriorities", listPriorities),
  route("GET", "/oncalls", "listOnCalls", listOnCalls),
  route("GET", "/incidents", "listIncidents", listIncidents),
  route("POST", "/incidents", "createIncident", createIncident, true),
  route("PUT", "/incidents", "updateIncidents", updateIncidents, true),
  route("GET", "/incidents/:id", "getIncident", getIncident),
  route("PUT", "/incidents/:id", "updateIncident", updateIncident, true),
  route("GET", "/incidents/:id/notes", "listIncidentNotes", listNotes),
  route("POST", "/incidents/:id/notes", "createIncidentNote", createNote, true),
  ...INTEGRATION_ROUTES,
];

/** The route for a request, with its path parameters, or undefined. */
export function matchRoute(
  method: string,
  pathname: string,
): { route: Route; params: Record<string, string> } | undefined {
  for (const candidate of ROUTES) {
    if (candidate.method !== method) continue;
    const match = candidate.pattern.exec({ pathname });
    if (match !== null) {
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(match.pathname.groups)) {
        if (v !== undefined) params[k] = decodeURIComponent(v);
      }
      return { route: candidate, params };
    }
  }
  return undefined;
}
