/**
 * The paths PagerDuty posts to, in a module with no dependencies: the listener serves them and
 * `setup-pagerduty` (on the supervisor thread, which loads no third-party code) registers them.
 *
 * @module
 */

/** The path V3 webhook deliveries (note commands, workflows, resolved incidents) come to. */
export const WEBHOOK_PATH = "/pagerduty/webhook";

/** The paths Custom Incident Actions are delivered to, one per decision. */
export const ACTION_PATHS = {
  approve: "/pagerduty/action/approve",
  deny: "/pagerduty/action/deny",
} as const;
