/**
 * The service's Prometheus metrics. Each {@linkcode Metrics} owns its own registry, so several
 * services (tests, the benchmark) can run in one process without sharing counters.
 *
 * The exposition format comes from `prom-client`, which works under Deno in a Worker with no
 * env, sys or read permission. Its default process metrics are not used: they read `/proc`
 * (silently reporting 0 without read permission) and start an event-loop monitor timer. A few
 * process metrics are computed instead from APIs that need no permission.
 *
 * @module
 */

import { cpuUsage } from "node:process";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import {
  AUTO_APPROVAL_OUTCOMES,
  type AutoApprovalOutcome,
  INCIDENT_RESOLUTIONS,
  type IncidentResolution,
  NOTE_REASONS,
  type NoteReason,
  RESPONDER_DECISION_OUTCOMES,
  type ResponderDecisionOutcome,
} from "../app/observer.ts";
import { RESPONDER_PATHS, type ResponderPath } from "../app/responder_commands.ts";
import { EVENT_TYPES, WATCHED_KINDS, type WatchedKind } from "../teleport/types.ts";
import { VERSION } from "../version.ts";

/** Prefix of every service metric, so dashboards can select them at once. */
export const METRIC_PREFIX = "teleport_pagerduty_";

/**
 * How a change arrived: `put`/`delete` from the watch stream, `resync` when a periodic or
 * reconnect resync found it.
 */
export type EventType = (typeof EVENT_TYPES)[number] | "resync";

/** The webhook routes PagerDuty posts decisions to: V3 webhooks and Custom Incident Actions. */
export type ResponderRoute = "v3" | "action";

/**
 * What a delivery to a responder route got: handed on (`accepted`), seen before (`duplicate`),
 * nothing to do (`ignored`, also pings and other event types), refused as malformed
 * (`bad_request`) or unauthenticated (`forbidden`), or failed (`error`).
 */
export type ResponderDelivery =
  | "accepted"
  | "duplicate"
  | "ignored"
  | "bad_request"
  | "forbidden"
  | "error";

/** Why a request's access was ended early with a lock (`src/app/access_end_messages.ts`). */
export type LockReason = "shift_ended" | "incident_resolved" | "incident_gone";

/**
 * The outcome of one PagerDuty HTTP request: the response status code, or why no response
 * arrived.
 */
export type PagerDutyStatus = number | "timeout" | "network_error";

/** Why a PagerDuty request was retried. */
export type PagerDutyRetryReason = "rate_limited" | "server_error" | "timeout" | "network_error";

/** Bucket upper bounds (seconds) for latencies from 1 ms to 60 s. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
];

/** The value recorded instead of a free-form label value that is not a short identifier. */
export const OTHER_LABEL_VALUE = "other";

const EVENT_LABELS: readonly EventType[] = [...EVENT_TYPES, "resync"];

const RESPONDER_ROUTES: readonly ResponderRoute[] = ["v3", "action"];
const RESPONDER_DELIVERIES: readonly ResponderDelivery[] = [
  "accepted",
  "duplicate",
  "ignored",
  "bad_request",
  "forbidden",
  "error",
];
const LOCK_REASONS: readonly LockReason[] = ["shift_ended", "incident_resolved", "incident_gone"];

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/**
 * Keeps caller-chosen label values (operation names, stages, reasons) to short identifiers:
 * each distinct value is a time series, and an error message passed by mistake could both
 * explode the series count and carry data that does not belong in metrics.
 */
function identifier(value: string): string {
  return IDENTIFIER.test(value) ? value : OTHER_LABEL_VALUE;
}

/** A REST operation as the PagerDuty client names it: a method and a path template, no IDs. */
const OPERATION = /^[A-Z]{3,7} \/[a-z_]+(?:\/(?:[a-z_]+|\{[a-z_]+\}))*$/;

/** Operation labels are identifiers or `METHOD /path/{template}`; anything else is `other`. */
function operationLabel(value: string): string {
  return OPERATION.test(value) ? value : identifier(value);
}

/** Options for {@linkcode Metrics}. */
export interface MetricsOptions {
  /** Version reported by `build_info`; the service's own version by default. */
  readonly version?: string;
  /** Deno version reported by `build_info`; the running Deno's by default. */
  readonly denoVersion?: string;
}

/** The service's metrics, recorded by the app and rendered by the HTTP listener. */
export class Metrics {
  /** The content type of {@linkcode Metrics.render}'s output (Prometheus text format 0.0.4). */
  readonly contentType: string;

  readonly #registry = new Registry();
  readonly #eventsReceived: Counter<"kind" | "type">;
  readonly #incidentsCreated: Counter;
  readonly #incidentNotes: Counter<"reason">;
  readonly #incidentsResolved: Counter<"resolution">;
  readonly #autoApprovals: Counter<"outcome">;
  readonly #locks: Counter<"reason">;
  readonly #pagerDutyRequests: Counter<"operation" | "status">;
  readonly #pagerDutyRetries: Counter<"operation" | "reason">;
  readonly #rateLimitWait: Counter;
  readonly #watchReconnects: Counter<"reason">;
  readonly #queueDepth: Gauge;
  readonly #inFlight: Gauge;
  readonly #requestToIncident: Histogram;
  readonly #handlerErrors: Counter<"stage">;
  readonly #responderDecisions: Counter<"path" | "outcome">;
  readonly #responderDeliveries: Counter<"route" | "result">;

