/**
 * The steps an operator follows in the PagerDuty web app when the API key may not do a part of
 * the set-up itself (PagerDuty answered 402 or 403). Each task does exactly what the command
 * would have done; secrets are never printed, only where to find them.
 *
 * Menu names follow PagerDuty's knowledge base (support.pagerduty.com: webhooks, incident
 * workflows, custom incident actions); PagerDuty moves them now and then.
 *
 * @module
 */

import type {
  Extension,
  IncidentWorkflow,
  WebhookSubscription,
} from "../../pagerduty/setup_types.ts";
import {
  ACTION_NAMES,
  ACTION_SECRET_HEADER,
  type Decision,
  type Endpoints,
  subscriptionDescription,
  WEBHOOK_EVENTS,
  WORKFLOW_DESCRIPTIONS,
  WORKFLOW_KEYS,
  WORKFLOW_NAMES,
} from "./endpoints.ts";
import type { ServiceRef } from "./plan.ts";
import type { ManualTask } from "./report.ts";

/** Where the operator finds the action secret to paste. */
export type SecretWhere = { readonly file: string } | { readonly configValue: true };

const WEBHOOKS_PAGE = "Open Integrations → Generic Webhooks (v3)";

function names(services: readonly ServiceRef[]): string {
  return services.map((s) => `"${s.name}"`).join(", ");
}

/** Creating the webhook subscription of one service. */
export function createSubscriptionTask(
  service: ServiceRef,
  urls: Endpoints,
  secretFile: string | undefined,
): ManualTask {
  return {
    title: `Webhook subscription for the service "${service.name}"`,
    steps: [
      `${WEBHOOKS_PAGE} and click New Webhook.`,
      `Webhook URL: ${urls.webhookUrl}`,
      `Scope Type: Service; Scope: ${service.name}.`,
      `Description: ${
        secretFile === undefined
          ? "teleport-pagerduty: approve/deny access requests"
          : subscriptionDescription(secretFile)
      }`,
      `Event Subscription: only ${WEBHOOK_EVENTS.join(", ")}.`,
      "Click Add Webhook. The dialog shows the signing secret once: " +
      (secretFile === undefined
        ? "write it into a file listed in [pagerduty.reviews] webhook_secrets"
        : `write it alone into ${secretFile}`) +
      " (chmod 600, owned by the user teleport-pagerduty runs as), then restart the service.",
    ],
  };
}

/** Replacing a subscription whose secret was lost. */
export function recreateSubscriptionTask(
  service: ServiceRef,
  subscription: WebhookSubscription,
  urls: Endpoints,
  secretFile: string,
): ManualTask {
  const create = createSubscriptionTask(service, urls, secretFile);
  return {
    title: `${create.title}: its secret file ${secretFile} is empty, so replace it`,
    steps: [
      `${WEBHOOKS_PAGE}, open the webhook ${subscription.id} to ${subscription.url} and delete it.`,
      ...create.steps,
    ],
  };
}

/** Correcting a subscription's events or turning it on. */
export function updateSubscriptionTask(
  service: ServiceRef,
  subscription: WebhookSubscription,
): ManualTask {
  return {
    title: `Webhook subscription ${subscription.id} for the service "${service.name}"`,
    steps: [
      `${WEBHOOKS_PAGE}, open the webhook to ${subscription.url} for "${service.name}" and ` +
      "click Edit.",
      `Event Subscription: only ${WEBHOOK_EVENTS.join(", ")}; make sure it is active.`,
      "Click Save Changes.",
    ],
  };
}

/** Re-enabling a subscription PagerDuty disabled after refused deliveries. */
export function enableSubscriptionTask(
  service: ServiceRef,
  subscription: WebhookSubscription,
): ManualTask {
  return {
    title: `Webhook subscription ${subscription.id} for the service "${service.name}" is ` +
      "disabled after refused deliveries",
    steps: [
      "Check that teleport-pagerduty is running and reachable at the webhook URL, and that it " +
      "has the subscription's secret.",
      `${WEBHOOKS_PAGE}, open the webhook to ${subscription.url} and enable it again.`,
    ],
  };
}

/** Removing extra subscriptions that would deliver every event twice. */
export function duplicatesTask(
  service: ServiceRef,
  keep: WebhookSubscription,
  others: readonly WebhookSubscription[],
): ManualTask {
  return {
    title: `The service "${service.name}" has ${others.length + 1} webhook subscriptions to ` +
      `${keep.url}: each event would arrive ${others.length + 1} times`,
    steps: [
      `${WEBHOOKS_PAGE} and delete the webhooks ${
        others.map((s) => s.id).join(", ")
      }; keep ${keep.id}.`,
      "Remove their secrets from [pagerduty.reviews] webhook_secrets.",
    ],
  };
}

