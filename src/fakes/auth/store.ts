/**
 * The fake Auth Service's in-memory state and its state machine: users, access requests with
 * reviews and thresholds, plugin data with compare-and-swap, and access monitoring rules.
 * Every change is announced as a {@linkcode StoreEvent}, which the watch fan-out turns into
 * PUT/DELETE events. RBAC is not checked here (the RPC layer does it), so tests and the demo
 * can drive the state directly as a human or an admin would.
 *
 * @module
 */

import type {
  AccessMonitoringRule,
  AccessRequest,
  RequestedResource,
  RequestState,
  TeleportUser,
} from "../../teleport/types.ts";
import {
  accessDenied,
  alreadyExists,
  badParameter,
  compareFailed,
  notFound,
  notImplemented,
} from "./errors.ts";
import { newUuidV7 } from "./ids.ts";
import { LockStore } from "./locks.ts";
import type { Permissions } from "./rbac.ts";
import {
  DEFAULT_THRESHOLD,
  defaultRoleThresholdMapping,
  matchingThresholds,
  resolveByReviews,
  type Threshold,
} from "./thresholds.ts";

/** Where the store reads the time; tests may pass a controllable one. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A user known to the fake, with the roles and traits `GetUser` returns and the RBAC grant. */
export interface FakeUser {
  readonly name: string;
  readonly roles: readonly string[];
  readonly traits: Readonly<Record<string, readonly string[]>>;
  readonly permissions: Permissions;
}

/** One review as stored on a request. */
export interface StoredReview {
  readonly author: string;
  readonly roles: readonly string[];
  readonly decision: "APPROVED" | "DENIED";
  readonly reason: string;
  /** Milliseconds since the epoch. */
  readonly created: number;
  readonly thresholdIndexes: readonly number[];
}

/** An access request as stored. Times are milliseconds since the epoch. */
export interface StoredRequest {
  readonly id: string;
  readonly user: string;
  readonly roles: readonly string[];
  state: RequestState;
  readonly created: number;
  /** `Spec.Expires`: when granted access would end. */
  readonly accessExpires: number;
  /** `Metadata.Expires`: when the request resource is deleted. */
  resourceExpires: number;
  /** `Spec.MaxDuration`, if the requester asked for one. */
  readonly maxDuration: number | undefined;
  readonly requestReason: string;
  resolveReason: string;
  readonly systemAnnotations: Readonly<Record<string, readonly string[]>>;
  readonly thresholds: readonly Threshold[];
  readonly roleThresholdMapping: Readonly<Record<string, readonly (readonly number[])[]>>;
  readonly reviews: StoredReview[];
  readonly suggestedReviewers: readonly string[];
  readonly resources: readonly RequestedResource[];
  readonly loginHint: string;
  /** Bumped on every change, sent as `Metadata.Revision`. */
  revision: number;
}

/** A threshold as a test gives it; name and filter are optional. */
export interface ThresholdInput {
  readonly name?: string;
  readonly approve: number;
  readonly deny: number;
  /** Only "" is supported: the fake does not evaluate Teleport's predicate language. */
  readonly filter?: string;
}

/** What a test or the demo gives to create an access request. */
export interface NewAccessRequest {
  /** The requesting user. */
  readonly user: string;
  /** Roles requested; defaults to `["editor"]`. */
  readonly roles?: readonly string[];
  readonly reason?: string;
  /** E.g. `{ pagerduty_services: ["Teleport Access"] }`. */
  readonly systemAnnotations?: Readonly<Record<string, readonly string[]>>;
  /** Defaults to Teleport's `[{ approve: 1, deny: 1 }]`; `[]` makes a request that cannot be reviewed. */
  readonly thresholds?: readonly ThresholdInput[];
  /** Role → sets of threshold indexes; defaults to one set with every threshold per role. */
  readonly roleThresholdMapping?: Readonly<Record<string, readonly (readonly number[])[]>>;
  readonly suggestedReviewers?: readonly string[];
  /** Resources of a resource (search-based) request. */
  readonly resources?: readonly RequestedResource[];
  /** How long the request (and granted access) lasts; defaults to one hour. */
  readonly ttlMs?: number;
  /** Asked-for maximum access duration, from creation. */
  readonly maxDurationMs?: number;
  readonly loginHint?: string;
}

/** A review applied to a request. */
export interface ReviewInput {
  readonly author: string;
  /** Only APPROVED and DENIED are accepted, as in Teleport. */
  readonly decision: RequestState;
  readonly reason?: string;
  /** Role subselection; must be empty or name every requested role. */
  readonly roles?: readonly string[];
  /** Must be empty: Teleport does not support review annotations yet. */
  readonly annotations?: Readonly<Record<string, readonly string[]>>;
  /** When the review was made; defaults to now. */
  readonly created?: number;
}