  /** Creates a registry holding every service metric, with known label sets at zero. */
  constructor(options: MetricsOptions = {}) {
    const registers = [this.#registry];
    this.contentType = this.#registry.contentType;

    this.#eventsReceived = new Counter({
      name: `${METRIC_PREFIX}events_received_total`,
      help: "Changes received, by resource kind and how they arrived (watch put/delete, resync).",
      labelNames: ["kind", "type"],
      registers,
    });
    this.#incidentsCreated = new Counter({
      name: `${METRIC_PREFIX}incidents_created_total`,
      help: "PagerDuty incidents created for access requests.",
      registers,
    });
    this.#incidentNotes = new Counter({
      name: `${METRIC_PREFIX}incident_notes_total`,
      help: "Notes added to PagerDuty incidents, by reason.",
      labelNames: ["reason"],
      registers,
    });
    this.#incidentsResolved = new Counter({
      name: `${METRIC_PREFIX}incidents_resolved_total`,
      help: "PagerDuty incidents resolved, by how the access request ended.",
      labelNames: ["resolution"],
      registers,
    });
    this.#autoApprovals = new Counter({
      name: `${METRIC_PREFIX}auto_approvals_total`,
      help: "Auto-approval attempts, by outcome.",
      labelNames: ["outcome"],
      registers,
    });
    this.#locks = new Counter({
      name: `${METRIC_PREFIX}locks_total`,
      help: "Teleport locks written to end a request's access early, by reason.",
      labelNames: ["reason"],
      registers,
    });
    this.#pagerDutyRequests = new Counter({
      name: `${METRIC_PREFIX}pagerduty_requests_total`,
      help: "PagerDuty REST requests, by operation and HTTP status (or timeout/network_error).",
      labelNames: ["operation", "status"],
      registers,
    });
    this.#pagerDutyRetries = new Counter({
      name: `${METRIC_PREFIX}pagerduty_retries_total`,
      help: "PagerDuty REST requests retried, by operation and reason.",
      labelNames: ["operation", "reason"],
      registers,
    });
    this.#rateLimitWait = new Counter({
      name: `${METRIC_PREFIX}pagerduty_rate_limit_wait_seconds_total`,
      help: "Time spent waiting for the PagerDuty rate limit (client-side or 429).",
      registers,
    });
    this.#watchReconnects = new Counter({
      name: `${METRIC_PREFIX}teleport_watch_reconnects_total`,
      help: "Times the Teleport watch stream was re-established, by reason.",
      labelNames: ["reason"],
      registers,
    });
    this.#queueDepth = new Gauge({
      name: `${METRIC_PREFIX}work_queue_depth`,
      help: "Access requests waiting to be handled.",
      registers,
    });
    this.#inFlight = new Gauge({
      name: `${METRIC_PREFIX}work_in_flight`,
      help: "Access requests being handled now.",
      registers,
    });
    this.#requestToIncident = new Histogram({
      name: `${METRIC_PREFIX}request_to_incident_seconds`,
      help: "Time from receiving a pending access request to its PagerDuty incident existing.",
      buckets: [...LATENCY_BUCKETS],
      registers,
    });
    this.#handlerErrors = new Counter({
      name: `${METRIC_PREFIX}handler_errors_total`,
      help: "Errors while handling access requests, by processing stage.",
      labelNames: ["stage"],
      registers,
    });
    this.#responderDecisions = new Counter({
      name: `${METRIC_PREFIX}responder_decisions_total`,
      help: "Approve/deny decisions made in PagerDuty, by path (note, workflow, action) and " +
        "outcome (approved, denied, or the rule that refused it).",
      labelNames: ["path", "outcome"],
      registers,
    });
    this.#responderDeliveries = new Counter({
      name: `${METRIC_PREFIX}responder_webhooks_total`,
      help: "Deliveries to the PagerDuty decision routes (v3 webhooks, Custom Incident Actions), " +
        "by result.",
      labelNames: ["route", "result"],
      registers,
    });
    new Gauge({
      name: `${METRIC_PREFIX}build_info`,
      help: "Always 1; labels give the service and Deno versions.",
      labelNames: ["version", "deno"],
      registers,
    }).set({
      version: options.version ?? VERSION,
      deno: options.denoVersion ?? Deno.version.deno,
    }, 1);

    // Zero series for the fixed label sets, so rate() and absence alerts work from the start.
    for (const kind of WATCHED_KINDS) {
      for (const type of EVENT_LABELS) this.#eventsReceived.inc({ kind, type }, 0);
    }
    for (const reason of NOTE_REASONS) this.#incidentNotes.inc({ reason }, 0);
    for (const resolution of INCIDENT_RESOLUTIONS) this.#incidentsResolved.inc({ resolution }, 0);
    for (const outcome of AUTO_APPROVAL_OUTCOMES) this.#autoApprovals.inc({ outcome }, 0);
    for (const path of RESPONDER_PATHS) {
      for (const outcome of RESPONDER_DECISION_OUTCOMES) {
        this.#responderDecisions.inc({ path, outcome }, 0);
      }
    }
    for (const route of RESPONDER_ROUTES) {
      for (const result of RESPONDER_DELIVERIES) {
        this.#responderDeliveries.inc({ route, result }, 0);
      }
    }
    for (const reason of LOCK_REASONS) this.#locks.inc({ reason }, 0);

    registerProcessMetrics(registers);
  }

  /** Counts one change received for `kind`, by how it arrived. */
  eventReceived(kind: WatchedKind, type: EventType): void {
    this.#eventsReceived.inc({ kind, type });
  }

  /** Counts one PagerDuty incident created. */
  incidentCreated(): void {
    this.#incidentsCreated.inc();
  }

  /** Counts one note added to an incident. */
  incidentNoteAdded(reason: NoteReason): void {
    this.#incidentNotes.inc({ reason });
  }

  /** Counts one incident resolved. */
  incidentResolved(resolution: IncidentResolution): void {
    this.#incidentsResolved.inc({ resolution });
  }

  /** Counts one auto-approval attempt by its outcome. */
  autoApproval(outcome: AutoApprovalOutcome): void {
    this.#autoApprovals.inc({ outcome });
  }

  /** Counts one lock written to end a request's access early. */
  accessLocked(reason: LockReason): void {
    this.#locks.inc({ reason });
  }

  /**
   * Counts one PagerDuty request. `operation` is a fixed name such as the OpenAPI operationId
   * (`createIncident`); a value that is not a short identifier is recorded as `other`.
   */
  pagerDutyRequest(operation: string, status: PagerDutyStatus): void {
    this.#pagerDutyRequests.inc({ operation: operationLabel(operation), status: String(status) });
  }

  /** Counts one retried PagerDuty request; `operation` as in {@linkcode pagerDutyRequest}. */
  pagerDutyRetry(operation: string, reason: PagerDutyRetryReason): void {
    this.#pagerDutyRetries.inc({ operation: operationLabel(operation), reason });
  }

  /** Adds time spent waiting for the PagerDuty rate limit. */
  pagerDutyRateLimitWaited(seconds: number): void {
    this.#rateLimitWait.inc(seconds);
  }

  /**
   * Counts one re-established Teleport watch. `reason` is a short fixed identifier such as
   * `stream_error`; anything else is recorded as `other`.
   */
  teleportWatchReconnected(reason: string): void {
    this.#watchReconnects.inc({ reason: identifier(reason) });
  }

  /** Sets how many access requests wait to be handled. */
  setWorkQueueDepth(depth: number): void {
    this.#queueDepth.set(depth);
  }

  /** Sets how many access requests are being handled now. */
  setWorkInFlight(count: number): void {
    this.#inFlight.set(count);
  }

  /** Records the time from receiving a pending request to its incident existing. */
  observeRequestToIncident(seconds: number): void {
    this.#requestToIncident.observe(seconds);
  }

  /**
   * Counts one handling error. `stage` is a short fixed identifier such as `create_incident`;
   * anything else is recorded as `other`.
   */
  handlerError(stage: string): void {
    this.#handlerErrors.inc({ stage: identifier(stage) });
  }

  /** Counts one decision made in PagerDuty by its path and outcome. */
  responderDecision(path: ResponderPath, outcome: ResponderDecisionOutcome): void {
    this.#responderDecisions.inc({ path, outcome });
  }

  /** Counts one delivery to a decision route by its result. */
  responderDelivery(route: ResponderRoute, result: ResponderDelivery): void {
    this.#responderDeliveries.inc({ route, result });
  }

  /** Renders every metric in the Prometheus text format ({@linkcode contentType}). */
  render(): Promise<string> {
    return this.#registry.metrics();
  }
}

/**
 * Registers the standard process metrics that can be read without permissions: memory from
 * `Deno.memoryUsage()`, CPU from `process.cpuUsage()`, and the start of this JS context (the
 * Worker, when the service runs in one).
 */
function registerProcessMetrics(registers: Registry[]): void {
  new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    registers,
    collect() {
      this.set(Deno.memoryUsage().rss);
    },
  });
  new Gauge({
    name: "process_heap_bytes",
    help: "JavaScript heap in use, in bytes.",
    registers,
    collect() {
      this.set(Deno.memoryUsage().heapUsed);
    },
  });
  new Counter({
    name: "process_cpu_seconds_total",
    help: "User and system CPU time spent, in seconds.",
    registers,
    collect() {
      const { user, system } = cpuUsage();
      this.reset();
      this.inc((user + system) / 1e6);
    },
  });
  new Gauge({
    name: "process_start_time_seconds",
    help: "Start time of the service's JS context since the Unix epoch, in seconds.",
    registers,
  }).set(performance.timeOrigin / 1000);
}