/** Subscriptions made for another address of the service. */
export function elsewhereTask(
  service: ServiceRef,
  subscriptions: readonly WebhookSubscription[],
): ManualTask {
  return {
    title: `The service "${service.name}" has webhook subscriptions made by teleport-pagerduty ` +
      "for another address",
    steps: [
      ...subscriptions.map((s) => `${s.id} delivers to ${s.url}.`),
      "If no teleport-pagerduty listens there any more, delete them in Integrations → " +
      "Generic Webhooks (v3) (PagerDuty cannot change a webhook's URL), and remove their " +
      "secrets from [pagerduty.reviews] webhook_secrets.",
    ],
  };
}

/** Creating a manual workflow and its trigger. */
export function createWorkflowTask(
  decision: Decision,
  services: readonly ServiceRef[],
): ManualTask {
  return {
    title: `Incident Workflow "${WORKFLOW_NAMES[decision]}"`,
    steps: [
      "Open Automation → Incident Workflows and click New Workflow.",
      `Name: ${WORKFLOW_NAMES[decision]}; Description: ${WORKFLOW_DESCRIPTIONS[decision]}`,
      `Trigger: Manual, on the services ${names(services)} (you may restrict who can start it ` +
      "to your approvers' team).",
      "Add no action (teleport-pagerduty acts when the workflow starts); Publish.",
      `Put the workflow's ID (the last part of its URL) in [pagerduty.reviews] ${
        WORKFLOW_KEYS[decision]
      }.`,
    ],
  };
}

/** Offering an existing workflow on more services. */
export function triggerTask(
  decision: Decision,
  workflow: IncidentWorkflow,
  services: readonly ServiceRef[],
): ManualTask {
  return {
    title: `Incident Workflow "${workflow.name}" (${workflow.id}) is not offered on ${
      names(services)
    }`,
    steps: [
      `Open Automation → Incident Workflows → "${workflow.name}"${
        workflow.htmlUrl === "" ? "" : ` (${workflow.htmlUrl})`
      }.`,
      `Give it a Manual trigger on the services ${names(services)}; Publish.`,
      `Check that ${workflow.id} is in [pagerduty.reviews] ${WORKFLOW_KEYS[decision]}.`,
    ],
  };
}

/** A workflow someone turned off. */
export function enableWorkflowTask(workflow: IncidentWorkflow): ManualTask {
  return {
    title: `Incident Workflow "${workflow.name}" (${workflow.id}) is turned off`,
    steps: [
      `Turn it on in Automation → Incident Workflows if responders should use it${
        workflow.htmlUrl === "" ? "" : ` (${workflow.htmlUrl})`
      }.`,
    ],
  };
}

function secretText(where: SecretWhere): string {
  return "file" in where
    ? `the content of ${where.file}`
    : "the value of [pagerduty.reviews] action_secret in the config";
}

/** Creating a Custom Incident Action on one service. */
export function createActionTask(
  decision: Decision,
  service: ServiceRef,
  urls: Endpoints,
  secret: SecretWhere,
): ManualTask {
  return {
    title: `Custom Incident Action "${ACTION_NAMES[decision]}" on the service "${service.name}"`,
    steps: [
      "Open Integrations → Extensions; on the Service Extensions tab click New Extension and " +
      "choose Custom Incident Action, then New Action.",
      `Button Label: ${ACTION_NAMES[decision]}`,
      `URL Endpoint: ${urls.actionUrls[decision]}`,
      `Select Service: ${service.name}`,
      `Custom Header: name ${ACTION_SECRET_HEADER}, value ${secretText(secret)}.`,
      "Click Create Action.",
    ],
  };
}

/** Correcting an existing Custom Incident Action. */
export function updateActionTask(
  decision: Decision,
  service: ServiceRef,
  extension: Extension,
  urls: Endpoints,
  secret: SecretWhere,
): ManualTask {
  return {
    title:
      `Custom Incident Action "${extension.name}" (${extension.id}) on the service "${service.name}"`,
    steps: [
      "Open Integrations → Extensions, Service Extensions tab, and edit this action.",
      `Button Label: ${ACTION_NAMES[decision]}; URL Endpoint: ${urls.actionUrls[decision]}`,
      `Custom Header: name ${ACTION_SECRET_HEADER}, value ${secretText(secret)}.`,
      "Save.",
    ],
  };
}
