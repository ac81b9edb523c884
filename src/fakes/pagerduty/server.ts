/**
 * The fake PagerDuty REST server and its driver API for tests, the demo and the benchmark.
 *
 * ```ts
 * const pd = await FakePagerDuty.start();
 * const alice = pd.addUser({ name: "Alice", email: "alice@example.com" });
 * const policy = pd.addEscalationPolicy({ name: "Ops", levels: [{ userIds: [alice.id] }] });
 * const service = pd.addService({ name: "Access Requests", escalationPolicyId: policy.id });
 * // … point the client at pd.url with pd.apiKey …
 * await pd.waitFor(() => pd.incidents().find((i) => i.serviceId === service.id));
 * await pd.stop();
 * ```
 *
 * Request pipeline, in order: record the call → scripted latency → scripted fault → authentication
 * (401) → rate limit (429, `ratelimit-*` headers on every evaluated request) → route (404) →
 * `Accept` (400) → read-only token writing (403) → `Content-Type` (400) → OpenAPI validation of
 * query and body (400 code 2001) → `From` (400) → the operation.
 *
 * Header strictness (a deliberate choice, documented here): `Accept` must name
 * `application/vnd.pagerduty+json;version=2` (PagerDuty falls back to the token's API version
 * when it is missing, but the integration must always send it); `Content-Type` must be
 * `application/json` on POST/PUT (parameters such as charset allowed). `From` is checked on writes
 * only: it must look like an email (else 400 code 1028) and name a user of the account (else 400
 * code 2013); GETs ignore it, as they have no actor.
 *
 * Where PagerDuty's real answer is unverified, the fake picks one and says so (see
 * docs/pagerduty-api.md §9): resolving a resolved incident → 400 code 1001 "Incident Already
 * Resolved" (or a no-op, `rules.resolveResolved: "ok"`); a note → 201 (the spec says 200); an
 * unknown service on create → 400 code 2001 "Service not found" (or 404, `rules.unknownServiceStatus`);
 * the dedup refusal → 400 "Invalid Input Provided" code 2001 (`rules.dedupError`); unknown query
 * parameters → 400 (PagerDuty ignores them, which hides a filter the client misspelled); a bulk
 * update is checked in full before any incident changes.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { DroppingProxy } from "./proxy.ts";
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
import { FaultPlan, type FaultScope } from "./faults.ts";
import { matchRoute, type RequestContext, type Route } from "./handlers.ts";
import { RateLimiter, type RateLimitVerdict } from "./ratelimit.ts";
import { type JsonObject, Renderer } from "./render.ts";
import {
  Account,
  type AccountEvent,
  type AccountRules,
  type EscalationPolicyRecord,
  type IncidentRecord,
  type NoteRecord,
  type OnCallRecord,
  type PriorityRecord,
  type ScheduleRecord,
  type ServiceRecord,
  type UpdateIncidentInput,
  type UserRecord,
} from "./state.ts";
import { RequestValidator } from "./validation.ts";
import {
  type DeliveryResult,
  eventEnvelope,
  sendWebhook,
  type SendWebhookOptions,
  type WebhookEvent,
} from "./webhooks.ts";

/** An API token the fake accepts. */
export interface TokenSpec {
  readonly token: string;
  /** A user token acts as this user (`/users/me` works, `From` is optional). */
  readonly userId?: string;
  /** Read-only tokens get 403 on writes. */
  readonly readOnly?: boolean;
}

