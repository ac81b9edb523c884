/**
 * PagerDuty V3 webhooks as the fake sends them: the `{"event":{…}}` envelope, PagerDuty's
 * headers, the `X-PagerDuty-Signature: v1=<hex HMAC-SHA256>` signature (several `v1=` entries
 * while a secret rotates), and PagerDuty's delivery rules: retry on timeouts, connection errors,
 * 429 and 5xx with the same `X-Webhook-Id`; drop on any other 4xx.
 *
 * @module
 */

import { sleep } from "../../util/sleep.ts";

/** The V3 webhook envelope. */
export interface WebhookEvent {
  readonly event: {
    readonly id: string;
    readonly event_type: string;
    readonly resource_type: string;
    readonly occurred_at: string;
    /** The user who caused the event; null for automation. */
    readonly agent: Record<string, unknown> | null;
    readonly client: Record<string, unknown> | null;
    readonly data: Record<string, unknown>;
  };
}

/** How to deliver one webhook. */
export interface SendWebhookOptions {
  /** The subscription's signing secret. */
  readonly secret: string;
  /** More secrets to sign with (rotation): one `v1=` entry each, after `secret`'s. */
  readonly secrets?: readonly string[];
  /** `X-Webhook-Id`; default a fresh UUID (kept across retries). */
  readonly webhookId?: string;
  /** `X-Webhook-Subscription`; default `PSUB000`. */
  readonly subscriptionId?: string;
  /** Attempts in total (default 5). PagerDuty keeps trying for 48 h; tests need a bound. */
  readonly maxAttempts?: number;
  /** Delays before each retry, in ms; the last repeats (default 50, 100, 200, 400). */
  readonly retryDelaysMs?: readonly number[];
  /** Per-attempt response deadline in ms (PagerDuty: 5 s). */
  readonly timeoutMs?: number;
  /** Extra headers (a subscription's custom headers). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Stops retrying (and aborts an attempt) when aborted. */
  readonly signal?: AbortSignal;
}

/** One delivery attempt. */
export interface DeliveryAttempt {
  /** HTTP status; 0 when no answer came (connection error or timeout). */
  readonly status: number;
  /** Why there was no answer. */
  readonly error?: string;
}

/** The outcome of one webhook. */
export interface DeliveryResult {
  readonly url: string;
  readonly webhookId: string;
  readonly eventType: string;
  readonly body: string;
  readonly attempts: readonly DeliveryAttempt[];
  /** "delivered" (2xx), "dropped" (other 4xx), "gave-up" (attempts exhausted), "aborted". */
  readonly outcome: "delivered" | "dropped" | "gave-up" | "aborted";
}

/** Builds an event envelope; `id` defaults to a fresh UUID. */
export function eventEnvelope(input: {
  eventType: string;
  resourceType: string;
  data: Record<string, unknown>;
  agent?: Record<string, unknown> | null;
  occurredAt?: Date;
  id?: string;
  client?: Record<string, unknown> | null;
}): WebhookEvent {
  return {
    event: {
      id: input.id ?? crypto.randomUUID(),
      event_type: input.eventType,
      resource_type: input.resourceType,
      occurred_at: (input.occurredAt ?? new Date()).toISOString(),
      agent: input.agent ?? null,
      client: input.client ?? null,
      data: input.data,
    },
  };
}

/** `incident.annotated`: a note on an incident (how note commands reach the service). */
export function annotatedEvent(input: {
  incident: Record<string, unknown>;
  noteId: string;
  content: string;
  agent: Record<string, unknown> | null;
  occurredAt?: Date;
}): WebhookEvent {
  return eventEnvelope({
    eventType: "incident.annotated",
    resourceType: "incident",
    agent: input.agent,
    occurredAt: input.occurredAt,
    data: {
      incident: input.incident,
      id: input.noteId,
      content: input.content,
      trimmed: false,
      type: "incident_note",
    },
  });
}

