/**
 * One PagerDuty REST call over `fetch`: headers, client-side rate limit, per-attempt timeout,
 * retries ({@link decideRetry}) and typed errors. The API key lives in a private field and is
 * written only into the `Authorization` header; any error text that might echo it is redacted.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { VERSION } from "../version.ts";
import { sleep } from "../util/sleep.ts";
import type { Clock } from "./clock.ts";
import {
  cancelledError,
  networkError,
  PagerDutyConfigError,
  parseErrorBody,
  statusError,
  timeoutError,
  unexpectedBodyError,
} from "./errors.ts";
import type { SlidingWindowLimiter } from "./rate_limiter.ts";
import {
  decideRetry,
  type Failure,
  type Idempotency,
  rateLimitResetMs,
  type RetryOptions,
} from "./retry.ts";
import type { PagerDutyError } from "./types.ts";
import { timeoutSignal } from "../timers.ts";

const log = getLogger(["teleport-pagerduty", "pagerduty"]);

/** PagerDuty's REST v2 media type (it versions the API by `Accept`). */
const ACCEPT = "application/vnd.pagerduty+json;version=2";

/** One attempt's outcome, for metrics. `status` is 0 when no answer came. */
export interface ResponseEvent {
  readonly operation: string;
  readonly status: number;
  /** 1-based attempt number within the call. */
  readonly attempt: number;
  readonly durationMs: number;
}

/** A retry about to wait. */
export interface RetryEvent {
  readonly operation: string;
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  readonly delayMs: number;
  /** The HTTP status, or `timeout` / `network`. */
  readonly reason: number | "timeout" | "network";
}

/** Hooks for metrics; they must not throw (a throwing hook is logged and ignored). */
export interface Observer {
  /** After every attempt that got an answer or failed. */
  readonly onResponse?: (event: ResponseEvent) => void;
  /** Before waiting to repeat a failed attempt. */
  readonly onRetry?: (event: RetryEvent) => void;
  /** After a call waited `ms` for the rate limiter (client-side limit or a 429's reset). */
  readonly onRateLimitWait?: (ms: number) => void;
}

/** Everything {@link Transport} needs. */
export interface TransportOptions {
  /** Checked base URL (see `parseApiEndpoint`). */
  readonly baseUrl: URL;
  readonly apiKey: string;
  readonly authScheme: "token" | "bearer";
  /** Sent as `From` on the writes PagerDuty attributes to a user. */
  readonly userEmail: string;
  readonly timeoutMs: number;
  readonly retry: RetryOptions;
  readonly limiter: SlidingWindowLimiter;
  readonly clock: Clock;
  /** Source of jitter in [0, 1). */
  readonly random: () => number;
  readonly fetch: typeof fetch;
  readonly observer: Observer;
}

/** One call to make. */
export interface RequestSpec {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path template naming the operation, e.g. `/incidents/{id}`; never holds IDs. */
  readonly template: string;
  /** The real path, IDs already URL-encoded. */
  readonly path: string;
  /** Query pairs; repeat a key (`user_ids[]`) for a set filter. */
  readonly query?: ReadonlyArray<readonly [string, string]>;
  /** JSON body. */
  readonly body?: unknown;
  /** Send the `From` header. */
  readonly from?: boolean;
  readonly idempotency: Idempotency;
  readonly signal?: AbortSignal;
}

/** A 2xx answer with its parsed JSON body (undefined when empty). */
export interface HttpResult {
  readonly status: number;
  readonly body: unknown;
  readonly operation: string;
}

/** Whether a fetch error happened before any byte reached the server. */
function connectFailed(error: unknown): boolean {
  const text = error instanceof Error
    ? `${error.message} ${error.cause instanceof Error ? error.cause.message : ""}`
    : String(error);
  // Deno (hyper) reports failures of the connect phase, DNS and TLS included, as "(Connect)".
  return /\(Connect\)|connection refused|dns error/i.test(text);
}

/**
 * The largest PagerDuty answer read. A page of 100 users, services or on-calls is a few hundred
 * KB; a bigger answer is not PagerDuty's, and reading it whole would only fill memory.
 */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** The largest error answer read; only its first details are kept anyway. */
