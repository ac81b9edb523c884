/**
 * What the service's parts report, turned into metrics and readiness: the PagerDuty client's
 * answers, retries and rate-limit waits, and the request lifecycle's events. Kept beside the
 * metrics they feed, so `service.ts` only joins the parts.
 *
 * @module
 */

import type { LifecycleObserver } from "../app/observer.ts";
import type { Observer, RetryEvent } from "../pagerduty/http.ts";
import type { Health } from "./health.ts";
import type { Metrics, PagerDutyRetryReason } from "./metrics.ts";

/** The metric label of each reason the PagerDuty client gives for a retry. */
const RETRY_REASON_LABELS: Readonly<Record<"timeout" | "network", PagerDutyRetryReason>> = {
  timeout: "timeout",
  network: "network_error",
};

/** The label for a retry reason: a status (429 or 5xx), a timeout or a network failure. */
export function retryReasonLabel(reason: RetryEvent["reason"]): PagerDutyRetryReason {
  if (typeof reason === "number") return reason === 429 ? "rate_limited" : "server_error";
  return RETRY_REASON_LABELS[reason];
}

/** The PagerDuty client's observer: every answer counted, and readiness kept current. */
export function pagerDutyTelemetry(metrics: Metrics, health: Health): Observer {
  return {
    onResponse: (e) => {
      metrics.pagerDutyRequest(e.operation, e.status === 0 ? "network_error" : e.status);
      if (e.status > 0 && e.status < 500 && e.status !== 429) health.pagerDutySucceeded();
      else health.pagerDutyFailed(`status ${e.status || "network error"} on ${e.operation}`);
    },
    onRetry: (e) => metrics.pagerDutyRetry(e.operation, retryReasonLabel(e.reason)),
    onRateLimitWait: (ms) => metrics.pagerDutyRateLimitWaited(ms / 1000),
  };
}

/** Feeds lifecycle events into the Prometheus metrics. */
export function metricsObserver(metrics: Metrics): LifecycleObserver {
  return {
    incidentCreated: (seconds) => {
      metrics.incidentCreated();
      if (seconds !== undefined) metrics.observeRequestToIncident(seconds);
    },
    noteAdded: (reason) => metrics.incidentNoteAdded(reason),
    incidentResolved: (resolution) => metrics.incidentResolved(resolution),
    autoApproval: (outcome) => metrics.autoApproval(outcome),
    responderDecision: (path, outcome) => metrics.responderDecision(path, outcome),
    handlerError: (stage) => metrics.handlerError(stage),
    accessLocked: (reason) => metrics.accessLocked(reason),
  };
}
