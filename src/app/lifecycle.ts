/**
 * The running request lifecycle: takes watch events and resync findings, queues them per
 * request, and has the processor carry them out; keeps the Access Monitoring Rules current;
 * and reconciles every request Teleport still has, at start, after each reconnect and on an
 * interval, so every pending request ends with its incidents and every finished one resolved.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type {
  AccessMonitoringRule,
  AccessMonitoringRuleEvent,
  AccessRequest,
  AccessRequestEvent,
  AuthClient,
} from "../teleport/types.ts";
import { sleep } from "../util/sleep.ts";
import { incidentLockJob } from "./access_end_jobs.ts";
import { unreadableIncidentPlans, watchedIncidents } from "./access_end_record.ts";
import { isPermanentFailure } from "./failures.ts";
import { IncidentWatch } from "./incident_watch.ts";
import { NO_OBSERVER } from "./observer.ts";
import { decodeRecord, mayHaveIncident, PLUGIN_NAME, type ScheduledJob } from "./plugin_data.ts";
import { type ProcessorDeps, RequestProcessor } from "./processor.ts";
import { RuleFacts } from "./rule_facts.ts";
import { defaultRetryDelay, KeyedQueue, mergeWork, type Work } from "./queue.ts";
import { changeRecord, type ExecutorDeps, keep, LeaseBusyError, write } from "./run.ts";
import { addJob, type JobHandlers, nextDueAt } from "./scheduled.ts";
import { WakeTimers } from "./wake_timers.ts";

/** What the lifecycle needs beyond the rule cache it keeps itself. */
export interface LifecycleOptions extends
  Omit<
    ExecutorDeps,
    | "rules"
    | "ruleFacts"
    | "observer"
    | "now"
    | "clock"
    | "instanceId"
    | "casAttempts"
    | "incidentWatch"
  >,
  Partial<Pick<ExecutorDeps, "observer" | "now" | "clock" | "instanceId" | "casAttempts">> {
  /** Handlers of scheduled jobs by kind. */
  readonly jobHandlers?: JobHandlers;
  /** Requests handled in parallel. */
  readonly concurrency: number;
  /** Retry delay after the n-th failure of a request's work. */
  readonly retryDelayMs?: (attempt: number) => number;
  /** Told when the number of waiting or running requests changes. */
  readonly onQueueDepth?: (waiting: number, running: number) => void;
  /** Lists requests for reconciliation; every request Teleport has by default. */
  readonly listRequests?: (auth: AuthClient) => AsyncIterable<AccessRequest>;
}

/** Progress of a reconciliation, logged as it goes. */
export interface ReconcileResult {
  readonly requests: number;
}

const log = getLogger(["teleport-pagerduty", "app"]);

/** The lifecycle: queue, processor and rule cache together. */
export class Lifecycle {
  readonly #options: LifecycleOptions;
  readonly #rules = new Map<string, AccessMonitoringRule>();
  readonly #queue: KeyedQueue<Work>;
  readonly #processor: RequestProcessor;
  readonly #deps: ProcessorDeps;
  readonly #wakeTimers: WakeTimers;
  readonly #incidentWatch: IncidentWatch;
  /** Requests whose permanent failure was reported, so it is said once per request. */
  readonly #reported = new Set<string>();