export const MAX_ERROR_BYTES = 64 * 1024;

/**
 * The body as text, reading at most `maxBytes` (the rest is cancelled): undefined when it is
 * longer. Invalid UTF-8 is replaced, as `Response.text()` does.
 */
async function readBody(response: Response, maxBytes: number): Promise<string | undefined> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes || response.body === null) {
    await response.body?.cancel();
    return response.body === null ? "" : undefined;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    length += value.length;
    if (length > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** Makes PagerDuty REST calls for one API key. */
export class Transport {
  readonly #options: Omit<TransportOptions, "apiKey">;
  readonly #authorization: string;
  readonly #apiKey: string;
  readonly #prefix: string;

  /** Creates the transport; the key is kept privately. */
  constructor(options: TransportOptions) {
    const { apiKey, ...rest } = options;
    if (apiKey === "") {
      throw new PagerDutyConfigError(
        "pagerduty.api_key is empty: set it to a PagerDuty REST API key.",
        "pagerduty.api_key",
      );
    }
    this.#options = rest;
    this.#apiKey = apiKey;
    this.#authorization = options.authScheme === "bearer"
      ? `Bearer ${apiKey}`
      : `Token token=${apiKey}`;
    this.#prefix = options.baseUrl.pathname.replace(/\/+$/, "");
  }

  /** Makes the call, retrying as the policy allows; resolves only with a 2xx answer. */
  async request(spec: RequestSpec): Promise<HttpResult> {
    const operation = `${spec.method} ${spec.template}`;
    const url = new URL(this.#prefix + spec.path, this.#options.baseUrl);
    for (const [key, value] of spec.query ?? []) url.searchParams.append(key, value);
    const headers = new Headers({
      "Authorization": this.#authorization,
      "Accept": ACCEPT,
      // PagerDuty's OpenAPI marks Content-Type required on every operation, bodies or not.
      "Content-Type": "application/json",
      "User-Agent": `teleport-pagerduty/${VERSION}`,
    });
    if (spec.from) headers.set("From", this.#options.userEmail);
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);

    const { clock, limiter, retry } = this.#options;
    let started: number | undefined;
    for (let attempt = 1;; attempt++) {
      try {
        const waited = await limiter.acquire(spec.signal);
        if (waited > 0) this.#notify("onRateLimitWait", waited);
      } catch (reason) {
        throw cancelledError(operation, reason);
      }
      // The retry budget starts with the first attempt: queueing behind the limit is not retrying.
      started ??= clock.now();

      const outcome = await this.#attempt(url, spec, headers, body, operation, attempt);
      if ("result" in outcome) return outcome.result;
      if (outcome.failure.kind === "status" && outcome.failure.status === 429) {
        // Every caller of this key waits for PagerDuty's reset, even if this call gives up.
        const resetMs = rateLimitResetMs(outcome.failure.headers, clock.now());
        if (resetMs !== undefined) limiter.pause(resetMs);
      }

      const decision = decideRetry({
        failure: outcome.failure,
        attempt,
        elapsedMs: clock.now() - started,
        idempotency: spec.idempotency,
        options: retry,
        now: clock.now(),
        random: this.#options.random,
      });
      if (!decision.retry) throw outcome.error(attempt);

      const reason = outcome.failure.kind === "status"
        ? outcome.failure.status
        : outcome.failure.kind;
      this.#notify("onRetry", { operation, attempt, delayMs: decision.delayMs, reason });
      log.warn(
        "PagerDuty call {operation} failed ({reason}); retrying in {delayMs} ms (attempt {attempt} of {maxAttempts}).",
        { operation, reason, delayMs: decision.delayMs, attempt, maxAttempts: retry.maxAttempts },
      );
      if (decision.rateLimited) {
        // The wait happens in the limiter, shared with every other caller of this key.
        limiter.pause(decision.delayMs);
      } else {
        await sleep(decision.delayMs, spec.signal, clock);
        if (spec.signal?.aborted) throw cancelledError(operation, spec.signal.reason);
      }
    }
  }

  /** One attempt: a result, or a failure with the error to throw if it is not retried. */
  async #attempt(
    url: URL,
    spec: RequestSpec,
    headers: Headers,
    body: string | undefined,
    operation: string,
    attempt: number,
  ): Promise<
    { result: HttpResult } | {
      failure: Failure;
      error: (attemptCount: number) => PagerDutyError;
    }
  > {
    const { timeoutMs } = this.#options;
    const timeout = timeoutSignal(timeoutMs);
    const signal = spec.signal ? AbortSignal.any([timeout, spec.signal]) : timeout;
    const begin = performance.now();
    let status = 0;
    let response: Response;
    let answer: string | undefined;
    // Deno's fetch silently sends a request again, POST included, when a reused keep-alive
    // connection closes before the answer; a call that must not run twice gets a connection of
    // its own, where that cannot happen.
    const client = spec.idempotency === "not-idempotent"
      ? Deno.createHttpClient({ poolMaxIdlePerHost: 0 })
      : undefined;
    try {
      response = await this.#options.fetch(url, {
        method: spec.method,
        headers,
        body,
        signal,
        client,
      });
      status = response.status;
      answer = await readBody(response, response.ok ? MAX_ANSWER_BYTES : MAX_ERROR_BYTES);
    } catch (error) {
      client?.close();
      if (spec.signal?.aborted) throw cancelledError(operation, spec.signal.reason);
      this.#responded(operation, status, attempt, begin);
      if (timeout.aborted) {
        return {
          failure: { kind: "timeout" },
          error: (attemptCount) =>
            timeoutError({
              operation,
              host: this.#options.baseUrl.host,
              timeoutMs,
              attemptCount,
              cause: error,
            }),
        };
      }
      const cause = this.#redactError(error);
      return {
        failure: { kind: "network", connectFailed: connectFailed(error) },
        error: (attemptCount) =>
          networkError({ operation, host: this.#options.baseUrl.host, attemptCount, cause }),
      };
    }
    client?.close();
    this.#responded(operation, status, attempt, begin);
    if (answer === undefined && response.ok) {
      throw unexpectedBodyError({
        operation,
        status,
        problem: `larger than ${MAX_ANSWER_BYTES / (1024 * 1024)} MiB`,
      });
    }
    // An error answer past its cap has no details worth reading.
    const text = this.#redact(answer ?? "");
    if (response.ok) return { result: this.#parse(operation, status, text) };
    const errorBody = parseErrorBody(text);
    return {
      failure: { kind: "status", status, headers: response.headers },
      error: (attemptCount) => statusError({ operation, status, body: errorBody, attemptCount }),
    };
  }

  #parse(operation: string, status: number, text: string): HttpResult {
    if (text.trim() === "") return { status, body: undefined, operation };
    try {
      return { status, body: JSON.parse(text), operation };
    } catch {
      throw unexpectedBodyError({ operation, status, problem: "not JSON" });
    }
  }

  #responded(operation: string, status: number, attempt: number, begin: number): void {
    this.#notify("onResponse", {
      operation,
      status,
      attempt,
      durationMs: performance.now() - begin,
    });
  }

  /** Calls an observer hook; a failing hook must not break the call. */
  #notify<K extends keyof Observer>(
    hook: K,
    event: Parameters<NonNullable<Observer[K]>>[0],
  ): void {
    const fn = this.#options.observer[hook] as ((e: typeof event) => void) | undefined;
    if (!fn) return;
    try {
      fn(event);
    } catch (error) {
      log.error("The PagerDuty {hook} observer threw; ignoring it: {error}", {
        hook,
        error: this.#redact(String(error)),
      });
    }
  }

  /** Removes the API key from text that came from outside (an echoing proxy, say). */
  #redact(text: string): string {
    return text.replaceAll(this.#apiKey, "[redacted]");
  }

  /** A network error whose text may echo the request, with the key removed. */
  #redactError(error: unknown): unknown {
    if (!(error instanceof Error)) return this.#redact(String(error));
    const inner = error.cause instanceof Error ? error.cause.message : "";
    if (!error.message.includes(this.#apiKey) && !inner.includes(this.#apiKey)) return error;
    return new Error(this.#redact(inner === "" ? error.message : `${error.message}: ${inner}`));
  }
}
