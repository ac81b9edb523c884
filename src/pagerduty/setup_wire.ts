/**
 * PagerDuty's JSON shapes of webhook subscriptions, Incident Workflows, triggers and extensions →
 * the domain types of `setup_types.ts`. Tolerant: only the fields `setup-pagerduty` uses are
 * required; missing flags take PagerDuty's documented defaults, and unknown fields are ignored.
 *
 * @module
 */

import type { HttpResult } from "./http.ts";
import type { ListPage } from "./wire.ts";
import { Reader } from "./wire.ts";
import {
  type Extension,
  type ExtensionHeader,
  type ExtensionSchema,
  type IncidentWorkflow,
  SigningSecret,
  type WebhookFilter,
  type WebhookSubscription,
  type WorkflowTrigger,
} from "./setup_types.ts";

function flag(value: unknown, fallback: boolean): boolean {
  return typeof value === "boolean" ? value : fallback;
}

function subscription(reader: Reader, raw: unknown, path: string): WebhookSubscription {
  const json = reader.object(raw, path);
  const delivery = reader.object(json.delivery_method, `${path}.delivery_method`);
  const filter = reader.object(json.filter, `${path}.filter`);
  const filterType = reader.string(filter.type, `${path}.filter.type`);
  let parsedFilter: WebhookFilter;
  if (filterType === "service_reference") {
    parsedFilter = { kind: "service", serviceId: reader.string(filter.id, `${path}.filter.id`) };
  } else if (filterType === "team_reference") {
    parsedFilter = { kind: "team", teamId: reader.string(filter.id, `${path}.filter.id`) };
  } else if (filterType === "account_reference") {
    parsedFilter = { kind: "account" };
  } else {
    reader.fail(`${path}.filter.type ${JSON.stringify(filterType)} is not a known filter type`);
  }
  const events = json.events === undefined || json.events === null
    ? []
    : reader.array(json.events, `${path}.events`).map((e, i) =>
      reader.string(e, `${path}.events[${i}]`)
    );
  return {
    id: reader.string(json.id, `${path}.id`),
    url: reader.string(delivery.url, `${path}.delivery_method.url`),
    description: reader.optionalString(json.description, `${path}.description`) ?? "",
    events,
    filter: parsedFilter,
    active: flag(json.active, true),
    temporarilyDisabled: flag(delivery.temporarily_disabled, false),
  };
}

/** Reads the `{"webhook_subscription": …}` answer of a read or an update. */
export function readWebhookSubscription(result: HttpResult): WebhookSubscription {
  const reader = new Reader(result);
  return subscription(reader, reader.entity("webhook_subscription"), "webhook_subscription");
}

/** Reads the create answer: the subscription and the secret PagerDuty shows only there. */
export function readCreatedWebhookSubscription(
  result: HttpResult,
): { subscription: WebhookSubscription; secret: SigningSecret } {
  const reader = new Reader(result);
  const entity = reader.entity("webhook_subscription");
  const delivery = reader.object(entity.delivery_method, "webhook_subscription.delivery_method");
  const secret = reader.optionalString(
    delivery.secret,
    "webhook_subscription.delivery_method.secret",
  );
  if (secret === undefined || secret === "") {
    return reader.fail("webhook_subscription.delivery_method.secret is missing");
  }
  return {
    subscription: subscription(reader, entity, "webhook_subscription"),
    secret: new SigningSecret(secret),
  };
}

/** Reads the subscriptions of a `GET /webhook_subscriptions` page. */
export function readWebhookSubscriptions(
  result: HttpResult,
  page: ListPage,
): WebhookSubscription[] {
  const reader = new Reader(result);
  return page.items.map((raw, i) => subscription(reader, raw, `webhook_subscriptions[${i}]`));
}

function workflow(reader: Reader, raw: unknown, path: string): IncidentWorkflow {
  const json = reader.object(raw, path);
  return {
    id: reader.string(json.id, `${path}.id`),
    name: reader.string(json.name, `${path}.name`),
    enabled: flag(json.is_enabled, true),
    htmlUrl: reader.optionalString(json.html_url, `${path}.html_url`) ?? "",
  };
}

/** Reads the `{"incident_workflow": …}` answer. */
export function readIncidentWorkflow(result: HttpResult): IncidentWorkflow {
  const reader = new Reader(result);
  return workflow(reader, reader.entity("incident_workflow"), "incident_workflow");
}

/** Reads the workflows of a `GET /incident_workflows` page. */
export function readIncidentWorkflows(result: HttpResult, page: ListPage): IncidentWorkflow[] {
  const reader = new Reader(result);
  return page.items.map((raw, i) => workflow(reader, raw, `incident_workflows[${i}]`));
}

