/**
 * Which failures retrying cannot fix, and what responders are told about them. A missing
 * permission stays missing until an operator changes the role or the API key, so the work is not
 * retried in a loop; it is said once in the log and once on the request's incidents.
 *
 * @module
 */

import { PagerDutyError } from "../pagerduty/types.ts";
import { TeleportError } from "../teleport/types.ts";

/** A missing permission: retrying the same work cannot fix it. */
export function isPermanentFailure(error: unknown): boolean {
  if (error instanceof TeleportError) return error.kind === "permission_denied";
  if (error instanceof PagerDutyError) return error.status === 401 || error.status === 403;
  return false;
}

/** The notice code and note for a permanent failure that responders can be told about. */
export function permanentFailureNotice(
  error: unknown,
): { code: string; content: string } | undefined {
  // A PagerDuty key without rights cannot post the note either; only Teleport's refusals are said.
  if (!(error instanceof TeleportError && error.kind === "permission_denied")) return undefined;
  return {
    code: "permission.teleport",
    content: "teleport-pagerduty cannot finish handling this access request: " +
      `${error.message} It is tried again when the request changes, and at the next ` +
      "reconciliation; until then, review the request in Teleport.",
  };
}
