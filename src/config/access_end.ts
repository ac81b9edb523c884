/**
 * The keys of access that ends before its TTL: with the requester's on-call shift
 * (`[pagerduty.auto_approval] end_with_shift`), or with the incident the request cites
 * (`[pagerduty.incident_access]` and `pagerduty.incident_services_annotation`). Both end access
 * with a Teleport lock, so either one switched on needs `lock` rules in the plugin's role.
 *
 * @module
 */

import type { ConfigWarning } from "./errors.ts";
import type { Section } from "./fields.ts";
import type { AccessEndConfig } from "./types.ts";

/** The defaults: both features off, the annotation `pagerduty_incident_services`, polling 30 s. */
export const DEFAULT_ACCESS_END: AccessEndConfig = Object.freeze({
  endWithShift: false,
  incidentAccess: false,
  incidentServicesAnnotation: "pagerduty_incident_services",
  incidentPollIntervalMs: 30_000,
});

/** Shortest polling interval: one call per interval stays far inside PagerDuty's budget. */
export const MIN_INCIDENT_POLL_MS = 5_000;
/** Longest polling interval: access outliving its incident by more would defeat the feature. */
export const MAX_INCIDENT_POLL_MS = 15 * 60_000;

/** Whether the configuration makes the service write locks, so its role needs `lock` rules. */
export function needsLocks(config: AccessEndConfig): boolean {
  return config.endWithShift || config.incidentAccess;
}

/**
 * Reads the keys from `[pagerduty]`, `[pagerduty.auto_approval]` and
 * `[pagerduty.incident_access]`, recording problems in the sections and warnings for settings
 * that cannot take effect.
 */
export function readAccessEnd(
  pagerduty: Section,
  autoApproval: Section,
  autoApprovalEnabled: boolean,
  warnings: ConfigWarning[],
): AccessEndConfig {
  const endWithShift = autoApproval.boolean("end_with_shift") ?? DEFAULT_ACCESS_END.endWithShift;
  if (endWithShift && !autoApprovalEnabled) {
    warnings.push({
      key: autoApproval.key("end_with_shift"),
      message: "pagerduty.auto_approval.end_with_shift = true has no effect because " +
        "pagerduty.auto_approval.enabled = false: nobody is approved for being on call.",
    });
  }
  const incident = pagerduty.table("incident_access");
  // Longer, and access may outlive its resolved incident by that much.
  const pollMs = incident.duration("poll_interval", MIN_INCIDENT_POLL_MS, MAX_INCIDENT_POLL_MS);
  return {
    endWithShift,
    incidentAccess: incident.boolean("enabled") ?? DEFAULT_ACCESS_END.incidentAccess,
    incidentServicesAnnotation:
      pagerduty.text("incident_services_annotation", "an annotation name") ??
        DEFAULT_ACCESS_END.incidentServicesAnnotation,
    incidentPollIntervalMs: pollMs ?? DEFAULT_ACCESS_END.incidentPollIntervalMs,
  };
}
