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
 * The request pipeline (checks, in PagerDuty's order) is in `pipeline.ts`; this module is the
 * driver: seeding, inspection, faults, acting as a responder and webhook subscriptions.
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

import { Waiters, type WaitOptions } from "../waiters.ts";
import { DroppingProxy } from "./proxy.ts";
import { FaultPlan, type FaultScope } from "./faults.ts";
import {
  type RecordedCall,
  RequestPipeline,
  type TokenSpec,
  type ValidationFailure,
} from "./pipeline.ts";
import { Integrations } from "./integrations.ts";
import { RateLimiter } from "./ratelimit.ts";
import { type ActionDelivery, type CustomAction, runCustomAction } from "./actions.ts";
import { type JsonObject, Renderer } from "./render.ts";
import {
  Account,
  type AccountEvent,
  type AccountRules,
  type EscalationPolicyRecord,
  type IncidentRecord,
  type NoteRecord,
  type OnCallInput,
  type OnCallRecord,
  type PriorityRecord,
  type ScheduleRecord,
  type ServiceRecord,
  type UpdateIncidentInput,
  type UserRecord,
  type WorkflowRunRecord,
} from "./state.ts";
import {
  type DeliveryResult,
  eventEnvelope,
  sendWebhook,
  type SendWebhookOptions,
  type WebhookEvent,
} from "./webhooks.ts";

export type { RecordedCall, TokenSpec, ValidationFailure } from "./pipeline.ts";
export type { WaitOptions } from "../waiters.ts";

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

const DEFAULT_ABILITIES = [
  "teams",
  "read_only_users",
  "service_support_hours",
  "urgencies",
  "priorities",
  "incident_workflows",
];

/** A fake PagerDuty REST API on 127.0.0.1 with a driver API. */
export class FakePagerDuty {
  /** Base URL of the API, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** The account API key (`Authorization: Token token=<apiKey>`). */
  readonly apiKey: string;
  /** The account's data and rules. */
  readonly account: Account;
  /** Webhook subscriptions, workflows and extensions (what `setup-pagerduty` creates). */
  readonly integrations: Integrations;
  /** Scripted faults. */
  readonly faults: FaultPlan = new FaultPlan();
  /** The rate limiter (settable: `pd.rateLimiter.perMinute = 960`). */
  readonly rateLimiter: RateLimiter;
  /** Every request, oldest first (bounded by `maxRecordedCalls`). */
  readonly calls: RecordedCall[];
  /** Requests refused for their shape; tests assert this stays empty. */
  readonly validationFailures: ValidationFailure[];
  /** Webhook deliveries made for subscriptions, oldest first. */
  readonly deliveries: DeliveryResult[] = [];

  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #proxy: DroppingProxy;
  readonly #shutdown: AbortController;
  readonly #pipeline: RequestPipeline;
  readonly #render: Renderer;
  readonly #clock: () => number;
  readonly #waiters = new Waiters("the fake PagerDuty", "in the fake PagerDuty");
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
    apiKey: string,
  ) {
    this.#server = server;
    this.#proxy = proxy;
    this.#shutdown = shutdown;
    this.url = `http://127.0.0.1:${proxy.port}`;
    this.apiKey = apiKey;
    this.#clock = options.clock ?? Date.now;
    this.rateLimiter = new RateLimiter(options.rateLimitPerMinute, options.operationRateLimits);
    this.account = new Account(options.rules, options.priorities ?? true);
    this.integrations = new Integrations(this.account);
    this.#render = new Renderer(
      this.url,
      `https://${options.subdomain ?? "fake"}.pagerduty.com`,
      (id) => this.account.user(id),
    );
    this.#pipeline = new RequestPipeline({
      account: this.account,
      render: this.#render,
      faults: this.faults,
      rateLimiter: this.rateLimiter,
      clock: this.#clock,
      abilities: [...(options.abilities ?? DEFAULT_ABILITIES)],
      integrations: this.integrations,
      requireAccept: options.requireAcceptHeader ?? true,
      maxRecordedCalls: options.maxRecordedCalls ?? 50_000,
      drop: (clientPort) => proxy.drop(clientPort),
      signal: shutdown.signal,
      onChange: () => this.#waiters.changed(),
    });
    this.calls = this.#pipeline.calls;
    this.validationFailures = this.#pipeline.validationFailures;
    this.#pipeline.addToken({ token: apiKey });
    for (const token of options.tokens ?? []) this.#pipeline.addToken(token);
    this.account.subscribe((event) => this.#onAccountEvent(event));
  }

  /** Starts a fake on an ephemeral loopback port. */
  static async start(options: FakePagerDutyOptions = {}): Promise<FakePagerDuty> {
    const shutdown = new AbortController();
    // The pipeline needs the proxy's port (for `html_url`s), so it is bound once both listen.
    let fake: FakePagerDuty | undefined = undefined;
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: shutdown.signal, onListen: () => {} },
      (request, info) => fake!.#pipeline.handle(request, info),
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
    fake = new FakePagerDuty(options, server, proxy, shutdown, apiKey);
    return fake;
  }

  /** Stops the server, waits for in-flight requests and webhook deliveries, and closes every socket. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#waiters.close();
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
  putOnCall(input: OnCallInput): OnCallRecord {
    const entry = this.account.putOnCall(input);
    this.#waiters.changed();
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
    this.#pipeline.addToken({ ...spec, token });
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
    return this.#waiters.waitFor(check, options);
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
    if (reshape === undefined) this.#pipeline.reshapes.delete(operation);
    else this.#pipeline.reshapes.set(operation, reshape);
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
    this.#waiters.changed();
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
    this.#waiters.changed();
    return incident;
  }

  /** Runs `change` on the account as a responder would (at the fake's time), then wakes waiters. */
  act<T>(change: (account: Account, now: Date) => T): T {
    const result = change(this.account, new Date(this.#clock()));
    this.#waiters.changed();
    return result;
  }

  /** Starts an incident workflow as `userId` would by its manual trigger (fires `incident.workflow.started`). */
  startWorkflowAs(
    incidentId: string,
    userId: string,
    workflow: { id: string; name: string },
  ): WorkflowRunRecord {
    this.account.requireUser(userId);
    return this.account.startWorkflow(incidentId, workflow, userId, new Date(this.#clock()));
  }

  /** Clicks a Custom Incident Action as `userId` (null: no user agent); resolves with the answer. */
  runCustomActionAs(
    incidentId: string,
    userId: string | null,
    action: CustomAction,
  ): Promise<ActionDelivery> {
    const now = new Date(this.#clock());
    const [account, render, signal] = [this.account, this.#render, this.#shutdown.signal];
    return this.#track(
      runCustomAction({ account, render, incidentId, userId, action, now, signal }),
    );
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
    const targets: WebhookSubscription[] = [
      ...this.#subscriptions.values(),
      ...this.integrations.deliveryTargets(),
    ];
    for (const subscription of targets) {
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
        this.#waiters.changed();
      });
      this.#queues.set(subscription.id, next);
      this.#track(next);
    }
  }
}
