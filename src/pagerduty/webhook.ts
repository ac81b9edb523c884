/**
 * What PagerDuty sends when a responder acts on an incident, checked and turned into domain
 * events. Pure: no I/O, no logging.
 *
 * Two deliveries exist. V3 webhooks (`incident.annotated`, `incident.workflow.started`,
 * `incident.resolved`) are signed: `X-PagerDuty-Signature` holds one or more comma-separated
 * `v1=<hex HMAC-SHA256 of the raw body>` entries, one per subscription secret during a rotation,
 * and any one may match. Custom Incident Actions use the legacy V2 format, which PagerDuty does
 * not sign; each extension is given a per-install secret that it sends back in
 * {@link ACTION_SECRET_HEADER}. Both checks compare in constant time.
 *
 * The identifier used to act on a delivery once comes from the signed body (V3 `event.id`, V2
 * message `id`), not from the unsigned `X-Webhook-Id` header: a replay with a fresh header
 * still carries the same identifier.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** The header a V3 webhook's signatures arrive in. */
export const SIGNATURE_HEADER = "x-pagerduty-signature";

/** The header each Custom Incident Action is configured to send the per-install secret in. */
export const ACTION_SECRET_HEADER = "x-teleport-action-secret";

/** More signatures than any rotation produces; a longer header is refused unread. */
export const MAX_SIGNATURES = 16;

/** More V2 messages than one click produces; a longer batch is refused. */
export const MAX_ACTION_MESSAGES = 100;

/** The PagerDuty user who acted, from the event's `agent` (a `user_reference`). */
export interface ResponderAgent {
  /** PagerDuty user ID. */
  readonly id: string;
  /** The reference's `summary` (the user's name); may be empty. */
  readonly name: string;
}

/** What every responder event has. */
interface ResponderEventBase {
  /** The PagerDuty incident acted on. */
  readonly incidentId: string;
  /** Who acted; undefined when PagerDuty names no user (automation, an API token). */
  readonly agent: ResponderAgent | undefined;
  /** When it happened, by PagerDuty's clock; undefined when PagerDuty did not say. */
  readonly occurredAt: Date | undefined;
}

/** A note was added to an incident (V3 `incident.annotated`). */
export interface NoteAdded extends ResponderEventBase {
  readonly kind: "note";
  readonly noteId: string;
  readonly content: string;
}

/** A workflow was started on an incident (V3 `incident.workflow.started`). */
export interface WorkflowStarted extends ResponderEventBase {
  readonly kind: "workflow";
  readonly workflowId: string;
  /** The workflow's name as PagerDuty summarises it. */
  readonly workflowName: string;
  /** The workflow instance. */
  readonly instanceId: string;
  /** The incident's service, when the event names it. */
  readonly serviceId: string | undefined;
}

/** A Custom Incident Action was run on an incident (legacy V2 `incident.custom`). */
export interface ActionRun extends ResponderEventBase {
  readonly kind: "action";
  /** What the action's route means: its URL, not its name, decides. */
  readonly decision: "approve" | "deny";
  /** The extension's name as configured in PagerDuty, for texts; may be empty. */
  readonly actionName: string;
  /** The incident's `incident_key`; empty when it has none. */
  readonly incidentKey: string;
  readonly serviceId: string;
}

/** An incident was resolved (V3 `incident.resolved`). */
export interface IncidentResolved extends ResponderEventBase {
  readonly kind: "resolved";
  /** The incident's `incident_key`; empty when it has none. */
  readonly incidentKey: string;
  readonly serviceId: string;
}

/** Something a responder did in PagerDuty that the service may act on. */
export type ResponderEvent = NoteAdded | WorkflowStarted | ActionRun | IncidentResolved;

/** Why a delivery is refused; each maps to one HTTP status. */
export type WebhookRefusalCode =
  | "missing_signature"
  | "malformed_signature"
  | "bad_signature"
  | "missing_secret"
  | "bad_secret"
  | "empty_body"
  | "not_json"
  | "bad_shape";

