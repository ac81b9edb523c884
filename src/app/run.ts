/**
 * One run of work on one request, and the state it carries: the record as last read or written,
 * the lease that lets it act in PagerDuty, and the dependencies every room uses. Each room
 * (`open_incidents.ts`, `notes.ts`, `resolve.ts`, `auto_approve.ts`, `scheduled.ts`) takes a run
 * instead of long argument lists, and changes the record only through {@linkcode RequestRun.change},
 * whose callbacks are pure and return a tagged outcome.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { boundedDelay } from "../timers.ts";
import type { AccessEndConfig, AutoApprovalConfig } from "../config/types.ts";
import type { PagerDutyApi } from "../pagerduty/types.ts";
import { modifyPluginData } from "../teleport/plugin_data.ts";
import type { AccessMonitoringRule, AuthClient, PluginDataMap } from "../teleport/types.ts";
import type { WatchedIncident } from "./incident_access.ts";
import type { LifecycleObserver } from "./observer.ts";
import {
  decodeRecord,
  encodeRecord,
  type Lease,
  PLUGIN_NAME,
  type RequestRecord,
} from "./plugin_data.ts";
import type { RuleFacts } from "./rule_facts.ts";

/** How long a lease lasts after its holder's last write. */
export const LEASE_MS = 30_000;
/** A side effect in PagerDuty gives up this long before the lease runs out. */
const SIDE_EFFECT_MARGIN_MS = 5_000;
/** A lease with less left than this is renewed before the next side effect. */
const RENEW_BELOW_MS = 20_000;

/** Settings and collaborators shared by every run. */
export interface ExecutorDeps {
  readonly auth: AuthClient;
  readonly pagerduty: PagerDutyApi;
  /** The service's own Teleport user, the author of its reviews. */
  readonly selfUser: string;
  /** Proxy public address for request links; empty for none. */
  readonly proxyAddr: () => string;
  /** Current Access Monitoring Rules for this plugin. */
  readonly rules: () => Iterable<AccessMonitoringRule>;
  /** The requester's traits for rules, and which rules were reported as unusable. */
  readonly ruleFacts: RuleFacts;
  readonly notifyAnnotation: string;
  readonly servicesAnnotation: string;
  /** Sent only when configured; otherwise the PagerDuty service's urgency rules decide. */
  readonly urgency?: "high" | "low";
  readonly priority?: string;
  readonly autoApproval: AutoApprovalConfig;
  /** Access that ends early: with the on-call shift, or with the incident a request cites. */
  readonly accessEnd: AccessEndConfig;
  /** Told which incidents approvals depend on, so they are polled; none in unit tests. */
  readonly incidentWatch?: IncidentWatchFeed;
  readonly observer: LifecycleObserver;
  /** Monotonic clock for latency figures. */
  readonly now: () => number;
  /** Wall clock (ms since the epoch) for leases and scheduled work. */
  readonly clock: () => number;
  /** Names this process in leases; unique per process. */
  readonly instanceId: string;
  /** Attempts at a compare-and-swap before giving up this round. */
  readonly casAttempts: number;
}

/** What the executor tells the incident poller (`incident_watch.ts`). */
export interface IncidentWatchFeed {
  /** An approval now depends on this incident: watch it. */
  watch(watched: WatchedIncident): void;
  /** The request is locked, or nothing depends on its incident any more. */
  unwatch(requestId: string): void;
}

/** Where a run's work came from. */
export interface RunOrigin {
  /** A live watch event, a resync or reconciliation finding, or scheduled work falling due. */
  readonly source: "watch" | "resync" | "schedule";
  /** When the service first heard of the work (monotonic clock). */
  readonly firstSeen: number;
}

/** The record as read from Teleport, decoded, with the raw map the next write compares with. */
export interface Snapshot {
  readonly record: RequestRecord;
  readonly raw: PluginDataMap;
}

/** What a compare-and-swap callback decided: an outcome, and the record to write, if any. */
export interface Change<T> {
  readonly next?: RequestRecord;
  readonly outcome: T;
}

/** A change that writes `next`. */
export function write<T>(next: RequestRecord, outcome: T): Change<T> {
  return { next, outcome };
}

/** A change that writes nothing. */
export function keep<T>(outcome: T): Change<T> {
  return { outcome };
}

/** Another live instance holds the request's lease; the queue retries later. */
export class LeaseBusyError extends Error {
  /** Creates the error for `requestId`. */
  constructor(requestId: string, holder: string, until: number) {
    super(
      `Request ${requestId} is being handled by another instance (${holder}) until ${
        new Date(until).toISOString()
      }; trying again later.`,
    );
    this.name = "LeaseBusyError";
  }
}

/** Reads and writes one request's record with compare-and-swap. */
export async function readRecord(deps: ExecutorDeps, requestId: string): Promise<Snapshot> {
  const raw = await deps.auth.getPluginData(requestId, PLUGIN_NAME) ?? {};
  return { record: decodeRecord(raw), raw };
}

/**
 * Applies `decide` with compare-and-swap, starting from `known` (read first when undefined); on a
 * conflict it re-reads and decides again. Keys of other writers are kept.
 */
