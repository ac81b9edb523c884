/**
 * The fake PagerDuty's HTTP pipeline: what happens to one request between the socket and the
 * account. In order: record the call → scripted latency → scripted fault → authentication (401) →
 * rate limit (429, `ratelimit-*` headers on every evaluated request) → route (404) → `Accept`
 * (400) → read-only token writing (403) → `Content-Type` (400) → OpenAPI validation of query and
 * body (400 code 2001) → `From` (400) → the operation (`handlers.ts`).
 *
 * Header strictness (a deliberate choice, documented here): `Accept` must name
 * `application/vnd.pagerduty+json;version=2` (PagerDuty falls back to the token's API version
 * when it is missing, but the integration must always send it); `Content-Type` must be
 * `application/json` on POST/PUT (parameters such as charset allowed). `From` is checked on writes
 * only: it must look like an email (else 400 code 1028) and name a user of the account (else 400
 * code 2013); GETs ignore it, as they have no actor.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { sleep } from "../../util/sleep.ts";
import {
  accessDenied,
  authenticationFailed,
  errorBody,
  invalidInput,
  MISSING_FROM_MESSAGE,
  notFound,
  PdHttpError,
  RATE_LIMITED_BODY,
} from "./errors.ts";
import type { FaultPlan } from "./faults.ts";
import { matchRoute, type RequestContext, type Route } from "./handlers.ts";
import type { Integrations } from "./integrations.ts";
import type { RateLimiter, RateLimitVerdict } from "./ratelimit.ts";
import type { JsonObject, Renderer } from "./render.ts";
import type { Account } from "./state.ts";
import { RequestValidator } from "./validation.ts";

/** An API token the fake accepts. */
export interface TokenSpec {
  readonly token: string;
  /** A user token acts as this user (`/users/me` works, `From` is optional). */
  readonly userId?: string;
  /** Read-only tokens get 403 on writes. */
  readonly readOnly?: boolean;
}

/** One request as the fake saw it. The Authorization value is never kept. */
export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  /** Every query parameter, repeated ones as several values. */
  readonly query: Readonly<Record<string, readonly string[]>>;
  /** Parsed JSON body, the raw text when it is not JSON, or undefined. */
  readonly body: unknown;
  /** Lower-case header names; `authorization` is replaced by `[redacted]`. */
  readonly headers: Readonly<Record<string, string>>;
  /** PagerDuty operationId, undefined for unknown routes. */
  readonly operationId: string | undefined;
  /** Status answered; 0 for a dropped connection. */
  status: number;
  readonly at: Date;
}

/** A request the fake refused for its shape (schema, headers), with the reasons. */
export interface ValidationFailure {
  readonly operationId: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly part: "query" | "body" | "header";
  readonly errors: readonly string[];
}

/** What the pipeline works with; the driver (`server.ts`) owns all of it. */
export interface PipelineSettings {
  readonly account: Account;
  readonly render: Renderer;
  readonly faults: FaultPlan;
  readonly rateLimiter: RateLimiter;
  /** The clock (ms since the epoch). */
  readonly clock: () => number;
  /** The account's abilities (`GET /abilities`). */
  readonly abilities: readonly string[];
  /** Webhook subscriptions, workflows and extensions (what `setup-pagerduty` creates). */
  readonly integrations: Integrations;
  /** Refuse a request without the PagerDuty `Accept` header. */
  readonly requireAccept: boolean;
  /** Calls kept in {@link RequestPipeline.calls}; older ones are dropped. */
  readonly maxRecordedCalls: number;
  /** Closes the connection of the client on this local port, so no answer reaches it. */
  readonly drop: (clientPort: number) => void;
  /** Aborted when the fake stops: a delayed request then changes nothing. */
  readonly signal: AbortSignal;
  /** Called whenever a call is recorded or answered, for the driver's waiters. */
  readonly onChange: () => void;
}

const log = getLogger(["teleport-pagerduty", "fake-pagerduty"]);

const ACCEPT_MEDIA_TYPE = "application/vnd.pagerduty+json";
const REDACTED = "[redacted]";

/** Takes each request through the checks PagerDuty makes, in PagerDuty's order, and records it. */
export class RequestPipeline {
  /** Rewrites of successful answers, by operation (see `FakePagerDuty.reshapeAnswers`). */
  readonly reshapes = new Map<string, (body: JsonObject) => JsonObject>();
  /** Every request, oldest first (bounded by `maxRecordedCalls`). */
  readonly calls: RecordedCall[] = [];
  /** Requests refused for their shape. */
  readonly validationFailures: ValidationFailure[] = [];

  readonly #settings: PipelineSettings;
  readonly #tokens = new Map<string, TokenSpec>();
  readonly #validator = new RequestValidator();