/**
 * A refused delivery. `message` names what is wrong in general terms (a field path at most),
 * never a value from the body or a secret, so it is safe to log and to answer with.
 */
export interface WebhookRefusal {
  readonly code: WebhookRefusalCode;
  /** 400 for a malformed request (PagerDuty drops it), 403 for a failed authentication. */
  readonly status: 400 | 403;
  readonly message: string;
}

/** A V3 delivery after verification and parsing. */
export type V3Delivery =
  | { readonly kind: "event"; readonly deliveryId: string; readonly event: ResponderEvent }
  /** `pagey.ping`, sent when a subscription is tested. */
  | { readonly kind: "ping"; readonly deliveryId: string }
  /** A verified event of a type the service does not act on. */
  | { readonly kind: "other"; readonly deliveryId: string; readonly eventType: string };

/** One message of a V2 Custom Incident Action delivery. */
export type V2Message =
  | { readonly kind: "event"; readonly deliveryId: string; readonly event: ActionRun }
  /** A V2 message other than `incident.custom` (only those are clicks). */
  | { readonly kind: "other"; readonly deliveryId: string; readonly eventType: string };

/** A parse or check result: the value, or the refusal. */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly refusal: WebhookRefusal };

const SIGNATURE_ENTRY = /^v1=([0-9a-fA-F]{64})$/;
const VERSIONED_ENTRY = /^v\d+=/;
/** PagerDuty object IDs; bounded so no hostile value reaches a URL or a log line unchecked. */
const PAGERDUTY_ID = /^[A-Za-z0-9]{1,64}$/;
/** Event and message IDs: PagerDuty uses UUIDs and base-36 strings. */
const DELIVERY_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

function refuse(code: WebhookRefusalCode, message: string): { ok: false; refusal: WebhookRefusal } {
  const status = code === "bad_signature" || code === "bad_secret" ? 403 : 400;
  return { ok: false, refusal: { code, status, message } };
}

/**
 * Checks a V3 signature header against the raw body: accepted when any `v1=` entry is the
 * HMAC-SHA256 of `body` under any of `secrets`. Entries of other versions are skipped, as
 * PagerDuty's documentation asks.
 */
export function verifySignature(
  body: Uint8Array,
  header: string | null,
  secrets: readonly string[],
): Checked<void> {
  if (header === null || header.trim() === "") {
    return refuse("missing_signature", "The X-PagerDuty-Signature header is missing.");
  }
  const entries = header.split(",").map((e) => e.trim());
  if (entries.length > MAX_SIGNATURES) {
    return refuse(
      "malformed_signature",
      `The X-PagerDuty-Signature header has more than ${MAX_SIGNATURES} entries.`,
    );
  }
  const signatures: Buffer[] = [];
  for (const entry of entries) {
    const match = SIGNATURE_ENTRY.exec(entry);
    if (match !== null) signatures.push(Buffer.from(match[1], "hex"));
    else if (!VERSIONED_ENTRY.test(entry)) {
      return refuse(
        "malformed_signature",
        "The X-PagerDuty-Signature header is not a list of v1=<hex> entries.",
      );
    }
  }
  if (signatures.length === 0) {
    return refuse("malformed_signature", "The X-PagerDuty-Signature header has no v1 entry.");
  }
  if (body.byteLength === 0) return refuse("empty_body", "The body is empty.");
  let matched = false;
  for (const secret of secrets) {
    const expected = createHmac("sha256", secret).update(body).digest();
    // Every entry is compared, so the time taken does not depend on which one matched.
    for (const signature of signatures) {
      if (timingSafeEqual(expected, signature)) matched = true;
    }
  }
  return matched
    ? { ok: true, value: undefined }
    : refuse("bad_signature", "No signature matches a configured webhook secret.");
}

/**
 * Checks the Custom Incident Action secret header. Both sides are hashed first, so the
 * comparison takes the same time whatever the header's length.
 */
