/**
 * The handlers of the routes PagerDuty posts responders' decisions to: signed V3 webhooks
 * (`POST /pagerduty/webhook`) and the legacy V2 Custom Incident Actions
 * (`POST /pagerduty/action/approve|deny`). Each delivery is authenticated first (signature or
 * per-install secret), then parsed, then handed to an injected sink; the answer is 2xx only
 * after the sink resolved, so a delivery acknowledged to PagerDuty is one the sink has kept.
 *
 * Refusals answer 400 (malformed header or body; PagerDuty drops the delivery) or 403 (bad
 * signature or secret); they are logged by their code and the sender's address only, never
 * with the body, a header value or a secret. A sink that throws gives 500, so PagerDuty
 * redelivers.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import {
  ACTION_SECRET_HEADER,
  type Checked,
  parseV2Delivery,
  parseV3Delivery,
  type ResponderEvent,
  SIGNATURE_HEADER,
  verifyActionSecret,
  verifySignature,
  type WebhookRefusal,
} from "../pagerduty/webhook.ts";
import type { Metrics, ResponderRoute } from "./metrics.ts";
import type { WebhookHandler, WebhookRequest } from "./webhook.ts";

const log = getLogger(["teleport-pagerduty", "http", "responder"]);

/** What the sink did with an event: kept it to act on, had it already, or has nothing to do. */
export type SinkResult = "accepted" | "duplicate" | "ignored";

/**
 * Receives each verified, parsed event. `deliveryId` identifies the delivery from the signed
 * body (`v3:<event.id>` or `v2:<message id>`), identical on every redelivery, so the sink can
 * act on each once. It must keep the event (or decide it needs nothing) before resolving.
 */
export type ResponderSink = (event: ResponderEvent, deliveryId: string) => Promise<SinkResult>;

/** What the V3 webhook handler needs. */
export interface V3HandlerOptions {
  /** The subscription secrets; a signature made with any of them is accepted. */
  readonly secrets: readonly string[];
  readonly sink: ResponderSink;
  readonly metrics?: Metrics;
}

/** What a Custom Incident Action handler needs. */
export interface ActionHandlerOptions {
  /** The per-install secret the action sends in {@link ACTION_SECRET_HEADER}. */
  readonly secret: string;
  /** What this route's action does. */
  readonly decision: "approve" | "deny";
  readonly sink: ResponderSink;
  readonly metrics?: Metrics;
}

/** Handles `POST /pagerduty/webhook`: verify the signature, parse, hand the event on. */
export function v3WebhookHandler(options: V3HandlerOptions): WebhookHandler {
  const route: ResponderRoute = "v3";
  return async (request) => {
    const verified = verifySignature(
      request.body,
      request.headers.get(SIGNATURE_HEADER),
      options.secrets,
    );
    if (!verified.ok) return refused(route, request, verified.refusal, options.metrics);
    const parsed = parseV3Delivery(request.body);
    if (!parsed.ok) return refused(route, request, parsed.refusal, options.metrics);
    const delivery = parsed.value;
    if (delivery.kind !== "event") {
      options.metrics?.responderDelivery(route, "ignored");
      return text(200, "Nothing to do.\n");
    }
    const result = await handOn(route, options, delivery.event, `v3:${delivery.deliveryId}`);
    return answer(result);
  };
}

/** Handles `POST /pagerduty/action/<decision>`: check the secret, parse, hand each click on. */
export function customActionHandler(options: ActionHandlerOptions): WebhookHandler {
  const route: ResponderRoute = "action";
  return async (request) => {
    const verified: Checked<void> = verifyActionSecret(
      request.headers.get(ACTION_SECRET_HEADER),
      options.secret,
    );
    if (!verified.ok) return refused(route, request, verified.refusal, options.metrics);
    const parsed = parseV2Delivery(request.body, options.decision);
    if (!parsed.ok) return refused(route, request, parsed.refusal, options.metrics);
    const results = new Set<SinkResult>();
    for (const message of parsed.value) {
      if (message.kind !== "event") {
        options.metrics?.responderDelivery(route, "ignored");
        results.add("ignored");
        continue;
      }
      results.add(await handOn(route, options, message.event, `v2:${message.deliveryId}`));
    }
    return answer(
      results.has("accepted") ? "accepted" : results.has("duplicate") ? "duplicate" : "ignored",
    );
  };
}

async function handOn(
  route: ResponderRoute,
  options: { sink: ResponderSink; metrics?: Metrics },
  event: ResponderEvent,
  deliveryId: string,
): Promise<SinkResult> {
  let result: SinkResult;
  try {
    result = await options.sink(event, deliveryId);
  } catch (error) {
    options.metrics?.responderDelivery(route, "error");
    throw error;
  }
  options.metrics?.responderDelivery(route, result);
  log.info("PagerDuty {kind} on incident {incidentId} by {agentId}: {result}", {
    kind: event.kind,
    incidentId: event.incidentId,
    agentId: event.agent?.id ?? "nobody",
    deliveryId,
    result,
  });
  return result;
}

function refused(
  route: ResponderRoute,
  request: WebhookRequest,
  refusal: WebhookRefusal,
  metrics: Metrics | undefined,
): Response {
  metrics?.responderDelivery(route, refusal.status === 403 ? "forbidden" : "bad_request");
  log.warn("Refused a PagerDuty delivery to the {route} route from {remoteAddr}: {code}", {
    route,
    remoteAddr: request.remoteAddr,
    code: refusal.code,
  });
  return text(refusal.status, `${refusal.message}\n`);
}

function answer(result: SinkResult): Response {
  switch (result) {
    case "accepted":
      return text(202, "Accepted.\n");
    case "duplicate":
      return text(200, "Already received.\n");
    case "ignored":
      return text(200, "Nothing to do.\n");
  }
}

function text(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}
