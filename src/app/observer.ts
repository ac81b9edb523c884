/**
 * What the request lifecycle reports as it works, for metrics. The service wires it to the
 * Prometheus metrics; tests and tools can pass their own.
 *
 * @module
 */

import type { LockReason } from "./access_end_messages.ts";
import { REFUSAL_REASONS } from "./auto_approval.ts";
import { REQUEST_OUTCOMES } from "./plugin_data.ts";

/** Every outcome of an auto-approval check. */
export const AUTO_APPROVAL_OUTCOMES = [
  "approved",
  "already_reviewed",
  ...REFUSAL_REASONS,
  // The shift that qualified has already ended by this host's clock (with end_with_shift).
  "shift_over",
  "error",
] as const;
import type { ResponderPath } from "./responder_commands.ts";
import { DECISION_REFUSALS } from "./responder_policy.ts";

/** Outcome of one auto-approval check. */
export type AutoApprovalOutcome = (typeof AUTO_APPROVAL_OUTCOMES)[number];

/** Every reason a note is added: new reviews, the request's outcome, or a notice to responders. */
export const NOTE_REASONS = ["review", "resolution", "notice"] as const;

/**
 * What a responder's decision in PagerDuty came to: a review submitted, the rule that refused
 * it, Teleport refusing the service's review, or a failed attempt (retried).
 */
export const RESPONDER_DECISION_OUTCOMES = [
  "approved",
  "denied",
  ...DECISION_REFUSALS,
  "review_refused",
  "error",
] as const;

/** What one responder decision came to. */
export type ResponderDecisionOutcome = (typeof RESPONDER_DECISION_OUTCOMES)[number];

/** Why a note was added. */
export type NoteReason = (typeof NOTE_REASONS)[number];

/** Every reason an incident is resolved: how its request ended, or `duplicate` for an extra one. */
export const INCIDENT_RESOLUTIONS = [...REQUEST_OUTCOMES, "duplicate"] as const;

/** Why an incident was resolved. */
export type IncidentResolution = (typeof INCIDENT_RESOLUTIONS)[number];

/** Receives lifecycle events; every method must be cheap and must not throw. */
export interface LifecycleObserver {
  /** An incident was opened; `secondsSinceEvent` is measured from the first event seen. */
  incidentCreated(secondsSinceEvent: number | undefined): void;
  /** A note was added for reviews or for the outcome. */
  noteAdded(reason: NoteReason): void;
  /** An incident was resolved. */
  incidentResolved(resolution: IncidentResolution): void;
  /** An auto-approval check ended. */
  autoApproval(outcome: AutoApprovalOutcome): void;
  /** A responder's decision from PagerDuty was carried out, refused, or failed this attempt. */
  responderDecision(path: ResponderPath, outcome: ResponderDecisionOutcome): void;
  /** Work for a request failed at a stage and will be retried. */
  handlerError(stage: string): void;
  /** A lock ending a request's access early was written. */
  accessLocked(reason: LockReason): void;
}

/** An observer that ignores everything. */
export const NO_OBSERVER: LifecycleObserver = {
  incidentCreated() {},
  noteAdded() {},
  incidentResolved() {},
  autoApproval() {},
  responderDecision() {},
  handlerError() {},
  accessLocked() {},
};
