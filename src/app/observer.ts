/**
 * What the request lifecycle reports as it works, for metrics. The service wires it to the
 * Prometheus metrics; tests and tools can pass their own.
 *
 * @module
 */

import type { LockReason } from "./access_end_messages.ts";
import type { RefusalReason } from "./auto_approval.ts";
import type { Resolution } from "./plugin_data.ts";

/**
 * Outcome of one auto-approval check; `shift_over` when the shift that qualified has already
 * ended by this host's clock (with `end_with_shift`).
 */
export type AutoApprovalOutcome =
  | "approved"
  | "already_reviewed"
  | RefusalReason
  | "shift_over"
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
  handlerError() {},
  accessLocked() {},
};
