/**
 * The PagerDuty REST client: {@link PagerDutyApi} over Deno's `fetch`, with a shared
 * client-side rate limit, retries, typed errors, paging and look-up caches.
 *
 * Idempotency, call by call:
 * - reads and `PUT /incidents/{id}` (resolve) are repeated freely;
 * - `POST /incidents` is repeated too: the `incident_key` makes PagerDuty refuse a second open
 *   incident, and that refusal is answered by looking the open incident up;
 * - `POST /incidents/{id}/notes` is repeated only after a 429 or a connection that never
 *   opened, since after a timeout or 5xx the note may already exist and a repeat would post it
 *   twice (a missing note is recovered by the caller's next reconciliation; a doubled one is
 *   noise on a responder's phone).
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { LookupCache } from "./cache.ts";
import { type Clock, systemClock } from "./clock.ts";
import { DEFAULT_API_ENDPOINT, parseApiEndpoint } from "./endpoint.ts";
import { PagerDutyConfigError } from "./errors.ts";
import { type HttpResult, type Observer, type RequestSpec, Transport } from "./http.ts";
import { paginate, paginateCursor } from "./paging.ts";
import { SlidingWindowLimiter } from "./rate_limiter.ts";
import { DEFAULT_RETRY, type RetryOptions } from "./retry.ts";
import {
  type CallOptions,
  type Incident,
  type NewIncident,
  type Note,
  type OnCall,
  type PagerDutyApi,
  PagerDutyError,
  type Service,
  type User,
} from "./types.ts";
import type {
  CreatedWebhookSubscription,
  Extension,
  ExtensionInput,
  ExtensionSchema,
  IncidentWorkflow,
  NewWebhookSubscription,
  PagerDutySetupApi,
  WebhookSubscription,
  WebhookSubscriptionChanges,
  WorkflowTrigger,
} from "./setup_types.ts";
import {
  type CursorPage,
  readCreatedWebhookSubscription,
  readCursorList,
  readExtension,
  readExtensions,
  readExtensionSchemas,
  readIncidentWorkflow,
  readIncidentWorkflows,
  readWebhookSubscription,
  readWebhookSubscriptions,
  readWorkflowTrigger,
  readWorkflowTriggers,
} from "./setup_wire.ts";
import {
  type ListPage,
  type Priority,
  readAbilities,
  readIncident,
  readIncidents,
  readList,
  readNote,
  readNotes,
  readOnCalls,
  readPriorities,
  readService,
  readServices,
  readUser,
  readUsers,
} from "./wire.ts";
import { asciiLowerCase, equalIgnoringAsciiCase } from "../ascii.ts";

const log = getLogger(["teleport-pagerduty", "pagerduty"]);

/** Options of {@link PagerDutyClient}; only `apiKey` and `userEmail` are required. */
export interface PagerDutyClientOptions extends Observer {
  /** REST API key (or OAuth token with `authScheme: "bearer"`). Never logged. */
  readonly apiKey: string;
  /** Email of the PagerDuty user the service acts as (`From` on writes). */
  readonly userEmail: string;
  /** REST base URL; default `https://api.pagerduty.com`. `http://` only for loopback. */
  readonly baseUrl?: string;
  /** `token` (default) sends `Token token=<key>`; `bearer` sends `Bearer <token>`. */
  readonly authScheme?: "token" | "bearer";
  /** Per-attempt timeout; default 10 000 ms. */
  readonly timeoutMs?: number;
  /**
   * Client-side limit per minute, held over any {@link RATE_WINDOW_MS} window; default 900
   * (PagerDuty allows 960 per key).
   */
  readonly maxRequestsPerMinute?: number;
  /** Retry limits; missing fields take {@link DEFAULT_RETRY}'s. */
  readonly retry?: Partial<RetryOptions>;
  /** How long found services and users are reused; default 5 minutes. */
  readonly cacheTtlMs?: number;
  /** How long "no such service/user" is reused; default 1 minute. */
  readonly negativeCacheTtlMs?: number;
  /** Keys kept per cache; default 1 000. */
  readonly cacheMaxEntries?: number;
  /** Aborting it cancels every call in flight or waiting (service shutdown). */
  readonly signal?: AbortSignal;
  /** Time source for waits and cache expiry; the real clock by default. */
  readonly clock?: Clock;
  /** Jitter source in [0, 1); `Math.random` by default. */
  readonly random?: () => number;
  /** `fetch` implementation; the global one by default. */
  readonly fetch?: typeof fetch;
}