export async function changeRecord<T>(
  deps: ExecutorDeps,
  requestId: string,
  known: Snapshot | undefined,
  decide: (current: RequestRecord) => Change<T>,
): Promise<{ snapshot: Snapshot; outcome: T }> {
  let last: Change<T> | undefined;
  const result = await modifyPluginData(deps.auth, requestId, PLUGIN_NAME, (current) => {
    last = decide(decodeRecord(current));
    return last.next && { ...current, ...encodeRecord(last.next) };
  }, { known: known?.raw, maxAttempts: deps.casAttempts });
  const raw = result.data ?? {};
  return { snapshot: { record: decodeRecord(raw), raw }, outcome: last!.outcome };
}

/** One run of work on one request. */
export class RequestRun {
  /** The request this run works on. */
  readonly requestId: string;
  readonly deps: ExecutorDeps;
  /** Logger with the request ID on every line. */
  readonly log: Logger;
  /** Where the work came from and when the service first heard of it. */
  readonly origin: RunOrigin;
  #snapshot: Snapshot;
  #holding = false;

  private constructor(
    deps: ExecutorDeps,
    requestId: string,
    origin: RunOrigin,
    log: Logger,
    snapshot: Snapshot,
  ) {
    this.deps = deps;
    this.requestId = requestId;
    this.origin = origin;
    this.log = log;
    this.#snapshot = snapshot;
  }

  /** Starts a run by reading the request's record. */
  static async start(
    deps: ExecutorDeps,
    requestId: string,
    origin: RunOrigin,
    log: Logger,
  ): Promise<RequestRun> {
    return new RequestRun(deps, requestId, origin, log, await readRecord(deps, requestId));
  }

  /** Seconds since a live event first announced the work; undefined for found work. */
  firstSeenLatency(): number | undefined {
    if (this.origin.source !== "watch") return undefined;
    return (this.deps.now() - this.origin.firstSeen) / 1000;
  }

  /** The record as this run last read or wrote it. */
  get record(): RequestRecord {
    return this.#snapshot.record;
  }

  /** Whether this run holds the lease. */
  get holding(): boolean {
    return this.#holding;
  }

  /**
   * Takes the lease before the first side effect in PagerDuty (a no-op when held). Throws
   * {@linkcode LeaseBusyError} while another instance holds an unexpired lease.
   */
  async hold(): Promise<void> {
    if (this.#holding) return;
    const me = this.deps.instanceId;
    const now = this.deps.clock();
    const { snapshot, outcome } = await changeRecord(
      this.deps,
      this.requestId,
      this.#snapshot,
      (current): Change<Lease | undefined> => {
        const lease = current.lease;
        if (lease && lease.holder !== me && lease.until > now) return keep(lease);
        return write({ ...current, lease: { holder: me, until: now + LEASE_MS } }, undefined);
      },
    );
    this.#snapshot = snapshot;
    if (outcome) throw new LeaseBusyError(this.requestId, outcome.holder, outcome.until);
    this.#holding = true;
  }

  /**
   * Applies `decide` to the record with compare-and-swap and returns its outcome. While the run
   * holds the lease, every write renews it, and a lease taken over meanwhile stops the run.
   */
  async change<T>(decide: (current: RequestRecord) => Change<T>): Promise<T> {
    const me = this.deps.instanceId;
    const holding = this.#holding;
    const until = this.deps.clock() + LEASE_MS;
    const { snapshot, outcome } = await changeRecord(
      this.deps,
      this.requestId,
      this.#snapshot,
      (current): Change<{ lost: true } | { lost: false; value: T }> => {
        if (holding && current.lease?.holder !== me) return keep({ lost: true });
        const change = decide(current);
        const value = { lost: false as const, value: change.outcome };
        if (!change.next) return keep(value);
        return write(
          holding ? { ...change.next, lease: { holder: me, until } } : change.next,
          value,
        );
      },
    );
    this.#snapshot = snapshot;
    if (outcome.lost) {
      this.#holding = false;
      throw new LeaseBusyError(this.requestId, snapshot.record.lease?.holder ?? "?", 0);
    }
    return outcome.value;
  }

  /**
   * Runs one side effect in PagerDuty with a signal that aborts before the lease runs out, so no
   * other instance takes over while this one may still be posting. Renews a lease running low
   * first.
   */
  async sideEffect<T>(effect: (signal: AbortSignal) => Promise<T>): Promise<T> {
    await this.hold();
    if ((this.record.lease?.until ?? 0) - this.deps.clock() < RENEW_BELOW_MS) {
      await this.change((current) => write(current, undefined));
    }
    const left = (this.record.lease?.until ?? 0) - this.deps.clock() - SIDE_EFFECT_MARGIN_MS;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), boundedDelay(Math.max(1, left)));
    try {
      return await effect(controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Gives the lease back; best effort, since it expires on its own. */
  async release(): Promise<void> {
    if (!this.#holding) return;
    this.#holding = false;
    const me = this.deps.instanceId;
    try {
      const { snapshot } = await changeRecord(
        this.deps,
        this.requestId,
        this.#snapshot,
        (current) =>
          current.lease?.holder === me ? write({ ...current, lease: undefined }, null) : keep(null),
      );
      this.#snapshot = snapshot;
    } catch (error) {
      this.log.debug("Could not give the lease back; it expires on its own: {error}", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
