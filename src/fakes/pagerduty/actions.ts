/**
 * Custom Incident Actions as PagerDuty runs them: a responder clicks the action on an incident
 * and PagerDuty POSTs a legacy V2 webhook (`{"messages":[{"event":"incident.custom",…}]}`) to the
 * action's URL, with the custom headers configured on the extension. V2 deliveries are not
 * signed; the clicker is the agent of the message's `custom_log_entry`. PagerDuty waits 16 s
 * for the answer and shows the outcome to the clicker instead of retrying.
 *
 * @module
 */

import type { JsonObject, Renderer } from "./render.ts";
import type { Account } from "./state.ts";
import { attempt, type DeliveryAttempt } from "./webhooks.ts";

/** A Custom Incident Action configured on a service (an extension of the `custom_webhook` schema). */
export interface CustomAction {
  /** The extension's name, shown on the button. */
  readonly name: string;
  /** The endpoint PagerDuty POSTs to. */
  readonly url: string;
  /** Custom headers configured on the extension (the per-install secret goes here). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The extension's ID; default `PEXT001`. */
  readonly id?: string;
}

/** One run of a Custom Incident Action. */
export interface ActionDelivery {
  readonly url: string;
  /** The V2 message's `id`. */
  readonly messageId: string;
  readonly body: string;
  readonly attempt: DeliveryAttempt;
}

/** PagerDuty's answer deadline for Custom Incident Actions. */
export const CUSTOM_ACTION_TIMEOUT_MS = 16_000;

/** The V2 payload of one click: one `incident.custom` message with a `custom_log_entry`. */
export function customActionPayload(input: {
  readonly action: CustomAction;
  /** The incident as the REST API renders it. */
  readonly incident: JsonObject;
  /** A user reference, or null for a click PagerDuty cannot attribute. */
  readonly agent: JsonObject | null;
  readonly at: Date;
  readonly messageId?: string;
}): { messages: JsonObject[] } {
  const at = input.at.toISOString();
  const extensionId = input.action.id ?? "PEXT001";
  return {
    messages: [{
      id: input.messageId ?? crypto.randomUUID(),
      event: "incident.custom",
      created_on: at,
      incident: input.incident,
      webhook: {
        id: extensionId,
        type: "webhook",
        name: input.action.name,
        endpoint_url: input.action.url,
        summary: input.action.name,
        webhook_object: input.incident.service ?? null,
        config: {},
      },
      log_entries: [{
        id: `R${crypto.randomUUID().replaceAll("-", "").slice(0, 25).toUpperCase()}`,
        type: "custom_log_entry",
        summary: `${input.action.name} was run`,
        created_at: at,
        agent: input.agent,
        channel: { type: "web_trigger" },
        incident: {
          id: input.incident.id,
          type: "incident_reference",
          summary: input.incident.summary,
        },
      }],
    }],
  };
}

/** Sends one click's payload once, as PagerDuty does, with the action's custom headers. */
export async function sendCustomAction(
  action: CustomAction,
  payload: { messages: JsonObject[] },
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<ActionDelivery> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    ...action.headers,
    "Content-Type": "application/json",
    "User-Agent": "PagerDuty-Webhook/V2.0",
    "X-Webhook-Id": crypto.randomUUID(),
  };
  return {
    url: action.url,
    messageId: String(payload.messages[0]?.id ?? ""),
    body,
    attempt: await attempt(
      action.url,
      body,
      headers,
      options.timeoutMs ?? CUSTOM_ACTION_TIMEOUT_MS,
      options.signal,
    ),
  };
}

/** Runs `action` on an incident of `account` as `userId` (null: a click with no user agent). */
export function runCustomAction(input: {
  readonly account: Account;
  readonly render: Renderer;
  readonly incidentId: string;
  readonly userId: string | null;
  readonly action: CustomAction;
  readonly now: Date;
  readonly signal?: AbortSignal;
}): Promise<ActionDelivery> {
  const { account, render } = input;
  const incident = account.incident(input.incidentId);
  if (incident === undefined) {
    throw new Error(`No incident ${input.incidentId} in the fake PagerDuty account.`);
  }
  if (input.userId !== null) account.requireUser(input.userId);
  const priority = incident.priorityId === undefined
    ? undefined
    : account.priorities().find((p) => p.id === incident.priorityId);
  const payload = customActionPayload({
    action: input.action,
    incident: render.incident(
      incident,
      account.service(incident.serviceId),
      account.policy(incident.escalationPolicyId),
      priority,
    ),
    agent: input.userId === null ? null : render.userReference(input.userId),
    at: input.now,
  });
  return sendCustomAction(input.action, payload, { signal: input.signal });
}
