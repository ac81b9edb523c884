/**
 * The Teleport permissions that configured features need, each proved by `check` with one call
 * that changes nothing: the call targets something that does not exist, and Teleport checks the
 * caller's permission before it looks that up, so NOT_FOUND proves the permission. Giving a new
 * feature's permission a probe is adding one entry to {@link PERMISSION_PROBES}.
 *
 * No third-party imports: `check` picks the entries on the supervisor thread and the sandboxed
 * Teleport worker runs them.
 *
 * @module
 */

import type { Config } from "../config/types.ts";
import { needsLocks } from "../config/access_end.ts";
import { type AuthClient, TeleportError } from "../teleport/types.ts";

/** One permission a feature needs, and how to prove it. */
export interface PermissionProbe {
  /** A stable name: the worker receives names, since functions do not cross `postMessage`. */
  readonly id: string;
  /** The config key that makes the permission necessary, or undefined when nothing does. */
  readonly neededFor: (config: Config) => string | undefined;
  /** The checklist line: what the plugin may do, and for which feature. */
  readonly title: string;
  /** Calls the Auth Service about `missingId`, which names nothing that exists. */
  readonly probe: (client: AuthClient, missingId: string) => Promise<unknown>;
  /** What the NOT_FOUND answer proved, for the checklist detail. */
  readonly proof: string;
  /** What to do when Teleport refuses. */
  readonly fix: string;
}

/** Where the README explains the plugin's Teleport role. */
export const ROLE_HINT = 'see README, "Teleport setup", section "Role and user"';

/** Every feature's probe, in checklist order. */
export const PERMISSION_PROBES: readonly PermissionProbe[] = [
  {
    id: "review_requests",
    neededFor: (config) =>
      [
        config.pagerduty.autoApproval.enabled ? "pagerduty.auto_approval.enabled" : "",
        config.pagerduty.reviews ? "[pagerduty.reviews]" : "",
        config.pagerduty.accessEnd.incidentAccess ? "pagerduty.incident_access.enabled" : "",
      ].filter((key) => key !== "").join(", ") || undefined,
    title: "may submit reviews (for auto-approval, approve/deny from PagerDuty or incident access)",
    // Teleport checks that the caller may review at all (review_requests, admin-action MFA)
    // before it looks the request up; which roles it may approve is decided per request.
    probe: (client, missingId) =>
      client.submitReview(missingId, {
        author: "",
        decision: "APPROVED",
        reason: "teleport-pagerduty check: this request does not exist",
      }),
    proof: "proved by reviewing a request that does not exist; which roles it may approve is " +
      "decided per request by `review_requests.roles` and `where`",
    fix: `give the plugin's role \`review_requests\` for the requestable roles (${ROLE_HINT}), ` +
      "or turn off the features that review: pagerduty.auto_approval.enabled, " +
      "[pagerduty.reviews], pagerduty.incident_access.enabled",
  },
  {
    id: "user_read",
    // Every feature that matches the requester to a PagerDuty user reads the trait.
    neededFor: (config) =>
      config.pagerduty.autoApproval.emailTrait &&
        (config.pagerduty.autoApproval.enabled || config.pagerduty.reviews !== undefined ||
          config.pagerduty.accessEnd.incidentAccess)
        ? "pagerduty.auto_approval.email_trait"
        : undefined,
    title: "may read users' traits (for pagerduty.auto_approval.email_trait)",
    // Reading one's own user needs no permission, so the probe names a user that cannot exist.
    probe: (client, missingId) => client.getUser(`teleport-pagerduty-check-${missingId}`),
    proof: "proved by reading a user that does not exist",
    fix: `give the plugin's role \`user: [read]\` (${ROLE_HINT}), or remove ` +
      "pagerduty.auto_approval.email_trait if Teleport usernames are PagerDuty emails",
  },
  {
    id: "lock",
    neededFor: (config) =>
      needsLocks(config.pagerduty.accessEnd)
        ? config.pagerduty.accessEnd.endWithShift
          ? "pagerduty.auto_approval.end_with_shift"
          : "pagerduty.incident_access.enabled"
        : undefined,
    title: "may lock access requests (for access that ends with the shift or the incident)",
    probe: async (client, missingId) => {
      await client.getLock(`teleport-pagerduty-check-${missingId}`);
      try {
        // No target: Teleport checks the caller's lock permissions before it validates.
        await client.upsertLock({
          name: `teleport-pagerduty-check-${missingId}`,
          message: "",
          expires: undefined,
          target: { accessRequest: "" },
        });
      } catch (error) {
        if (error instanceof TeleportError && error.kind === "invalid_argument") return;
        throw error;
      }
    },
    proof: "proved by reading a lock that does not exist and writing one Teleport refuses as " +
      "having no target",
    fix: `give the plugin's role \`lock: [create, update, read]\` (${ROLE_HINT}), or turn off ` +
      "pagerduty.auto_approval.end_with_shift and pagerduty.incident_access.enabled",
  },
];

/** The probes `config` needs, in checklist order. */
export function probesFor(config: Config): PermissionProbe[] {
  return PERMISSION_PROBES.filter((probe) => probe.neededFor(config) !== undefined);
}

/** The probes named by `ids` (as {@link probesFor} chose them on the other side of a worker). */
export function probesById(ids: readonly string[]): PermissionProbe[] {
  return PERMISSION_PROBES.filter((probe) => ids.includes(probe.id));
}
