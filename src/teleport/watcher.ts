/**
 * The watch loop: keeps a WatchEvents stream open for access requests and Access Monitoring
 * Rules, and hands every change to the app.
 *
 * - Waits for the INIT event (bounded, 15 s by default) and checks that `access_request` is
 *   among the kinds the server confirmed.
 * - After every INIT, lists the pending requests and delivers them as `"resync"` (and, given a
 *   plugin name, re-reads the rules), so nothing that happened while disconnected is missed.
 * - Reconnects with decorrelated-jitter backoff (20 ms to 5 s) when the stream ends, the
 *   connection drops, the server resets its fanout, or INIT does not come; stops with an
 *   actionable {@linkcode TeleportError} on PERMISSION_DENIED or INVALID_ARGUMENT, which
 *   retrying cannot fix.
 * - When the client's identity changes, opens a stream on the new channel and drops the old
 *   one only once the new one has its INIT, so no event falls in between.
 *
 * Handler contract: `onRequestEvent`, `onRuleEvent` and `onRules` are called synchronously on
 * the stream's read loop, in the order Teleport sent the events. They must return quickly
 * (queue the work, as `Lifecycle.handleRequestEvent` does): a slow handler delays every later
 * event, and Teleport drops a watcher that falls 1024 events or 59 s behind. A handler that
 * throws is logged and the stream goes on.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { sleep } from "../util/sleep.ts";
import { DecorrelatedBackoff } from "./backoff.ts";
import { PLUGIN_WATCH, type WatchStream } from "./client.ts";
import { accessMonitoringRuleOf, accessRequestOf } from "./convert.ts";
import { type Event, Operation } from "./gen/teleport/legacy/client/proto/event_pb.ts";
import {
  type AccessMonitoringRule,
  type AccessMonitoringRuleEvent,
  type AccessRequest,
  type AccessRequestEvent,
  TeleportError,
} from "./types.ts";
import { boundedDelay } from "../timers.ts";

const log = getLogger(["teleport-pagerduty", "teleport", "watcher"]);

/** What the watcher needs from the client ({@linkcode TeleportClient} provides it). */
export interface WatchClient {
  /** Opens a WatchEvents stream on the current channel. */
  openWatch(request: typeof PLUGIN_WATCH): WatchStream;
  /** Every PENDING access request. */
  listPendingRequests(): AsyncIterable<AccessRequest>;
  /** Access Monitoring Rules that notify `plugin`. */
  listAccessMonitoringRules(plugin: string): Promise<AccessMonitoringRule[]>;
  /** Tells when a new identity replaced the channel. */
  onChannelChange(listener: (generation: number) => void): () => void;
  /** The Teleport user, for messages. */
  readonly user: string;
  /** The configured address, for messages. */
  readonly address: { readonly text: string };
}

/** Where a delivered request event came from. */
export type EventSource = "watch" | "resync";

/** What the watcher tells when a stream is ready. */
export interface ReadyInfo {
  /** Kinds the server confirmed in INIT, e.g. `["access_request", "access_monitoring_rule"]`. */
  readonly kinds: readonly string[];
  /** Reconnects since the watcher started. */
  readonly reconnects: number;
  /** Why this stream was opened. */
  readonly reason: "start" | "reconnect" | "identity_change";
}

