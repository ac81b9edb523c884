/**
 * The words the service writes into PagerDuty: incident titles and bodies, review notes,
 * outcome notes and resolution texts. Pure functions of the request, so they are easy to read
 * and test. The Go plugin's phrasing ("Reason: …", "Access request has been approved") is kept
 * where operators or their tooling may match on it.
 *
 * @module
 */

import type { AccessRequest, AccessReview } from "../teleport/types.ts";
import type { Resolution } from "./plugin_data.ts";

/** PagerDuty's incident title limit is 1024 characters; stay well inside it. */
const MAX_TITLE = 255;
/** Long reasons are cut so a hostile request cannot produce an oversized body. */
const MAX_FIELD = 2_000;
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
    ? `roles ${request.roles.join(", ")}`
    : `${request.requestedResources.length} resource(s)`;
  return clip(`Access request from ${oneLine(request.user)} for ${what}`, MAX_TITLE);
}

/** Plain-text incident body with everything a responder needs to decide. */
export function incidentDetails(request: AccessRequest, link: string | undefined): string {
  const lines = [
    `${request.user} requested permissions for roles ${request.roles.join(", ")} on Teleport` +
    (request.created ? ` at ${formatTime(request.created)}.` : "."),
  ];
  if (request.requestReason) lines.push(`Reason: ${clip(request.requestReason, MAX_FIELD)}`);
  if (request.requestedResources.length > 0) {
    lines.push("Requested resources:");
    for (const r of request.requestedResources.slice(0, 50)) {
      const sub = r.subResourceName ? `/${r.subResourceName}` : "";
      lines.push(`  - ${r.kind} ${r.name}${sub} (cluster ${r.clusterName})`);
    }
    if (request.requestedResources.length > 50) {
      lines.push(`  - … and ${request.requestedResources.length - 50} more`);
    }
  }
  if (request.accessExpires) {
    lines.push(`Access would expire: ${formatTime(request.accessExpires)}`);
  }
  if (request.maxDuration) lines.push(`Max duration: until ${formatTime(request.maxDuration)}`);
  if (request.requestExpires) {
    lines.push(`Request expires if not reviewed: ${formatTime(request.requestExpires)}`);
  }
  if (request.suggestedReviewers.length > 0) {
    lines.push(`Suggested reviewers: ${request.suggestedReviewers.join(", ")}`);
  }
  lines.push(`Request ID: ${request.id}`);
  if (link) lines.push(`To approve or deny the request, proceed to ${link}`);
  return lines.join("\n");
}

/** One paragraph per review, in the Go plugin's wording. */
export function reviewText(review: AccessReview): string {
  const at = review.created ? ` at ${formatTime(review.created)}` : "";
  const lines = [`${review.author} reviewed the request${at}.`, `Resolution: ${review.decision}.`];
  if (review.reason) lines.push(`Reason: ${clip(review.reason, MAX_FIELD)}.`);
  return lines.join("\n");
}

/** The sentence stating how the request ended. */
export function outcomeText(resolution: Exclude<Resolution, "">, reason: string): string {
  const lines = [`Access request has been ${resolution}`];
  if (reason) lines.push(`Reason: ${clip(reason, MAX_FIELD)}`);
  return lines.join("\n");
}

/** The note for one review, as the Go plugin posts it: one note per review. */
export function reviewNote(review: AccessReview): string {
  return clip(reviewText(review), MAX_NOTE);
}

/** The note stating how the request ended, posted on its own after the review notes. */
export function outcomeNote(resolution: Exclude<Resolution, "">, reason: string): string {
  return clip(outcomeText(resolution, reason), MAX_NOTE);
}

/** The review reason the service gives when it approves an on-call requester. */
export function autoApprovalReason(
  pagerDutyUser: { name: string; email: string },
  matches: readonly { serviceName: string; escalationLevel: number }[],
): string {
  // PagerDuty may leave the level out (read as Infinity): then the service alone is named.
  const services = matches.map((m) =>
    Number.isFinite(m.escalationLevel)
      ? `${m.serviceName} (escalation level ${m.escalationLevel})`
      : m.serviceName
  );
  return `Access requested by user ${pagerDutyUser.name} (${pagerDutyUser.email}) ` +
    `who is on call in service(s) ${[...new Set(services)].join(", ")}`;
}

/** Formats a time as UTC ISO-8601 without milliseconds, e.g. `2026-11-25T10:48:13Z`. */
export function formatTime(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, " ");
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