  /** A pipeline over the driver's account, faults and limiter. */
  constructor(settings: PipelineSettings) {
    this.#settings = settings;
  }

  /** Accepts `spec.token` from now on (replacing an earlier spec of the same token). */
  addToken(spec: TokenSpec): void {
    this.#tokens.set(spec.token, spec);
  }

  /** Answers one request, as PagerDuty would, after the scripted latency and faults. */
  async handle(request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Promise<Response> {
    const url = new URL(request.url);
    const match = matchRoute(request.method, url.pathname);
    const operationId = match?.route.operationId;
    const rawBody = request.method === "GET" || request.method === "HEAD"
      ? ""
      : await request.text();
    const call = this.#record(request, url, rawBody, operationId);
    this.#settings.onChange();
    let rateHeaders: Record<string, string> = {};
    let response: Response;
    let dropAfter = false;
    try {
      const latency = this.#settings.faults.takeLatency(operationId);
      if (latency > 0) await sleep(latency, this.#settings.signal);
      if (this.#settings.signal.aborted) {
        // Stopped while delayed: the connection is going away, so change nothing.
        return this.#drop(info);
      }
      const fault = this.#settings.faults.takeFault(operationId);
      if (fault?.kind === "drop" && fault.when === "before") {
        call.status = 0;
        return this.#drop(info);
      }
      if (fault?.kind === "fail") throw this.#faultError(fault.status, fault.rateLimitHeaders);
      dropAfter = fault?.kind === "drop";

      const token = this.#authenticate(request.headers.get("authorization"));
      const verdict = this.#settings.rateLimiter.evaluate(
        token.token,
        operationId ?? "unknown",
        this.#settings.clock(),
      );
      if (verdict !== undefined) rateHeaders = rateLimitHeaders(verdict);
      if (verdict !== undefined && !verdict.allowed) throw new PdHttpError(429, RATE_LIMITED_BODY);
      if (match === undefined) throw notFound();
      const result = this.#execute(request, url, rawBody, match.route, match.params, token);
      const reshape = this.reshapes.get(match.route.operationId);
      response = this.#respond(
        reshape && result.body !== undefined && result.status < 300
          ? { ...result, body: reshape(structuredClone(result.body)) }
          : result,
        rateHeaders,
      );
    } catch (error) {
      if (error instanceof PdHttpError) {
        response = errorResponse(error, rateHeaders);
      } else {
        // A bug in the fake: answer like PagerDuty's internal error and leave a trace for the test.
        log.error("The fake PagerDuty failed on {method} {path}: {error}", {
          method: request.method,
          path: url.pathname,
          error,
        });
        response = errorResponse(
          new PdHttpError(500, errorBody("Internal Server Error", 2000)),
          rateHeaders,
        );
      }
    }
    call.status = response.status;
    this.#settings.onChange();
    if (dropAfter) {
      call.status = 0;
      return this.#drop(info);
    }
    return response;
  }