/** Options of {@linkcode Watcher}. */
export interface WatcherOptions {
  /** How long to wait for INIT after opening a stream; defaults to 15 s (as the Go plugins). */
  readonly initTimeoutMs?: number;
  /** Reconnect delays; defaults to 20 ms growing to 5 s. */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** Jitter source (0 ≤ r < 1), injectable for tests. */
  readonly random?: () => number;
  /** Plugin name whose Access Monitoring Rules are re-read after every INIT (`pagerduty`). */
  readonly pluginName?: string;
  /** Called with every access request change, from the stream or from a resync. */
  readonly onRequestEvent: (event: AccessRequestEvent, source: EventSource) => void;
  /** Called with every Access Monitoring Rule change on the stream. */
  readonly onRuleEvent?: (event: AccessMonitoringRuleEvent) => void;
  /** Called with the full rule set re-read after INIT (replaces the previous set). */
  readonly onRules?: (rules: readonly AccessMonitoringRule[]) => void;
  /** Called after INIT, before the resync. */
  readonly onReady?: (info: ReadyInfo) => void;
  /** Called when a stream ends and the watcher will reconnect. */
  readonly onDisconnect?: (error: TeleportError) => void;
  /** Called when a resync finished, with the number of requests it delivered. */
  readonly onResync?: (requests: number) => void;
}

/** What the watcher is doing. */
export type WatcherState = "connecting" | "ready" | "stopped";

/** The watcher's state for health checks and metrics. */
export interface WatcherStatus {
  readonly state: WatcherState;
  /** When the current (or last) stream got its INIT. */
  readonly lastInitAt: Date | undefined;
  /** Reconnects since start (identity changes are not counted). */
  readonly reconnects: number;
  /** Why the last stream ended; undefined while none has. */
  readonly lastError: TeleportError | undefined;
  /** Kinds the server confirmed on the current stream. */
  readonly kinds: readonly string[];
}

const ACCESS_REQUEST = "access_request";
const ACCESS_MONITORING_RULE = "access_monitoring_rule";

/** One WatchEvents stream: resolves `ready` at INIT, `ended` when the stream ends. */
class Session {
  readonly stream: WatchStream;
  readonly ready: Promise<readonly string[]>;
  readonly ended: Promise<void>;
  #cancelled = false;

  constructor(
    stream: WatchStream,
    initTimeoutMs: number,
    timeoutError: () => TeleportError,
    deliver: (event: Event) => void,
  ) {
    this.stream = stream;
    let settleReady!: { resolve: (kinds: readonly string[]) => void; reject: (e: unknown) => void };
    this.ready = new Promise((resolve, reject) => (settleReady = { resolve, reject }));
    // `ended` is awaited only after `ready`; keep an early failure from being unhandled.
    this.ready.catch(() => {});
    let initSeen = false;
    const timer = setTimeout(() => {
      settleReady.reject(timeoutError());
      this.cancel();
    }, boundedDelay(initTimeoutMs));
    this.ended = (async () => {
      try {
        for await (const event of stream) {
          if (!initSeen) {
            // INIT = 0 is not written on the wire, so it decodes as the default.
            if (event.Type !== Operation.INIT) {
              throw new TeleportError(
                "unknown",
                `The Auth Service sent a ${
                  Operation[event.Type] ?? event.Type
                } event before INIT on a new watch stream: reconnecting.`,
              );
            }
            initSeen = true;
            clearTimeout(timer);
            const kinds = event.Resource.case === "WatchStatus"
              ? (event.Resource.value.Spec?.Kinds ?? []).map((k) => k.Kind)
              : [];
            settleReady.resolve(kinds);
            continue;
          }
          deliver(event);
        }
        if (!this.#cancelled) {
          throw new TeleportError(
            "unavailable",
            "The Auth Service ended the watch stream: reconnecting.",
          );
        }
      } catch (error) {
        settleReady.reject(error);
        if (!this.#cancelled) throw error;
      } finally {
        clearTimeout(timer);
      }
    })();
    this.ended.catch(() => {});
  }

  cancel(): void {
    this.#cancelled = true;
    this.stream.cancel();
  }
}

/** Keeps the watch stream open and delivers its events; see the module doc. */
export class Watcher {
  readonly #client: WatchClient;
  readonly #options: WatcherOptions;
  readonly #initTimeoutMs: number;
  readonly #backoff: DecorrelatedBackoff;
  #state: WatcherState = "connecting";
  #lastInitAt: Date | undefined;
  #reconnects = 0;
  #lastError: TeleportError | undefined;
  #kinds: readonly string[] = [];
  #running = false;

