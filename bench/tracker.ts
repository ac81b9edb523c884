/**
 * Timestamps, on the benchmark's own clock, the two events a latency is measured between: a
 * request's creation at the fake Auth Service and its incident's creation at the fake
 * PagerDuty. Both fakes run in this process and announce their changes synchronously, so no
 * clock of the service under test is involved.
 *
 * @module
 */

import type { AccountEvent } from "../src/fakes/pagerduty/mod.ts";
import type { World } from "../src/fakes/world.ts";

/** The incident key the service gives a request's incidents (the Go plugin's). */
const KEY_PREFIX = "teleport-access-request/";

interface CountWaiter {
  readonly count: number;
  readonly resolve: () => void;
}

/** Error raised when the service does not get through a scenario's work in time. */
export class ScenarioTimeoutError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ScenarioTimeoutError";
  }
}

/** Creation times of requests and of their first incidents and resolutions. */
export class Tracker {
  /** `performance.now()` when each request was created. */
  readonly created = new Map<string, number>();
  /** `performance.now()` when each request's first incident was opened. */
  readonly incidentOpened = new Map<string, number>();
  /** `performance.now()` when each request's incident was resolved. */
  readonly incidentResolved = new Map<string, number>();
  readonly #waiters = { opened: new Set<CountWaiter>(), resolved: new Set<CountWaiter>() };
  readonly #stops: Array<() => void>;

  /** Starts listening to both fakes of `world`. */
  constructor(world: World) {
    this.#stops = [
      world.auth.onEvent((event) => {
        if (event.kind !== "access_request" || event.op !== "put") return;
        if (!this.created.has(event.request.id)) {
          this.created.set(event.request.id, performance.now());
        }
      }),
      world.pagerduty.account.subscribe((event) => this.#onIncident(event)),
    ];
  }

  #onIncident(event: AccountEvent): void {
    const key = event.incident.incidentKey;
    if (key === undefined || !key.startsWith(KEY_PREFIX)) return;
    const id = key.slice(KEY_PREFIX.length);
    if (event.type === "incident.triggered") {
      record(this.incidentOpened, id, this.#waiters.opened);
    } else if (event.type === "incident.resolved") {
      record(this.incidentResolved, id, this.#waiters.resolved);
    }
  }

  /** Resolves once `count` requests have an incident; rejects after `timeoutMs`. */
  opened(count: number, timeoutMs: number): Promise<void> {
    return this.#wait(this.incidentOpened, this.#waiters.opened, count, timeoutMs, "opened");
  }

  /** Resolves once `count` requests have a resolved incident; rejects after `timeoutMs`. */
  resolved(count: number, timeoutMs: number): Promise<void> {
    return this.#wait(this.incidentResolved, this.#waiters.resolved, count, timeoutMs, "resolved");
  }

  /** Milliseconds from each request's creation to its incident, in creation order. */
  latenciesMs(ids: Iterable<string>): number[] {
    return Array.from(ids, (id) => {
      const created = this.created.get(id);
      const opened = this.incidentOpened.get(id);
      if (created === undefined || opened === undefined) {
        throw new ScenarioTimeoutError(`Request ${id} has no creation or incident time recorded.`);
      }
      return opened - created;
    });
  }

  /** The latest incident opening, on `performance.now()`'s clock. */
  lastOpened(): number {
    return Math.max(...this.incidentOpened.values());
  }

  /** Stops listening. */
  close(): void {
    for (const stop of this.#stops) stop();
    for (const set of Object.values(this.#waiters)) set.clear();
  }

  #wait(
    times: Map<string, number>,
    waiters: Set<CountWaiter>,
    count: number,
    timeoutMs: number,
    what: string,
  ): Promise<void> {
    if (times.size >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new ScenarioTimeoutError(
            `Only ${times.size} of ${count} incidents were ${what} within ${timeoutMs} ms: ` +
              "the service is stuck or too slow; see its stderr.",
          ),
        );
      }, timeoutMs);
      const waiter: CountWaiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      waiters.add(waiter);
    });
  }
}

function record(times: Map<string, number>, id: string, waiters: Set<CountWaiter>): void {
  if (times.has(id)) return;
  times.set(id, performance.now());
  for (const waiter of waiters) {
    if (times.size >= waiter.count) {
      waiters.delete(waiter);
      waiter.resolve();
    }
  }
}
