/**
 * The fake PagerDuty's integration objects, which `setup-pagerduty` creates: V3 webhook
 * subscriptions, Incident Workflows with their triggers, and extensions (Custom Incident Actions)
 * with their schemas. State, driver methods and route handlers are here; `handlers.ts` lists the
 * routes and `server.ts` delivers account events to the subscriptions created through the API.
 *
 * Access, as PagerDuty documents it: a user token acting as a Responder, Observer, Restricted
 * Access or read-only user gets 403 on every write here (only Managers, Admins and the Account
 * Owner may manage webhooks, workflows and custom actions; account keys may do anything unless
 * read-only, which the pipeline refuses first). An account without the `incident_workflows`
 * ability gets 402 on every `/incident_workflows` route. An account that does not offer Custom
 * Incident Actions (`offerCustomIncidentActions = false`) lists no `custom_webhook` schema.
 *
 * Where PagerDuty's real answer is unverified, the fake picks one: a subscription's secret is a
 * 64-character hex string returned only by the create answer (documented); custom header values
 * of subscriptions are redacted on reads (documented), those of extensions are returned as stored
 * (undocumented); creating a subscription answers 200 (the spec), everything else created 201;
 * associating a service a trigger already has is a 400.
 *
 * @module
 */

import { accessDenied, errorBody, invalidInput, notFound, PdHttpError } from "./errors.ts";
import type { HandlerResult, RequestContext, Route } from "./handlers.ts";
import type { JsonObject } from "./render.ts";
import type { Account } from "./state.ts";

/** The V3 event types PagerDuty delivers (docs/pagerduty-api.md §4.3). */
export const WEBHOOK_EVENT_TYPES: readonly string[] = [
  "incident.acknowledged",
  "incident.annotated",
  "incident.conference_bridge.updated",
  "incident.custom_field_values.updated",
  "incident.delegated",
  "incident.escalated",
  "incident.incident_type.changed",
  "incident.priority_updated",
  "incident.reassigned",
  "incident.reopened",
  "incident.resolved",
  "incident.responder.added",
  "incident.responder.replied",
  "incident.role.assigned",
  "incident.service_updated",
  "incident.status_update_published",
  "incident.task.created",
  "incident.task.updated",
  "incident.task.completed",
  "incident.triggered",
  "incident.unacknowledged",
  "incident.action_invocation.created",
  "incident.action_invocation.updated",
  "incident.action_invocation.terminated",
  "incident.workflow.started",
  "incident.workflow.completed",
  "service.created",
  "service.updated",
  "service.deleted",
  "service.custom_field_values.updated",
];

/** Subscriptions allowed per service or team (PagerDuty's product limit). */
export const MAX_SUBSCRIPTIONS_PER_FILTER = 10;

/** Custom Incident Actions allowed per service (PagerDuty's product limit). */
export const MAX_CUSTOM_ACTIONS_PER_SERVICE = 3;

/** The user roles that may manage integrations (PagerDuty's `user.role` values). */
const MANAGING_ROLES: ReadonlySet<string> = new Set(["owner", "admin", "user"]);

/** What a subscription delivers for. */
export interface SubscriptionFilter {
  readonly type: "account_reference" | "service_reference" | "team_reference";
  readonly id?: string;
}

/** A V3 webhook subscription. */
export interface WebhookSubscriptionRecord {
  readonly id: string;
  readonly deliveryMethodId: string;
  readonly url: string;
  /** The signing secret, shown once in the create answer. */
  readonly secret: string;
  readonly customHeaders: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly description: string;
  readonly events: readonly string[];
  readonly filter: SubscriptionFilter;
  readonly active: boolean;
  /** Set by PagerDuty after repeated refused deliveries; cleared by `…/enable`. */
  readonly temporarilyDisabled: boolean;
}

/** An Incident Workflow. */
export interface IncidentWorkflowRecord {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly isEnabled: boolean;
  readonly steps: readonly JsonObject[];
  readonly createdAt: Date;
}

