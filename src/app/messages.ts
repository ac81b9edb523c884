/**
 * The words the service writes into PagerDuty: incident titles and bodies, review notes,
 * outcome notes and resolution texts. Pure functions of the request, so they are easy to read
 * and test. The Go plugin's phrasing ("Reason: …", "Access request has been approved") is kept
 * where operators or their tooling may match on it.
 *
 * Text from requesters and reviewers (reasons, names, reviewers they suggest) may be hostile: it
 * must never pass for the service's own lines. A name is kept on one line with its control
 * characters shown as escapes. A reason that is one ordinary line stays as the Go plugin wrote it
 * (`Reason: <reason>`, after a fixed prefix on the same line, so it cannot start a line of its
 * own); any other reason is quoted, every line starting with `> `, which no line of the service
 * does. In the incident body the service's facts (request ID, link) come before anything the
 * requester wrote, and only the requester's text is cut when the body is too long.
 *
 * @module
 */

import type { AccessRequest, AccessReview } from "../teleport/types.ts";
import { clip } from "../text.ts";
import type { Resolution } from "./plugin_data.ts";

/** PagerDuty's incident title limit is 1024 characters; stay well inside it. */
const MAX_TITLE = 255;
/** Long reasons are cut so a hostile request cannot produce an oversized body. */
const MAX_REASON = 2_000;
/** A name (user, role, reviewer, resource) longer than this is cut. */
const MAX_NAME = 200;
/** Roles, resources and suggested reviewers listed by name; the rest are counted. */
const MAX_LISTED = 20;
/** The whole incident body (its `details`); 1,000 roles and reviewers once made 78 KB. */
export const MAX_DETAILS = 8_000;
/** Notes stay far below PagerDuty's note size limit. */
const MAX_NOTE = 10_000;

/** Incident key the Go plugin uses, so moving from it creates no duplicates. */
export function incidentKey(requestId: string): string {
  return `teleport-access-request/${requestId}`;
}

/** The link to the request in Teleport's Web UI, or undefined without a proxy address. */
export function requestLink(proxyAddr: string, requestId: string): string | undefined {
  const addr = proxyAddr.trim();
  if (addr === "") return undefined;
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(addr) ? addr : `https://${addr}`);
  if (url.protocol === "https:" && url.port === "443") url.port = "";
  return `${url.origin}/web/requests/${encodeURIComponent(requestId)}`;
}

/** Title naming the requester and the requested roles. */
export function incidentTitle(request: AccessRequest): string {
  const what = request.roles.length > 0
    ? `roles ${names(request.roles)}`
    : `${request.requestedResources.length} resource(s)`;
  return clip(`Access request from ${inline(request.user)} for ${what}`, MAX_TITLE);
}

/** What the incident body says besides the request itself. */
export interface DetailsNotice {
  /** Services named for the request beyond the per-request cap, which were not notified. */
  readonly omittedServices?: number;
}

/**
 * Plain-text incident body with everything a responder needs to decide: the service's facts
 * first, in a fixed order, then what the requester wrote.
 */
export function incidentDetails(
  request: AccessRequest,
  link: string | undefined,
  notice: DetailsNotice = {},
): string {
  const facts = [
    `${inline(request.user)} requested permissions for roles ${names(request.roles)} on Teleport` +
    (request.created ? ` at ${formatTime(request.created)}.` : "."),
    `Request ID: ${request.id}`,
  ];
  if (link) facts.push(`To approve or deny the request, proceed to ${link}`);
  if (request.accessExpires) {
    facts.push(`Access would expire: ${formatTime(request.accessExpires)}`);
  }
  if (request.maxDuration) facts.push(`Max duration: until ${formatTime(request.maxDuration)}`);
  if (request.requestExpires) {
    facts.push(`Request expires if not reviewed: ${formatTime(request.requestExpires)}`);
  }
  if ((notice.omittedServices ?? 0) > 0) {
    facts.push(
      `${notice.omittedServices} more service(s) named for this request were not notified: ` +
        "too many names.",
    );
  }
  const requested: string[] = [];
  if (request.requestedResources.length > 0) {
    requested.push("Requested resources:");
    for (const r of request.requestedResources.slice(0, MAX_LISTED)) {
      const sub = r.subResourceName ? `/${inline(r.subResourceName)}` : "";
      requested.push(
        `  - ${inline(r.kind)} ${inline(r.name)}${sub} (cluster ${inline(r.clusterName)})`,
      );
    }
    if (request.requestedResources.length > MAX_LISTED) {
      requested.push(`  - … and ${request.requestedResources.length - MAX_LISTED} more`);
    }
  }
  if (request.suggestedReviewers.length > 0) {
    requested.push(`Suggested reviewers: ${names(request.suggestedReviewers)}`);
  }
  if (request.requestReason) {
    requested.push(
      reasonLines(request.requestReason, "Reason, as written by the requester").join("\n"),
    );
  }
  const head = facts.join("\n");
  const tail = requested.join("\n");
  if (tail === "") return clip(head, MAX_DETAILS);
  return `${head}\n${clip(tail, Math.max(0, MAX_DETAILS - head.length - 1))}`;
}