export function verifyActionSecret(header: string | null, secret: string): Checked<void> {
  if (header === null || header === "") {
    return refuse("missing_secret", `The ${ACTION_SECRET_HEADER} header is missing.`);
  }
  const given = createHash("sha256").update(header).digest();
  const expected = createHash("sha256").update(secret).digest();
  return timingSafeEqual(given, expected)
    ? { ok: true, value: undefined }
    : refuse("bad_secret", `The ${ACTION_SECRET_HEADER} header does not match the secret.`);
}

/** Reads JSON fields and stops at the first shape problem, naming its path. */
class ShapeError extends Error {}

function fail(problem: string): never {
  throw new ShapeError(problem);
}

type Json = Record<string, unknown>;

function object(value: unknown, path: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`${path} is not an object`);
  }
  return value as Json;
}

function string(value: unknown, path: string): string {
  if (typeof value !== "string") fail(`${path} is not a string`);
  return value;
}

function optionalString(value: unknown, path: string): string | undefined {
  return value === undefined || value === null ? undefined : string(value, path);
}

function id(value: unknown, path: string, pattern = PAGERDUTY_ID): string {
  const text = string(value, path);
  if (!pattern.test(text)) fail(`${path} is not a PagerDuty ID`);
  return text;
}

function literal(value: unknown, expected: string, path: string): void {
  if (value !== expected) fail(`${path} is not "${expected}"`);
}

function date(value: unknown, path: string): Date | undefined {
  const text = optionalString(value, path);
  if (text === undefined) return undefined;
  const parsed = new Date(text);
  if (Number.isNaN(parsed.getTime())) fail(`${path} is not a date`);
  return parsed;
}

/**
 * The acting user. Only a `user_reference` names a user; null (automation) and other reference
 * types (a service, an API token) name nobody. A user reference without a valid ID is malformed.
 */
function agent(value: unknown, path: string): ResponderAgent | undefined {
  if (value === null || value === undefined) return undefined;
  const json = object(value, path);
  if (json.type !== "user_reference") return undefined;
  return {
    id: id(json.id, `${path}.id`),
    name: optionalString(json.summary, `${path}.summary`) ?? "",
  };
}

function decodeJson(body: Uint8Array): Checked<unknown> {
  if (body.byteLength === 0) return refuse("empty_body", "The body is empty.");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return refuse("not_json", "The body is not UTF-8 text.");
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return refuse("not_json", "The body is not JSON.");
  }
}

function shaped<T>(read: () => T): Checked<T> {
  try {
    return { ok: true, value: read() };
  } catch (error) {
    if (error instanceof ShapeError) {
      return refuse("bad_shape", `The body is not a PagerDuty webhook: ${error.message}.`);
    }
    throw error;
  }
}

/**
 * Parses a verified V3 delivery (`{"event": {…}}`). Event types the service acts on must have
 * their documented shape; other event types are accepted as `other`.
 */