/** A trigger that starts a workflow. */
export interface WorkflowTriggerRecord {
  readonly id: string;
  readonly workflowId: string;
  readonly triggerType: "manual" | "conditional" | "incident_type";
  readonly serviceIds: readonly string[];
  readonly allServices: boolean;
  readonly condition?: string;
  readonly permissions?: { readonly restricted: boolean; readonly teamId?: string };
}

/** An extension type. */
export interface ExtensionSchemaRecord {
  readonly id: string;
  readonly key: string;
  readonly label: string;
  readonly description: string;
}

/** An extension: a Custom Incident Action, a V2 webhook… */
export interface ExtensionRecord {
  readonly id: string;
  readonly name: string;
  readonly endpointUrl: string;
  readonly schemaId: string;
  readonly serviceIds: readonly string[];
  readonly config: JsonObject;
}

/** The account's generic V2 webhook type (the spec's example id). */
export const GENERIC_WEBHOOK_SCHEMA: ExtensionSchemaRecord = {
  id: "PJFWPEP",
  key: "generic_webhook",
  label: "Generic V2 Webhook",
  description: "Sends incident events to a URL.",
};

/** The Custom Incident Action type. */
export const CUSTOM_ACTION_SCHEMA: ExtensionSchemaRecord = {
  id: "PCUSTOM",
  key: "custom_webhook",
  label: "Custom Incident Action",
  description: "Adds a button to incidents that sends the incident to a URL.",
};

