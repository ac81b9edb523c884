/**
 * The lock that ends a request's access early, as pure functions: its name, whether one is still
 * needed, and the lock to write.
 *
 * @module
 */

import type { AccessRequest, NewLock } from "../teleport/types.ts";

/** The one lock per request, named predictably so writing it again replaces it. */
export function lockName(requestId: string): string {
  return `pagerduty-${requestId}`;
}

/**
 * Whether locking still changes anything: not for a request that is gone (deleted or expired)
 * nor for one whose access has already expired.
 */
export function lockNeeded(
  request: Pick<AccessRequest, "accessExpires"> | undefined,
  now: Date,
): boolean {
  if (request === undefined) return false;
  return request.accessExpires === undefined || request.accessExpires.getTime() > now.getTime();
}

/**
 * Whether an approval by the service (`selfUser`) still stands on the request: only access the
 * service granted is ended by it. A pending request counts too (the service's review is one of
 * several needed): a lock written now still holds once the request is approved.
 */
export function approvalStands(
  request: Pick<AccessRequest, "state" | "reviews">,
  selfUser: string,
): boolean {
  if (request.state !== "APPROVED" && request.state !== "PENDING") return false;
  return request.reviews.some((r) => r.author === selfUser && r.decision === "APPROVED");
}

/**
 * The lock on a request: it expires with the access (Teleport then deletes it), so locks do not
 * pile up. A request without a known access expiry (Teleport always sends one) gets a lock
 * without expiry rather than none.
 */
export function requestLock(
  request: Pick<AccessRequest, "id" | "accessExpires">,
  message: string,
): NewLock {
  return {
    name: lockName(request.id),
    message,
    expires: request.accessExpires,
    target: { accessRequest: request.id },
  };
}