export function parseV3Delivery(body: Uint8Array): Checked<V3Delivery> {
  const decoded = decodeJson(body);
  if (!decoded.ok) return decoded;
  return shaped(() => {
    const envelope = object(object(decoded.value, "the body").event, "event");
    const deliveryId = id(envelope.id, "event.id", DELIVERY_ID);
    const eventType = string(envelope.event_type, "event.event_type");
    const occurredAt = date(envelope.occurred_at, "event.occurred_at");
    const base = () => ({ agent: agent(envelope.agent, "event.agent"), occurredAt });
    switch (eventType) {
      case "pagey.ping":
        return { kind: "ping", deliveryId } as const;
      case "incident.annotated": {
        const data = object(envelope.data, "event.data");
        literal(data.type, "incident_note", "event.data.type");
        const incident = object(data.incident, "event.data.incident");
        const event: NoteAdded = {
          kind: "note",
          incidentId: id(incident.id, "event.data.incident.id"),
          noteId: id(data.id, "event.data.id"),
          content: string(data.content, "event.data.content"),
          ...base(),
        };
        return { kind: "event", deliveryId, event } as const;
      }
      case "incident.workflow.started": {
        const data = object(envelope.data, "event.data");
        literal(data.type, "incident_workflow_instance", "event.data.type");
        const workflow = object(data.incident_workflow, "event.data.incident_workflow");
        const incident = object(data.incident, "event.data.incident");
        const service = data.service === undefined || data.service === null
          ? undefined
          : object(data.service, "event.data.service");
        const event: WorkflowStarted = {
          kind: "workflow",
          incidentId: id(incident.id, "event.data.incident.id"),
          workflowId: id(workflow.id, "event.data.incident_workflow.id"),
          workflowName: optionalString(workflow.summary, "event.data.incident_workflow.summary") ??
            "",
          instanceId: id(data.id, "event.data.id"),
          serviceId: service === undefined ? undefined : id(service.id, "event.data.service.id"),
          ...base(),
        };
        return { kind: "event", deliveryId, event } as const;
      }
      case "incident.resolved": {
        const data = object(envelope.data, "event.data");
        literal(data.type, "incident", "event.data.type");
        const service = object(data.service, "event.data.service");
        const event: IncidentResolved = {
          kind: "resolved",
          incidentId: id(data.id, "event.data.id"),
          incidentKey: optionalString(data.incident_key, "event.data.incident_key") ?? "",
          serviceId: id(service.id, "event.data.service.id"),
          ...base(),
        };
        return { kind: "event", deliveryId, event } as const;
      }
      default:
        return { kind: "other", deliveryId, eventType } as const;
    }
  });
}

/**
 * Parses a V2 Custom Incident Action delivery (`{"messages": […]}`) posted to the route of
 * `decision`. The clicker is the agent of the message's `custom_log_entry`; entries naming
 * different users make the message ambiguous and the delivery malformed.
 */
export function parseV2Delivery(
  body: Uint8Array,
  decision: "approve" | "deny",
): Checked<readonly V2Message[]> {
  const decoded = decodeJson(body);
  if (!decoded.ok) return decoded;
  return shaped(() => {
    const raw = object(decoded.value, "the body").messages;
    if (!Array.isArray(raw) || raw.length === 0) fail("messages is not a non-empty array");
    if (raw.length > MAX_ACTION_MESSAGES) {
      fail(`messages has more than ${MAX_ACTION_MESSAGES} entries`);
    }
    return raw.map((value, i): V2Message => {
      const path = `messages[${i}]`;
      const message = object(value, path);
      const deliveryId = id(message.id, `${path}.id`, DELIVERY_ID);
      const eventType = string(message.event, `${path}.event`);
      if (eventType !== "incident.custom") return { kind: "other", deliveryId, eventType };
      const incident = object(message.incident, `${path}.incident`);
      const service = object(incident.service, `${path}.incident.service`);
      const webhook = message.webhook === undefined || message.webhook === null
        ? undefined
        : object(message.webhook, `${path}.webhook`);
      const entries = message.log_entries === undefined
        ? []
        : Array.isArray(message.log_entries)
        ? message.log_entries
        : fail(`${path}.log_entries is not an array`);
      const agents = entries
        .map((entry, j) => object(entry, `${path}.log_entries[${j}]`))
        .map((entry, j) =>
          entry.type === "custom_log_entry"
            ? { agent: agent(entry.agent, `${path}.log_entries[${j}].agent`) }
            : undefined
        )
        .filter((entry) => entry !== undefined);
      const ids = new Set(agents.map((a) => a.agent?.id));
      if (ids.size > 1) fail(`${path}.log_entries name different agents`);
      const event: ActionRun = {
        kind: "action",
        decision,
        actionName: optionalString(webhook?.name, `${path}.webhook.name`) ?? "",
        incidentId: id(incident.id, `${path}.incident.id`),
        incidentKey: optionalString(incident.incident_key, `${path}.incident.incident_key`) ?? "",
        serviceId: id(service.id, `${path}.incident.service.id`),
        agent: agents[0]?.agent,
        occurredAt: date(message.created_on, `${path}.created_on`),
      };
      return { kind: "event", deliveryId, event };
    });
  });
}
