/**
 * WatchEvents for the fake Auth Service: which kinds a caller may watch (with Teleport's
 * partial-success rules and filter validation), and the fan-out of store changes to every
 * watcher. Each event is encoded once, however many watchers receive it.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import type { status } from "@grpc/grpc-js";
import type { RequestState } from "../../teleport/types.ts";
import { accessDenied, badParameter } from "./errors.ts";
import { allows, type Permissions } from "./rbac.ts";
import type { StoreEvent } from "./store.ts";
import {
  accessMonitoringRulePutBytes,
  accessRequestPutBytes,
  deleteEventBytes,
  initEventBytes,
  KIND_ACCESS_MONITORING_RULE,
  KIND_ACCESS_REQUEST,
} from "./wire.ts";

/** A requested watch kind, as decoded from `types.WatchKind`. */
export interface RequestedKind {
  readonly kind: string;
  readonly name: string;
  readonly subKind: string;
  readonly version: string;
  readonly loadSecrets: boolean;
  readonly filter: Readonly<Record<string, string>>;
}

/** A kind the server agreed to watch, with its parsed access request filter. */
export interface ConfirmedKind {
  readonly requested: RequestedKind;
  readonly accessRequestFilter: {
    readonly id?: string;
    readonly user?: string;
    readonly state?: RequestState;
  };
}

const REQUEST_STATES: readonly RequestState[] = [
  "NONE",
  "PENDING",
  "APPROVED",
  "DENIED",
  "PROMOTED",
];

function parseAccessRequestFilter(
  filter: Readonly<Record<string, string>>,
): ConfirmedKind["accessRequestFilter"] {
  const parsed: { id?: string; user?: string; state?: RequestState } = {};
  for (const [key, value] of Object.entries(filter)) {
    if (key === "id") parsed.id = value;
    else if (key === "user") parsed.user = value;
    else if (key === "state") {
      if (!REQUEST_STATES.includes(value as RequestState)) {
        throw badParameter(`unknown request state: "${value}"`);
      }
      parsed.state = value as RequestState;
    } else throw badParameter(`unknown filter key "${key}"`);
  }
  return parsed;
}

function mayWatch(caller: string, permissions: Permissions, kind: RequestedKind): boolean {
  if (allows(permissions, kind.kind, "read")) return true;
  // Teleport lets users watch their own access requests without read permission.
  return kind.kind === KIND_ACCESS_REQUEST && kind.filter.user === caller;
}

/**
 * The kinds `caller` may watch, as Teleport's `authorizeWatchRequest` decides: no kinds is a
 * global watch (denied); with partial success unauthorized kinds are dropped (and none left is
 * an error), without it the first one is denied; filters of granted kinds are then validated.
 */
export function authorizeWatch(
  caller: string,
  permissions: Permissions,
  kinds: readonly RequestedKind[],
  allowPartialSuccess: boolean,
): ConfirmedKind[] {
  if (kinds.length === 0) throw accessDenied("can't setup global watch");
  const granted: RequestedKind[] = [];
  for (const kind of kinds) {
    if (mayWatch(caller, permissions, kind)) granted.push(kind);
    else if (!allowPartialSuccess) {
      throw accessDenied(`access denied to perform action "read" on "${kind.kind}"`);
    }
  }
  if (granted.length === 0) throw badParameter("none of the requested kinds can be watched");
  return granted.map((requested) => ({
    requested,
    accessRequestFilter: requested.kind === KIND_ACCESS_REQUEST
      ? parseAccessRequestFilter(requested.filter)
      : {},
  }));
}

/** Where a watcher's events go: the gRPC stream, in the server. */
export interface WatchSink {
  /** Sends one encoded `proto.Event`. */
  write(bytes: Buffer): void;
  /** Ends the stream with a status. */
  end(code: status, message: string): void;
}

/** One open watch stream. */
export interface Watcher {
  readonly caller: string;
  readonly kinds: readonly ConfirmedKind[];
}

