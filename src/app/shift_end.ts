/**
 * Access that ends with the on-call shift (`[pagerduty.auto_approval] end_with_shift`), as pure
 * functions: when the shift that justified an approval ends, what to plan at approval time, and
 * what to do when the plan falls due and PagerDuty is asked again.
 *
 * Times are this host's. On-call entries are asked for at an explicit instant (PagerDuty's
 * `since` = `until`), so PagerDuty's clock does not matter; an entry whose end has passed by this
 * host's clock no longer counts, whatever PagerDuty listed.
 *
 * @module
 */

import type { OnCall } from "../pagerduty/types.ts";
import { type RefusalReason, type Verdict } from "./auto_approval.ts";

/**
 * When an end time PagerDuty sent is unreadable, the shift is looked at again this long after,
 * since nothing tells when it ends.
 */
export const UNREADABLE_END_RECHECK_MS = 15 * 60_000;

/** When the qualifying on-call ends. */
export type ShiftEnd =
  /** An entry has no end (PagerDuty's `end: null`): nothing ends the access early. */
  | { readonly kind: "permanent" }
  /**
   * The latest end still ahead. With `certain` false an end was unreadable: `at` is then only
   * when to look again (the latest readable end, or {@linkcode UNREADABLE_END_RECHECK_MS} on).
   */
  | { readonly kind: "until"; readonly at: Date; readonly certain: boolean }
  /** Every entry has ended by this host's clock (or there is none). */
  | { readonly kind: "over" };

/** When the last of the qualifying entries ends, seen at `now`. */
export function shiftEnd(qualifying: readonly OnCall[], now: Date): ShiftEnd {
  if (qualifying.some((o) => o.end === undefined)) return { kind: "permanent" };
  const ahead = qualifying.flatMap((o) =>
    o.end instanceof Date && o.end.getTime() > now.getTime() ? [o.end.getTime()] : []
  );
  const unreadable = qualifying.some((o) => o.end === "unreadable");
  if (ahead.length > 0) {
    return { kind: "until", at: new Date(Math.max(...ahead)), certain: !unreadable };
  }
  if (unreadable) {
    return {
      kind: "until",
      at: new Date(now.getTime() + UNREADABLE_END_RECHECK_MS),
      certain: false,
    };
  }
  return { kind: "over" };
}

/** What to arrange for an on-call approval, or to do when its plan falls due. */
export type ShiftPlan =
  /** Nothing ends the access early: a permanent on-call, or a shift outlasting the access. */
  | { readonly kind: "no_lock"; readonly why: "permanent" | "outlasts_access" }
  /**
   * Check again at `due` and lock unless the requester is still on call then. `shiftEnd` is the
   * certain end of the shift, or undefined when `due` is only the next look (an unreadable end).
   */
  | { readonly kind: "check_at"; readonly due: Date; readonly shiftEnd: Date | undefined }
  /** The shift is over: lock now (at approval time: do not approve). */
  | { readonly kind: "lock"; readonly detail: string };

function planFor(end: ShiftEnd, accessExpires: Date | undefined): ShiftPlan {
  switch (end.kind) {
    case "permanent":
      return { kind: "no_lock", why: "permanent" };
    case "until":
      // The access ends at its expiry anyway; a lock then would change nothing.
      if (accessExpires !== undefined && end.at.getTime() >= accessExpires.getTime()) {
        return { kind: "no_lock", why: "outlasts_access" };
      }
      return { kind: "check_at", due: end.at, shiftEnd: end.certain ? end.at : undefined };
    case "over":
      return { kind: "lock", detail: "the on-call shift has ended" };
  }
}

/**
 * The plan for an approval on these qualifying entries. A `lock` answer means the shift ended by
 * this host's clock although PagerDuty still listed it (clock skew): do not approve then.
 */
export function planAtApproval(
  qualifying: readonly OnCall[],
  accessExpires: Date | undefined,
  now: Date,
): ShiftPlan {
  return planFor(shiftEnd(qualifying, now), accessExpires);
}

/**
 * What to do when the plan falls due, from the on-call verdict at `now` (PagerDuty asked at
 * that instant, with the same filters as the approval) and the entries it approved on. Still on
 * call in a qualifying service (a back-to-back shift, an override): a new plan; otherwise lock.
 */
export function planAtDue(
  verdict: Verdict,
  qualifying: readonly OnCall[],
  accessExpires: Date | undefined,
  now: Date,
): ShiftPlan {
  if (!verdict.approve) {
    return { kind: "lock", detail: describeRefusal(verdict.reason, verdict.detail) };
  }
  return planFor(shiftEnd(qualifying, now), accessExpires);
}

const REFUSAL_WORDS: Partial<Record<RefusalReason, string>> = {
  not_on_call: "no longer on call",
  no_user: "no longer a PagerDuty user",
  ambiguous_user: "no longer a single PagerDuty user",
  unknown_services: "on call in no service that still exists",
  filtered_level: "on call only at escalation levels that do not count",
  filtered_schedule: "on call only through schedules that do not count",
};

function describeRefusal(reason: RefusalReason, detail: string): string {
  return `${REFUSAL_WORDS[reason] ?? "no longer eligible"} (${detail})`;
}
