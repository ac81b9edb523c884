/**
 * The handlers of the access-end jobs (`access_end_jobs.ts`), registered with the lifecycle by
 * `service.ts`. Each one ends in `end_access.ts` when the access must end; errors (PagerDuty or
 * Teleport unreachable) are thrown, so the queue retries the job until it is done.
 *
 * @module
 */

import { incidentLockMessage, shiftLockMessage } from "./access_end_messages.ts";
import {
  INCIDENT_LOCK_JOB,
  incidentLockFacts,
  SHIFT_END_JOB,
  shiftEndData,
  shiftEndOf,
} from "./access_end_jobs.ts";
import { judgeOnCall } from "./auto_approve.ts";
import { endAccess } from "./end_access.ts";
import { approvalStands, lockNeeded } from "./locks.ts";
import { formatTime } from "./messages.ts";
import type { JobHandler, JobHandlers, JobResult } from "./scheduled.ts";
import { planAtDue } from "./shift_end.ts";

const DONE: JobResult = { kind: "done" };

/**
 * When the on-call shift that justified an approval ends: asks PagerDuty again for that very
 * instant. Still on call in a qualifying service (a back-to-back shift, an override): the job
 * moves to the new end; a permanent on-call or a shift outlasting the access: done; otherwise
 * the request is locked.
 */
export const shiftEndHandler: JobHandler = async (run, job, request) => {
  const now = new Date(run.deps.clock());
  if (run.record.accessEnd.locked !== "") return DONE;
  // Nothing to look up for access that has ended or that the service did not grant.
  if (
    request === undefined || !lockNeeded(request, now) ||
    !approvalStands(request, run.deps.selfUser)
  ) {
    run.log.info("Shift-end check: the request's access has ended or is not the service's");
    return DONE;
  }
  const judged = await judgeOnCall(run, request, now);
  const plan = planAtDue(judged.verdict, judged.qualifying, request.accessExpires, now);
  switch (plan.kind) {
    case "check_at":
      run.log.info("Shift-end check: still on call; looking again at {due}", {
        due: formatTime(plan.due),
      });
      return { kind: "later", dueAt: plan.due.getTime(), data: shiftEndData(plan.shiftEnd) };
    case "no_lock":
      run.log.info("Shift-end check: nothing ends the access early any more ({why})", {
        why: plan.why,
      });
      return DONE;
    case "lock": {
      const shiftEnd = shiftEndOf(job);
      run.log.info("Shift-end check: {detail}", { detail: plan.detail });
      await endAccess(run, request, {
        reason: "shift_ended",
        message: shiftLockMessage(request.id, shiftEnd),
        shiftEndedAt: shiftEnd,
      });
      return DONE;
    }
  }
};

/** Locks a request whose incident was found resolved or gone (by the poller or a webhook). */
export const incidentLockHandler: JobHandler = async (run, job, request) => {
  const recorded = run.record.accessEnd.incident;
  const facts = incidentLockFacts(job, typeof recorded === "object" ? recorded : undefined);
  await endAccess(run, request, {
    reason: facts.reason,
    message: incidentLockMessage(run.requestId, facts.incident, facts.reason),
    incident: facts.incident,
  });
  return DONE;
};

/** The access-end job handlers by kind. */
export const ACCESS_END_JOB_HANDLERS: JobHandlers = Object.freeze({
  [SHIFT_END_JOB]: shiftEndHandler,
  [INCIDENT_LOCK_JOB]: incidentLockHandler,
});
