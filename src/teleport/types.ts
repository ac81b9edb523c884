/**
 * Domain types for the Teleport side. Generated protobuf types never leave `src/teleport/`:
 * the client converts them to these at its edge.
 *
 * @module
 */

/** Where the plugin's credentials are: an identity file, or the `--format=tls` triple. */
export type CredentialFiles =
  | { readonly kind: "identity_file"; readonly path: string }
  | {
    readonly kind: "tls_files";
    readonly keyPath: string;
    readonly certPath: string;
    readonly casPath: string;
  };

/** The state of an access request, named as Teleport names it. */
export type RequestState = "NONE" | "PENDING" | "APPROVED" | "DENIED" | "PROMOTED";

/** The decision a review proposes. */
export type ReviewDecision = "APPROVED" | "DENIED";

/** One review of an access request. */
export interface AccessReview {
  /** Teleport user who wrote the review. */
  readonly author: string;
  /** What the reviewer proposed. */
  readonly decision: ReviewDecision;
  /** Free text the reviewer gave; may be empty. */
  readonly reason: string;
  /** When the review was made; undefined when Teleport sent the zero time. */
  readonly created: Date | undefined;
}

/** A resource named in a resource (search-based) access request. */
export interface RequestedResource {
  readonly clusterName: string;
  readonly kind: string;
  readonly name: string;
  readonly subResourceName: string;
}

/** An access request as the service sees it. */
export interface AccessRequest {
  /** The request ID (`Metadata.Name`). */
  readonly id: string;
  /** The requesting Teleport user. */
  readonly user: string;
  /** Roles asked for. */
  readonly roles: readonly string[];
  readonly state: RequestState;
  /** When the request was made; undefined when Teleport sent the zero time. */
  readonly created: Date | undefined;
  /** When the access, once granted, would expire. */
  readonly accessExpires: Date | undefined;
  /** When the request resource itself expires (Teleport then deletes it). */
  readonly requestExpires: Date | undefined;
  /** The latest time the access may last until, if the requester asked for a longer one. */
  readonly maxDuration: Date | undefined;
  readonly requestReason: string;
  /** Reason given with the resolving review or state change. */
  readonly resolveReason: string;
  /** Annotations from the requester's roles (`request.annotations`), e.g. `pagerduty_services`. */
  readonly systemAnnotations: Readonly<Record<string, readonly string[]>>;
  readonly reviews: readonly AccessReview[];
  readonly suggestedReviewers: readonly string[];
  readonly requestedResources: readonly RequestedResource[];
  /** Title of the access list the request was promoted to, when PROMOTED. */
  readonly promotedAccessListTitle: string;
}

/** The resource kinds the plugin watches (the Go access plugins' Watch request). */
export const WATCHED_KINDS = ["access_request", "access_monitoring_rule"] as const;

/** A resource kind the plugin watches. */
export type WatchedKind = (typeof WATCHED_KINDS)[number];

/** What a watch event does to its resource. */
export const EVENT_TYPES = ["put", "delete"] as const;

/** A change to an access request seen on the watch stream or found by a resync. */
export type AccessRequestEvent =
  | { readonly type: "put"; readonly request: AccessRequest }
  | { readonly type: "delete"; readonly requestId: string };

/** An Access Monitoring Rule's routing part, as the plugin uses it. */
export interface AccessMonitoringRule {
  readonly name: string;
  /** Resource kinds the rule applies to, e.g. `access_request`. */
  readonly subjects: readonly string[];
  /** Request states the rule applies to; empty means any. */
  readonly states: readonly string[];
  /** Predicate over the request, in Teleport's expression language. */
  readonly condition: string;
  /** Plugin the rule notifies, e.g. `pagerduty`. */
  readonly notificationName: string;
  /** Who to notify: for this plugin, PagerDuty service names. */
  readonly recipients: readonly string[];
}

/** A change to the set of Access Monitoring Rules. */
export type AccessMonitoringRuleEvent =
  | { readonly type: "put"; readonly rule: AccessMonitoringRule }
  | { readonly type: "delete"; readonly name: string };

/** What Ping tells about the cluster. */
export interface ClusterInfo {
  readonly clusterName: string;
  readonly serverVersion: string;
  /** Proxy public address (`host[:port]`), empty when the cluster does not publish one. */
  readonly proxyPublicAddr: string;
  /** Whether the cluster has advanced access workflows (the Web UI request page). */
  readonly advancedAccessWorkflows: boolean;
}

/** A Teleport user, reduced to what the plugin reads. */
export interface TeleportUser {
  readonly name: string;
  readonly roles: readonly string[];
  readonly traits: Readonly<Record<string, readonly string[]>>;
}

/** A plugin's key/value state on one access request (`PluginDataEntry.Data`). */
export type PluginDataMap = Readonly<Record<string, string>>;