/** `incident.workflow.started`: someone ran an incident workflow (e.g. an "Approve" button). */
export function workflowStartedEvent(input: {
  incident: Record<string, unknown>;
  service: Record<string, unknown>;
  workflow: { id: string; summary: string };
  trigger?: { id: string; summary: string };
  instanceId?: string;
  agent: Record<string, unknown> | null;
  occurredAt?: Date;
}): WebhookEvent {
  return eventEnvelope({
    eventType: "incident.workflow.started",
    resourceType: "incident",
    agent: input.agent,
    occurredAt: input.occurredAt,
    data: {
      id: input.instanceId ?? `PWI${crypto.randomUUID().slice(0, 8).toUpperCase()}`,
      type: "incident_workflow_instance",
      summary: input.workflow.summary,
      incident_workflow: { ...input.workflow, type: "incident_workflow_reference" },
      workflow_trigger: input.trigger === undefined
        ? null
        : { ...input.trigger, type: "workflow_trigger_reference" },
      incident: input.incident,
      service: input.service,
    },
  });
}

/** `pagey.ping`: what PagerDuty sends to test a subscription. */
export function pingEvent(): WebhookEvent {
  return eventEnvelope({
    eventType: "pagey.ping",
    resourceType: "pagey",
    data: { message: "Hello from your friend Pagey!", type: "ping" },
  });
}

const encoder = new TextEncoder();

/** Hex HMAC-SHA256 of `body` keyed with `secret`, as in `X-PagerDuty-Signature`. */
export async function signBody(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
    ],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(body)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The `X-PagerDuty-Signature` value for a body: `v1=<hex>[,v1=<hex>…]`. */
export async function signatureHeader(secrets: readonly string[], body: string): Promise<string> {
  const signatures = await Promise.all(secrets.map((s) => signBody(s, body)));
  return signatures.map((s) => `v1=${s}`).join(",");
}

function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/** One POST of `body` with a response deadline; never throws (no answer is status 0). */
export async function attempt(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<DeliveryAttempt> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  signal?.addEventListener("abort", onAbort);
  try {
    const response = await fetch(url, { method: "POST", body, headers, signal: controller.signal });
    await response.body?.cancel();
    return { status: response.status };
  } catch (error) {
    return { status: 0, error: timedOut ? `no answer within ${timeoutMs} ms` : String(error) };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

/** Delivers one signed webhook with PagerDuty's retry rules. */
export async function sendWebhook(
  url: string,
  event: WebhookEvent,
  options: SendWebhookOptions,
): Promise<DeliveryResult> {
  const body = JSON.stringify(event);
  const webhookId = options.webhookId ?? crypto.randomUUID();
  const headers: Record<string, string> = {
    ...options.headers,
    "Content-Type": "application/json",
    "Accept": "application/json",
    "User-Agent": "PagerDuty-Webhook/V3.0",
    "X-Webhook-Id": webhookId,
    "X-Webhook-Subscription": options.subscriptionId ?? "PSUB000",
    "X-PagerDuty-Signature": await signatureHeader(
      [options.secret, ...(options.secrets ?? [])],
      body,
    ),
  };
  const maxAttempts = options.maxAttempts ?? 5;
  const delays = options.retryDelaysMs ?? [50, 100, 200, 400];
  const attempts: DeliveryAttempt[] = [];
  const result = (outcome: DeliveryResult["outcome"]): DeliveryResult => ({
    url,
    webhookId,
    eventType: event.event.event_type,
    body,
    attempts,
    outcome,
  });
  for (let i = 0; i < maxAttempts; i++) {
    if (i > 0) await sleep(delays[Math.min(i - 1, delays.length - 1)] ?? 0, options.signal);
    if (options.signal?.aborted) return result("aborted");
    const outcome = await attempt(url, body, headers, options.timeoutMs ?? 5000, options.signal);
    attempts.push(outcome);
    if (outcome.status >= 200 && outcome.status < 300) return result("delivered");
    if (outcome.status !== 0 && !retryable(outcome.status)) return result("dropped");
  }
  return result(options.signal?.aborted ? "aborted" : "gave-up");
}