  #execute(
    request: Request,
    url: URL,
    rawBody: string,
    route: Route,
    params: Record<string, string>,
    token: TokenSpec,
  ): { status: number; body?: JsonObject } {
    const refuse = (
      part: ValidationFailure["part"],
      errors: string[],
      error = invalidInput(errors),
    ): never => {
      this.validationFailures.push({
        operationId: route.operationId,
        method: request.method,
        path: url.pathname,
        part,
        errors,
      });
      throw error;
    };
    if (this.#settings.requireAccept && !acceptsPagerDutyV2(request.headers.get("accept"))) {
      refuse("header", [`The Accept header must be ${ACCEPT_MEDIA_TYPE};version=2.`]);
    }
    const isWrite = route.method !== "GET";
    if (isWrite && token.readOnly === true) {
      throw accessDenied("The API key provided is read-only and cannot perform this action.");
    }
    let body: JsonObject = {};
    if (isWrite) {
      const contentType = request.headers.get("content-type") ?? "";
      if (contentType.split(";")[0].trim().toLowerCase() !== "application/json") {
        refuse("header", ["The Content-Type header must be application/json."]);
      }
      try {
        // Operations without a request body (DELETE, `…/enable`) are sent without one.
        body = rawBody === "" ? {} : JSON.parse(rawBody);
      } catch {
        refuse("body", ["The request body is not valid JSON."]);
      }
    }
    const query = this.#validator.validateQuery(route.operationId, url.searchParams);
    if (!query.ok) refuse("query", [...query.errors]);
    const validBody = this.#validator.validateBody(route.operationId, body);
    if (!validBody.ok) refuse("body", [...validBody.errors]);

    const tokenUser = token.userId === undefined
      ? undefined
      : this.#settings.account.user(token.userId);
    let actor = tokenUser;
    const from = request.headers.get("from");
    if (from !== null && isWrite) {
      if (!/^[^\s@]+@[^\s@]+$/.test(from.trim())) {
        refuse(
          "header",
          ['Malformed "From" header'],
          new PdHttpError(
            400,
            errorBody("Invalid Input Provided", 1028, ['Malformed "From" header']),
          ),
        );
      }
      actor = this.#settings.account.userByEmail(from.trim());
      if (actor === undefined) {
        refuse(
          "header",
          [`No user with email ${from.trim()} exists on this account.`],
          new PdHttpError(
            400,
            errorBody("User not found", 2013, [
              `The "From" header must be the email of a user on this account.`,
            ]),
          ),
        );
      }
    }
    if (route.requiresFrom && actor === undefined) {
      refuse(
        "header",
        [MISSING_FROM_MESSAGE],
        new PdHttpError(400, errorBody("Invalid Input Provided", 2001, [MISSING_FROM_MESSAGE])),
      );
    }
    const ctx: RequestContext = {
      account: this.#settings.account,
      render: this.#settings.render,
      now: new Date(this.#settings.clock()),
      params,
      query: query.ok ? query.value : {},
      body,
      actor,
      tokenUser,
      abilities: this.#settings.abilities,
      integrations: this.#settings.integrations,
    };
    return route.handle(ctx);
  }

  #authenticate(header: string | null): TokenSpec {
    const match = header === null ? null : /^(?:Token token=|Bearer )(\S+)$/.exec(header.trim());
    const token = match === null ? undefined : this.#tokens.get(match[1]);
    if (token === undefined) throw authenticationFailed();
    if (token.userId !== undefined && this.#settings.account.user(token.userId) === undefined) {
      throw authenticationFailed();
    }
    return token;
  }

  #faultError(status: number, withRateHeaders: boolean): PdHttpError {
    if (status === 429) {
      if (!withRateHeaders) return new PdHttpError(429, undefined);
      const limit = this.#settings.rateLimiter.perMinute ?? 960;
      return new PdHttpError(429, RATE_LIMITED_BODY, {
        "ratelimit-limit": String(limit),
        "ratelimit-remaining": "0",
        "ratelimit-reset": "1",
      });
    }
    const message = status >= 500 ? "Internal Server Error" : "Injected fault";
    return new PdHttpError(status, errorBody(message, status >= 500 ? 2000 : 2001));
  }

  #respond(
    result: { status: number; body?: JsonObject },
    headers: Record<string, string>,
  ): Response {
    if (result.body === undefined) return new Response(null, { status: result.status, headers });
    return new Response(JSON.stringify(result.body), {
      status: result.status,
      headers: { ...headers, "content-type": "application/json; charset=utf-8" },
    });
  }

  #drop(info: Deno.ServeHandlerInfo<Deno.NetAddr>): Response {
    // Closing the client's connection through the proxy means no status line ever reaches it.
    this.#settings.drop(info.remoteAddr.port);
    // The connection is gone; this answer is never written.
    return new Response(null, { status: 502 });
  }

  #record(
    request: Request,
    url: URL,
    rawBody: string,
    operationId: string | undefined,
  ): RecordedCall {
    const query: Record<string, string[]> = {};
    for (const [key, value] of url.searchParams) (query[key] ??= []).push(value);
    const headers: Record<string, string> = {};
    for (const [key, value] of request.headers) {
      headers[key] = key === "authorization" ? REDACTED : value;
    }
    let body: unknown;
    if (rawBody !== "") {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
    }
    const call: RecordedCall = {
      method: request.method,
      path: url.pathname,
      query,
      body,
      headers,
      operationId,
      status: 0,
      at: new Date(this.#settings.clock()),
    };
    this.calls.push(call);
    if (this.calls.length > this.#settings.maxRecordedCalls) {
      this.calls.splice(0, this.calls.length - this.#settings.maxRecordedCalls);
    }
    return call;
  }
}

function acceptsPagerDutyV2(header: string | null): boolean {
  if (header === null) return false;
  return header.split(",").some((part) => {
    const [type, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    return type === ACCEPT_MEDIA_TYPE && params.some((p) => p.replace(/\s/g, "") === "version=2");
  });
}

function rateLimitHeaders(verdict: RateLimitVerdict): Record<string, string> {
  return {
    "ratelimit-limit": String(verdict.limit),
    "ratelimit-remaining": String(verdict.remaining),
    "ratelimit-reset": String(verdict.resetSeconds),
  };
}

function errorResponse(error: PdHttpError, rateHeaders: Record<string, string>): Response {
  const headers = { ...rateHeaders, ...error.headers };
  if (error.body === undefined) return new Response(null, { status: error.status, headers });
  return new Response(JSON.stringify(error.body), {
    status: error.status,
    headers: { ...headers, "content-type": "application/json; charset=utf-8" },
  });
}
