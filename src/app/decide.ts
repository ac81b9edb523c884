/**
 * What to do for a request in a given state, as plain functions of the request and the
 * service's record of it. The executor (`processor.ts`) carries the answer out; nothing here
 * performs I/O.
 *
 * @module
 */

import type { Service } from "../pagerduty/types.ts";
import type { AccessRequest, AccessReview, RequestState } from "../teleport/types.ts";
import { mayHaveIncident, type RequestRecord, type Resolution } from "./plugin_data.ts";

/** What the request needs from the service now. */
export type Action =
  /** Nothing to do; `why` is for debug logs. */
  | { readonly type: "none"; readonly why: string }
  /**
   * The request is pending: make sure its incidents exist, note new reviews, and try
   * auto-approval when `autoApprove` is set.
   */
  | {
    readonly type: "pending";
    readonly newReviews: readonly AccessReview[];
    readonly autoApprove: boolean;
  }
  /** The request is decided or gone: note what is new and how it ended, then resolve. */
  | {
    readonly type: "resolve";
    readonly resolution: Exclude<Resolution, "">;
    readonly reason: string;
    readonly newReviews: readonly AccessReview[];
  };

/** Facts about the service the decision depends on. */
export interface DecisionContext {
  /** The service's own Teleport user (reviews by it are its own auto-approvals). */
  readonly selfUser: string;
  /** Whether auto-approval is switched on in the config. */
  readonly autoApprovalEnabled: boolean;
  /** Names of the services whose on-call responders may be auto-approved. */
  readonly approvalServiceNames: readonly string[];
}

const RESOLUTION_OF: Partial<Record<RequestState, Exclude<Resolution, "">>> = {
  APPROVED: "approved",
  DENIED: "denied",
  PROMOTED: "promoted",
};

/** Reviews not yet written into incident notes. */
export function newReviews(request: AccessRequest, record: RequestRecord): AccessReview[] {
  return request.reviews.slice(record.reviewsCount);
}

/** The action for the latest known state of a request that still exists. */
export function decideForRequest(
  request: AccessRequest,
  record: RequestRecord,
  context: DecisionContext,
): Action {
  if (record.resolution !== "") {
    return { type: "none", why: `already resolved as ${record.resolution}` };
  }
  if (request.state === "PENDING") {
    const alreadyReviewedBySelf = request.reviews.some((r) => r.author === context.selfUser);
    return {
      type: "pending",
      newReviews: newReviews(request, record),
      autoApprove: context.autoApprovalEnabled &&
        context.approvalServiceNames.length > 0 &&
        record.autoApproval === "" &&
        !alreadyReviewedBySelf,
    };
  }
  const resolution = RESOLUTION_OF[request.state];
  if (!resolution) return { type: "none", why: `state ${request.state} needs nothing` };
  if (!mayHaveIncident(record)) {
    return { type: "none", why: `decided (${resolution}) before any incident was opened` };
  }
  return {
    type: "resolve",
    resolution,
    reason: request.resolveReason,
    newReviews: newReviews(request, record),
  };
}

/** The action for a request Teleport deleted, which is how expiry shows on the watch. */
export function decideForDeleted(record: RequestRecord): Action {
  if (record.resolution !== "") {
    return { type: "none", why: `already resolved as ${record.resolution}` };
  }
  if (!mayHaveIncident(record)) {
    return { type: "none", why: "deleted without an incident" };
  }
  return { type: "resolve", resolution: "expired", reason: "", newReviews: [] };
}

/** The target services that have no incident yet. */
export function servicesWithoutIncident(
  targets: readonly Service[],
  record: RequestRecord,
): Service[] {
  return targets.filter((s) => !record.incidents[s.id]);
}
