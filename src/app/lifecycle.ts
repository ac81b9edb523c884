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
import { decodeRecord, mayHaveIncident, PLUGIN_NAME } from "./plugin_data.ts";
import { mergeWork, type ProcessorOptions, RequestProcessor, type Work } from "./processor.ts";
import { defaultRetryDelay, KeyedQueue } from "./queue.ts";

/** What the lifecycle needs beyond the processor's options. */
export interface LifecycleOptions extends Omit<ProcessorOptions, "rules"> {
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
  readonly #now: () => number;

  /** Creates a lifecycle; nothing runs until events arrive. */
  constructor(options: LifecycleOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#processor = new RequestProcessor({ ...options, rules: () => this.#rules.values() });
    this.#queue = new KeyedQueue<Work>({
      concurrency: options.concurrency,
      handle: (id, work, attempt) => this.#processor.process(id, work, attempt),
      merge: mergeWork,
      retryDelayMs: options.retryDelayMs,
      onFailure: (id, error, attempt, retryInMs) => {
        options.observer?.handlerError(stageOf(error));
        log.with({ request_id: id }).warn(
          "Handling the request failed (attempt {attempt}); retrying in {retry_ms} ms: {error}",
          { attempt, retry_ms: retryInMs, error: messageOf(error) },
        );
      },
      onDepth: options.onQueueDepth,
    });
  }

  /** Requests waiting and running now. */
  get depth(): { waiting: number; running: number } {
    return { waiting: this.#queue.waiting, running: this.#queue.running };
  }

  /** Queues a watch event or a resync finding; never blocks the caller. */
  handleRequestEvent(event: AccessRequestEvent, source: "watch" | "resync"): void {
    const firstSeen = this.#now();
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
    const unfinished = (await auth.listPluginData(PLUGIN_NAME))
      .filter((r) => {
        const record = decodeRecord(r.data);
        return record.resolution === "" && mayHaveIncident(record);
      })
      .map((r) => r.requestId);
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
  close(): Promise<void> {
    return this.#queue.close();
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
