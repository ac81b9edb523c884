/**
 * PagerDuty's error answers, as the fake sends them:
 * `{"error":{"message":"…","code":N,"errors":["…"]}}`.
 *
 * Codes and messages follow PagerDuty's published list (docs/pagerduty-api.md §1.5). Where the
 * real pairing is unverified, the choice is named here so every test sees the same answer.
 *
 * @module
 */

/** The JSON body of a PagerDuty error answer. */
export interface PdErrorBody {
  readonly error: {
    readonly message: string;
    readonly code: number;
    readonly errors?: readonly string[];
  };
}

/** Thrown inside the fake's request pipeline to answer with a PagerDuty error. */
export class PdHttpError extends Error {
  /** HTTP status of the answer. */
  readonly status: number;
  /** The body sent; `undefined` sends an empty body (a 429 without details). */
  readonly body: PdErrorBody | undefined;
  /** Extra response headers. */
  readonly headers: Readonly<Record<string, string>>;

  /** Creates an error answer. */
  constructor(
    status: number,
    body: PdErrorBody | undefined,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(body?.error.message ?? `HTTP ${status}`);
    this.name = "PdHttpError";
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/** Builds an error body; `errors` is omitted when empty, as PagerDuty does for 401/429. */
export function errorBody(
  message: string,
  code: number,
  errors: readonly string[] = [],
): PdErrorBody {
  return { error: errors.length > 0 ? { message, code, errors } : { message, code } };
}

/** 400 code 2001, PagerDuty's answer to a request that breaks the schema or a rule. */
export function invalidInput(errors: readonly string[]): PdHttpError {
  return new PdHttpError(400, errorBody("Invalid Input Provided", 2001, errors));
}

/** 400 "Arguments Caused Error" for bad paging/query arguments (code 2001 as seen in the wild). */
export function argumentsError(errors: readonly string[]): PdHttpError {
  return new PdHttpError(400, errorBody("Arguments Caused Error", 2001, errors));
}

/** 401 for a missing, malformed or unknown `Authorization` header. */
export function authenticationFailed(): PdHttpError {
  return new PdHttpError(401, errorBody("Authentication failed", 2006));
}

/** 403 for a read-only token attempting a write. */
export function accessDenied(detail: string): PdHttpError {
  return new PdHttpError(403, errorBody("Access Denied", 2010, [detail]));
}

/** 404 code 2100, PagerDuty's generic "Not Found". */
export function notFound(): PdHttpError {
  return new PdHttpError(404, errorBody("Not Found", 2100));
}

/** The text PagerDuty answers when `From` is missing on a write that needs it. */
export const MISSING_FROM_MESSAGE =
  'You must specify a user\'s email address in the "From" header to perform this action';

/** The `errors[]` entry PagerDuty sends for a duplicate open incident_key on a service. */
export const DEDUP_MESSAGE = "Open incident with matching dedup key already exists on this service";

/** 429 body, as documented. */
export const RATE_LIMITED_BODY: PdErrorBody = errorBody("Rate Limit Exceeded", 2020);
