/**
 * What the request lifecycle reports as it works, for metrics. The service wires it to the
 * Prometheus metrics; tests and tools can pass their own.
 *
 * @module
 */

import type { RefusalReason } from "./auto_approval.ts";
import type { Resolution } from "./plugin_data.ts";
import type { ResponderPath } from "./responder_commands.ts";
import type { DecisionRefusal } from "./responder_policy.ts";

/** Outcome of one auto-approval check. */
export type AutoApprovalOutcome = "approved" | "already_reviewed" | RefusalReason | "error";

/**
 * What a responder's decision in PagerDuty came to: a review submitted, the rule that refused
 * it, Teleport refusing the service's review, or a failed attempt (retried).
 */
export type ResponderDecisionOutcome =
  | "approved"
  | "denied"
  | DecisionRefusal
  | "review_refused"
  | "error";

/** Why a note was added. */
export type NoteReason = "review" | "resolution" | "notice";

/** Receives lifecycle events; every method must be cheap and must not throw. */
export interface LifecycleObserver {
  /** An incident was opened; `secondsSinceEvent` is measured from the first event seen. */
  incidentCreated(secondsSinceEvent: number | undefined): void;
  /** A note was added for reviews or for the outcome. */
  noteAdded(reason: NoteReason): void;
  /** An incident was resolved. */
  incidentResolved(resolution: Exclude<Resolution, ""> | "duplicate"): void;
  /** An auto-approval check ended. */
  autoApproval(outcome: AutoApprovalOutcome): void;
  /** A responder's decision from PagerDuty was carried out, refused, or failed this attempt. */
  responderDecision(path: ResponderPath, outcome: ResponderDecisionOutcome): void;
  /** Work for a request failed at a stage and will be retried. */
  handlerError(stage: string): void;
}

/** An observer that ignores everything. */
export const NO_OBSERVER: LifecycleObserver = {
  incidentCreated() {},
  noteAdded() {},
  incidentResolved() {},
  autoApproval() {},
  responderDecision() {},
  handlerError() {},
};
