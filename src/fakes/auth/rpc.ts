/**
 * The fake Auth Service's RPC logic, transport aside: each method takes the caller (the client
 * certificate's CN) and the decoded request, applies Teleport's RBAC and validation in
 * Teleport's order, and returns the response message or throws an {@linkcode AuthError}.
 *
 * @module
 */

import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";
import type {
  ListAccessMonitoringRulesWithFilterRequest,
  ListAccessMonitoringRulesWithFilterResponseSchema,
} from "../../teleport/gen/teleport/accessmonitoringrules/v1/access_monitoring_rules_pb.ts";
import {
  AccessRequestSort,
  type GetLocksRequest,
  type GetLocksResponseSchema,
  type ListAccessRequestsRequest,
  type PingResponseSchema,
  type PluginDataSeqSchema,
  type RequestStateSetter,
  type Watch,
} from "../../teleport/gen/teleport/legacy/client/proto/authservice_pb.ts";
import {
  type AccessRequestFilter,
  AccessRequestScope,
  type AccessRequestV3Schema,
  type AccessReviewSubmission,
  type LockTarget,
  type LockV2,
  type LockV2Schema,
  type PluginDataFilter,
  type PluginDataUpdateParams,
  RequestState,
  type UserV2Schema,
} from "../../teleport/gen/teleport/legacy/types/types_pb.ts";
import type { RequestState as DomainRequestState } from "../../teleport/types.ts";
import { accessDenied, AuthError, badParameter, notFound, notImplemented } from "./errors.ts";
import {
  cannotSubmitReviews,
  mayReview,
  mayReviewRoles,
  missingVerb,
  type Permissions,
  requireAny,
} from "./rbac.ts";
import { type AuthStore, PLUGIN_DATA_KIND, type StoredRequest } from "./store.ts";
import { lockTarget, type StoredLockTarget } from "./locks.ts";
import { authorizeWatch, type ConfirmedKind } from "./watch.ts";
import {
  accessMonitoringRuleMessage,
  accessRequestMessage,
  GO_ZERO_TIME_SECONDS,
  KIND_ACCESS_MONITORING_RULE,
  KIND_ACCESS_REQUEST,
  lockMessage,
  pluginDataMessage,
  stateFromProto,
  userMessage,
} from "./wire.ts";
import { status } from "@grpc/grpc-js";

/** Who is calling. */
export interface CallContext {
  /** The client certificate's CN: the Teleport user. */
  readonly caller: string;
  /** That user's grant (none for users the fake does not know). */
  readonly permissions: Permissions;
  /** The peer address, echoed by Ping as `RemoteAddr`. */
  readonly peer: string;
}

/** Cluster facts Ping reports. */
export interface ClusterFacts {
  readonly clusterName: string;
  readonly serverVersion: string;
  readonly proxyPublicAddr: string;
  readonly advancedAccessWorkflows: boolean;
}

/** One page of a ListAccessRequests answer, encoded by the server. */
export interface AccessRequestPage {
  readonly page: StoredRequest[];
  /** ID of the first request of the next page; "" at the end. */
  readonly nextKey: string;
}

/** Largest page a listing returns, and the size used when the client asks for 0. */
export const MAX_PAGE_SIZE = 1000;

type RequestMatcher = (request: StoredRequest) => boolean;

function requestMatcher(filter: AccessRequestFilter | undefined, caller: string): RequestMatcher {
  if (!filter) return () => true;
  if (filter.SearchKeywords.length > 0) {
    throw notImplemented(
      "the fake Auth server does not support SearchKeywords in access request filters",
    );
  }
  if (
    filter.Scope !== AccessRequestScope.DEFAULT && filter.Scope !== AccessRequestScope.MY_REQUESTS
  ) {
    throw notImplemented(
      `the fake Auth server does not support access request scope ${
        AccessRequestScope[filter.Scope]
      }`,
    );
  }
  const state = filter.State === RequestState.NONE ? undefined : stateFromProto(filter.State);
  const own = filter.Scope === AccessRequestScope.MY_REQUESTS;
  return (r) =>
    (filter.ID === "" || r.id === filter.ID) &&
    (filter.User === "" || r.user === filter.User) &&
    (state === undefined || r.state === state) &&
    (!own || r.user === caller);
}

