/**
 * The one place the service submits reviews to Teleport: auto-approval, decisions made by
 * responders in PagerDuty and incident-linked approval all come through here. It submits a
 * review (so thresholds still apply), never a state change, authored by the service's own
 * Teleport user, and tells apart the answers that mean "nothing more to do".
 *
 * @module
 */

import { type AuthClient, type RequestState, TeleportError } from "../teleport/types.ts";

/** A review the service submits on someone's behalf. */
export interface ServiceReview {
  readonly decision: "APPROVED" | "DENIED";
  /** Says who decided and why; Teleport shows it to everyone who looks at the request. */
  readonly reason: string;
}

/** What became of a submitted review. */
export type ReviewOutcome =
  /** Teleport took the review; `state` is the request's state after it. */
  | { readonly kind: "submitted"; readonly state: RequestState }
  /** The service's user has reviewed this request already (Teleport counts one per author). */
  | { readonly kind: "already_reviewed" }
  /** The request is no longer pending. */
  | { readonly kind: "not_pending" }
  /** The request does not exist (any more). */
  | { readonly kind: "not_found" };

/**
 * Submits `review` on `requestId` as `author`. Errors that retrying could fix are thrown; the
 * settled answers come back as outcomes.
 */
export async function submitServiceReview(
  auth: Pick<AuthClient, "submitReview">,
  author: string,
  requestId: string,
  review: ServiceReview,
): Promise<ReviewOutcome> {
  try {
    const request = await auth.submitReview(requestId, { author, ...review });
    return { kind: "submitted", state: request.state };
  } catch (error) {
    const settled = settledOutcome(error);
    if (settled) return settled;
    throw error;
  }
}

function settledOutcome(error: unknown): ReviewOutcome | undefined {
  if (!(error instanceof TeleportError)) return undefined;
  if (error.kind === "already_exists") return { kind: "already_reviewed" };
  if (error.kind === "not_found") return { kind: "not_found" };
  // Teleport answers these with AccessDenied, worded as below.
  if (error.kind === "permission_denied") {
    if (/has already reviewed/.test(error.message)) return { kind: "already_reviewed" };
    if (/has been already (approved|denied|promoted)/.test(error.message)) {
      return { kind: "not_pending" };
    }
  }
  return undefined;
}