/** A plugin's data on one access request, as listed. */
export interface PluginDataRecord {
  readonly requestId: string;
  readonly data: PluginDataMap;
}

/** A review the plugin submits as its own user. */
export interface ReviewSubmission {
  /** The plugin's Teleport user; empty lets the server use the caller's identity. */
  readonly author: string;
  readonly decision: ReviewDecision;
  readonly reason: string;
}

/** What a lock disables: here, every certificate issued from one access request. */
export interface LockTarget {
  /** The access request ID (`LockTarget.AccessRequest`); "" when the lock targets something else. */
  readonly accessRequest: string;
}

/** A lock to write: certificates matching its target stop working while it is in force. */
export interface NewLock {
  /** The lock's name; writing the same name again replaces the lock. */
  readonly name: string;
  /** Shown to the locked-out user; one sentence saying why. */
  readonly message: string;
  /** When the lock stops being in force (and is removed); undefined keeps it forever. */
  readonly expires: Date | undefined;
  readonly target: LockTarget;
}

/** A lock as the Auth Service holds it. */
export interface Lock extends NewLock {
  /** When it was created; undefined when Teleport sent the zero time. */
  readonly createdAt: Date | undefined;
  /** The Teleport user who wrote it (set by the Auth Service). */
  readonly createdBy: string;
}

/** Which locks {@linkcode AuthClient.getLocks} lists. */
export interface LockQuery {
  /** Only locks on these access requests; empty or absent lists every lock. */
  readonly accessRequests?: readonly string[];
  /** Leave out locks whose `expires` has passed. */
  readonly inForceOnly?: boolean;
}

/** Kinds of failure the Auth Service reports, from its gRPC status codes. */
export type TeleportErrorKind =
  | "permission_denied"
  | "not_found"
  | "already_exists"
  | "compare_failed"
  | "invalid_argument"
  | "unavailable"
  | "unimplemented"
  | "limit_exceeded"
  | "deadline_exceeded"
  | "cancelled"
  | "unknown";

/** The Auth Service operations the request lifecycle needs. */
export interface AuthClient {
  /** Cluster name, version and proxy address; needs no RBAC permission. */
  ping(): Promise<ClusterInfo>;
  /** Every PENDING access request, paging through the listing. */
  listPendingRequests(): AsyncIterable<AccessRequest>;
  /** Every access request in any state (decided ones stay until they expire). */
  listAccessRequests(): AsyncIterable<AccessRequest>;
  /** One access request by ID, or undefined when it does not exist (any more). */
  getAccessRequest(id: string): Promise<AccessRequest | undefined>;
  /** The plugin's data on a request; undefined when it has none. */
  getPluginData(requestId: string, plugin: string): Promise<PluginDataMap | undefined>;
  /**
   * The plugin's data on every access request that has some, including requests already
   * deleted (Teleport keeps plugin data until an hour after the request's access expiry).
   */
  listPluginData(plugin: string): Promise<PluginDataRecord[]>;
  /**
   * Compare-and-swap on the plugin's data: every key in `expect` must hold that value (a missing
   * key counts as ""), then every key in `set` is written ("" deletes it). A mismatch throws a
   * {@linkcode TeleportError} of kind `compare_failed`.
   */
  updatePluginData(
    requestId: string,
    plugin: string,
    set: PluginDataMap,
    expect: PluginDataMap,
  ): Promise<void>;
  /** Submits a review; returns the request as it is after the review. */
  submitReview(requestId: string, review: ReviewSubmission): Promise<AccessRequest>;
  /** A user with roles and traits. */
  getUser(name: string): Promise<TeleportUser>;
  /** Access Monitoring Rules that notify `plugin` about access requests. */
  listAccessMonitoringRules(plugin: string): Promise<AccessMonitoringRule[]>;
  /** Creates or replaces the lock with this name (needs `lock: [create, update]`). */
  upsertLock(lock: NewLock): Promise<void>;
  /** The lock with this name, or undefined when there is none (needs `lock: [read]`). */
  getLock(name: string): Promise<Lock | undefined>;
  /** The locks matching the query (needs `lock: [list, read]`). */
  getLocks(query: LockQuery): Promise<Lock[]>;
}

/** An error from the Auth Service or the connection to it, with Teleport's message. */
export class TeleportError extends Error {
  /** What kind of failure this is. */
  readonly kind: TeleportErrorKind;
  /** The gRPC status code, when the error came from a call. */
  readonly grpcCode: number | undefined;

  /** Creates an error of a kind, with an operator-readable message. */
  constructor(
    kind: TeleportErrorKind,
    message: string,
    options?: { grpcCode?: number; cause?: unknown },
  ) {
    super(message, { cause: options?.cause });
    this.name = "TeleportError";
    this.kind = kind;
    this.grpcCode = options?.grpcCode;
  }
}
