/**
 * Ending a request's access early: the one room that writes locks, used by both triggers (the
 * on-call shift ended, the cited incident was resolved or is gone). In order: check that a lock
 * still matters and that the access is the service's to end; write the lock unless one with its
 * name is there already (left as it is: another replica wrote it, or an operator); note it on
 * the access-request incident (once, see `notes.ts`); record `locked`, so it is never written
 * again — an operator who deletes the lock gives the access back for good. Each step is safe to
 * repeat, so a failure anywhere is retried from the start.
 *
 * @module
 */

import type { AccessRequest } from "../teleport/types.ts";
import { lockNote, type LockReason, type NamedIncident } from "./access_end_messages.ts";
import { approvalStands, lockName, lockNeeded, requestLock } from "./locks.ts";
import { noteNotice } from "./notes.ts";
import { keep, type RequestRun, write } from "./run.ts";

/** Notice code of the note saying that access was ended (one per request). */
export const ACCESS_ENDED_NOTICE = "access.ended";

/** Why access ends, in the words of the lock and of the note. */
export interface AccessEnding {
  readonly reason: LockReason;
  /** The lock's message: what the locked-out user reads. */
  readonly message: string;
  /** When the shift ended, when known (shift endings). */
  readonly shiftEndedAt?: Date;
  /** The incident that ended it, when known (incident endings). */
  readonly incident?: NamedIncident & { readonly htmlUrl?: string };
}

/** What ending the access came to. */
export type EndOutcome =
  /** The lock was written now. */
  | "locked"
  /** A lock with the request's lock name was there already and was left as it is. */
  | "lock_present"
  /** The record says the request was locked before. */
  | "already_locked"
  /** Nothing to lock: the request is gone or its access has expired. */
  | "not_needed"
  /** The service's approval is not (or no longer) what grants the access. */
  | "not_ours";

/** Ends the request's access with a lock, notes it, and records it. */
export async function endAccess(
  run: RequestRun,
  request: AccessRequest | undefined,
  ending: AccessEnding,
): Promise<EndOutcome> {
  const { auth, observer, selfUser } = run.deps;
  const now = new Date(run.deps.clock());
  if (run.record.accessEnd.locked !== "") return "already_locked";
  if (request === undefined || !lockNeeded(request, now)) {
    run.log.info(
      "Access ending early ({reason}) needs no lock: the request or its access has ended",
      {
        reason: ending.reason,
      },
    );
    if (request !== undefined) await dropPlan(run);
    return "not_needed";
  }
  if (!approvalStands(request, selfUser)) {
    run.log.info(
      "Access ending early ({reason}) is not the service's to end: its approval is not on the request (state {state})",
      { reason: ending.reason, state: request.state },
    );
    await dropPlan(run);
    return "not_ours";
  }
  await run.hold();
  const name = lockName(request.id);
  const present = await auth.getLock(name) !== undefined;
  if (present) {
    run.log.info("Lock {lock} is already there; left as it is", { lock: name });
  } else {
    await auth.upsertLock(requestLock(request, ending.message));
    observer.accessLocked(ending.reason);
    run.log.info("Locked the request ({reason}): {message}", {
      reason: ending.reason,
      message: ending.message,
      lock: name,
    });
  }
  const note = lockNote(ending.reason, {
    lockName: name,
    lockedAt: now,
    shiftEndedAt: ending.shiftEndedAt,
    incident: ending.incident,
  });
  await noteNotice(run, ACCESS_ENDED_NOTICE, note, [
    ...new Set(Object.values(run.record.incidents)),
  ]);
  await run.change((current) =>
    current.accessEnd.locked !== ""
      ? keep(undefined)
      : write({ ...current, accessEnd: { ...current.accessEnd, locked: ending.reason } }, undefined)
  );
  return present ? "lock_present" : "locked";
}

/** Forgets the incident an access no longer depends on, so nobody watches it any more. */
async function dropPlan(run: RequestRun): Promise<void> {
  await run.change((current) =>
    current.accessEnd.incident === undefined
      ? keep(undefined)
      : write({ ...current, accessEnd: { ...current.accessEnd, incident: undefined } }, undefined)
  );
}