/** Options of {@link FakePagerDuty.start}. */
export interface FakePagerDutyOptions {
  /** Requests per minute per token (sliding 60-s window); undefined (default) disables the limit. */
  readonly rateLimitPerMinute?: number;
  /** Stricter per-token limits per operationId, e.g. `{ createIncident: 60 }`. */
  readonly operationRateLimits?: Readonly<Record<string, number>>;
  /** Extra accepted tokens; an account token is always created as `apiKey`. */
  readonly tokens?: readonly TokenSpec[];
  /** The account's subdomain in `html_url`s (`https://<subdomain>.pagerduty.com`). */
  readonly subdomain?: string;
  /** The account's abilities (default: a typical Business account's). */
  readonly abilities?: readonly string[];
  /** Priorities: true (standard P1–P5, default), false (feature off), or a custom list. */
  readonly priorities?: boolean | readonly PriorityRecord[];
  /** Rules whose real behaviour is unverified or account-dependent. */
  readonly rules?: Partial<AccountRules>;
  /** Require the `Accept` header (default true). */
  readonly requireAcceptHeader?: boolean;
  /** Calls kept in {@link FakePagerDuty.calls}; older ones are dropped (default 50 000). */
  readonly maxRecordedCalls?: number;
  /** The clock (ms since the epoch); default `Date.now`. */
  readonly clock?: () => number;
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

/** A V3 webhook subscription the fake delivers account events to. */
export interface WebhookSubscription {
  readonly id: string;
  readonly url: string;
  readonly secret: string;
  /** Event types delivered (default: every incident event). */
  readonly events?: readonly string[];
  /** Only incidents of these services (default: all). */
  readonly serviceIds?: readonly string[];
  /** Delivery options (retries, timeout…). */
  readonly delivery?: Omit<SendWebhookOptions, "secret" | "subscriptionId">;
}

/** Options of {@link FakePagerDuty.waitFor}. */
export interface WaitOptions {
  /** Default 5000. */
  readonly timeoutMs?: number;
  /** Named in the timeout error. */
  readonly description?: string;
}

const DEFAULT_ABILITIES = [
  "teams",
  "read_only_users",
  "service_support_hours",
  "urgencies",
  "priorities",
  "incident_workflows",
];

const log = getLogger(["teleport-pagerduty", "fake-pagerduty"]);

const ACCEPT_MEDIA_TYPE = "application/vnd.pagerduty+json";
const REDACTED = "[redacted]";

interface Waiter {
  readonly check: () => unknown;
  readonly resolve: (value: unknown) => void;
}

/** A fake PagerDuty REST API on 127.0.0.1 with a driver API. */
export class FakePagerDuty {
  /** Base URL of the API, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** The account API key (`Authorization: Token token=<apiKey>`). */
  readonly apiKey: string;
  /** The account's data and rules. */
  readonly account: Account;
  /** Scripted faults. */
  readonly faults: FaultPlan = new FaultPlan();
  /** The rate limiter (settable: `pd.rateLimiter.perMinute = 960`). */
  readonly rateLimiter: RateLimiter;
  /** Every request, oldest first (bounded by `maxRecordedCalls`). */
  readonly calls: RecordedCall[] = [];
  /** Requests refused for their shape; tests assert this stays empty. */
  readonly validationFailures: ValidationFailure[] = [];
  /** Webhook deliveries made for subscriptions, oldest first. */
  readonly deliveries: DeliveryResult[] = [];

  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #proxy: DroppingProxy;
  readonly #shutdown: AbortController;
  readonly #tokens = new Map<string, TokenSpec>();
  readonly #validator: RequestValidator;
  readonly #render: Renderer;
  readonly #clock: () => number;
  readonly #reshapes = new Map<string, (body: JsonObject) => JsonObject>();
  readonly #abilities: string[];
  readonly #requireAccept: boolean;
  readonly #maxCalls: number;
  readonly #waiters = new Set<Waiter>();
  readonly #subscriptions = new Map<string, WebhookSubscription>();
  /** Per subscription: the tail of its delivery queue (PagerDuty delivers in order). */
  readonly #queues = new Map<string, Promise<void>>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #subscriptionSeq = 0;
  #stopped = false;

  private constructor(
    options: FakePagerDutyOptions,
    server: Deno.HttpServer<Deno.NetAddr>,
    proxy: DroppingProxy,
    shutdown: AbortController,
    validator: RequestValidator,
    apiKey: string,
    bind: (fake: FakePagerDuty) => void,
  ) {
    this.#server = server;
    this.#proxy = proxy;
    this.#shutdown = shutdown;
    this.#validator = validator;
    this.url = `http://127.0.0.1:${proxy.port}`;
    this.apiKey = apiKey;
    this.#clock = options.clock ?? Date.now;
    this.#abilities = [...(options.abilities ?? DEFAULT_ABILITIES)];
    this.#requireAccept = options.requireAcceptHeader ?? true;
    this.#maxCalls = options.maxRecordedCalls ?? 50_000;
    this.rateLimiter = new RateLimiter(options.rateLimitPerMinute, options.operationRateLimits);
    this.account = new Account(options.rules, options.priorities ?? true);
    this.#render = new Renderer(
      this.url,
      `https://${options.subdomain ?? "fake"}.pagerduty.com`,
      (id) => this.account.user(id),
    );
    this.#tokens.set(apiKey, { token: apiKey });
    for (const token of options.tokens ?? []) this.#tokens.set(token.token, token);
    this.account.subscribe((event) => this.#onAccountEvent(event));
    bind(this);
  }