/**
 * The window the client-side limit is held over: PagerDuty's minute plus a second. PagerDuty
 * counts a call when it arrives, the limiter when it is sent; without the margin, a call that
 * travelled longer than one sent a minute later (a cold connection's handshake, a slower route)
 * lets the later one land inside its minute at PagerDuty, which answers 429 at exactly the
 * configured rate. The margin costs 1/61 of the rate during a sustained burst.
 */
export const RATE_WINDOW_MS = 61_000;

/** The text PagerDuty puts in `errors[]` when an open incident already has the key. */
const DUPLICATE_KEY = /matching dedup key already exists/i;

function positiveInteger(value: number, key: string, what: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new PagerDutyConfigError(
      `${key} must be a positive whole number of ${what} (got ${value}).`,
      key,
    );
  }
  return value;
}

/** Names and emails match ignoring ASCII case only (see `src/ascii.ts`). */
const sameText = equalIgnoringAsciiCase;

/** A typed PagerDuty REST v2 client; one instance per API key, shared by the whole service. */
export class PagerDutyClient implements PagerDutyApi, PagerDutySetupApi {
  readonly #transport: Transport;
  readonly #signal: AbortSignal | undefined;
  readonly #servicesByName: LookupCache<Service | undefined>;
  readonly #usersByEmail: LookupCache<User[]>;
  readonly #priorities: LookupCache<Priority[]>;

