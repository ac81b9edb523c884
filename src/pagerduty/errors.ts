/**
 * Turns PagerDuty's error answers (and failures to get one) into {@link PagerDutyError}s whose
 * message is one sentence saying what went wrong and what to change.
 *
 * PagerDuty's error body is `{"error":{"message","code","errors"}}`, but `errors` may be missing,
 * an array of strings or an object of field → message(s), and proxies answer with HTML; every
 * shape is accepted.
 *
 * @module
 */

import { clip as clipText } from "../text.ts";
import { PagerDutyError } from "./types.ts";

/** A client option that cannot work; the message names the config key and what to change. */
export class PagerDutyConfigError extends Error {
  /** The config key holding the bad value, e.g. `pagerduty.api_endpoint`. */
  readonly key: string;

  /** Creates the error for one bad value of `key`. */
  constructor(message: string, key: string) {
    super(message);
    this.name = "PagerDutyConfigError";
    this.key = key;
  }
}

/** The parts of a PagerDuty error body, whatever its shape. */
export interface ErrorBody {
  readonly code: number | undefined;
  readonly message: string | undefined;
  readonly errors: readonly string[];
}

/** Longest error detail kept from a body, so a huge HTML page cannot flood the logs. */
const MAX_DETAIL = 500;

function clip(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return clipText(flat, MAX_DETAIL + 1);
}

/** Error details kept from one answer; PagerDuty sends one or two, a hostile answer thousands. */
export const MAX_ERROR_DETAILS = 10;

/** How deep nested `errors` are followed; PagerDuty's are one level (field → messages). */
const MAX_ERROR_DEPTH = 4;

/**
 * Up to {@link MAX_ERROR_DETAILS} details, then one saying how many more were dropped. (The
 * answer itself is capped in size before it gets here.)
 */
function flattenErrors(value: unknown): string[] {
  const found: string[] = [];
  let more = 0;
  const walk = (node: unknown, prefix: string, depth: number) => {
    if (node === undefined || node === null) return;
    if (Array.isArray(node)) {
      if (depth < MAX_ERROR_DEPTH) { for (const item of node) walk(item, prefix, depth + 1); }
      return;
    }
    if (typeof node === "object") {
      if (depth >= MAX_ERROR_DEPTH) return;
      for (const [field, detail] of Object.entries(node as Record<string, unknown>)) {
        walk(detail, `${prefix}${clip(field)}: `, depth + 1);
      }
      return;
    }
    if (found.length < MAX_ERROR_DETAILS) found.push(clip(`${prefix}${String(node)}`));
    else more++;
  };
  walk(value, "", 0);
  if (more > 0) found.push(`and ${more} more`);
  return found;
}

/** Reads an error body defensively; text that is not PagerDuty's JSON yields no details. */
export function parseErrorBody(text: string): ErrorBody {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { code: undefined, message: undefined, errors: [] };
  }
  const root = typeof json === "object" && json !== null ? json as Record<string, unknown> : {};
  const error = typeof root.error === "object" && root.error !== null
    ? root.error as Record<string, unknown>
    : root;
  const code = typeof error.code === "number" && Number.isFinite(error.code)
    ? error.code
    : typeof error.code === "string" && /^\d+$/.test(error.code)
    ? Number(error.code)
    : undefined;
  const message = typeof error.message === "string" ? clip(error.message) : undefined;
  return { code, message, errors: flattenErrors(error.errors) };
}

function details(status: number, body: ErrorBody): string {
  let text = `${status}`;
  if (body.code !== undefined) text += `, code ${body.code}`;
  if (body.message !== undefined) text += ` "${body.message}"`;
  if (body.errors.length > 0) text += `: ${body.errors.join("; ")}`;
  return text;
}

function attempts(count: number): string {
  return count === 1 ? "1 attempt" : `${count} attempts`;
}

