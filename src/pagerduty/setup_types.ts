/**
 * Domain types of the PagerDuty objects that let responders decide from PagerDuty: V3 webhook
 * subscriptions, Incident Workflows with their triggers, and extensions (Custom Incident Actions).
 * `setup-pagerduty` creates and updates them; the request lifecycle never does.
 *
 * @module
 */

import { Secret } from "../util/secret.ts";

/** A webhook subscription's signing secret: it never prints itself. */
export const SigningSecret = Secret;
/** A webhook subscription's signing secret: it never prints itself. */
export type SigningSecret = Secret;

/** What a webhook subscription delivers events for. */
export type WebhookFilter =
  | { readonly kind: "service"; readonly serviceId: string }
  | { readonly kind: "team"; readonly teamId: string }
  | { readonly kind: "account" };

/** A V3 webhook subscription. */
export interface WebhookSubscription {
  readonly id: string;
  /** Where events are delivered. */
  readonly url: string;
  readonly description: string;
  readonly events: readonly string[];
  readonly filter: WebhookFilter;
  /** False when someone turned it off. */
  readonly active: boolean;
  /** True after PagerDuty gave up on refused deliveries; `enable` clears it. */
  readonly temporarilyDisabled: boolean;
}

/** A subscription to create, for the incidents of one service. */
export interface NewWebhookSubscription {
  readonly url: string;
  readonly description: string;
  readonly events: readonly string[];
  readonly serviceId: string;
}

/** A subscription just created, with the secret PagerDuty shows this once only. */
export interface CreatedWebhookSubscription {
  readonly subscription: WebhookSubscription;
  readonly secret: SigningSecret;
}

/** Fields of a subscription that may be changed in place. */
export interface WebhookSubscriptionChanges {
  readonly description?: string;
  readonly events?: readonly string[];
  readonly active?: boolean;
}

/** An Incident Workflow. */
export interface IncidentWorkflow {
  readonly id: string;
  readonly name: string;
  readonly enabled: boolean;
  /** Where the workflow is edited in the web app. */
  readonly htmlUrl: string;
}

/** A manual trigger: where responders may start the workflow. */
export interface WorkflowTrigger {
  readonly id: string;
  readonly workflowId: string;
  readonly serviceIds: readonly string[];
  /** The trigger is offered on every service. */
  readonly allServices: boolean;
}

/** An extension type, e.g. Custom Incident Action (`custom_webhook`). */
export interface ExtensionSchema {
  readonly id: string;
  readonly key: string;
  readonly label: string;
}

/** A custom header of an extension. */
export interface ExtensionHeader {
  readonly name: string;
  /** Undefined when PagerDuty does not show the value. */
  readonly value: string | undefined;
}

/** An extension, e.g. a Custom Incident Action on some services. */
export interface Extension {
  readonly id: string;
  readonly name: string;
  readonly endpointUrl: string;
  readonly schemaId: string;
  readonly serviceIds: readonly string[];
  readonly headers: readonly ExtensionHeader[];
}

/** An extension to create, or the new content of one. */
export interface ExtensionInput {
  readonly name: string;
  readonly endpointUrl: string;
  readonly schemaId: string;
  readonly serviceIds: readonly string[];
  /** Custom headers sent with every delivery; values may be secrets, never logged. */
  readonly headers: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

/** The PagerDuty operations `setup-pagerduty` needs. */
export interface PagerDutySetupApi {
  /** The subscriptions delivering the incidents of one service. */
  listWebhookSubscriptions(serviceId: string): Promise<WebhookSubscription[]>;
  /** Creates a subscription; the answer holds its secret, which PagerDuty never shows again. */
  createWebhookSubscription(input: NewWebhookSubscription): Promise<CreatedWebhookSubscription>;
  updateWebhookSubscription(
    id: string,
    changes: WebhookSubscriptionChanges,
  ): Promise<WebhookSubscription>;
  /** Re-enables a subscription PagerDuty disabled after refused deliveries. */
  enableWebhookSubscription(id: string): Promise<WebhookSubscription>;
  /** Deletes a subscription; one already gone counts as success. */
  deleteWebhookSubscription(id: string): Promise<void>;
  /** Every workflow whose name equals `name` exactly. */
  findIncidentWorkflows(name: string): Promise<IncidentWorkflow[]>;
  createIncidentWorkflow(input: { name: string; description: string }): Promise<IncidentWorkflow>;
  /** The manual triggers of a workflow. */
  listManualTriggers(workflowId: string): Promise<WorkflowTrigger[]>;
  createManualTrigger(workflowId: string, serviceIds: readonly string[]): Promise<WorkflowTrigger>;
  addServiceToTrigger(triggerId: string, serviceId: string): Promise<WorkflowTrigger>;
  /** The extension type with this key (`custom_webhook`), or undefined if not offered. */
  findExtensionSchema(key: string): Promise<ExtensionSchema | undefined>;
  /** The extensions of one type on one service. */
  listExtensions(query: { schemaId: string; serviceId: string }): Promise<Extension[]>;
  createExtension(input: ExtensionInput): Promise<Extension>;
  updateExtension(id: string, input: ExtensionInput): Promise<Extension>;
}
