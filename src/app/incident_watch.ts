/**
 * The incident poller of incident-linked access: keeps the incidents approved requests depend
 * on (fed by every reconciliation's plugin-data listing and by the executor as approvals are
 * recorded), and once per interval asks PagerDuty, in one call for all of them, which are still
 * open. A watched incident missing from that list is looked up once: resolved or gone, a `lock`
 * job is persisted on each request that depends on it (the lifecycle runs it); still open in
 * another service, it is watched there. The `incident.resolved` webhook lands in
 * {@linkcode IncidentWatch.incidentResolved} and is confirmed the same way.
 *
 * The poller only schedules; it never locks. A failed poll is logged and tried again at the
 * next interval, so nothing is given up.
 *
 * @module
 */

import { boundedDelay } from "../timers.ts";
import { getLogger } from "@logtape/logtape";
import { type Incident, type PagerDutyApi, PagerDutyError } from "../pagerduty/types.ts";
import { TeleportError } from "../teleport/types.ts";
import { incidentLockJob } from "./access_end_jobs.ts";
import {
  missingFromPoll,
  servicesToPoll,
  type WatchedIncident,
  watchersOf,
  watchOutcome,
} from "./incident_access.ts";
import type { ScheduledJob } from "./plugin_data.ts";
import type { IncidentWatchFeed } from "./run.ts";

const log = getLogger(["teleport-pagerduty", "incident-watch"]);

/** What the poller needs. */
export interface IncidentWatchOptions {
  readonly pagerduty: Pick<PagerDutyApi, "listOpenIncidents" | "getIncident">;
  /** Persists a job on a request; resolves once stored (the lifecycle's `scheduleJob`). */
  readonly schedule: (requestId: string, job: ScheduledJob) => Promise<unknown>;
  /** Records in the request's plan that its incident is now in service `serviceId`. */
  readonly moved: (requestId: string, serviceId: string) => Promise<void>;
  /** Wall clock (ms since the epoch). */
  readonly clock: () => number;
  /** Time between polls. */
  readonly intervalMs: number;
}

/** What one poll did, for logs and tests. */
export interface PollResult {
  /** Whether PagerDuty was asked at all (not when nothing is watched). */
  readonly polled: boolean;
  /** Requests a lock job was scheduled for. */
  readonly scheduled: number;
}

interface Entry extends WatchedIncident {
  /** The generation the entry was added in; see {@linkcode IncidentWatch.replace}. */
  readonly generation: number;
}

/** The watched incidents and the timer that polls them. */
export class IncidentWatch implements IncidentWatchFeed {
  readonly #options: IncidentWatchOptions;
  readonly #watched = new Map<string, Entry>();
  #generation = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #polling: Promise<unknown> | undefined;

  /** Creates the poller; nothing is polled until {@linkcode start}. */
  constructor(options: IncidentWatchOptions) {
    this.#options = options;
  }

  /** How many requests are watched. */
  get size(): number {
    return this.#watched.size;
  }