function requireListRequests(ctx: CallContext, filter: AccessRequestFilter | undefined): void {
  const denied = missingVerb(ctx.permissions, KIND_ACCESS_REQUEST, ["list", "read"]);
  // Users may always list their own requests.
  const ownOnly = filter !== undefined &&
    (filter.User === ctx.caller || filter.Scope === AccessRequestScope.MY_REQUESTS);
  if (denied && !ownOnly) throw denied;
}

/** Kind of lock resources, as RBAC rules name it. */
const KIND_LOCK = "lock";

function storedTarget(target: LockTarget | undefined): StoredLockTarget {
  return lockTarget({
    user: target?.User,
    role: target?.Role,
    login: target?.Login,
    mfaDevice: target?.MFADevice,
    windowsDesktop: target?.WindowsDesktop,
    accessRequest: target?.AccessRequest,
    device: target?.Device,
    serverId: target?.ServerID,
  });
}

/** A timestamp in milliseconds; absent and Go-zero ones are unset. */
function timeOf(timestamp: Timestamp | undefined): number | undefined {
  return timestamp === undefined || timestamp.seconds === GO_ZERO_TIME_SECONDS
    ? undefined
    : timestampMs(timestamp);
}

function checkPluginDataKind(kind: string): void {
  if (kind !== PLUGIN_DATA_KIND) {
    throw badParameter(
      `unsupported resource kind "${kind}"; plugin data is kept for "access_request"`,
    );
  }
}

/** The RPCs of the fake Auth Service. */
export class AuthRpc {
  readonly #store: AuthStore;
  readonly #facts: ClusterFacts;

  /** Serves RPCs over `store`, reporting `facts` in Ping. */
  constructor(store: AuthStore, facts: ClusterFacts) {
    this.#store = store;
    this.#facts = facts;
  }

