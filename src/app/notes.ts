/**
 * Posting notes: one note per review in review order, and the outcome as its own note, each
 * exactly once. Before posting, the run marks the note in the record (`posting`); after, it
 * records the note as done. A marker found at the start of a run means an earlier attempt may
 * have posted the note without recording it (a crash, a lost answer), so PagerDuty's notes are
 * read before posting again. The lease (`run.ts`) keeps two replicas from posting at once.
 *
 * @module
 */

import type { AccessReview } from "../teleport/types.ts";
import { outcomeNote, reviewNote } from "./messages.ts";
import type { PostingMarker, RequestRecord, Resolution } from "./plugin_data.ts";
import type { NoteReason } from "./observer.ts";
import { keep, type RequestRun, write } from "./run.ts";

/** Posts the reviews that have no note yet, one note each, in review order. */
export async function noteReviews(
  run: RequestRun,
  reviews: readonly AccessReview[],
  incidentIds: readonly string[],
): Promise<void> {
  if (incidentIds.length === 0) return;
  let noted = 0;
  for (let index = run.record.reviewsCount + 1; index <= reviews.length; index++) {
    if (index <= run.record.reviewsCount) continue;
    const marker: PostingMarker = { kind: "review", index };
    await postOnce(run, incidentIds, marker, reviewNote(reviews[index - 1]), "review");
    noted++;
  }
  if (noted > 0) {
    run.log.info("Noted {count} review(s) on {incidents} incident(s)", {
      count: noted,
      incidents: incidentIds.length,
    });
  }
}

/** Posts how the request ended, once, on every incident. */
export async function noteOutcome(
  run: RequestRun,
  outcome: { resolution: Exclude<Resolution, "">; reason: string },
  incidentIds: readonly string[],
): Promise<void> {
  if (run.record.outcomeNoted || incidentIds.length === 0) return;
  await postOnce(
    run,
    incidentIds,
    { kind: "outcome" },
    outcomeNote(outcome.resolution, outcome.reason),
    "resolution",
  );
}

/**
 * Posts a notice to the responders once per request: `code` names it in the record (e.g.
 * `permission.teleport`), so the same notice is never repeated by later attempts.
 */
export async function noteNotice(
  run: RequestRun,
  code: string,
  content: string,
  incidentIds: readonly string[],
): Promise<void> {
  if (run.record.notices.includes(code) || incidentIds.length === 0) return;
  await postOnce(run, incidentIds, { kind: "notice", code }, content, "notice");
}

/** Whether two markers name the same note. */
export function sameNote(a: PostingMarker | undefined, b: PostingMarker): boolean {
  if (!a || a.kind !== b.kind) return false;
  if (a.kind === "review") return b.kind === "review" && a.index === b.index;
  if (a.kind === "notice") return b.kind === "notice" && a.code === b.code;
  return true;
}

/** Whether the record says the note named by `marker` is already on every incident. */
export function noteDone(record: RequestRecord, marker: PostingMarker): boolean {
  if (marker.kind === "outcome") return record.outcomeNoted;
  if (marker.kind === "notice") return record.notices.includes(marker.code);
  return record.reviewsCount >= marker.index;
}

/** The record once the note named by `marker` is on every incident. */
export function withNoteDone(current: RequestRecord, marker: PostingMarker): RequestRecord {
  const done = marker.kind === "outcome"
    ? { ...current, outcomeNoted: true }
    : marker.kind === "notice"
    ? { ...current, notices: [...new Set([...current.notices, marker.code])] }
    : { ...current, reviewsCount: Math.max(current.reviewsCount, marker.index) };
  return { ...done, posting: undefined };
}

async function postOnce(
  run: RequestRun,
  incidentIds: readonly string[],
  marker: PostingMarker,
  content: string,
  reason: NoteReason,
): Promise<void> {
  await run.hold();
  // Taking the lease may have read a newer record: another instance may have posted it meanwhile.
  if (noteDone(run.record, marker)) return;
  const lookFirst = sameNote(run.record.posting, marker);
  if (!lookFirst) {
    await run.change((current) => write({ ...current, posting: marker }, undefined));
  }
  for (const incidentId of incidentIds) {
    if (lookFirst && await hasNote(run, incidentId, content)) continue;
    await run.sideEffect((signal) => run.deps.pagerduty.addNote(incidentId, content, { signal }));
    run.deps.observer.noteAdded(reason);
  }
  await run.change((current) =>
    sameNote(current.posting, marker) || current.posting === undefined
      ? write(withNoteDone(current, marker), undefined)
      : keep(undefined)
  );
}

async function hasNote(run: RequestRun, incidentId: string, content: string): Promise<boolean> {
  const notes = await run.deps.pagerduty.listNotes(incidentId);
  return notes.some((note) => note.content === content);
}