  /**
   * Creates the client.
   *
   * @throws {PagerDutyConfigError} for an empty key, a base URL that is not https (or http to
   *   loopback), or a non-positive timeout or rate.
   */
  constructor(options: PagerDutyClientOptions) {
    const clock = options.clock ?? systemClock;
    const maxRequests = positiveInteger(
      options.maxRequestsPerMinute ?? 900,
      "pagerduty.rate_limit_per_minute",
      "requests per minute",
    );
    const timeoutMs = positiveInteger(
      options.timeoutMs ?? 10_000,
      "pagerduty.request_timeout",
      "milliseconds",
    );
    this.#transport = new Transport({
      baseUrl: parseApiEndpoint(options.baseUrl ?? DEFAULT_API_ENDPOINT),
      apiKey: options.apiKey,
      authScheme: options.authScheme ?? "token",
      userEmail: options.userEmail,
      timeoutMs,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      limiter: new SlidingWindowLimiter({ maxRequests, windowMs: RATE_WINDOW_MS, clock }),
      clock,
      random: options.random ?? Math.random,
      fetch: options.fetch ?? fetch,
      observer: {
        onResponse: options.onResponse,
        onRetry: options.onRetry,
        onRateLimitWait: options.onRateLimitWait,
      },
    });
    this.#signal = options.signal;
    const cache = {
      ttlMs: options.cacheTtlMs ?? 300_000,
      negativeTtlMs: options.negativeCacheTtlMs ?? 60_000,
      maxEntries: options.cacheMaxEntries ?? 1_000,
      clock,
    };
    this.#servicesByName = new LookupCache({ ...cache, isNegative: (s) => s === undefined });
    this.#usersByEmail = new LookupCache({ ...cache, isNegative: (u) => u.length === 0 });
    this.#priorities = new LookupCache({ ...cache, isNegative: (p) => p.length === 0 });
  }

  /** The service whose name equals `name` ignoring ASCII case (cached), or undefined. */
  findServiceByName(name: string): Promise<Service | undefined> {
    return this.#servicesByName.get(asciiLowerCase(name), async () => {
      const services = this.#list("/services", "services", [["query", name]], readServices);
      for await (const service of services) {
        if (sameText(service.name, name)) return service;
      }
      return undefined;
    });
  }

  /** The service with this ID. */
  async getService(id: string): Promise<Service> {
    return readService(await this.#get("/services/{id}", `/services/${encodeURIComponent(id)}`));
  }

  /** Every user whose email equals `email` ignoring ASCII case (cached). */
  findUsersByEmail(email: string): Promise<User[]> {
    return this.#usersByEmail.get(asciiLowerCase(email), async () => {
      const found: User[] = [];
      for await (const user of this.#list("/users", "users", [["query", email]], readUsers)) {
        if (sameText(user.email, email)) found.push(user);
      }
      return found;
    });
  }

  /** The user with this ID. */
  async getUser(id: string): Promise<User> {
    return readUser(await this.#get("/users/{id}", `/users/${encodeURIComponent(id)}`));
  }

  /**
   * The user's on-call entries in the given escalation policies (none asked: none), now or at
   * the instant `at`.
   */
  async listOnCalls(
    query: { userId: string; escalationPolicyIds: readonly string[]; at?: Date },
  ): Promise<OnCall[]> {
    const policies = new Set(query.escalationPolicyIds);
    // Without a policy filter PagerDuty would list the user's on-calls everywhere.
    if (policies.size === 0) return [];
    const params: Array<[string, string]> = [["user_ids[]", query.userId]];
    for (const policy of policies) params.push(["escalation_policy_ids[]", policy]);
    if (query.at !== undefined) {
      const at = query.at.toISOString();
      params.push(["since", at], ["until", at]);
    }
    const found: OnCall[] = [];
    for await (const entry of this.#list("/oncalls", "oncalls", params, readOnCalls)) {
      if (entry.userId === query.userId && policies.has(entry.escalationPolicyId)) {
        found.push(entry);
      }
    }
    return found;
  }

  /**
   * Opens an incident. When PagerDuty refuses it because an incident with the same key is
   * already open in the service (a retried create), returns that incident instead.
   */
  async createIncident(incident: NewIncident, options: CallOptions = {}): Promise<Incident> {
    const priorityId = incident.priority === undefined
      ? undefined
      : await this.#priorityId(incident.priority);
    const body = {
      incident: {
        type: "incident",
        title: incident.title,
        service: { id: incident.serviceId, type: "service_reference" },
        incident_key: incident.incidentKey,
        body: { type: "incident_body", details: incident.details },
        ...(incident.urgency === undefined ? {} : { urgency: incident.urgency }),
        ...(priorityId === undefined
          ? {}
          : { priority: { id: priorityId, type: "priority_reference" } }),
      },
    };
    try {
      return readIncident(
        await this.#call({
          method: "POST",
          template: "/incidents",
          path: "/incidents",
          body,
          from: true,
          idempotency: "idempotent",
        }, options.signal),
      );
    } catch (error) {
      if (
        !(error instanceof PagerDutyError) || error.status !== 400 ||
        !error.errors.some((text) => DUPLICATE_KEY.test(text))
      ) {
        throw error;
      }
      const matches = await this.#incidentsByKey(incident.incidentKey, incident.serviceId);
      const open = matches.find((found) => found.status !== "resolved");
      if (open === undefined) {
        throw new PagerDutyError(
          `PagerDuty refused POST /incidents because an incident with key ${
            JSON.stringify(incident.incidentKey)
          } is open in service ${incident.serviceId}, but no open incident with that key was listed: the call should be repeated later.`,
          { status: 400, code: error.code, errors: error.errors, operation: error.operation },
        );
      }
      log.info(
        "Incident key {incidentKey} is already open in PagerDuty as incident {incidentId}; reusing it.",
        { incidentKey: incident.incidentKey, incidentId: open.id, serviceId: open.serviceId },
      );
      return open;
    }
  }

  /** The incident with this ID (or number). */
  async getIncident(id: string): Promise<Incident> {
    return readIncident(
      await this.#get("/incidents/{id}", `/incidents/${encodeURIComponent(id)}`),
    );
  }

  /**
   * Every open incident of the services, of any age (`date_range=all`: the default window is the
   * last month, and an older incident still open must not look resolved).
   */
  async listOpenIncidents(serviceIds: readonly string[]): Promise<Incident[]> {
    const services = new Set(serviceIds);
    // Without a service filter PagerDuty would list the whole account's open incidents.
    if (services.size === 0) return [];
    const params: Array<[string, string]> = [
      ["statuses[]", "triggered"],
      ["statuses[]", "acknowledged"],
      ["date_range", "all"],
    ];
    for (const service of services) params.push(["service_ids[]", service]);
    const found: Incident[] = [];
    for await (const incident of this.#list("/incidents", "incidents", params, readIncidents)) {
      if (incident.status !== "resolved" && services.has(incident.serviceId)) found.push(incident);
    }
    return found;
  }

  /** The incident with this key in the service, preferring an open one, else the newest. */
  async findIncidentByKey(incidentKey: string, serviceId: string): Promise<Incident | undefined> {
    const matches = await this.#incidentsByKey(incidentKey, serviceId);
    return matches.find((found) => found.status !== "resolved") ??
      matches.reduce<Incident | undefined>(
        (newest, found) =>
          newest === undefined || (found.number ?? -1) > (newest.number ?? -1) ? found : newest,
        undefined,
      );
  }

  /** Adds a note; see the module comment for why it is rarely repeated. */
  async addNote(incidentId: string, content: string, options: CallOptions = {}): Promise<Note> {
    return readNote(
      await this.#call({
        method: "POST",
        template: "/incidents/{id}/notes",
        path: `/incidents/${encodeURIComponent(incidentId)}/notes`,
        body: { note: { content } },
        from: true,
        idempotency: "not-idempotent",
      }, options.signal),
    );
  }

  /** Every note on the incident. */
  async listNotes(incidentId: string): Promise<Note[]> {
    const path = `/incidents/${encodeURIComponent(incidentId)}/notes`;
    return readNotes(await this.#get("/incidents/{id}/notes", path));
  }

  /** Resolves the incident; an incident already resolved counts as success. */
  async resolveIncident(
    incidentId: string,
    resolution?: string,
    options: CallOptions = {},
  ): Promise<Incident> {
    try {
      return readIncident(
        await this.#call({
          method: "PUT",
          template: "/incidents/{id}",
          path: `/incidents/${encodeURIComponent(incidentId)}`,
          body: {
            incident: {
              type: "incident_reference",
              status: "resolved",
              ...(resolution === undefined ? {} : { resolution }),
            },
          },
          from: true,
          idempotency: "idempotent",
        }, options.signal),
      );
    } catch (error) {
      // 1001 is "Incident Already Resolved"; other 400s may mean the same, so look.
      if (!(error instanceof PagerDutyError) || (error.code !== 1001 && error.status !== 400)) {
        throw error;
      }
      const current = await this.getIncident(incidentId);
      if (current.status !== "resolved") throw error;
      return current;
    }
  }

  /** The account's abilities; succeeds only if the key works. */
  async listAbilities(): Promise<string[]> {
    return readAbilities(await this.#get("/abilities", "/abilities"));
  }

  // ---- approve/deny set-up (`setup-pagerduty`) ---------------------------------------------------
  // Creates are not repeated after an unknown outcome: a second subscription would deliver every
  // event twice (and the first one's secret would be lost), a second workflow would be a second
  // button. The next run of the set-up finds what a lost answer created.

  /** The subscriptions delivering the incidents of one service. */
  async listWebhookSubscriptions(serviceId: string): Promise<WebhookSubscription[]> {
    const found: WebhookSubscription[] = [];
    const params: Array<[string, string]> = [["filter_type", "service"], ["filter_id", serviceId]];
    const all = this.#list(
      "/webhook_subscriptions",
      "webhook_subscriptions",
      params,
      readWebhookSubscriptions,
    );
    for await (const subscription of all) {
      if (subscription.filter.kind === "service" && subscription.filter.serviceId === serviceId) {
        found.push(subscription);
      }
    }
    return found;
  }

  /** Creates a subscription for one service's incidents; the answer holds its only copy of the secret. */
  async createWebhookSubscription(
    input: NewWebhookSubscription,
  ): Promise<CreatedWebhookSubscription> {
    return readCreatedWebhookSubscription(
      await this.#call({
        method: "POST",
        template: "/webhook_subscriptions",
        path: "/webhook_subscriptions",
        body: {
          webhook_subscription: {
            type: "webhook_subscription",
            active: true,
            description: input.description,
            delivery_method: { type: "http_delivery_method", url: input.url },
            events: [...input.events],
            filter: { type: "service_reference", id: input.serviceId },
          },
        },
        idempotency: "not-idempotent",
      }),
    );
  }

  /** Changes a subscription's description, events or active flag. */
  async updateWebhookSubscription(
    id: string,
    changes: WebhookSubscriptionChanges,
  ): Promise<WebhookSubscription> {
    return readWebhookSubscription(
      await this.#call({
        method: "PUT",
        template: "/webhook_subscriptions/{id}",
        path: `/webhook_subscriptions/${encodeURIComponent(id)}`,
        body: {
          webhook_subscription: {
            ...(changes.description === undefined ? {} : { description: changes.description }),
            ...(changes.events === undefined ? {} : { events: [...changes.events] }),
            ...(changes.active === undefined ? {} : { active: changes.active }),
          },
        },
        idempotency: "idempotent",
      }),
    );
  }

  /** Re-enables a subscription PagerDuty disabled after refused deliveries. */
  async enableWebhookSubscription(id: string): Promise<WebhookSubscription> {
    return readWebhookSubscription(
      await this.#call({
        method: "POST",
        template: "/webhook_subscriptions/{id}/enable",
        path: `/webhook_subscriptions/${encodeURIComponent(id)}/enable`,
        idempotency: "idempotent",
      }),
    );
  }

  /** Deletes a subscription; one already gone counts as success. */
  async deleteWebhookSubscription(id: string): Promise<void> {
    try {
      await this.#call({
        method: "DELETE",
        template: "/webhook_subscriptions/{id}",
        path: `/webhook_subscriptions/${encodeURIComponent(id)}`,
        idempotency: "idempotent",
      });
    } catch (error) {
      if (!(error instanceof PagerDutyError) || error.status !== 404) throw error;
    }
  }

  /** Every workflow whose name equals `name` exactly (PagerDuty's query matches parts of names). */
  async findIncidentWorkflows(name: string): Promise<IncidentWorkflow[]> {
    const found: IncidentWorkflow[] = [];
    const all = this.#list(
      "/incident_workflows",
      "incident_workflows",
      [["query", name]],
      readIncidentWorkflows,
    );
    for await (const workflow of all) {
      if (workflow.name === name) found.push(workflow);
    }
    return found;
  }

  /** Creates a workflow without steps: starting it is the signal, it need do nothing itself. */
  async createIncidentWorkflow(
    input: { name: string; description: string },
  ): Promise<IncidentWorkflow> {
    return readIncidentWorkflow(
      await this.#call({
        method: "POST",
        template: "/incident_workflows",
        path: "/incident_workflows",
        body: { incident_workflow: { name: input.name, description: input.description } },
        idempotency: "not-idempotent",
      }),
    );
  }

  /** The manual triggers of a workflow. */
  async listManualTriggers(workflowId: string): Promise<WorkflowTrigger[]> {
    const path = "/incident_workflows/triggers";
    const found: WorkflowTrigger[] = [];
    const all = paginateCursor(`GET ${path}`, async (cursor, limit) => {
      const result = await this.#call({
        method: "GET",
        template: path,
        path,
        query: [
          ["workflow_id", workflowId],
          ["trigger_type", "manual"],
          ["limit", String(limit)],
          ...(cursor === undefined ? [] : [["cursor", cursor] as [string, string]]),
        ],
        idempotency: "idempotent",
      });
      const page: CursorPage = readCursorList(result, "triggers");
      return { items: readWorkflowTriggers(result, page), nextCursor: page.nextCursor };
    });
    for await (const trigger of all) {
      if (trigger.workflowId === workflowId) found.push(trigger);
    }
    return found;
  }

  /** Adds a manual trigger offering the workflow on incidents of these services. */
  async createManualTrigger(
    workflowId: string,
    serviceIds: readonly string[],
  ): Promise<WorkflowTrigger> {
    return readWorkflowTrigger(
      await this.#call({
        method: "POST",
        template: "/incident_workflows/triggers",
        path: "/incident_workflows/triggers",
        body: {
          trigger: {
            trigger_type: "manual",
            workflow: { id: workflowId },
            services: serviceIds.map((id) => ({ id })),
            is_subscribed_to_all_services: false,
          },
        },
        idempotency: "not-idempotent",
      }),
    );
  }

  /** Offers a trigger's workflow on one more service. */
  async addServiceToTrigger(triggerId: string, serviceId: string): Promise<WorkflowTrigger> {
    return readWorkflowTrigger(
      await this.#call({
        method: "POST",
        template: "/incident_workflows/triggers/{id}/services",
        path: `/incident_workflows/triggers/${encodeURIComponent(triggerId)}/services`,
        body: { service: { id: serviceId } },
        idempotency: "not-idempotent",
      }),
    );
  }

  /** The extension type with this key (`custom_webhook`), or undefined when not offered. */
  async findExtensionSchema(key: string): Promise<ExtensionSchema | undefined> {
    const all = this.#list("/extension_schemas", "extension_schemas", [], readExtensionSchemas);
    for await (const schema of all) {
      if (schema.key === key) return schema;
    }
    return undefined;
  }

  /** The extensions of one type on one service. */
  async listExtensions(query: { schemaId: string; serviceId: string }): Promise<Extension[]> {
    const found: Extension[] = [];
    const params: Array<[string, string]> = [
      ["extension_schema_id", query.schemaId],
      ["extension_object_id", query.serviceId],
    ];
    for await (const extension of this.#list("/extensions", "extensions", params, readExtensions)) {
      if (extension.schemaId === query.schemaId && extension.serviceIds.includes(query.serviceId)) {
        found.push(extension);
      }
    }
    return found;
  }

  /** Creates an extension (a Custom Incident Action: a button on the services' incidents). */
  async createExtension(input: ExtensionInput): Promise<Extension> {
    return readExtension(
      await this.#call({
        method: "POST",
        template: "/extensions",
        path: "/extensions",
        body: extensionBody(input),
        idempotency: "not-idempotent",
      }),
    );
  }

  /** Replaces an extension's name, endpoint, services and headers. */
  async updateExtension(id: string, input: ExtensionInput): Promise<Extension> {
    return readExtension(
      await this.#call({
        method: "PUT",
        template: "/extensions/{id}",
        path: `/extensions/${encodeURIComponent(id)}`,
        body: extensionBody(input),
        idempotency: "idempotent",
      }),
    );
  }

  /** The ID of a priority given by name (ignoring case) or ID; undefined, with a warning, if none. */
  async #priorityId(nameOrId: string): Promise<string | undefined> {
    let priorities: Priority[];
    try {
      priorities = await this.#priorities.get("all", async () => {
        const all: Priority[] = [];
        for await (const p of this.#list("/priorities", "priorities", [], readPriorities)) {
          all.push(p);
        }
        return all;
      });
    } catch (error) {
      // An incident without the priority still pages someone; no incident pages nobody.
      log.warn(
        "Could not list PagerDuty priorities, so the incident is opened without priority {priority}: {error}",
        { priority: nameOrId, error: String(error) },
      );
      return undefined;
    }
    const match = priorities.find((p) => p.id === nameOrId) ??
      priorities.find((p) => sameText(p.name, nameOrId));
    if (match === undefined) {
      log.warn(
        "PagerDuty has no priority {priority} (it has {known}), so the incident is opened without one: fix pagerduty.priority.",
        { priority: nameOrId, known: priorities.map((p) => p.name).join(", ") },
      );
    }
    return match?.id;
  }

  /** All incidents with this key in the service, any status, any age. */
  async #incidentsByKey(incidentKey: string, serviceId: string): Promise<Incident[]> {
    const params: Array<[string, string]> = [
      ["incident_key", incidentKey],
      ["service_ids[]", serviceId],
      // The default window is the last month; an older request's incident must be found too.
      ["date_range", "all"],
    ];
    const found: Incident[] = [];
    for await (const incident of this.#list("/incidents", "incidents", params, readIncidents)) {
      if (incident.incidentKey === incidentKey && incident.serviceId === serviceId) {
        found.push(incident);
      }
    }
    return found;
  }

  /** Every item of a paged `GET` list. */
  #list<T>(
    path: string,
    key: string,
    params: ReadonlyArray<readonly [string, string]>,
    read: (result: HttpResult, page: ListPage) => T[],
  ): AsyncGenerator<T, void, undefined> {
    return paginate(`GET ${path}`, async (offset, limit) => {
      const result = await this.#call({
        method: "GET",
        template: path,
        path,
        query: [...params, ["limit", String(limit)], ["offset", String(offset)]],
        idempotency: "idempotent",
      });
      const page = readList(result, key);
      return { items: read(result, page), more: page.more };
    });
  }

  #get(template: string, path: string): Promise<HttpResult> {
    return this.#call({ method: "GET", template, path, idempotency: "idempotent" });
  }

  #call(spec: Omit<RequestSpec, "signal">, signal?: AbortSignal): Promise<HttpResult> {
    const signals = [this.#signal, signal].filter((s): s is AbortSignal => s !== undefined);
    return this.#transport.request({
      ...spec,
      signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
    });
  }
}

function extensionBody(input: ExtensionInput): unknown {
  return {
    extension: {
      type: "extension",
      name: input.name,
      endpoint_url: input.endpointUrl,
      extension_schema: { id: input.schemaId, type: "extension_schema_reference" },
      extension_objects: input.serviceIds.map((id) => ({ id, type: "service_reference" })),
      config: { headers: input.headers.map((h) => ({ name: h.name, value: h.value })) },
    },
  };
}