/** What to change after a 4xx that is not about the key, rate or a missing object. */
function invalidRequestHint(body: ErrorBody): string {
  const text = [body.message ?? "", ...body.errors].join(" ");
  if (/\bfrom\b/i.test(text)) {
    return "check that pagerduty.user_email is the email of a user on this PagerDuty account";
  }
  if (/priority/i.test(text)) {
    return "check pagerduty.priority against the account's priorities, or leave it unset";
  }
  return "check the PagerDuty service, user and priority names in the configuration and request annotations";
}

/** The error for an answer with a non-2xx status, after `attemptCount` attempts. */
export function statusError(input: {
  readonly operation: string;
  readonly status: number;
  readonly body: ErrorBody;
  readonly attemptCount: number;
}): PagerDutyError {
  const { operation, status, body } = input;
  const what = details(status, body);
  let message: string;
  if (status === 401) {
    message =
      `PagerDuty rejected the API key on ${operation} (${what}): check pagerduty.api_key, and that pagerduty.api_endpoint is the region the key belongs to.`;
  } else if (status === 403) {
    message =
      `PagerDuty refused ${operation} for this API key (${what}): use a key with write access in pagerduty.api_key (read-only keys cannot open incidents or add notes).`;
  } else if (status === 402) {
    message =
      `PagerDuty refused ${operation} because the account lacks a required ability (${what}): enable the feature on the account or stop using it in the configuration.`;
  } else if (status === 404) {
    message =
      `PagerDuty found nothing for ${operation} (${what}): the ID is wrong or the object was deleted.`;
  } else if (status === 429) {
    message = `PagerDuty kept rate-limiting ${operation} (${what}) through ${
      attempts(input.attemptCount)
    }: lower pagerduty.rate_limit_per_minute or reduce other use of this API key.`;
  } else if (status === 408 || status >= 500) {
    message = `PagerDuty failed ${operation} (${what}) through ${
      attempts(input.attemptCount)
    }: PagerDuty is having trouble, so the call should be repeated later.`;
  } else {
    message = `PagerDuty rejected ${operation} (${what}): ${invalidRequestHint(body)}.`;
  }
  return new PagerDutyError(message, {
    status,
    code: body.code,
    errors: body.errors,
    operation,
  });
}

/** The error for a call that got no answer within the timeout. */
export function timeoutError(input: {
  readonly operation: string;
  readonly host: string;
  readonly timeoutMs: number;
  readonly attemptCount: number;
  readonly cause: unknown;
}): PagerDutyError {
  return new PagerDutyError(
    `PagerDuty did not answer ${input.operation} within ${input.timeoutMs} ms through ${
      attempts(input.attemptCount)
    }: check network access to ${input.host}, or raise pagerduty.request_timeout.`,
    { status: 0, operation: input.operation, cause: input.cause },
  );
}

/** The error for a call whose connection failed. */
export function networkError(input: {
  readonly operation: string;
  readonly host: string;
  readonly attemptCount: number;
  readonly cause: unknown;
}): PagerDutyError {
  const reason = input.cause instanceof Error
    ? clip(
      input.cause.cause instanceof Error ? input.cause.cause.message : input.cause.message,
    )
    : clip(String(input.cause));
  return new PagerDutyError(
    `Could not reach PagerDuty at ${input.host} for ${input.operation} through ${
      attempts(input.attemptCount)
    } (${reason}): check pagerduty.api_endpoint and the network path to it.`,
    { status: 0, operation: input.operation, cause: input.cause },
  );
}

/** The error for a call the caller cancelled. */
export function cancelledError(operation: string, reason: unknown): PagerDutyError {
  return new PagerDutyError(
    `The PagerDuty call ${operation} was cancelled before it finished, because the service is stopping or the caller gave up.`,
    { status: 0, operation, cause: reason },
  );
}

/** The error for a 2xx answer whose body is not what the operation returns. */
export function unexpectedBodyError(input: {
  readonly operation: string;
  readonly status: number;
  readonly problem: string;
}): PagerDutyError {
  return new PagerDutyError(
    `PagerDuty answered ${input.operation} with ${input.status} but an unexpected body (${input.problem}): check that pagerduty.api_endpoint points at the PagerDuty REST API.`,
    { status: input.status, operation: input.operation },
  );
}