  /** Creates a lifecycle; nothing runs until events arrive. */
  constructor(options: LifecycleOptions) {
    this.#options = options;
    const clock = options.clock ?? (() => Date.now());
    // Always there: plans made while incident access was on are kept after it is switched off.
    this.#incidentWatch = new IncidentWatch({
      pagerduty: options.pagerduty,
      schedule: (requestId, job) => this.scheduleJob(requestId, job),
      moved: (requestId, serviceId) => this.#recordMove(requestId, serviceId),
      clock,
      intervalMs: options.accessEnd.incidentPollIntervalMs,
    });
    this.#deps = {
      ...options,
      incidentWatch: this.#incidentWatch,
      rules: () => this.#rules.values(),
      ruleFacts: new RuleFacts(options.auth, clock),
      observer: options.observer ?? NO_OBSERVER,
      now: options.now ?? (() => performance.now()),
      clock,
      instanceId: options.instanceId ?? crypto.randomUUID(),
      casAttempts: options.casAttempts ?? 8,
      jobHandlers: options.jobHandlers ?? {},
    };
    this.#processor = new RequestProcessor(this.#deps);
    this.#wakeTimers = new WakeTimers(this.#deps.clock, (id) => this.wake(id));
    this.#queue = new KeyedQueue<Work>({
      concurrency: options.concurrency,
      handle: (id, work, attempt) => this.#handle(id, work, attempt),
      merge: mergeWork,
      retryDelayMs: options.retryDelayMs,
      onFailure: (id, error, attempt, retryInMs) => {
        const busy = error instanceof LeaseBusyError;
        if (!busy) this.#deps.observer.handlerError(stageOf(error));
        log.with({ request_id: id })[busy ? "debug" : "warn"](
          "Handling the request failed (attempt {attempt}); retrying in {retry_ms} ms: {error}",
          { attempt, retry_ms: retryInMs, error: messageOf(error) },
        );
      },
      isPermanent: isPermanentFailure,
      onGiveUp: (id, error) => {
        this.#deps.observer.handlerError(stageOf(error));
        if (this.#reported.has(id)) return;
        this.#reported.add(id);
        log.with({ request_id: id }).error(
          "Handling the request failed and retrying cannot fix it; it is tried again when the request changes or at the next reconciliation: {error}",
          { error: messageOf(error) },
        );
      },
      onDepth: options.onQueueDepth,
    });
  }

  async #handle(requestId: string, work: Work, attempt: number): Promise<void> {
    const dueAt = await this.#processor.process(requestId, work, attempt);
    this.#reported.delete(requestId);
    this.#wakeTimers.set(requestId, dueAt);
  }

  /** Queues the request so its due scheduled jobs run; never blocks the caller. */
  wake(requestId: string): void {
    this.#queue.submit(requestId, {
      kind: "wake",
      firstSeen: this.#deps.now(),
      source: "schedule",
    });
  }

  /**
   * Persists `job` in the request's record (a no-op when a job with its ID is waiting or was
   * done), and wakes the request when it is due. Resolves only once the job is stored, so a
   * caller may acknowledge it to the outside world.
   */
  async scheduleJob(requestId: string, job: ScheduledJob): Promise<"accepted" | "duplicate"> {
    const { outcome } = await changeRecord(
      this.#deps,
      requestId,
      undefined,
      (current) => addJob(current, job),
    );
    if (outcome === "accepted") {
      if (job.dueAt <= this.#deps.clock()) this.wake(requestId);
      else this.#wakeTimers.set(requestId, job.dueAt, { keepEarlier: true });
    }
    return outcome;
  }

  /**
   * What the approve/deny webhook calls on a V3 `incident.resolved` event: every request whose
   * access depends on that incident gets a lock job once PagerDuty confirms it is resolved (or
   * gone). Resolves with the number of requests to be locked, once their jobs are stored (0, with
   * no PagerDuty call, for an incident no access depends on); rejects when PagerDuty or Teleport
   * cannot be reached, so the webhook should be answered with an error and retried.
   */
  incidentResolved(incidentId: string): Promise<number> {
    return this.#incidentWatch.incidentResolved(incidentId);
  }

  /** The incident poller, for tests and tools. */
  get incidentWatch(): IncidentWatch {
    return this.#incidentWatch;
  }

  /** Starts polling watched incidents every `accessEnd.incidentPollIntervalMs`. */
  startIncidentPolling(): void {
    this.#incidentWatch.start();
  }

  async #recordMove(requestId: string, serviceId: string): Promise<void> {
    await changeRecord(this.#deps, requestId, undefined, (current) => {
      const incident = current.accessEnd.incident;
      if (typeof incident !== "object" || incident.serviceId === serviceId) return keep(undefined);
      return write(
        { ...current, accessEnd: { ...current.accessEnd, incident: { ...incident, serviceId } } },
        undefined,
      );
    });
  }

  /** Requests waiting and running now. */
  get depth(): { waiting: number; running: number } {
    return { waiting: this.#queue.waiting, running: this.#queue.running };
  }

  /** Queues a watch event or a resync finding; never blocks the caller. */
  handleRequestEvent(event: AccessRequestEvent, source: "watch" | "resync"): void {
    const firstSeen = this.#deps.now();
    if (event.type === "put") {
      this.#queue.submit(event.request.id, {
        kind: "put",
        request: event.request,
        firstSeen,
        source,
      });
    } else {
      this.#queue.submit(event.requestId, { kind: "delete", firstSeen, source });
    }
  }

  /** Applies a change to the Access Monitoring Rules. */
  handleRuleEvent(event: AccessMonitoringRuleEvent): void {
    if (event.type === "put") this.#rules.set(event.rule.name, event.rule);
    else this.#rules.delete(event.name);
  }

  /** Replaces the Access Monitoring Rules with a fresh listing. */
  setRules(rules: Iterable<AccessMonitoringRule>): void {
    this.#rules.clear();
    for (const rule of rules) this.#rules.set(rule.name, rule);
  }

  /**
   * Queues every request Teleport has (or only the decided ones), so work missed while
   * disconnected, failed before a restart, or finished while the service was down is brought up
   * to date; and resolves the incidents of requests deleted (expired) meanwhile, whose DELETE
   * event nobody saw. Logs progress.
   */
  async reconcile(
    signal?: AbortSignal,
    options: { decidedOnly?: boolean } = {},
  ): Promise<ReconcileResult> {
    const auth = this.#options.auth;
    // Listed before the requests: a record whose request is missing from the later listing
    // belongs to a deleted request (plugin data can only be created for an existing request).
    const unfinished: string[] = [];
    const kinds = Object.keys(this.#deps.jobHandlers);
    const generation = this.#incidentWatch.mark();
    const records = await auth.listPluginData(PLUGIN_NAME);
    for (const { requestId, data } of records) {
      const record = decodeRecord(data);
      if (record.resolution === "" && mayHaveIncident(record)) unfinished.push(requestId);
      // Jobs of requests decided or deleted are found here, after a restart too.
      const dueAt = nextDueAt(record, kinds);
      if (dueAt !== undefined) this.#wakeTimers.set(requestId, dueAt, { keepEarlier: true });
    }
    const list = this.#options.listRequests ?? ((a) => a.listAccessRequests());
    const listed = new Set<string>();
    let requests = 0;
    for await (const request of list(auth)) {
      if (signal?.aborted) break;
      listed.add(request.id);
      // The watcher's own resync already covers pending requests after a (re)connect.
      if (options.decidedOnly && request.state === "PENDING") continue;
      this.handleRequestEvent({ type: "put", request }, "resync");
      requests++;
      if (requests % 1000 === 0) log.info("Reconciling: {requests} requests queued", { requests });
    }
    if (!signal?.aborted) await this.#followPlans(records, listed, generation);
    for (const id of unfinished) {
      if (listed.has(id) || signal?.aborted) continue;
      // Asked once more, so a listing that missed a request cannot resolve its incidents.
      if (await auth.getAccessRequest(id) !== undefined) continue;
      log.info("Request {request_id} was deleted while unobserved; resolving its incidents", {
        request_id: id,
      });
      this.handleRequestEvent({ type: "delete", requestId: id }, "resync");
      requests++;
    }
    log.info("Reconciliation queued {requests} request(s)", { requests });
    return { requests };
  }

  /**
   * Hands the incidents that requests Teleport still has depend on to the poller, and ends the
   * access of those whose plan cannot be read (nothing tells which incident to watch).
   */
  async #followPlans(
    records: Awaited<ReturnType<AuthClient["listPluginData"]>>,
    listed: ReadonlySet<string>,
    generation: number,
  ): Promise<void> {
    const current = records.filter((r) => listed.has(r.requestId));
    this.#incidentWatch.replace(watchedIncidents(current), generation);
    for (const requestId of unreadableIncidentPlans(current)) {
      log.warn("The incident request {request_id}'s access depends on cannot be read; ending it", {
        request_id: requestId,
      });
      try {
        await this.scheduleJob(
          requestId,
          incidentLockJob("incident_gone", undefined, this.#deps.clock()),
        );
      } catch (error) {
        log.warn(
          "Could not schedule the lock of request {request_id}; trying again at the next reconciliation: {error}",
          {
            request_id: requestId,
            error: messageOf(error),
          },
        );
      }
    }
  }

  /**
   * Runs {@linkcode reconcile} until one run succeeds or `signal` aborts, waiting the retry
   * delay between failed runs, so a failure right after a reconnect does not leave the changes
   * missed meanwhile to the periodic run, minutes later. Never rejects.
   */
  async reconcileUntilDone(
    signal: AbortSignal,
    options: { decidedOnly?: boolean } = {},
  ): Promise<void> {
    const delay = this.#options.retryDelayMs ?? defaultRetryDelay;
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await this.reconcile(signal, options);
        return;
      } catch (error) {
        const retryMs = delay(attempt);
        log.warn("Reconciliation failed (attempt {attempt}); retrying in {retry_ms} ms: {error}", {
          attempt,
          retry_ms: retryMs,
          error: messageOf(error),
        });
        await sleep(retryMs, signal);
      }
    }
  }

  /** Resolves when every queued request has been handled. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** Stops taking work and waits for running work to finish. */
  async close(): Promise<void> {
    this.#wakeTimers.clear();
    await this.#incidentWatch.stop();
    await this.#queue.close();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function stageOf(error: unknown): string {
  if (error instanceof Error && error.name === "PagerDutyError") return "pagerduty";
  if (error instanceof Error && error.name === "TeleportError") return "teleport";
  return "internal";
}
