/**
 * Scheduled work: jobs due at a time, kept in the request's plugin data so they survive
 * restarts and run once across replicas — a lock that falls due when an on-call shift ends, a
 * responder's decision acknowledged to PagerDuty but not yet carried out. Each kind of job has a
 * handler; a run carries out the jobs that are due, and the lifecycle wakes the request again
 * when the next one falls due. The reconciliation finds every record with jobs after a restart.
 *
 * @module
 */

import type { AccessRequest } from "../teleport/types.ts";
import { JOBS_DONE_KEPT, type RequestRecord, type ScheduledJob } from "./plugin_data.ts";
import { type Change, keep, type RequestRun, write } from "./run.ts";

/** What a handler did with a due job. */
export type JobResult =
  /** Finished (or found nothing to do): the job is removed and remembered as done. */
  | { readonly kind: "done" }
  /** Not yet: run it again at `dueAt`, with new data when given. */
  | {
    readonly kind: "later";
    readonly dueAt: number;
    readonly data?: Readonly<Record<string, string>>;
  };

/**
 * Carries out one due job. `request` is undefined when Teleport no longer has the request.
 * Throwing retries the job (with the queue's backoff) until it succeeds.
 */
export type JobHandler = (
  run: RequestRun,
  job: ScheduledJob,
  request: AccessRequest | undefined,
) => Promise<JobResult>;

/** Handlers by job kind. */
export type JobHandlers = Readonly<Record<string, JobHandler>>;

/** Pure change adding `job`, unless a job with its ID is waiting or was done already. */
export function addJob(
  current: RequestRecord,
  job: ScheduledJob,
): Change<"accepted" | "duplicate"> {
  if (current.scheduled.some((j) => j.id === job.id) || current.jobsDone.includes(job.id)) {
    return keep("duplicate");
  }
  return write({ ...current, scheduled: [...current.scheduled, job] }, "accepted");
}

/** Pure change applying a handler's result to the job with `jobId`. */
export function finishJob(
  current: RequestRecord,
  jobId: string,
  result: JobResult,
): Change<"finished" | "gone"> {
  const job = current.scheduled.find((j) => j.id === jobId);
  if (!job) return keep("gone");
  if (result.kind === "later") {
    const next = { ...job, dueAt: result.dueAt, data: result.data ?? job.data };
    return write({
      ...current,
      scheduled: current.scheduled.map((j) => j.id === jobId ? next : j),
    }, "finished");
  }
  return write({
    ...current,
    scheduled: current.scheduled.filter((j) => j.id !== jobId),
    jobsDone: [...current.jobsDone.filter((id) => id !== jobId), jobId].slice(-JOBS_DONE_KEPT),
  }, "finished");
}

/** When the earliest job this service can carry out falls due, if any. */
export function nextDueAt(record: RequestRecord, kinds: Iterable<string>): number | undefined {
  const known = new Set(kinds);
  let next: number | undefined;
  for (const job of record.scheduled) {
    if (known.has(job.kind) && (next === undefined || job.dueAt < next)) next = job.dueAt;
  }
  return next;
}

/** Carries out every job that is due, earliest first. */
export async function runDueJobs(
  run: RequestRun,
  request: AccessRequest | undefined,
  handlers: JobHandlers,
): Promise<void> {
  const now = run.deps.clock();
  const due = run.record.scheduled
    .filter((job) => job.dueAt <= now)
    .sort((a, b) => a.dueAt - b.dueAt);
  for (const job of due) {
    const handler = handlers[job.kind];
    if (!handler) {
      run.log.warn("Scheduled job {job} of kind {kind} is not known to this version; left as is", {
        job: job.id,
        kind: job.kind,
      });
      continue;
    }
    const result = await handler(run, job, request);
    await run.change((current) => finishJob(current, job.id, result));
    run.log.debug("Scheduled job {job} ({kind}): {result}", {
      job: job.id,
      kind: job.kind,
      result: result.kind === "done" ? "done" : `again at ${new Date(result.dueAt).toISOString()}`,
    });
  }
}