/** What the server delivers account events to. */
export interface DeliveryTarget {
  readonly id: string;
  readonly url: string;
  readonly secret: string;
  readonly events: readonly string[];
  /** Only incidents of these services; undefined for the whole account. */
  readonly serviceIds?: readonly string[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The integration objects of the fake account, with driver methods for tests. */
export class Integrations {
  /** Whether the account offers Custom Incident Actions (the `custom_webhook` schema). */
  offerCustomIncidentActions = true;

  readonly #account: Account;
  readonly #subscriptions = new Map<string, Mutable<WebhookSubscriptionRecord>>();
  readonly #workflows = new Map<string, Mutable<IncidentWorkflowRecord>>();
  readonly #triggers = new Map<string, Mutable<WorkflowTriggerRecord>>();
  readonly #extensions = new Map<string, Mutable<ExtensionRecord>>();
  #nextId = 1;

  /** Creates the empty set for an account, whose services the objects refer to. */
  constructor(account: Account) {
    this.#account = account;
  }

  /** A PagerDuty-looking id: `P` + `kind` + 5 characters. */
  #id(kind: string): string {
    return `P${kind}${String(this.#nextId++).padStart(5, "0")}`;
  }

  // ---- driver ----------------------------------------------------------------------------------

  /** Every webhook subscription, oldest first. */
  webhookSubscriptions(): WebhookSubscriptionRecord[] {
    return [...this.#subscriptions.values()].map((s) => ({ ...s }));
  }

  /** Every workflow, oldest first. */
  workflows(): IncidentWorkflowRecord[] {
    return [...this.#workflows.values()].map((w) => ({ ...w }));
  }

  /** Every workflow trigger, oldest first. */
  triggers(): WorkflowTriggerRecord[] {
    return [...this.#triggers.values()].map((t) => ({ ...t }));
  }

  /** Every extension, oldest first. */
  extensions(): ExtensionRecord[] {
    return [...this.#extensions.values()].map((e) => ({ ...e }));
  }

  /** The extension types the account offers. */
  extensionSchemas(): ExtensionSchemaRecord[] {
    return this.offerCustomIncidentActions
      ? [GENERIC_WEBHOOK_SCHEMA, CUSTOM_ACTION_SCHEMA]
      : [GENERIC_WEBHOOK_SCHEMA];
  }

  /** Adds a subscription as someone would in the web UI; returns it with its secret. */
  addWebhookSubscription(input: {
    url: string;
    events: readonly string[];
    filter: SubscriptionFilter;
    description?: string;
    active?: boolean;
  }): WebhookSubscriptionRecord {
    const subscription: Mutable<WebhookSubscriptionRecord> = {
      id: this.#id("S"),
      deliveryMethodId: this.#id("D"),
      url: input.url,
      secret: Array.from(crypto.getRandomValues(new Uint8Array(32)), hexByte).join(""),
      customHeaders: [],
      description: input.description ?? "",
      events: [...input.events],
      filter: input.filter,
      active: input.active ?? true,
      temporarilyDisabled: false,
    };
    this.#subscriptions.set(subscription.id, subscription);
    return { ...subscription };
  }

  /** Disables a subscription as PagerDuty does after 3 refused deliveries in a row. */
  disableTemporarily(subscriptionId: string): void {
    this.#requireSubscription(subscriptionId).temporarilyDisabled = true;
  }

  /** Adds a workflow as someone would in the web UI. */
  addWorkflow(
    input: { name: string; description?: string; isEnabled?: boolean },
    now = new Date(),
  ): IncidentWorkflowRecord {
    const workflow: Mutable<IncidentWorkflowRecord> = {
      id: this.#id("W"),
      name: input.name,
      description: input.description ?? "",
      isEnabled: input.isEnabled ?? true,
      steps: [],
      createdAt: now,
    };
    this.#workflows.set(workflow.id, workflow);
    return { ...workflow };
  }

  /** Adds a trigger to a workflow as someone would in the web UI. */
  addTrigger(input: {
    workflowId: string;
    triggerType?: WorkflowTriggerRecord["triggerType"];
    serviceIds?: readonly string[];
    allServices?: boolean;
  }): WorkflowTriggerRecord {
    if (!this.#workflows.has(input.workflowId)) {
      throw new Error(`The fake PagerDuty has no workflow ${input.workflowId}.`);
    }
    const trigger: Mutable<WorkflowTriggerRecord> = {
      id: crypto.randomUUID(),
      workflowId: input.workflowId,
      triggerType: input.triggerType ?? "manual",
      serviceIds: [...(input.serviceIds ?? [])],
      allServices: input.allServices ?? false,
    };
    this.#triggers.set(trigger.id, trigger);
    return { ...trigger };
  }

  /** Adds an extension as someone would in the web UI. */
  addExtension(input: Omit<ExtensionRecord, "id">): ExtensionRecord {
    const extension = { ...input, id: this.#id("E") };
    this.#extensions.set(extension.id, extension);
    return { ...extension };
  }

  /** The active subscriptions' delivery targets, for the server's event delivery. */
  deliveryTargets(): DeliveryTarget[] {
    return [...this.#subscriptions.values()]
      .filter((s) => s.active && !s.temporarilyDisabled && s.filter.type !== "team_reference")
      .map((s) => ({
        id: s.id,
        url: s.url,
        secret: s.secret,
        events: s.events,
        serviceIds: s.filter.type === "service_reference" ? [s.filter.id!] : undefined,
      }));
  }

  #requireSubscription(id: string): Mutable<WebhookSubscriptionRecord> {
    const subscription = this.#subscriptions.get(id);
    if (subscription === undefined) throw notFound();
    return subscription;
  }

  #requireService(id: unknown, field: string): string {
    if (typeof id !== "string" || this.#account.service(id) === undefined) {
      throw invalidInput([`${field} must be the id of a service of this account.`]);
    }
    return id;
  }

  // ---- webhook subscriptions -------------------------------------------------------------------

  /** `GET /webhook_subscriptions`. */
  listSubscriptions(ctx: RequestContext): HandlerResult {
    const type = ctx.query.filter_type as string | undefined;
    const id = ctx.query.filter_id as string | undefined;
    if ((type === "service" || type === "team") && id === undefined) {
      throw invalidInput(["filter_id is required when filter_type is service or team."]);
    }
    const matches = [...this.#subscriptions.values()].filter((s) =>
      type === undefined ||
      (s.filter.type === `${type}_reference` && (type === "account" || s.filter.id === id))
    );
    return offsetPage(ctx, "webhook_subscriptions", matches, (s) => renderSubscription(ctx, s));
  }

  /** `POST /webhook_subscriptions`. */
  createSubscription(ctx: RequestContext): HandlerResult {
    requireManager(ctx);
    const body = ctx.body.webhook_subscription as JsonObject;
    const delivery = body.delivery_method as JsonObject;
    const filter = this.#filter(body.filter as JsonObject);
    const events = this.#events(body.events);
    if (typeof delivery.url !== "string" || !/^https?:\/\/[^/]/.test(delivery.url)) {
      throw invalidInput(["delivery_method.url must be an http(s) URL."]);
    }
    const sameFilter = [...this.#subscriptions.values()].filter((s) =>
      s.filter.type === filter.type && s.filter.id === filter.id
    );
    if (sameFilter.length >= MAX_SUBSCRIPTIONS_PER_FILTER) {
      throw invalidInput([
        `At most ${MAX_SUBSCRIPTIONS_PER_FILTER} webhook subscriptions may share one filter.`,
      ]);
    }
    const created = this.addWebhookSubscription({
      url: delivery.url,
      events,
      filter,
      description: typeof body.description === "string" ? body.description : "",
      active: body.active !== false,
    });
    const headers = (delivery.custom_headers ?? []) as Array<{ name?: string; value?: string }>;
    this.#subscriptions.get(created.id)!.customHeaders = headers.map((h) => ({
      name: h.name ?? "",
      value: h.value ?? "",
    }));
    const rendered = renderSubscription(ctx, this.#subscriptions.get(created.id)!);
    (rendered.delivery_method as JsonObject).secret = created.secret;
    return { status: 200, body: { webhook_subscription: rendered } };
  }

  /** `GET /webhook_subscriptions/{id}`. */
  getSubscription(ctx: RequestContext): HandlerResult {
    const subscription = this.#requireSubscription(ctx.params.id);
    return { status: 200, body: { webhook_subscription: renderSubscription(ctx, subscription) } };
  }

  /** `PUT /webhook_subscriptions/{id}`. */
  updateSubscription(ctx: RequestContext): HandlerResult {
    requireManager(ctx);
    const subscription = this.#requireSubscription(ctx.params.id);
    const update = (ctx.body.webhook_subscription ?? {}) as JsonObject;
    const events = update.events === undefined ? undefined : this.#events(update.events);
    const filter = update.filter === undefined
      ? undefined
      : this.#filter(update.filter as JsonObject);
    if (typeof update.description === "string") subscription.description = update.description;
    if (typeof update.active === "boolean") subscription.active = update.active;
    if (events !== undefined) subscription.events = events;
    if (filter !== undefined) subscription.filter = filter;
    return { status: 200, body: { webhook_subscription: renderSubscription(ctx, subscription) } };
  }

  /** `DELETE /webhook_subscriptions/{id}`. */
  deleteSubscription(ctx: RequestContext): HandlerResult {
    requireManager(ctx);
    this.#requireSubscription(ctx.params.id);
    this.#subscriptions.delete(ctx.params.id);
    return { status: 204 };
  }

  /** `POST /webhook_subscriptions/{id}/enable`. */
  enableSubscription(ctx: RequestContext): HandlerResult {
    requireManager(ctx);
    const subscription = this.#requireSubscription(ctx.params.id);
    subscription.temporarilyDisabled = false;
    return { status: 200, body: { webhook_subscription: renderSubscription(ctx, subscription) } };
  }

  #filter(raw: JsonObject): SubscriptionFilter {
    const type = raw.type as SubscriptionFilter["type"];
    if (type === "account_reference") return { type };
    if (type === "service_reference") {
      return { type, id: this.#requireService(raw.id, "filter.id") };
    }
    if (typeof raw.id !== "string") throw invalidInput(["filter.id is required for teams."]);
    return { type, id: raw.id };
  }

  #events(raw: unknown): string[] {
    const events = raw as string[];
    const unknown = events.filter((e) => !WEBHOOK_EVENT_TYPES.includes(e));
    if (unknown.length > 0) {
      throw invalidInput(unknown.map((e) => `"${e}" is not a webhook event type.`));
    }
    return [...events];
  }

  // ---- incident workflows ----------------------------------------------------------------------

  /** `GET /incident_workflows`. */
  listWorkflows(ctx: RequestContext): HandlerResult {
    requireWorkflows(ctx);
    const query = (ctx.query.query as string | undefined)?.toLowerCase();
    const matches = [...this.#workflows.values()].filter((w) =>
      query === undefined || w.name.toLowerCase().includes(query)
    );
    return offsetPage(ctx, "incident_workflows", matches, (w) => renderWorkflow(ctx, w));
  }

  /** `POST /incident_workflows`. */
  createWorkflow(ctx: RequestContext): HandlerResult {
    requireWorkflows(ctx);
    requireManager(ctx);
    const body = ctx.body.incident_workflow as JsonObject;
    if (typeof body.name !== "string" || body.name.trim() === "") {
      throw invalidInput(["incident_workflow.name is required."]);
    }
    const workflow = this.addWorkflow({
      name: body.name,
      description: typeof body.description === "string" ? body.description : "",
      isEnabled: body.is_enabled !== false,
    }, ctx.now);
    this.#workflows.get(workflow.id)!.steps = (body.steps ?? []) as JsonObject[];
    return { status: 201, body: { incident_workflow: renderWorkflow(ctx, workflow) } };
  }

  /** `GET /incident_workflows/{id}`. */
  getWorkflow(ctx: RequestContext): HandlerResult {
    requireWorkflows(ctx);
    const workflow = this.#workflows.get(ctx.params.id);
    if (workflow === undefined) throw notFound();
    return { status: 200, body: { incident_workflow: renderWorkflow(ctx, workflow) } };
  }

  /** `GET /incident_workflows/triggers`, with cursor pagination. */
  listTriggers(ctx: RequestContext): HandlerResult {
    requireWorkflows(ctx);
    const q = ctx.query;
    if (q.incident_id !== undefined) {
      throw invalidInput(["The fake PagerDuty does not filter triggers by incident_id."]);
    }
    const nameContains = (q.workflow_name_contains as string | undefined)?.toLowerCase();
    const matches = [...this.#triggers.values()].filter((t) =>
      (q.workflow_id === undefined || t.workflowId === q.workflow_id) &&
      (q.trigger_type === undefined || t.triggerType === q.trigger_type) &&
      (q.service_id === undefined || t.allServices ||
        t.serviceIds.includes(q.service_id as string)) &&
      (nameContains === undefined ||
        (this.#workflows.get(t.workflowId)?.name.toLowerCase().includes(nameContains) ?? false)) &&
      (q.is_disabled === undefined ||
        (q.is_disabled === true) === !(this.#workflows.get(t.workflowId)?.isEnabled ?? true))
    );
    const limit = Math.min(Math.max((q.limit as number | undefined) ?? 25, 1), 100);
    const start = q.cursor === undefined ? 0 : Number.parseInt(q.cursor as string, 36);
    if (!Number.isInteger(start) || start < 0) throw invalidInput(["cursor is invalid."]);
    const slice = matches.slice(start, start + limit);
    const next = start + slice.length < matches.length ? (start + slice.length).toString(36) : null;
    return {
      status: 200,
      body: {
        triggers: slice.map((t) => this.#renderTrigger(ctx, t)),
        limit,
        next_cursor: next,
        more: next !== null,
      },
    };
  }

  /** `POST /incident_workflows/triggers`. */
  createTrigger(ctx: RequestContext): HandlerResult {
    requireWorkflows(ctx);
    requireManager(ctx);
    const body = ctx.body.trigger as JsonObject;
    const triggerType = body.trigger_type as WorkflowTriggerRecord["triggerType"] | undefined;
    if (triggerType === undefined) throw invalidInput(["trigger.trigger_type is required."]);
    const workflowId = (body.workflow as { id?: string } | undefined)?.id;
    if (workflowId === undefined || !this.#workflows.has(workflowId)) {
      throw invalidInput(["trigger.workflow.id must be the id of a workflow."]);
    }
    const services = (body.services ?? []) as Array<{ id?: string }>;
    const permissions = body.permissions as { restricted?: boolean; team_id?: string } | undefined;
    if (permissions !== undefined && triggerType !== "manual") {
      throw invalidInput(["trigger.permissions applies only to manual triggers."]);
    }
    const trigger = this.addTrigger({
      workflowId,
      triggerType,
      serviceIds: services.map((s, i) => this.#requireService(s.id, `trigger.services[${i}].id`)),
      allServices: body.is_subscribed_to_all_services === true,
    });
    const record = this.#triggers.get(trigger.id)!;
    if (typeof body.condition === "string") record.condition = body.condition;
    if (permissions !== undefined) {
      record.permissions = {
        restricted: permissions.restricted === true,
        teamId: permissions.team_id,
      };
    }
    return { status: 201, body: { trigger: this.#renderTrigger(ctx, record) } };
  }

  /** `POST /incident_workflows/triggers/{id}/services`. */
  addTriggerService(ctx: RequestContext): HandlerResult {
    requireWorkflows(ctx);
    requireManager(ctx);
    const trigger = this.#triggers.get(ctx.params.id);
    if (trigger === undefined) throw notFound();
    const serviceId = this.#requireService(
      (ctx.body.service as { id?: string }).id,
      "service.id",
    );
    if (trigger.serviceIds.includes(serviceId)) {
      throw invalidInput([`Service ${serviceId} is already associated with this trigger.`]);
    }
    trigger.serviceIds = [...trigger.serviceIds, serviceId];
    return { status: 201, body: { trigger: this.#renderTrigger(ctx, trigger) } };
  }

  #renderTrigger(ctx: RequestContext, trigger: WorkflowTriggerRecord): JsonObject {
    const workflow = this.#workflows.get(trigger.workflowId);
    const self = `${ctx.render.apiBase}/incident_workflows/triggers/${trigger.id}`;
    return {
      id: trigger.id,
      type: "workflow_trigger",
      trigger_type: trigger.triggerType,
      trigger_type_name: trigger.triggerType === "manual"
        ? "Manual Trigger"
        : trigger.triggerType === "conditional"
        ? "Conditional Trigger"
        : "Incident Type Trigger",
      ...(trigger.condition === undefined ? {} : { condition: trigger.condition }),
      trigger_url: `${self}/start`,
      self,
      workflow_id: trigger.workflowId,
      workflow_name: workflow?.name ?? "",
      workflow: workflow === undefined ? { id: trigger.workflowId } : {
        id: workflow.id,
        type: "workflow_reference",
        name: workflow.name,
        self: `${ctx.render.apiBase}/incident_workflows/${workflow.id}`,
        html_url: `${ctx.render.webBase}/flex-workflows/workflows/${workflow.id}`,
      },
      is_subscribed_to_all_services: trigger.allServices,
      services: trigger.serviceIds.map((id) => ({
        ...ctx.render.reference("service", "services", id, ctx.account.service(id)?.name ?? id),
        type: "service",
      })),
      ...(trigger.permissions === undefined ? {} : {
        permissions: {
          restricted: trigger.permissions.restricted,
          ...(trigger.permissions.teamId === undefined
            ? {}
            : { team_id: trigger.permissions.teamId }),
        },
      }),
      is_disabled: !(workflow?.isEnabled ?? true),
    };
  }

  // ---- extensions ------------------------------------------------------------------------------

  /** `GET /extension_schemas`. */
  listExtensionSchemas(ctx: RequestContext): HandlerResult {
    return offsetPage(ctx, "extension_schemas", this.extensionSchemas(), (s) => ({
      id: s.id,
      type: "extension_schema",
      summary: s.label,
      self: `${ctx.render.apiBase}/extension_schemas/${s.id}`,
      html_url: null,
      key: s.key,
      label: s.label,
      description: s.description,
      send_types: s.key === "custom_webhook" ? ["custom"] : ["trigger", "acknowledge", "resolve"],
    }));
  }

  /** `GET /extensions`. */
  listExtensions(ctx: RequestContext): HandlerResult {
    const objectId = ctx.query.extension_object_id as string | undefined;
    const schemaId = ctx.query.extension_schema_id as string | undefined;
    const query = (ctx.query.query as string | undefined)?.toLowerCase();
    const matches = [...this.#extensions.values()].filter((e) =>
      (objectId === undefined || e.serviceIds.includes(objectId)) &&
      (schemaId === undefined || e.schemaId === schemaId) &&
      (query === undefined || e.name.toLowerCase().includes(query))
    );
    return offsetPage(ctx, "extensions", matches, (e) => renderExtension(ctx, e));
  }

  /** `POST /extensions`. */
  createExtension(ctx: RequestContext): HandlerResult {
    requireManager(ctx);
    const fields = this.#extensionFields(ctx.body.extension as JsonObject);
    const extension = this.addExtension(fields);
    return { status: 201, body: { extension: renderExtension(ctx, extension) } };
  }

  /** `PUT /extensions/{id}`. */
  updateExtension(ctx: RequestContext): HandlerResult {
    requireManager(ctx);
    const extension = this.#extensions.get(ctx.params.id);
    if (extension === undefined) throw notFound();
    Object.assign(extension, this.#extensionFields(ctx.body.extension as JsonObject, extension.id));
    return { status: 200, body: { extension: renderExtension(ctx, extension) } };
  }

  #extensionFields(body: JsonObject, replacing?: string): Omit<ExtensionRecord, "id"> {
    const schemaId = (body.extension_schema as { id: string }).id;
    const schema = this.extensionSchemas().find((s) => s.id === schemaId);
    if (schema === undefined) {
      throw invalidInput(["extension_schema.id is not an extension type of this account."]);
    }
    const serviceIds = (body.extension_objects as Array<{ id: string }>).map((o, i) =>
      this.#requireService(o.id, `extension_objects[${i}].id`)
    );
    if (schema.key === "custom_webhook") {
      for (const serviceId of serviceIds) {
        const actions = [...this.#extensions.values()].filter((e) =>
          e.id !== replacing && e.schemaId === schema.id && e.serviceIds.includes(serviceId)
        );
        if (actions.length >= MAX_CUSTOM_ACTIONS_PER_SERVICE) {
          throw invalidInput([
            `A service may have at most ${MAX_CUSTOM_ACTIONS_PER_SERVICE} custom incident actions.`,
          ]);
        }
      }
    }
    if (typeof body.endpoint_url !== "string" || !/^https?:\/\/[^/]/.test(body.endpoint_url)) {
      throw invalidInput(["extension.endpoint_url must be an http(s) URL."]);
    }
    return {
      name: body.name as string,
      endpointUrl: body.endpoint_url,
      schemaId,
      serviceIds,
      config: (body.config ?? {}) as JsonObject,
    };
  }
}

function hexByte(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

function requireManager(ctx: RequestContext): void {
  if (ctx.tokenUser !== undefined && !MANAGING_ROLES.has(ctx.tokenUser.role)) {
    throw accessDenied(
      "Only Managers, Admins and the Account Owner may manage webhooks, workflows and extensions.",
    );
  }
}

function requireWorkflows(ctx: RequestContext): void {
  if (!ctx.abilities.includes("incident_workflows")) {
    throw new PdHttpError(
      402,
      errorBody("Account does not have the ability", 2014, [
        "Missing ability incident_workflows",
      ]),
    );
  }
}

/** Classic offset pagination, as every older list of PagerDuty's answers. */
function offsetPage<T>(
  ctx: RequestContext,
  key: string,
  items: readonly T[],
  render: (item: T) => unknown,
): HandlerResult {
  const limit = Math.min(Math.max((ctx.query.limit as number | undefined) ?? 25, 1), 100);
  const offset = (ctx.query.offset as number | undefined) ?? 0;
  if (offset < 0) throw invalidInput(["Offset must not be negative."]);
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

function renderSubscription(ctx: RequestContext, s: WebhookSubscriptionRecord): JsonObject {
  return {
    id: s.id,
    type: "webhook_subscription",
    active: s.active,
    delivery_method: {
      id: s.deliveryMethodId,
      secret: null,
      temporarily_disabled: s.temporarilyDisabled,
      type: "http_delivery_method",
      url: s.url,
      custom_headers: s.customHeaders.map((h) => ({ name: h.name, value: "[REDACTED]" })),
    },
    description: s.description,
    events: [...s.events],
    filter: s.filter.type === "account_reference"
      ? { type: s.filter.type }
      : { id: s.filter.id, type: s.filter.type },
    self: `${ctx.render.apiBase}/webhook_subscriptions/${s.id}`,
  };
}

function renderWorkflow(ctx: RequestContext, w: IncidentWorkflowRecord): JsonObject {
  return {
    id: w.id,
    type: "incident_workflow",
    summary: w.name,
    name: w.name,
    description: w.description,
    created_at: w.createdAt.toISOString(),
    is_enabled: w.isEnabled,
    self: `${ctx.render.apiBase}/incident_workflows/${w.id}`,
    html_url: `${ctx.render.webBase}/flex-workflows/workflows/${w.id}`,
  };
}

function renderExtension(ctx: RequestContext, e: ExtensionRecord): JsonObject {
  const schema = [GENERIC_WEBHOOK_SCHEMA, CUSTOM_ACTION_SCHEMA].find((s) => s.id === e.schemaId);
  return {
    id: e.id,
    type: "extension",
    summary: e.name,
    self: `${ctx.render.apiBase}/extensions/${e.id}`,
    html_url: null,
    name: e.name,
    endpoint_url: e.endpointUrl,
    extension_schema: ctx.render.reference(
      "extension_schema",
      "extension_schemas",
      e.schemaId,
      schema?.label ?? e.schemaId,
    ),
    extension_objects: e.serviceIds.map((id) =>
      ctx.render.reference("service", "services", id, ctx.account.service(id)?.name ?? id)
    ),
    temporarily_disabled: false,
    config: e.config,
  };
}

function route(
  method: Route["method"],
  pathname: string,
  operationId: string,
  handle: (integrations: Integrations, ctx: RequestContext) => HandlerResult,
): Route {
  return {
    method,
    operationId,
    pattern: new URLPattern({ pathname }),
    requiresFrom: false,
    handle: (ctx) => handle(ctx.integrations, ctx),
  };
}

/** The integration routes, most specific first (`/incident_workflows/triggers` before `/:id`). */
export const INTEGRATION_ROUTES: readonly Route[] = [
  route(
    "GET",
    "/webhook_subscriptions",
    "listWebhookSubscriptions",
    (i, c) => i.listSubscriptions(c),
  ),
  route(
    "POST",
    "/webhook_subscriptions",
    "createWebhookSubscription",
    (i, c) => i.createSubscription(c),
  ),
  route(
    "GET",
    "/webhook_subscriptions/:id",
    "getWebhookSubscription",
    (i, c) => i.getSubscription(c),
  ),
  route(
    "PUT",
    "/webhook_subscriptions/:id",
    "updateWebhookSubscription",
    (i, c) => i.updateSubscription(c),
  ),
  route(
    "DELETE",
    "/webhook_subscriptions/:id",
    "deleteWebhookSubscription",
    (i, c) => i.deleteSubscription(c),
  ),
  route(
    "POST",
    "/webhook_subscriptions/:id/enable",
    "enableWebhookSubscription",
    (i, c) => i.enableSubscription(c),
  ),
  route(
    "GET",
    "/incident_workflows/triggers",
    "listIncidentWorkflowTriggers",
    (i, c) => i.listTriggers(c),
  ),
  route(
    "POST",
    "/incident_workflows/triggers",
    "createIncidentWorkflowTrigger",
    (i, c) => i.createTrigger(c),
  ),
  route(
    "POST",
    "/incident_workflows/triggers/:id/services",
    "associateServiceToIncidentWorkflowTrigger",
    (i, c) => i.addTriggerService(c),
  ),
  route("GET", "/incident_workflows", "listIncidentWorkflows", (i, c) => i.listWorkflows(c)),
  route("POST", "/incident_workflows", "postIncidentWorkflow", (i, c) => i.createWorkflow(c)),
  route("GET", "/incident_workflows/:id", "getIncidentWorkflow", (i, c) => i.getWorkflow(c)),
  route("GET", "/extension_schemas", "listExtensionSchemas", (i, c) => i.listExtensionSchemas(c)),
  route("GET", "/extensions", "listExtensions", (i, c) => i.listExtensions(c)),
  route("POST", "/extensions", "createExtension", (i, c) => i.createExtension(c)),
  route("PUT", "/extensions/:id", "updateExtension", (i, c) => i.updateExtension(c)),
];