  /** The context of a call from `caller`. */
  context(caller: string, peer: string): CallContext {
    return { caller, peer, permissions: this.#store.user(caller)?.permissions ?? {} };
  }

  /** `Ping`: needs no permission. */
  ping(ctx: CallContext): MessageInitShape<typeof PingResponseSchema> {
    return {
      ClusterName: this.#facts.clusterName,
      ServerVersion: this.#facts.serverVersion,
      ServerFeatures: { AdvancedAccessWorkflows: this.#facts.advancedAccessWorkflows },
      ProxyPublicAddr: this.#facts.proxyPublicAddr,
      RemoteAddr: ctx.peer,
    };
  }

  /** `WatchEvents`: the kinds the caller may watch (see {@linkcode authorizeWatch}). */
  watch(ctx: CallContext, watch: Watch): ConfirmedKind[] {
    return authorizeWatch(
      ctx.caller,
      ctx.permissions,
      watch.Kinds.map((k) => ({
        kind: k.Kind,
        name: k.Name,
        subKind: k.SubKind,
        version: k.Version,
        loadSecrets: k.LoadSecrets,
        filter: { ...k.Filter },
      })),
      watch.AllowPartialSuccess,
    );
  }

  /** `GetUser` (both services): needs `read` on `user`, except for the caller's own user. */
  getUser(
    ctx: CallContext,
    name: string,
    currentUser: boolean,
  ): MessageInitShape<typeof UserV2Schema> {
    const wanted = currentUser ? ctx.caller : name;
    if (wanted === "") throw badParameter("missing username");
    if (wanted !== ctx.caller) {
      const denied = missingVerb(ctx.permissions, "user", ["read"]);
      if (denied) throw denied;
    }
    const user = this.#store.user(wanted);
    if (!user) throw notFound(`user "${wanted}" is not found`);
    return userMessage(user);
  }

  /** `GetAccessRequestsV2`: every request matching the filter. */
  accessRequests(ctx: CallContext, filter: AccessRequestFilter): StoredRequest[] {
    requireListRequests(ctx, filter);
    const match = requestMatcher(filter, ctx.caller);
    return [...this.#store.requests()].filter(match);
  }

  /**
   * `ListAccessRequests`: one page in ID (creation) order; `StartKey` is the first ID of the
   * page and `NextKey` the first ID of the next one ("" at the end).
   */
  listAccessRequests(ctx: CallContext, req: ListAccessRequestsRequest): AccessRequestPage {
    requireListRequests(ctx, req.Filter);
    if (req.Sort !== AccessRequestSort.DEFAULT && req.Sort !== AccessRequestSort.CREATED) {
      throw notImplemented(
        `the fake Auth server sorts access requests only by creation, not ${
          AccessRequestSort[req.Sort]
        }`,
      );
    }
    if (req.Limit < 0) throw badParameter("limit must not be negative");
    const limit = req.Limit === 0 ? MAX_PAGE_SIZE : Math.min(req.Limit, MAX_PAGE_SIZE);
    const match = requestMatcher(req.Filter, ctx.caller);
    const all = [...this.#store.requests()];
    if (req.Descending) all.reverse();
    const started = (id: string) =>
      req.StartKey === "" || (req.Descending ? id <= req.StartKey : id >= req.StartKey);
    const page: StoredRequest[] = [];
    let nextKey = "";
    for (const request of all) {
      if (!started(request.id) || !match(request)) continue;
      if (page.length === limit) {
        nextKey = request.id;
        break;
      }
      page.push(request);
    }
    return { page, nextKey };
  }

  /**
   * `SubmitAccessReview`, with Teleport's checks in Teleport's order: promoted proposal, author
   * on behalf of someone else, no review rights, not found, may not review this request, then
   * the state checks of {@linkcode AuthStore.applyReview}.
   */
  submitAccessReview(
    ctx: CallContext,
    submission: AccessReviewSubmission,
  ): MessageInitShape<typeof AccessRequestV3Schema> {
    const review = submission.Review;
    const proposed = review?.ProposedState ?? RequestState.NONE;
    if (proposed === RequestState.PROMOTED) {
      throw badParameter("state promoted can be only set when promoting to access list");
    }
    const author = review?.Author || ctx.caller;
    if (author !== ctx.caller && ctx.permissions.admin !== true) {
      throw accessDenied(`user "${ctx.caller}" cannot submit reviews on behalf of "${author}"`);
    }
    if (!mayReview(ctx.permissions)) throw cannotSubmitReviews(ctx.caller);
    const id = submission.RequestID;
    const request = this.#store.request(id);
    if (!request) throw notFound(`cannot apply review to access request "${id}" (not found)`);
    if (
      ctx.permissions.admin !== true &&
      (request.user === author || !mayReviewRoles(ctx.permissions, request.roles))
    ) {
      throw accessDenied(`user "${author}" cannot review request "${id}"`);
    }
    const created = review?.Created && review.Created.seconds !== GO_ZERO_TIME_SECONDS
      ? timestampMs(review.Created)
      : undefined;
    const annotations = Object.fromEntries(
      Object.entries(review?.Annotations?.Values ?? {}).map(([k, v]) => [k, v.Values]),
    );
    const updated = this.#store.applyReview(id, {
      author,
      decision: stateFromProto(proposed) as DomainRequestState,
      reason: review?.Reason ?? "",
      roles: review?.Roles ?? [],
      annotations,
      created,
    });
    return accessRequestMessage(updated);
  }

  /** `SetAccessRequestState`: needs `update` on `access_request`; not on one's own request. */
  setAccessRequestState(ctx: CallContext, req: RequestStateSetter): Record<string, never> {
    const denied = missingVerb(ctx.permissions, KIND_ACCESS_REQUEST, ["update"]);
    if (denied) throw denied;
    const request = this.#store.request(req.ID);
    if (!request) throw notFound(`access request "${req.ID}" is not found`);
    if (request.user === ctx.caller) {
      throw accessDenied(
        "directly updating the state of your own access requests is not permitted",
      );
    }
    this.#store.setState(req.ID, stateFromProto(req.State) as DomainRequestState, req.Reason);
    return {};
  }

  /** `GetPluginData`: needs (list and read) on `access_request` or on `access_plugin_data`. */
  getPluginData(
    ctx: CallContext,
    filter: PluginDataFilter,
  ): MessageInitShape<typeof PluginDataSeqSchema> {
    requireAny(ctx.permissions, [
      [KIND_ACCESS_REQUEST, ["list", "read"]],
      ["access_plugin_data", ["list", "read"]],
    ]);
    checkPluginDataKind(filter.Kind);
    const resources = filter.Resource !== ""
      ? [filter.Resource]
      : this.#store.pluginDataResources();
    return {
      PluginData: resources.flatMap((r) => this.#store.pluginData(r, filter.Plugin))
        .map(pluginDataMessage),
    };
  }

  /** `UpdatePluginData`: needs `update` on `access_request` or on `access_plugin_data`. */
  updatePluginData(ctx: CallContext, params: PluginDataUpdateParams): Record<string, never> {
    requireAny(ctx.permissions, [
      [KIND_ACCESS_REQUEST, ["update"]],
      ["access_plugin_data", ["update"]],
    ]);
    checkPluginDataKind(params.Kind);
    if (params.Resource === "") throw badParameter("missing resource name");
    if (params.Plugin === "") throw badParameter("missing plugin name");
    this.#store.updatePluginData(params.Resource, params.Plugin, params.Set, params.Expect);
    return {};
  }

  /**
   * `ListAccessMonitoringRulesWithFilter`: needs (list and read) on `access_monitoring_rule`;
   * rules in name order, kept when they have every requested subject and the notification or
   * automatic review name asked for; `page_token` is the first name of the page.
   */
  listAccessMonitoringRules(
    ctx: CallContext,
    req: ListAccessMonitoringRulesWithFilterRequest,
  ): MessageInitShape<typeof ListAccessMonitoringRulesWithFilterResponseSchema> {
    const denied = missingVerb(ctx.permissions, KIND_ACCESS_MONITORING_RULE, ["list", "read"]);
    if (denied) throw denied;
    if (req.pageSize < 0n) throw badParameter("page size must not be negative");
    const size = req.pageSize === 0n
      ? MAX_PAGE_SIZE
      : Math.min(Number(req.pageSize), MAX_PAGE_SIZE);
    const page: ReturnType<typeof accessMonitoringRuleMessage>[] = [];
    let nextPageToken = "";
    for (const rule of this.#store.rules()) {
      if (req.pageToken !== "" && rule.name < req.pageToken) continue;
      if (!req.subjects.every((s) => rule.subjects.includes(s))) continue;
      if (req.notificationName !== "" && rule.notificationName !== req.notificationName) continue;
      if (
        req.automaticReviewName !== "" &&
        rule.automaticReview?.integration !== req.automaticReviewName
      ) continue;
      if (page.length === size) {
        nextPageToken = rule.name;
        break;
      }
      page.push(accessMonitoringRuleMessage(rule));
    }
    return { rules: page, nextPageToken };
  }
}

/** The lock RPCs, kept apart from {@linkcode AuthRpc} so each stays readable. */
export class LockRpc {
  readonly #store: AuthStore;

  /** Serves lock RPCs over `store`. */
  constructor(store: AuthStore) {
    this.#store = store;
  }

  /**
   * `UpsertLock`: needs `create` and `update` on `lock`; a name and a target are required;
   * `CreatedBy` defaults to the caller and `CreatedAt` to now.
   */
  upsertLock(ctx: CallContext, lock: LockV2): Record<string, never> {
    const denied = missingVerb(ctx.permissions, KIND_LOCK, ["create", "update"]);
    if (denied) throw denied;
    const spec = lock.Spec;
    this.#store.locks.upsert({
      name: lock.Metadata?.Name ?? "",
      target: storedTarget(spec?.Target),
      message: spec?.Message ?? "",
      expires: timeOf(spec?.Expires),
      deleteAt: timeOf(lock.Metadata?.Expires),
      createdAt: timeOf(spec?.CreatedAt),
      createdBy: spec?.CreatedBy || ctx.caller,
    });
    return {};
  }

  /** `GetLock`: needs `read` on `lock`. */
  getLock(ctx: CallContext, name: string): MessageInitShape<typeof LockV2Schema> {
    const denied = missingVerb(ctx.permissions, KIND_LOCK, ["read"]);
    if (denied) throw denied;
    if (name === "") throw badParameter("missing parameter name");
    return lockMessage(this.#store.locks.get(name));
  }

  /**
   * `GetLocks`: needs `list` and `read` on `lock`; locks matching any target (every lock without
   * targets), only those in force when asked.
   */
  getLocks(
    ctx: CallContext,
    req: GetLocksRequest,
  ): MessageInitShape<typeof GetLocksResponseSchema> {
    const denied = missingVerb(ctx.permissions, KIND_LOCK, ["list", "read"]);
    if (denied) throw denied;
    const locks = this.#store.locks.list(req.Targets.map(storedTarget), req.InForceOnly);
    return { Locks: locks.map(lockMessage) };
  }
}

/** An unexpected failure inside the fake, answered as INTERNAL with its message. */
export function internalError(error: unknown): AuthError {
  return new AuthError(
    status.INTERNAL,
    `fake Auth server failed: ${error instanceof Error ? error.message : String(error)}`,
  );
}