interface WatcherState extends Watcher {
  readonly sink: WatchSink;
  /** Events held back until INIT is released; undefined once INIT went out. */
  pending: Buffer[] | undefined;
}

function matches(kind: ConfirmedKind, event: StoreEvent): boolean {
  if (kind.requested.kind !== event.kind) return false;
  if (event.kind === KIND_ACCESS_REQUEST) {
    const name = event.op === "put" ? event.request.id : event.id;
    if (kind.requested.name !== "" && kind.requested.name !== name) return false;
    // Filters apply to PUT events only; DELETEs always pass (Teleport's WatchKind.Matches).
    if (event.op === "delete") return true;
    const f = kind.accessRequestFilter;
    return (f.id === undefined || f.id === event.request.id) &&
      (f.user === undefined || f.user === event.request.user) &&
      (f.state === undefined || f.state === event.request.state);
  }
  const name = event.op === "put" ? event.rule.name : event.name;
  return kind.requested.name === "" || kind.requested.name === name;
}

function encode(event: StoreEvent): Buffer {
  if (event.kind === KIND_ACCESS_REQUEST) {
    return event.op === "put"
      ? accessRequestPutBytes(event.request)
      : deleteEventBytes(KIND_ACCESS_REQUEST, "v3", event.id);
  }
  return event.op === "put"
    ? accessMonitoringRulePutBytes(event.rule)
    : deleteEventBytes(KIND_ACCESS_MONITORING_RULE, "v1", event.name);
}

/** Every open watch stream, and the fan-out of store events to them. */
export class WatchHub {
  readonly #watchers = new Set<WatcherState>();
  #holdInit = false;

  /** How many watch streams are open. */
  get count(): number {
    return this.#watchers.size;
  }

  /** The open watchers (caller and confirmed kinds). */
  watchers(): Watcher[] {
    return [...this.#watchers];
  }

  /**
   * Holds back INIT on streams opened from now on (to test a client's INIT timeout); their
   * events are queued. Turning it off releases INIT and the queue on every held stream.
   */
  setHoldInit(hold: boolean): void {
    this.#holdInit = hold;
    if (hold) return;
    for (const watcher of this.#watchers) {
      if (watcher.pending === undefined) continue;
      const queued = watcher.pending;
      watcher.pending = undefined;
      watcher.sink.write(initEventBytes(watcher.kinds.map(initKind)));
      for (const bytes of queued) watcher.sink.write(bytes);
    }
  }

  /** Registers a stream and sends its INIT (unless INIT is held); returns its handle. */
  add(caller: string, kinds: readonly ConfirmedKind[], sink: WatchSink): Watcher {
    const watcher: WatcherState = { caller, kinds, sink, pending: this.#holdInit ? [] : undefined };
    this.#watchers.add(watcher);
    if (!this.#holdInit) sink.write(initEventBytes(kinds.map(initKind)));
    return watcher;
  }

  /** Forgets a stream (it ended or was cancelled). */
  remove(watcher: Watcher): void {
    this.#watchers.delete(watcher as WatcherState);
  }

  /** Sends a store event to every watcher whose kinds match it. */
  publish(event: StoreEvent): void {
    let bytes: Buffer | undefined;
    for (const watcher of this.#watchers) {
      if (!watcher.kinds.some((kind) => matches(kind, event))) continue;
      bytes ??= encode(event);
      if (watcher.pending) watcher.pending.push(bytes);
      else watcher.sink.write(bytes);
    }
  }

  /** Ends every stream with a status (e.g. UNAVAILABLE, or UNKNOWN for a fan-out reset). */
  endAll(code: status, message: string): number {
    const all = [...this.#watchers];
    this.#watchers.clear();
    for (const watcher of all) watcher.sink.end(code, message);
    return all.length;
  }
}

function initKind(kind: ConfirmedKind) {
  const r = kind.requested;
  return {
    Kind: r.kind,
    Name: r.name,
    SubKind: r.subKind,
    Version: r.version,
    LoadSecrets: r.loadSecrets,
    Filter: { ...r.filter },
  };
}