function trigger(reader: Reader, raw: unknown, path: string): WorkflowTrigger {
  const json = reader.object(raw, path);
  const linked = json.workflow === undefined || json.workflow === null
    ? undefined
    : reader.object(json.workflow, `${path}.workflow`);
  const workflowId = reader.optionalString(linked?.id, `${path}.workflow.id`) ??
    reader.string(json.workflow_id, `${path}.workflow_id`);
  const services = json.services === undefined || json.services === null
    ? []
    : reader.array(json.services, `${path}.services`);
  return {
    id: reader.string(json.id, `${path}.id`),
    workflowId,
    serviceIds: services.map((s, i) =>
      reader.string(reader.object(s, `${path}.services[${i}]`).id, `${path}.services[${i}].id`)
    ),
    allServices: flag(json.is_subscribed_to_all_services, false),
  };
}

/** Reads the `{"trigger": …}` answer. */
export function readWorkflowTrigger(result: HttpResult): WorkflowTrigger {
  const reader = new Reader(result);
  return trigger(reader, reader.entity("trigger"), "trigger");
}

/** One page of a cursor-paged list: its items and the cursor of the next page, if any. */
export interface CursorPage {
  readonly items: readonly unknown[];
  readonly nextCursor: string | undefined;
}

/** Reads `{<key>: [...], next_cursor}`; a missing or null cursor means the last page. */
export function readCursorList(result: HttpResult, key: string): CursorPage {
  const reader = new Reader(result);
  const body = reader.object(result.body, "the body");
  return {
    items: reader.array(body[key], key),
    nextCursor: reader.optionalString(body.next_cursor, "next_cursor") || undefined,
  };
}

/** Reads the triggers of a `GET /incident_workflows/triggers` page. */
export function readWorkflowTriggers(result: HttpResult, page: CursorPage): WorkflowTrigger[] {
  const reader = new Reader(result);
  return page.items.map((raw, i) => trigger(reader, raw, `triggers[${i}]`));
}

/** Reads the schemas of a `GET /extension_schemas` page. */
export function readExtensionSchemas(result: HttpResult, page: ListPage): ExtensionSchema[] {
  const reader = new Reader(result);
  return page.items.map((raw, i) => {
    const json = reader.object(raw, `extension_schemas[${i}]`);
    return {
      id: reader.string(json.id, `extension_schemas[${i}].id`),
      key: reader.optionalString(json.key, `extension_schemas[${i}].key`) ?? "",
      label: reader.optionalString(json.label, `extension_schemas[${i}].label`) ??
        reader.optionalString(json.summary, `extension_schemas[${i}].summary`) ?? "",
    };
  });
}

function headers(reader: Reader, config: unknown, path: string): ExtensionHeader[] {
  if (typeof config !== "object" || config === null || Array.isArray(config)) return [];
  const list = (config as Record<string, unknown>).headers;
  if (!Array.isArray(list)) return [];
  return list.map((raw, i) => {
    const json = reader.object(raw, `${path}.config.headers[${i}]`);
    return {
      name: reader.string(json.name, `${path}.config.headers[${i}].name`),
      value: typeof json.value === "string" ? json.value : undefined,
    };
  });
}

function extension(reader: Reader, raw: unknown, path: string): Extension {
  const json = reader.object(raw, path);
  const schema = reader.object(json.extension_schema, `${path}.extension_schema`);
  const objects = json.extension_objects === undefined || json.extension_objects === null
    ? []
    : reader.array(json.extension_objects, `${path}.extension_objects`);
  return {
    id: reader.string(json.id, `${path}.id`),
    name: reader.string(json.name, `${path}.name`),
    endpointUrl: reader.optionalString(json.endpoint_url, `${path}.endpoint_url`) ?? "",
    schemaId: reader.string(schema.id, `${path}.extension_schema.id`),
    serviceIds: objects.map((o, i) =>
      reader.string(
        reader.object(o, `${path}.extension_objects[${i}]`).id,
        `${path}.extension_objects[${i}].id`,
      )
    ),
    headers: headers(reader, json.config, path),
  };
}

/** Reads the `{"extension": …}` answer. */
export function readExtension(result: HttpResult): Extension {
  const reader = new Reader(result);
  return extension(reader, reader.entity("extension"), "extension");
}

/** Reads the extensions of a `GET /extensions` page. */
export function readExtensions(result: HttpResult, page: ListPage): Extension[] {
  const reader = new Reader(result);
  return page.items.map((raw, i) => extension(reader, raw, `extensions[${i}]`));
}
