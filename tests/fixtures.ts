/**
 * Builders for domain values used by unit tests, so each test states only what it is about.
 *
 * @module
 */

import type { AutoApprovalConfig } from "../src/config/types.ts";
import type { AccessRequest, AccessReview } from "../src/teleport/types.ts";

/** An access request with sensible defaults, overridden by `fields`. */
export function makeRequest(fields: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: "0193a1b2-0000-7000-8000-000000000001",
    user: "alice@example.com",
    roles: ["editor"],
    state: "PENDING",
    created: new Date("2026-11-25T10:00:00Z"),
    accessExpires: new Date("2026-11-25T22:00:00Z"),
    requestExpires: new Date("2026-11-26T10:00:00Z"),
    maxDuration: undefined,
    requestReason: "fix the outage",
    resolveReason: "",
    systemAnnotations: { pagerduty_notify_service: ["Teleport Notifications"] },
    reviews: [],
    suggestedReviewers: [],
    requestedResources: [],
    promotedAccessListTitle: "",
    ...fields,
  };
}

/** A review with defaults. */
export function makeReview(fields: Partial<AccessReview> = {}): AccessReview {
  return {
    author: "bob@example.com",
    decision: "APPROVED",
    reason: "okay",
    created: new Date("2026-11-25T10:05:00Z"),
    ...fields,
  };
}

/** Auto-approval switched on with no filters. */
export function autoApprovalConfig(fields: Partial<AutoApprovalConfig> = {}): AutoApprovalConfig {
  return { enabled: true, scheduleIds: [], roles: [], ...fields };
}