  /** The watched entries, for tests and logs. */
  watched(): WatchedIncident[] {
    return [...this.#watched.values()].map(({ requestId, incidentId, serviceId }) => ({
      requestId,
      incidentId,
      serviceId,
    }));
  }

  /** Watches the incident an approval depends on (idempotent). */
  watch(watched: WatchedIncident): void {
    const known = this.#watched.get(watched.requestId);
    if (known?.incidentId === watched.incidentId && known.serviceId === watched.serviceId) return;
    this.#watched.set(watched.requestId, { ...watched, generation: this.#generation });
  }

  /** Stops watching the request's incident. */
  unwatch(requestId: string): void {
    this.#watched.delete(requestId);
  }

  /**
   * Opens a new generation and returns the previous one; call it before listing plugin data, and
   * pass the result to {@linkcode replace}, so entries watched while the listing ran are kept.
   */
  mark(): number {
    return this.#generation++;
  }

  /** Replaces the watched set with a listing taken after {@linkcode mark} returned `generation`. */
  replace(watched: readonly WatchedIncident[], generation: number): void {
    for (const [requestId, entry] of this.#watched) {
      if (entry.generation <= generation) this.#watched.delete(requestId);
    }
    for (const w of watched) {
      if (!this.#watched.has(w.requestId)) this.#watched.set(w.requestId, { ...w, generation });
    }
  }

  /** Polls every `intervalMs` until {@linkcode stop}; a poll still running skips a turn. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#polling !== undefined) return;
      this.#polling = this.pollOnce()
        .catch((error) =>
          log.warn("Polling watched PagerDuty incidents failed; trying again in {ms} ms: {error}", {
            ms: this.#options.intervalMs,
            error: messageOf(error),
          })
        )
        .finally(() => (this.#polling = undefined));
    }, boundedDelay(this.#options.intervalMs));
  }

  /** Stops polling; a poll under way finishes. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#polling;
  }

  /**
   * One poll: one PagerDuty call lists the open incidents of every watched service; each watched
   * incident missing from it is looked up. Throws when the listing fails.
   */
  async pollOnce(): Promise<PollResult> {
    const watched = this.watched();
    if (watched.length === 0) return { polled: false, scheduled: 0 };
    const open = await this.#options.pagerduty.listOpenIncidents(servicesToPoll(watched));
    const missing = missingFromPoll(watched, open);
    let scheduled = 0;
    for (const incidentId of new Set(missing.map((w) => w.incidentId))) {
      try {
        scheduled += await this.#confirm(incidentId, watchersOf(missing, incidentId));
      } catch (error) {
        log.warn(
          "Could not confirm whether PagerDuty incident {incident_id} ended; trying again at the next poll: {error}",
          {
            incident_id: incidentId,
            error: messageOf(error),
          },
        );
      }
    }
    return { polled: true, scheduled };
  }

  /**
   * A V3 `incident.resolved` webhook for `incidentId`: confirmed with PagerDuty, then a lock job
   * is persisted on every request depending on it. Resolves with how many were scheduled (0 for
   * an incident nothing depends on, without asking PagerDuty); rejects when PagerDuty or
   * Teleport could not be reached, so the webhook is answered with an error and retried.
   */
  async incidentResolved(incidentId: string): Promise<number> {
    const watchers = watchersOf(this.watched(), incidentId);
    if (watchers.length === 0) return 0;
    return await this.#confirm(incidentId, watchers);
  }

  /** Looks the incident up and acts on its answer for its watchers. */
  async #confirm(incidentId: string, watchers: readonly WatchedIncident[]): Promise<number> {
    const incident = await this.#incident(incidentId);
    const outcome = watchOutcome(incident);
    if (outcome.kind === "open") {
      for (const w of watchers) {
        if (w.serviceId === outcome.serviceId) continue;
        log.info("PagerDuty incident {incident_id} moved to service {service_id}; watched there", {
          incident_id: incidentId,
          service_id: outcome.serviceId,
        });
        await this.#options.moved(w.requestId, outcome.serviceId);
        this.watch({ ...w, serviceId: outcome.serviceId });
      }
      return 0;
    }
    const reason = outcome.kind === "resolved" ? "incident_resolved" : "incident_gone";
    let scheduled = 0;
    let failure: unknown;
    for (const w of watchers) {
      try {
        await this.#options.schedule(
          w.requestId,
          incidentLockJob(reason, incident, this.#options.clock()),
        );
        scheduled++;
        this.unwatch(w.requestId);
        log.info("PagerDuty incident {incident_id} {what}: request {request_id} is to be locked", {
          incident_id: incidentId,
          what: outcome.kind === "resolved" ? "was resolved" : "is gone",
          request_id: w.requestId,
        });
      } catch (error) {
        if (error instanceof TeleportError && error.kind === "not_found") {
          // The request is gone, and with it the access: nothing to lock.
          this.unwatch(w.requestId);
          continue;
        }
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
    return scheduled;
  }

  async #incident(incidentId: string): Promise<Incident | undefined> {
    try {
      return await this.#options.pagerduty.getIncident(incidentId);
    } catch (error) {
      if (error instanceof PagerDutyError && error.status === 404) return undefined;
      throw error;
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
