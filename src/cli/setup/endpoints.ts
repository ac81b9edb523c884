/**
 * What `setup-pagerduty` creates in PagerDuty, by name and URL: the names are how a second run
 * finds what the first created, the URLs are the routes the service listens on. Pure constants,
 * loaded on the supervisor thread.
 *
 * @module
 */

import { ACTION_PATHS, WEBHOOK_PATH } from "../../http/routes.ts";
export { ACTION_SECRET_HEADER } from "../../pagerduty/webhook.ts";

/** The path V3 webhooks are delivered to. */
export const WEBHOOK_ROUTE = WEBHOOK_PATH;

/** The paths Custom Incident Actions post to, by decision. */
export const ACTION_ROUTES = ACTION_PATHS;

/** The V3 events the service acts on: note commands, workflow buttons, resolved incidents. */
export const WEBHOOK_EVENTS: readonly string[] = [
  "incident.annotated",
  "incident.workflow.started",
  "incident.resolved",
];

/** A responder's decision. */
export type Decision = "approve" | "deny";

/** Both decisions, in the order everything is listed. */
export const DECISIONS: readonly Decision[] = ["approve", "deny"];

/** The manual Incident Workflows, by decision. */
export const WORKFLOW_NAMES: Readonly<Record<Decision, string>> = {
  approve: "Approve access request",
  deny: "Deny access request",
};

/** The Custom Incident Actions (button labels), by decision. */
export const ACTION_NAMES: Readonly<Record<Decision, string>> = {
  approve: "Approve request",
  deny: "Deny request",
};

/** The config key each decision's workflow IDs go in. */
export const WORKFLOW_KEYS: Readonly<Record<Decision, string>> = {
  approve: "approve_workflows",
  deny: "deny_workflows",
};

/** Descriptions, so whoever meets these objects in PagerDuty knows what they are for. */
export const WORKFLOW_DESCRIPTIONS: Readonly<Record<Decision, string>> = {
  approve: "Approves the Teleport access request of this incident (teleport-pagerduty checks " +
    "that whoever starts it is allowed to).",
  deny: "Denies the Teleport access request of this incident (teleport-pagerduty checks that " +
    "whoever starts it is allowed to).",
};

/** The URLs PagerDuty is given, under the service's public base URL. */
export interface Endpoints {
  readonly webhookUrl: string;
  readonly actionUrls: Readonly<Record<Decision, string>>;
}

/** The URLs for a public base URL (no trailing slash). */
export function endpoints(publicAddr: string): Endpoints {
  return {
    webhookUrl: `${publicAddr}${WEBHOOK_ROUTE}`,
    actionUrls: {
      approve: `${publicAddr}${ACTION_ROUTES.approve}`,
      deny: `${publicAddr}${ACTION_ROUTES.deny}`,
    },
  };
}

const DESCRIPTION_PREFIX = "teleport-pagerduty: approve/deny access requests";

/**
 * The description of a webhook subscription, naming the file its secret was written to: the
 * secret cannot be read back from PagerDuty, so this is how a later run knows where it went.
 */
export function subscriptionDescription(secretFile: string): string {
  return `${DESCRIPTION_PREFIX} (signing secret in ${secretFile})`;
}

/** The secret file a subscription's description names, if it is one of ours. */
export function secretFileOf(description: string): string | undefined {
  if (!description.startsWith(DESCRIPTION_PREFIX)) return undefined;
  return /\(signing secret in (\/.*)\)$/.exec(description)?.[1];
}