/** An access monitoring rule as stored: the domain rule plus the automatic review part. */
export interface StoredRule extends AccessMonitoringRule {
  /** Teleport's built-in automatic review, if the rule has one. */
  readonly automaticReview?: { readonly integration: string; readonly decision: string };
  readonly desiredState?: string;
}

/** One resource's plugin data: every plugin's key/value entry. */
export interface PluginDataRecord {
  /** The access request ID the data belongs to. */
  readonly resource: string;
  /** Plugin name → its data. */
  readonly entries: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** When the record disappears (access expiry plus one hour), milliseconds since the epoch. */
  readonly expires: number;
}

/** A change in the store. */
export type StoreEvent =
  | { readonly kind: "access_request"; readonly op: "put"; readonly request: StoredRequest }
  | { readonly kind: "access_request"; readonly op: "delete"; readonly id: string }
  | { readonly kind: "access_monitoring_rule"; readonly op: "put"; readonly rule: StoredRule }
  | { readonly kind: "access_monitoring_rule"; readonly op: "delete"; readonly name: string };

/**
 * A successful plugin data write. Kept apart from {@linkcode StoreEvent}: Teleport does not
 * announce plugin data on the watch, only observers (the embedded demo's timeline) want it.
 */
export interface PluginDataChange {
  /** The access request ID the data belongs to. */
  readonly resource: string;
  readonly plugin: string;
  /** The keys the write set; "" means the key was deleted. */
  readonly set: Readonly<Record<string, string>>;
  /** The plugin's whole entry after the write. */
  readonly data: Readonly<Record<string, string>>;
}

/** The kinds of resource plugin data may be attached to in the fake. */
export const PLUGIN_DATA_KIND = "access_request";

const HOUR_MS = 3_600_000;

interface MutablePluginData {
  readonly entries: Map<string, Map<string, string>>;
  readonly expires: number;
}

/** A read-only domain view of a stored request, as the plugin would decode it. */
export function accessRequestView(request: StoredRequest): AccessRequest {
  return {
    id: request.id,
    user: request.user,
    roles: [...request.roles],
    state: request.state,
    created: new Date(request.created),
    accessExpires: new Date(request.accessExpires),
    requestExpires: new Date(request.resourceExpires),
    maxDuration: request.maxDuration === undefined ? undefined : new Date(request.maxDuration),
    requestReason: request.requestReason,
    resolveReason: request.resolveReason,
    systemAnnotations: copyLists(request.systemAnnotations),
    reviews: request.reviews.map((r) => ({
      author: r.author,
      decision: r.decision,
      reason: r.reason,
      created: new Date(r.created),
    })),
    suggestedReviewers: [...request.suggestedReviewers],
    requestedResources: request.resources.map((r) => ({ ...r })),
    promotedAccessListTitle: "",
  };
}

/** A domain view of a user. */
export function userView(user: FakeUser): TeleportUser {
  return { name: user.name, roles: [...user.roles], traits: copyLists(user.traits) };
}

/** Copies a map of lists (cheaper than structuredClone, which dominated request creation). */
function copyLists<T>(value: Readonly<Record<string, readonly T[]>>): Record<string, T[]> {
  const out: Record<string, T[]> = {};
  for (const key in value) out[key] = [...value[key]];
  return out;
}

function isResolved(state: RequestState): boolean {
  return state === "APPROVED" || state === "DENIED" || state === "PROMOTED";
}

function checkThresholds(input: readonly ThresholdInput[]): Threshold[] {
  return input.map((t, i) => {
    if ((t.filter ?? "") !== "") {
      throw new RangeError(
        `thresholds[${i}].filter is not supported by the fake Auth server; leave it empty.`,
      );
    }
    return { name: t.name ?? `threshold-${i}`, filter: "", approve: t.approve, deny: t.deny };
  });
}

/** In-memory Auth Service state. */
export class AuthStore {
  readonly #clock: Clock;
  readonly #users = new Map<string, FakeUser>();
  // Insertion order is creation order, which is also ID order (UUIDv7).
  readonly #requests = new Map<string, StoredRequest>();
  readonly #pluginData = new Map<string, MutablePluginData>();
  readonly #rules = new Map<string, StoredRule>();
  readonly #listeners = new Set<(event: StoreEvent) => void>();
  readonly #pluginDataListeners = new Set<(change: PluginDataChange) => void>();
  /** The cluster's locks. */
  readonly locks: LockStore;

