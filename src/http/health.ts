/**
 * Liveness and readiness state. The app reports what it sees (watch established or lost,
 * PagerDuty calls succeeding or failing); `/readyz` asks {@linkcode Health.readiness}.
 *
 * Ready means: the Teleport watch is established after INIT, and PagerDuty answered within the
 * window. A quiet service makes no PagerDuty calls, so an optional probe (e.g. the client's
 * start-up health check) refreshes the PagerDuty check: in the background once half the window
 * has passed, and awaited (bounded by a timeout) once the window has run out.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { boundedDelay } from "../timers.ts";

const log = getLogger(["teleport-pagerduty", "http", "health"]);

/** A cheap PagerDuty call proving it is reachable with our credentials; rejects on failure. */
export type PagerDutyProbe = (signal: AbortSignal) => Promise<void>;

/** Options for {@linkcode Health}. */
export interface HealthOptions {
  /** How recent the last successful PagerDuty call must be; 120 000 ms by default. */
  readonly pagerDutyWindowMs?: number;
  /** Called to refresh the PagerDuty check when calls are getting old; none by default. */
  readonly probe?: PagerDutyProbe;
  /** How long one probe may take before it counts as failed; 3 000 ms by default. */
  readonly probeTimeoutMs?: number;
  /** Least time between the starts of two probes, so an outage is not hammered; 10 000 ms. */
  readonly probeIntervalMs?: number;
  /** Clock in milliseconds since the epoch; `Date.now` by default. */
  readonly now?: () => number;
}

/** The result of one readiness check. */
export interface CheckResult {
  readonly ok: boolean;
  /** One sentence explaining the result, for people reading `/readyz`. */
  readonly detail: string;
  /** ISO time of the watch's last change, or of the last successful PagerDuty call. */
  readonly since?: string;
}

/** The readiness verdict and the checks behind it. */
export interface Readiness {
  /** True when every check is ok. */
  readonly ready: boolean;
  readonly checks: {
    readonly teleport_watch: CheckResult;
    readonly pagerduty: CheckResult;
  };
}

type WatchState =
  | { readonly state: "pending" }
  | { readonly state: "established"; readonly at: number }
  | { readonly state: "lost"; readonly at: number; readonly reason: string };

/** The service's readiness state, updated by the app and read by the HTTP listener. */
export class Health {
  readonly #windowMs: number;
  readonly #probe: PagerDutyProbe | undefined;
  readonly #probeTimeoutMs: number;
  readonly #probeIntervalMs: number;
  readonly #now: () => number;
  #watch: WatchState = { state: "pending" };
  #lastSuccess: number | undefined;
  #lastFailure: string | undefined;
  #lastProbeStart: number | undefined;
  #probing: Promise<void> | undefined;

  /** Starts with the watch pending and no PagerDuty call seen. */
  constructor(options: HealthOptions = {}) {
    this.#windowMs = options.pagerDutyWindowMs ?? 120_000;
    this.#probe = options.probe;
    this.#probeTimeoutMs = options.probeTimeoutMs ?? 3_000;
    this.#probeIntervalMs = options.probeIntervalMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Records that the Teleport watch received INIT and is delivering events. */
  watchEstablished(): void {
    this.#watch = { state: "established", at: this.#now() };
  }

  /** Records that the Teleport watch broke; `reason` is shown on `/readyz` (no secrets). */
  watchLost(reason: string): void {
    this.#watch = { state: "lost", at: this.#now(), reason };
  }

  /** Records a successful PagerDuty call (including the start-up health check). */
  pagerDutySucceeded(): void {
    this.#lastSuccess = this.#now();
    this.#lastFailure = undefined;
  }

  /**
   * Records a failed PagerDuty call; `reason` is shown on `/readyz` (no secrets) until the next
   * success. One failure does not make the service unready: only a lack of success does.
   */
  pagerDutyFailed(reason: string): void {
    this.#lastFailure = reason;
  }

  /**
   * Evaluates readiness, first probing PagerDuty when the last success has aged out of the
   * window (waiting at most the probe timeout), or starting a background probe when it is half
   * way there.
   */
  async readiness(): Promise<Readiness> {
    const age = this.#pagerDutyAge();
    if (age === undefined || age > this.#windowMs) {
      await this.#maybeProbe();
    } else if (age > this.#windowMs / 2) {
      void this.#maybeProbe();
    }
    const checks = { teleport_watch: this.#watchCheck(), pagerduty: this.#pagerDutyCheck() };
    return { ready: checks.teleport_watch.ok && checks.pagerduty.ok, checks };
  }

  /** Resolves once no probe is running, so callers (and tests) can stop cleanly. */
  async settled(): Promise<void> {
    await this.#probing;
  }

  #pagerDutyAge(): number | undefined {
    return this.#lastSuccess === undefined ? undefined : this.#now() - this.#lastSuccess;
  }

  #maybeProbe(): Promise<void> {
    if (this.#probing) return this.#probing;
    const probe = this.#probe;
    if (!probe) return Promise.resolve();
    const now = this.#now();
    if (this.#lastProbeStart !== undefined && now - this.#lastProbeStart < this.#probeIntervalMs) {
      return Promise.resolve();
    }
    this.#lastProbeStart = now;
    this.#probing = this.#runProbe(probe).finally(() => {
      this.#probing = undefined;
    });
    return this.#probing;
  }

  async #runProbe(probe: PagerDutyProbe): Promise<void> {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new Error(`no answer within ${this.#probeTimeoutMs} ms`);
        controller.abort(error);
        reject(error);
      }, boundedDelay(this.#probeTimeoutMs));
    });
    try {
      await Promise.race([probe(controller.signal), timeout]);
      this.pagerDutySucceeded();
    } catch (error) {
      const reason = `health probe failed: ${error instanceof Error ? error.message : error}`;
      log.warn("PagerDuty health probe failed: {reason}", { reason });
      this.pagerDutyFailed(reason);
    } finally {
      clearTimeout(timer);
    }
  }

  #watchCheck(): CheckResult {
    const watch = this.#watch;
    switch (watch.state) {
      case "pending":
        return { ok: false, detail: "The Teleport watch has not been established yet." };
      case "established":
        return {
          ok: true,
          detail: "The Teleport watch is established (INIT received).",
          since: new Date(watch.at).toISOString(),
        };
      case "lost":
        return {
          ok: false,
          detail: `The Teleport watch was lost: ${watch.reason}.`,
          since: new Date(watch.at).toISOString(),
        };
    }
  }

  #pagerDutyCheck(): CheckResult {
    const age = this.#pagerDutyAge();
    const windowSeconds = Math.round(this.#windowMs / 1000);
    const failure = this.#lastFailure === undefined ? "" : ` Last failure: ${this.#lastFailure}.`;
    if (age === undefined || this.#lastSuccess === undefined) {
      return { ok: false, detail: `No successful PagerDuty call yet.${failure}` };
    }
    const since = new Date(this.#lastSuccess).toISOString();
    const ageSeconds = Math.round(age / 1000);
    if (age > this.#windowMs) {
      return {
        ok: false,
        detail: `The last successful PagerDuty call was ${ageSeconds} s ago, ` +
          `older than the ${windowSeconds} s window.${failure}`,
        since,
      };
    }
    return {
      ok: true,
      detail:
        `The last successful PagerDuty call was ${ageSeconds} s ago, within the ${windowSeconds} s window.`,
      since,
    };
  }
}