  /** Creates a watcher; nothing happens until {@linkcode run}. */
  constructor(client: WatchClient, options: WatcherOptions) {
    this.#client = client;
    this.#options = options;
    this.#initTimeoutMs = options.initTimeoutMs ?? 15_000;
    this.#backoff = new DecorrelatedBackoff(
      options.backoff ?? { baseMs: 20, maxMs: 5_000 },
      options.random,
    );
  }

  /** The watcher's state, for health and metrics. */
  get status(): WatcherStatus {
    return {
      state: this.#state,
      lastInitAt: this.#lastInitAt,
      reconnects: this.#reconnects,
      lastError: this.#lastError,
      kinds: this.#kinds,
    };
  }

  /**
   * Watches until `signal` aborts (then resolves) or a fatal error (then rejects with a
   * {@linkcode TeleportError} saying what to fix). Runs once per watcher.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error("Watcher.run was called twice; create another Watcher.");
    this.#running = true;
    let channelChanged = false;
    let wake: () => void = () => {};
    const unsubscribe = this.#client.onChannelChange(() => {
      channelChanged = true;
      wake();
    });
    const onAbort = () => wake();
    signal.addEventListener("abort", onAbort);
    let reason: ReadyInfo["reason"] = "start";
    try {
      while (!signal.aborted) {
        this.#state = "connecting";
        channelChanged = false;
        let session: Session | undefined;
        try {
          session = this.#open();
          let kinds = await this.#awaitReady(session, signal);
          if (kinds === undefined) return;
          for (;;) {
            this.#onInit(kinds, reason);
            await this.#resync(kinds, signal);
            // Wait for the stream to end, an identity change, or the abort.
            const woken = new Promise<void>((resolve) => (wake = resolve));
            if (!channelChanged && !signal.aborted) await Promise.race([session.ended, woken]);
            if (signal.aborted) return;
            if (!channelChanged) {
              await session.ended;
              throw new TeleportError("unavailable", "The watch stream ended: reconnecting.");
            }
            // Make before break: the old stream keeps delivering until the new one is ready.
            channelChanged = false;
            const next = this.#open();
            const nextKinds = await this.#awaitReady(next, signal).catch((error) => {
              next.cancel();
              throw error;
            });
            session.cancel();
            session = next;
            if (nextKinds === undefined) return;
            kinds = nextKinds;
            reason = "identity_change";
            log.info("Moved the watch stream to the connection with the new identity.");
          }
        } catch (error) {
          session?.cancel();
          if (signal.aborted) return;
          const failure = this.#asTeleportError(error);
          if (isFatal(failure)) {
            this.#lastError = failure;
            throw failure;
          }
          this.#disconnected(failure);
          reason = "reconnect";
          await sleep(this.#backoff.next(), signal);
        } finally {
          session?.cancel();
        }
      }
    } finally {
      this.#state = "stopped";
      signal.removeEventListener("abort", onAbort);
      unsubscribe();
    }
  }

  #open(): Session {
    const stream = this.#client.openWatch(PLUGIN_WATCH);
    const timeoutError = () =>
      new TeleportError(
        "deadline_exceeded",
        `The Auth Service at ${this.#client.address.text} did not confirm the watch (no INIT event) within ${
          this.#initTimeoutMs / 1000
        } s: reconnecting; if this repeats, check the Auth Service's health and the network path.`,
      );
    return new Session(stream, this.#initTimeoutMs, timeoutError, (event) => this.#deliver(event));
  }

  /** INIT's kinds, or undefined when aborted first. */
  async #awaitReady(session: Session, signal: AbortSignal): Promise<readonly string[] | undefined> {
    let onAbort = () => {};
    const aborted = new Promise<undefined>((resolve) => {
      onAbort = () => resolve(undefined);
      if (signal.aborted) onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
    });
    let kinds: readonly string[] | undefined;
    try {
      kinds = await Promise.race([session.ready, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    if (kinds !== undefined && !kinds.includes(ACCESS_REQUEST)) {
      throw new TeleportError(
        "permission_denied",
        `The Teleport user "${this.#client.user}" may not watch access requests (the Auth Service confirmed only ${
          kinds.join(", ") || "no kinds"
        }): give its role \`access_request: [list, read]\`.`,
      );
    }
    return kinds;
  }

  #onInit(kinds: readonly string[], reason: ReadyInfo["reason"]): void {
    this.#state = "ready";
    this.#lastInitAt = new Date();
    this.#kinds = kinds;
    this.#backoff.reset();
    log.info("Watching access requests ({reason}; kinds {kinds}).", {
      kinds: kinds.join(", "),
      reason,
    });
    this.#call(
      "onReady",
      () => this.#options.onReady?.({ kinds, reconnects: this.#reconnects, reason }),
    );
  }