  /** Starts a fake on an ephemeral loopback port. */
  static async start(options: FakePagerDutyOptions = {}): Promise<FakePagerDuty> {
    const validator = new RequestValidator();
    const shutdown = new AbortController();
    let fake: FakePagerDuty | undefined;
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: shutdown.signal, onListen: () => {} },
      (request, info) => fake!.#handle(request, info),
    );
    let proxy: DroppingProxy;
    try {
      proxy = await DroppingProxy.start({ hostname: "127.0.0.1", port: server.addr.port });
    } catch (error) {
      shutdown.abort();
      await server.finished;
      throw error;
    }
    const apiKey = `fakepd_${crypto.randomUUID().replaceAll("-", "")}`;
    return new FakePagerDuty(options, server, proxy, shutdown, validator, apiKey, (f) => fake = f);
  }

  /** Stops the server, waits for in-flight requests and webhook deliveries, and closes every socket. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const waiter of this.#waiters) waiter.resolve(undefined);
    this.#waiters.clear();
    this.#shutdown.abort();
    await this.#proxy.close();
    await this.#server.finished;
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Same as {@link stop}, for `await using pd = await FakePagerDuty.start()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  // ---- seeding ---------------------------------------------------------------------------------

  /** Adds a user. */
  addUser(
    input: { name: string; email: string; role?: string; timeZone?: string; id?: string },
  ): UserRecord {
    return this.account.addUser(input);
  }

  /** Adds a schedule. */
  addSchedule(input: { name: string; timeZone?: string; id?: string }): ScheduleRecord {
    return this.account.addSchedule(input);
  }

  /**
   * Adds an escalation policy. `levels[i].userIds` puts those users permanently on call at level
   * i+1 (more entries can be added with {@link putOnCall}).
   */
  addEscalationPolicy(input: {
    name: string;
    levels?: ReadonlyArray<{ readonly userIds?: readonly string[] }>;
    numLoops?: number;
    id?: string;
  }): EscalationPolicyRecord {
    const policy = this.account.addEscalationPolicy(input);
    input.levels?.forEach((level, index) => {
      for (const userId of level.userIds ?? []) {
        this.account.putOnCall({ userId, escalationPolicyId: policy.id, level: index + 1 });
      }
    });
    return policy;
  }

  /** Adds a service paged through an escalation policy. */
  addService(
    input: { name: string; escalationPolicyId: string; urgency?: "high" | "low"; id?: string },
  ): ServiceRecord {
    return this.account.addService(input, new Date(this.#clock()));
  }

  /** Puts a user on call (permanently unless `start`/`end` are given). */
  putOnCall(input: {
    userId: string;
    escalationPolicyId: string;
    level?: number;
    scheduleId?: string;
    start?: Date;
    end?: Date;
  }): OnCallRecord {
    const entry = this.account.putOnCall(input);
    this.#checkWaiters();
    return entry;
  }

  /** Removes matching on-call entries; returns how many. */
  removeOnCalls(
    filter: { userId?: string; escalationPolicyId?: string; scheduleId?: string },
  ): number {
    return this.account.removeOnCalls(filter);
  }

  /** Adds an API token (user tokens name their user; read-only tokens cannot write). */
  addToken(spec: Omit<TokenSpec, "token"> & { token?: string }): string {
    if (spec.userId !== undefined) this.account.requireUser(spec.userId);
    const token = spec.token ?? `fakepd_${crypto.randomUUID().replaceAll("-", "")}`;
    this.#tokens.set(token, { ...spec, token });
    return token;
  }

  // ---- inspection ------------------------------------------------------------------------------

  /** Every incident, oldest first. */
  incidents(): IncidentRecord[] {
    return this.account.incidents();
  }

  /** One incident by id or number. */
  incident(idOrNumber: string): IncidentRecord | undefined {
    return this.account.incident(idOrNumber);
  }

  /** Notes of an incident, oldest first. */
  notes(incidentId: string): readonly NoteRecord[] {
    return this.account.notes(incidentId);
  }

  /** Recorded calls of one operation (or every call when undefined). */
  callsTo(operationId?: string): RecordedCall[] {
    return operationId === undefined
      ? [...this.calls]
      : this.calls.filter((c) => c.operationId === operationId);
  }

  /** Forgets recorded calls and validation failures. */
  clearCalls(): void {
    this.calls.length = 0;
    this.validationFailures.length = 0;
  }

  /**
   * Resolves with `check()`'s first truthy result. It is re-evaluated after every request and
   * driver change, so no polling interval is involved.
   */
  waitFor<T>(check: () => T | undefined | null | false, options: WaitOptions = {}): Promise<T> {
    const first = check();
    if (first) return Promise.resolve(first);
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        check,
        resolve: (value) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          if (value) resolve(value as T);
          else {reject(
              new Error(
                `The fake PagerDuty stopped while waiting for ${
                  options.description ?? "a condition"
                }.`,
              ),
            );}
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new Error(
            `Timed out after ${timeoutMs} ms waiting for ${
              options.description ?? "a condition"
            } in the fake PagerDuty.`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  #checkWaiters(): void {
    for (const waiter of [...this.#waiters]) {
      let value: unknown;
      try {
        value = waiter.check();
      } catch {
        continue;
      }
      if (value) waiter.resolve(value);
    }
  }

  // ---- faults ----------------------------------------------------------------------------------

  /** Fails the next `count` requests (optionally of one operation) with `status` (default 500). */
  failNext(
    count: number,
    options: FaultScope & { status?: number; rateLimitHeaders?: boolean } = {},
  ): void {
    this.faults.failNext(count, options);
  }

  /** Drops the connection of the next `count` requests (see {@link FaultPlan.dropNext}). */
  dropNext(count: number, options: FaultScope & { when?: "before" | "after" } = {}): void {
    this.faults.dropNext(count, options);
  }

  /**
   * Rewrites every successful JSON answer of one operation (e.g. `listOnCalls`) with `reshape`,
   * to play a PagerDuty that leaves fields out or sends them as null; undefined stops it.
   */
  reshapeAnswers(operation: string, reshape: ((body: JsonObject) => JsonObject) | undefined): void {
    if (reshape === undefined) this.#reshapes.delete(operation);
    else this.#reshapes.set(operation, reshape);
  }

  /** Adds constant latency to every request (or to one operation's); 0 removes it. */
  setLatency(ms: number, options: FaultScope = {}): void {
    this.faults.setLatency(ms, options);
  }

  // ---- acting as a responder -------------------------------------------------------------------

  /** Adds a note as `userId` would in the web UI (fires `incident.annotated` webhooks). */
  addNoteAs(incidentId: string, userId: string, content: string): NoteRecord {
    this.account.requireUser(userId);
    const note = this.account.addNote(incidentId, content, userId, new Date(this.#clock()));
    this.#checkWaiters();
    return note;
  }

  /** Updates an incident as `userId` would in the web UI (acknowledge, resolve, reassign…). */
  updateIncidentAs(
    incidentId: string,
    userId: string,
    update: UpdateIncidentInput,
  ): IncidentRecord {
    this.account.requireUser(userId);
    const incident = this.account.updateIncident(
      incidentId,
      update,
      userId,
      new Date(this.#clock()),
    );
    this.#checkWaiters();
    return incident;
  }

  // ---- webhooks --------------------------------------------------------------------------------

  /** Subscribes a URL to V3 webhooks for account events; returns the subscription. */
  subscribeWebhooks(input: Omit<WebhookSubscription, "id"> & { id?: string }): WebhookSubscription {
    const subscription = {
      ...input,
      id: input.id ?? `PSUB${String(++this.#subscriptionSeq).padStart(3, "0")}`,
    };
    this.#subscriptions.set(subscription.id, subscription);
    return subscription;
  }

  /** Stops delivering to a subscription. */
  unsubscribeWebhooks(id: string): void {
    this.#subscriptions.delete(id);
  }

  /** Sends one signed V3 webhook now, with PagerDuty's retry rules; resolves when delivered or dropped. */
  sendWebhook(
    url: string,
    event: WebhookEvent,
    options: SendWebhookOptions,
  ): Promise<DeliveryResult> {
    return this.#track(
      sendWebhook(url, event, { ...options, signal: options.signal ?? this.#shutdown.signal }),
    );
  }

  /** A user reference, for the `agent` of hand-made webhook events. */
  userReference(userId: string): JsonObject {
    this.account.requireUser(userId);
    return this.#render.userReference(userId);
  }

  /** A reference to any object (service, incident, workflow…) pointing at the fake. */
  reference(kind: string, collection: string, id: string, summary: string): JsonObject {
    return this.#render.reference(kind, collection, id, summary);
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise);
    promise.finally(() => this.#inFlight.delete(promise)).catch(() => {});
    return promise;
  }

  #onAccountEvent(event: AccountEvent): void {
    for (const subscription of this.#subscriptions.values()) {
      if (subscription.events !== undefined && !subscription.events.includes(event.type)) continue;
      if (
        subscription.serviceIds !== undefined &&
        !subscription.serviceIds.includes(event.incident.serviceId)
      ) {
        continue;
      }
      const service = this.account.service(event.incident.serviceId);
      const envelope = eventEnvelope({
        eventType: event.type,
        resourceType: "incident",
        occurredAt: event.at,
        agent: this.account.user(event.agentId) === undefined
          ? null
          : this.#render.userReference(event.agentId),
        data: this.#render.webhookData(event, service),
      });
      const previous = this.#queues.get(subscription.id) ?? Promise.resolve();
      const next = previous.then(async () => {
        if (this.#stopped) return;
        const result = await sendWebhook(subscription.url, envelope, {
          ...subscription.delivery,
          secret: subscription.secret,
          subscriptionId: subscription.id,
          signal: this.#shutdown.signal,
        });
        this.deliveries.push(result);
        this.#checkWaiters();
      });
      this.#queues.set(subscription.id, next);
      this.#track(next);
    }
  }

  // ---- request pipeline ------------------------------------------------------------------------

  async #handle(request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Promise<Response> {
    const url = new URL(request.url);
    const match = matchRoute(request.method, url.pathname);
    const operationId = match?.route.operationId;
    const rawBody = request.method === "GET" || request.method === "HEAD"
      ? ""
      : await request.text();
    const call = this.#record(request, url, rawBody, operationId);
    this.#checkWaiters();
    let rateHeaders: Record<string, string> = {};
    let response: Response;
    let dropAfter = false;
    try {
      const latency = this.faults.takeLatency(operationId);
      if (latency > 0) await this.#sleep(latency);
      if (this.#stopped) {
        // Stopped while delayed: the connection is going away, so change nothing.
        return this.#drop(info);
      }
      const fault = this.faults.takeFault(operationId);
      if (fault?.kind === "drop" && fault.when === "before") {
        call.status = 0;
        return this.#drop(info);
      }
      if (fault?.kind === "fail") throw this.#faultError(fault.status, fault.rateLimitHeaders);
      dropAfter = fault?.kind === "drop";

      const token = this.#authenticate(request.headers.get("authorization"));
      const verdict = this.rateLimiter.evaluate(
        token.token,
        operationId ?? "unknown",
        this.#clock(),
      );
      if (verdict !== undefined) rateHeaders = rateLimitHeaders(verdict);
      if (verdict !== undefined && !verdict.allowed) throw new PdHttpError(429, RATE_LIMITED_BODY);
      if (match === undefined) throw notFound();
      const result = this.#execute(request, url, rawBody, match.route, match.params, token);
      const reshape = this.#reshapes.get(match.route.operationId);
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
    this.#checkWaiters();
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
    if (this.#requireAccept && !acceptsPagerDutyV2(request.headers.get("accept"))) {
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
        body = JSON.parse(rawBody);
      } catch {
        refuse("body", ["The request body is not valid JSON."]);
      }
    }
    const query = this.#validator.validateQuery(route.operationId, url.searchParams);
    if (!query.ok) refuse("query", [...query.errors]);
    const validBody = this.#validator.validateBody(route.operationId, body);
    if (!validBody.ok) refuse("body", [...validBody.errors]);

    const tokenUser = token.userId === undefined ? undefined : this.account.user(token.userId);
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
      actor = this.account.userByEmail(from.trim());
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
      account: this.account,
      render: this.#render,
      now: new Date(this.#clock()),
      params,
      query: query.ok ? query.value : {},
      body,
      actor,
      tokenUser,
      abilities: this.#abilities,
    };
    return route.handle(ctx);
  }

  #authenticate(header: string | null): TokenSpec {
    const match = header === null ? null : /^(?:Token token=|Bearer )(\S+)$/.exec(header.trim());
    const token = match === null ? undefined : this.#tokens.get(match[1]);
    if (token === undefined) throw authenticationFailed();
    if (token.userId !== undefined && this.account.user(token.userId) === undefined) {
      throw authenticationFailed();
    }
    return token;
  }

  #faultError(status: number, withRateHeaders: boolean): PdHttpError {
    if (status === 429) {
      if (!withRateHeaders) return new PdHttpError(429, undefined);
      const limit = this.rateLimiter.perMinute ?? 960;
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
    this.#proxy.drop(info.remoteAddr.port);
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
      at: new Date(this.#clock()),
    };
    this.calls.push(call);
    if (this.calls.length > this.#maxCalls) {
      this.calls.splice(0, this.calls.length - this.#maxCalls);
    }
    return call;
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#shutdown.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done);
    });
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