/**
 * The note for one review, in the Go plugin's words and time format:
 * `<author> reviewed the request at <02 Jan 06 15:04 UTC>.\nResolution: <STATE>.\nReason: <reason>.`
 * (the reason line only when there is one; quoted when it is not one ordinary line).
 */
export function reviewNote(review: AccessReview): string {
  const author = inline(review.author);
  const lines = [
    `${author} reviewed the request at ${formatGoRfc822(review.created)}.`,
    `Resolution: ${review.decision}.`,
  ];
  if (review.reason) {
    lines.push(...reasonLines(review.reason, `Reason, as written by ${author}`, "."));
  }
  return clip(lines.join("\n"), MAX_NOTE);
}

/**
 * The note stating how the request ended, in the Go plugin's words:
 * `Access request has been <resolution>`, then `\nReason: <reason>` when there is one (quoted
 * when it is not one ordinary line).
 */
export function outcomeNote(resolution: Exclude<Resolution, "">, reason: string): string {
  const lines = [`Access request has been ${resolution}`];
  if (reason) lines.push(...reasonLines(reason, "Reason given in Teleport"));
  return clip(lines.join("\n"), MAX_NOTE);
}

/** The sentence stating how the request ended (also the resolving update's text). */
export function outcomeText(resolution: Exclude<Resolution, "">, reason: string): string {
  return outcomeNote(resolution, reason);
}

/** The review reason the service gives when it approves an on-call requester. */
export function autoApprovalReason(
  pagerDutyUser: { name: string; email: string },
  matches: readonly { serviceName: string; escalationLevel: number }[],
): string {
  // PagerDuty may leave the level out (read as Infinity): then the service alone is named.
  const services = matches.map((m) =>
    Number.isFinite(m.escalationLevel)
      ? `${inline(m.serviceName)} (escalation level ${m.escalationLevel})`
      : inline(m.serviceName)
  );
  return `Access requested by user ${inline(pagerDutyUser.name)} (${
    inline(pagerDutyUser.email)
  }) who is on call in service(s) ${[...new Set(services)].join(", ")}`;
}

/** Formats a time as UTC ISO-8601 without milliseconds, e.g. `2026-11-25T10:48:13Z`. */
export function formatTime(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * A time as Go's `time.RFC822` prints a UTC time (`25 Nov 26 10:05 UTC`); undefined is Go's zero
 * time, which is what the Go plugin printed for a review without one.
 */
export function formatGoRfc822(time: Date | undefined): string {
  if (time === undefined) return "01 Jan 01 00:00 UTC";
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(time.getUTCDate())} ${MONTHS[time.getUTCMonth()]} ${
    two(time.getUTCFullYear() % 100)
  } ${two(time.getUTCHours())}:${two(time.getUTCMinutes())} UTC`;
}

/**
 * Characters that could make outside text look like more lines, reorder what is shown, or hide:
 * control characters (tab excepted), line and paragraph separators, and bidirectional and other
 * invisible format characters.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const UNSAFE_ALL = /(?!\t)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
const LINE_BREAK = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/;

/** Outside text on one line, each unsafe character shown as an escape like `\u000a`. */
function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE_ALL, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`);
}

/** A name from outside, on one line and of bounded length. */
function inline(text: string): string {
  return clip(escapeUnsafe(text), MAX_NAME);
}

/** Names joined by ", ", the first {@link MAX_LISTED} of them, then how many more. */
function names(list: readonly string[]): string {
  const shown = list.slice(0, MAX_LISTED).map(inline).join(", ");
  return list.length > MAX_LISTED ? `${shown} (and ${list.length - MAX_LISTED} more)` : shown;
}

/** Whether outside text is one line with nothing that could pass for more. */
function isPlainLine(text: string): boolean {
  return !UNSAFE.test(text.replaceAll("\t", " "));
}

/**
 * The lines stating a reason someone gave: `Reason: <reason><end>` when it is one plain line (the
 * Go plugin's form), else `header` saying whose words follow, and the reason quoted line by line.
 */
function reasonLines(reason: string, header: string, end = ""): string[] {
  const text = clip(reason, MAX_REASON);
  if (isPlainLine(text)) return [`Reason: ${text}${end}`];
  const quoted = text.split(LINE_BREAK).map((line) => {
    const shown = escapeUnsafe(line);
    return shown === "" ? ">" : `> ${shown}`;
  });
  return [`${header} (quoted):`, ...quoted];
}