  /** Creates an empty store reading time from `clock`. */
  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
    this.locks = new LockStore(() => clock.now());
  }

  /** The store's clock. */
  get clock(): Clock {
    return this.#clock;
  }

  /** Calls `listener` on every change; returns a function that stops it. */
  onEvent(listener: (event: StoreEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls `listener` after every successful plugin data write; returns a function that stops it. */
  onPluginDataChange(listener: (change: PluginDataChange) => void): () => void {
    this.#pluginDataListeners.add(listener);
    return () => this.#pluginDataListeners.delete(listener);
  }

  #emit(event: StoreEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  /** Adds or replaces a user. */
  putUser(user: FakeUser): void {
    this.#users.set(user.name, user);
  }

  /** A user by name. */
  user(name: string): FakeUser | undefined {
    return this.#users.get(name);
  }

  /** Creates a PENDING request and announces it. */
  createRequest(input: NewAccessRequest): StoredRequest {
    const now = this.#clock.now();
    const roles = [...(input.roles ?? ["editor"])];
    if (roles.length === 0) {
      throw new RangeError('roles must name at least one role; omit it to request ["editor"].');
    }
    const thresholds = checkThresholds(input.thresholds ?? [DEFAULT_THRESHOLD]);
    const expires = now + (input.ttlMs ?? HOUR_MS);
    const request: StoredRequest = {
      id: newUuidV7(now),
      user: input.user,
      roles,
      state: "PENDING",
      created: now,
      accessExpires: expires,
      resourceExpires: expires,
      maxDuration: input.maxDurationMs === undefined ? undefined : now + input.maxDurationMs,
      requestReason: input.reason ?? "",
      resolveReason: "",
      systemAnnotations: copyLists(input.systemAnnotations ?? {}),
      thresholds,
      roleThresholdMapping: input.roleThresholdMapping
        ? copyLists(input.roleThresholdMapping)
        : defaultRoleThresholdMapping(roles, thresholds),
      reviews: [],
      suggestedReviewers: [...(input.suggestedReviewers ?? [])],
      resources: (input.resources ?? []).map((r) => ({ ...r })),
      loginHint: input.loginHint ?? "",
      revision: 1,
    };
    this.#requests.set(request.id, request);
    this.#emit({ kind: "access_request", op: "put", request });
    return request;
  }

  /** A request by ID. */
  request(id: string): StoredRequest | undefined {
    return this.#requests.get(id);
  }

  /** Every request, in ID (creation) order. */
  requests(): IterableIterator<StoredRequest> {
    return this.#requests.values();
  }

  /** How many requests exist. */
  get requestCount(): number {
    return this.#requests.size;
  }

  /**
   * Applies a review with Teleport's state checks (not RBAC): not found, invalid proposal, no
   * thresholds, duplicate author, role subselection, annotations, already resolved. Resolves
   * the request when thresholds are met and announces the new state.
   */
  applyReview(id: string, review: ReviewInput): StoredRequest {
    const request = this.#requests.get(id);
    if (!request) throw notFound(`cannot apply review to access request "${id}" (not found)`);
    if (review.decision !== "APPROVED" && review.decision !== "DENIED") {
      throw badParameter(`invalid state proposal: ${review.decision}`);
    }
    if (request.thresholds.length === 0) {
      throw badParameter("request is uninitialized or does not support reviews");
    }
    if (request.reviews.some((r) => r.author === review.author)) {
      throw alreadyExists(`user "${review.author}" has already reviewed this request`);
    }
    const roles = review.roles ?? [];
    if (roles.length > 0 && roles.length !== request.roles.length) {
      throw notImplemented("role subselection is not yet supported in reviews, update your client");
    }
    if (Object.keys(review.annotations ?? {}).length > 0) {
      throw notImplemented("annotations are not yet supported in reviews, update your client");
    }
    if (isResolved(request.state)) {
      throw accessDenied(
        `the access request has been already ${request.state.toLowerCase()}`,
      );
    }
    const reason = review.reason ?? "";
    request.reviews.push({
      author: review.author,
      roles: [...roles],
      decision: review.decision,
      reason,
      created: review.created ?? this.#clock.now(),
      thresholdIndexes: matchingThresholds(request.thresholds),
    });
    const next = resolveByReviews(
      request.roles,
      request.thresholds,
      request.roleThresholdMapping,
      request.reviews,
    );
    if (next !== "PENDING") this.#resolve(request, next, reason);
    request.revision++;
    this.#emit({ kind: "access_request", op: "put", request });
    return request;
  }

  #resolve(request: StoredRequest, state: "APPROVED" | "DENIED", reason: string): void {
    request.state = state;
    request.resolveReason = reason;
    // Teleport shortens the resource's life to the access expiry once resolved.
    request.resourceExpires = Math.min(request.resourceExpires, request.accessExpires);
  }

  /** Sets the state directly (admin-style approve/deny) and announces it. */
  setState(id: string, state: RequestState, reason = ""): StoredRequest {
    const request = this.#requests.get(id);
    if (!request) throw notFound(`access request "${id}" is not found`);
    if (state === "PROMOTED") {
      throw badParameter("state promoted can be only set when promoting to access list");
    }
    if (state !== "APPROVED" && state !== "DENIED") {
      throw badParameter(`invalid state: ${state}; only APPROVED or DENIED may be set`);
    }
    if (isResolved(request.state)) {
      throw accessDenied(`the access request has been already ${request.state.toLowerCase()}`);
    }
    this.#resolve(request, state, reason);
    request.revision++;
    this.#emit({ kind: "access_request", op: "put", request });
    return request;
  }

  /** Deletes a request (explicitly or on expiry) and announces it; its plugin data stays. */
  deleteRequest(id: string): boolean {
    if (!this.#requests.delete(id)) return false;
    this.#emit({ kind: "access_request", op: "delete", id });
    return true;
  }

  /** Deletes every request (and lock) whose expiry has passed; returns how many requests. */
  expireDue(): number {
    this.locks.expireDue();
    const now = this.#clock.now();
    const due: string[] = [];
    for (const request of this.#requests.values()) {
      if (request.resourceExpires <= now) due.push(request.id);
    }
    for (const id of due) this.deleteRequest(id);
    for (const [id, data] of this.#pluginData) {
      if (data.expires <= now) this.#pluginData.delete(id);
    }
    return due.length;
  }

  #livePluginData(resource: string): MutablePluginData | undefined {
    const data = this.#pluginData.get(resource);
    if (data && data.expires <= this.#clock.now()) {
      this.#pluginData.delete(resource);
      return undefined;
    }
    return data;
  }

  /**
   * Plugin data of one resource: 0 or 1 records. With `plugin`, a record is returned only when
   * that plugin has an entry, and holds only that entry.
   */
  pluginData(resource: string, plugin = ""): PluginDataRecord[] {
    const data = this.#livePluginData(resource);
    if (!data) return [];
    if (plugin === "") return [{ resource, entries: data.entries, expires: data.expires }];
    const entry = data.entries.get(plugin);
    if (!entry) return [];
    return [{ resource, entries: new Map([[plugin, entry]]), expires: data.expires }];
  }

  /** Every resource with plugin data, for listings without a resource. */
  pluginDataResources(): string[] {
    return [...this.#pluginData.keys()].filter((r) => this.#livePluginData(r) !== undefined);
  }

  /**
   * Compare-and-swap on one plugin's data, as Teleport's `UpdatePluginData`: every expected key
   * must hold its value (missing = ""), then set keys are written and "" deletes; an empty
   * entry is removed. The first write for a resource requires the request to exist.
   */
  updatePluginData(
    resource: string,
    plugin: string,
    set: Readonly<Record<string, string>>,
    expect: Readonly<Record<string, string>>,
  ): void {
    let data = this.#livePluginData(resource);
    if (!data) {
      const request = this.#requests.get(resource);
      if (!request) throw notFound(`no access request matching "${resource}"`);
      data = { entries: new Map(), expires: request.accessExpires + HOUR_MS };
    }
    const current = data.entries.get(plugin);
    for (const [key, value] of Object.entries(expect)) {
      if ((current?.get(key) ?? "") !== value) {
        throw compareFailed(`expectations not met for field "${key}"`);
      }
    }
    const next = new Map(current ?? []);
    for (const [key, value] of Object.entries(set)) {
      if (value === "") next.delete(key);
      else next.set(key, value);
    }
    if (next.size === 0) data.entries.delete(plugin);
    else data.entries.set(plugin, next);
    this.#pluginData.set(resource, data);
    const change = { resource, plugin, set: { ...set }, data: Object.fromEntries(next) };
    for (const listener of this.#pluginDataListeners) listener(change);
  }

  /** Adds or replaces an access monitoring rule and announces it. */
  putRule(rule: StoredRule): void {
    const stored = structuredClone(rule);
    this.#rules.set(rule.name, stored);
    this.#emit({ kind: "access_monitoring_rule", op: "put", rule: stored });
  }

  /** Deletes an access monitoring rule and announces it. */
  deleteRule(name: string): boolean {
    if (!this.#rules.delete(name)) return false;
    this.#emit({ kind: "access_monitoring_rule", op: "delete", name });
    return true;
  }

  /** Every access monitoring rule, sorted by name. */
  rules(): StoredRule[] {
    return [...this.#rules.values()].sort((
      a,
      b,
    ) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