  async #resync(kinds: readonly string[], signal: AbortSignal): Promise<void> {
    const plugin = this.#options.pluginName;
    if (plugin !== undefined && kinds.includes(ACCESS_MONITORING_RULE)) {
      const rules = await this.#client.listAccessMonitoringRules(plugin);
      this.#call("onRules", () => this.#options.onRules?.(rules));
    }
    let count = 0;
    for await (const request of this.#client.listPendingRequests()) {
      if (signal.aborted) return;
      count++;
      this.#call(
        "onRequestEvent",
        () => this.#options.onRequestEvent({ type: "put", request }, "resync"),
      );
    }
    log.debug("Resync delivered {count} pending request(s).", { count });
    this.#call("onResync", () => this.#options.onResync?.(count));
  }

  #deliver(event: Event): void {
    const resource = event.Resource;
    if (event.Type === Operation.PUT && resource.case === "AccessRequest") {
      const request = accessRequestOf(resource.value);
      this.#call(
        "onRequestEvent",
        () => this.#options.onRequestEvent({ type: "put", request }, "watch"),
      );
    } else if (event.Type === Operation.PUT && resource.case === "AccessMonitoringRule") {
      const rule = accessMonitoringRuleOf(resource.value);
      this.#call("onRuleEvent", () => this.#options.onRuleEvent?.({ type: "put", rule }));
    } else if (event.Type === Operation.DELETE && resource.case === "ResourceHeader") {
      const name = resource.value.Metadata?.Name ?? "";
      if (resource.value.Kind === ACCESS_REQUEST) {
        this.#call(
          "onRequestEvent",
          () => this.#options.onRequestEvent({ type: "delete", requestId: name }, "watch"),
        );
      } else if (resource.value.Kind === ACCESS_MONITORING_RULE) {
        this.#call("onRuleEvent", () => this.#options.onRuleEvent?.({ type: "delete", name }));
      }
    }
  }

  /** Runs a handler; a throwing handler is logged, never allowed to break the stream. */
  #call(name: string, handler: () => void): void {
    try {
      handler();
    } catch (error) {
      log.error("The watch handler {handler} threw: {error}", {
        handler: name,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  #disconnected(error: TeleportError): void {
    this.#reconnects++;
    this.#lastError = error;
    this.#state = "connecting";
    log.warn("Watch stream lost ({kind}): {message}", { kind: error.kind, message: error.message });
    this.#call("onDisconnect", () => this.#options.onDisconnect?.(error));
  }

  #asTeleportError(error: unknown): TeleportError {
    if (error instanceof TeleportError) return error;
    return new TeleportError(
      "unknown",
      `The watch stream failed (${
        error instanceof Error ? error.message : String(error)
      }): reconnecting.`,
      { cause: error },
    );
  }
}

/** Errors retrying cannot fix: the plugin's role or the request is wrong. */
function isFatal(error: TeleportError): boolean {
  return error.kind === "permission_denied" || error.kind === "invalid_argument";
}
