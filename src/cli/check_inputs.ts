/**
 * What `check` hands each of its sandboxed workers. Each gets only its side's part of the
 * config: the Teleport worker never sees the PagerDuty API key.
 *
 * @module
 */

import type { ConfigMessage } from "../config/transfer.ts";
import type { TeleportConfig } from "../config/types.ts";

/** Input of `check_teleport_worker.ts`. */
export interface TeleportCheckInput {
  readonly teleport: TeleportConfig;
  readonly notifyServiceAnnotation: string;
  readonly servicesAnnotation: string;
  readonly autoApproval: boolean;
  readonly probeRequestId: string;
}

/** Input of `check_pagerduty_worker.ts`. Holds the API key in clear: never log it. */
export interface PagerDutyCheckInput {
  readonly pagerduty: ConfigMessage["pagerduty"];
  readonly serviceNames: readonly string[];
  readonly probeIncidentId: string;
}
