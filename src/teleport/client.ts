/**
 * The {@linkcode AuthClient} on grpc-js: mTLS with the plugin's Teleport identity, directly to
 * the Auth Service or through a Proxy with TLS routing (see address.ts for the rule), with a
 * deadline on every call and one-sentence errors naming the setting to fix.
 *
 * When the identity changes (tbot renewed it), new calls go over a new channel built with the
 * new certificate; the old channel closes once its last call ends, and channel listeners (the
 * watcher) are told so they can move their stream over.
 *
 * No gRPC `version` metadata is sent: the Auth Service then treats the client as third-party
 * and sends resources unchanged (it down-converts only for clients that claim an older
 * version), and a client claiming a version can be refused by a much newer server as too old.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import * as grpc from "@grpc/grpc-js";
import { boundedDelay } from "../timers.ts";
import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { type AuthAddress, authAlpnProtocol, grpcTarget, parseAuthAddress } from "./address.ts";
import { TeleportChannelCredentials, type TlsProblem } from "./credentials.ts";
import { type CallContext, isServiceError, toTeleportError } from "./errors.ts";
import { serverStreamCall, unaryCall, type UnaryMethod } from "./grpc_service.ts";
import { registerHostPortResolver } from "./resolver.ts";
import type { TeleportCredentials } from "./identity.ts";
import {
  accessMonitoringRuleOf,
  accessRequestOf,
  clusterInfoOf,
  lockMessage,
  lockOf,
  requestStateValue,
  teleportUserOf,
  timestampOf,
} from "./convert.ts";
import { AuthService } from "./gen/teleport/legacy/client/proto/authservice_pb.ts";
import type { Event } from "./gen/teleport/legacy/client/proto/event_pb.ts";
import { UsersService } from "./gen/teleport/users/v1/users_service_pb.ts";
import { AccessMonitoringRulesService } from "./gen/teleport/accessmonitoringrules/v1/access_monitoring_rules_service_pb.ts";
import { RequestState } from "./gen/teleport/legacy/types/types_pb.ts";
import {
  type AccessMonitoringRule,
  type AccessRequest,
  type AuthClient,
  type ClusterInfo,
  type CredentialFiles,
  type Lock,
  type LockQuery,
  type NewLock,
  type PluginDataMap,
  type PluginDataRecord,
  type ReviewSubmission,
  TeleportError,
  type TeleportUser,
  WATCHED_KINDS,
} from "./types.ts";

const log = getLogger(["teleport-pagerduty", "teleport"]);

/** Default deadline of a unary call. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
/** Teleport's server enforces at least a minute between client keepalive pings. */
export const DEFAULT_KEEPALIVE_TIME_MS = 60_000;
/** Access requests per ListAccessRequests page. */
const LIST_PAGE_SIZE = 500;
/** Access Monitoring Rules per page, as the Go plugins ask. */
const RULES_PAGE_SIZE = 1000n;
const PLUGIN_DATA_KIND = "access_request";

/** The credentials the client uses and a way to hear about new ones (`IdentitySource` fits). */
export interface CredentialsSource {
  /** The newest valid credentials. */
  readonly current: TeleportCredentials;
  /** Calls `listener` when the certificate changes; returns an unsubscribe function. */
  subscribe(listener: (next: TeleportCredentials) => void): () => void;
}

/** A {@linkcode CredentialsSource} that never changes, e.g. for a one-shot command. */
export function fixedCredentials(credentials: TeleportCredentials): CredentialsSource {
  return { current: credentials, subscribe: () => () => {} };
}

/** Options of {@linkcode TeleportClient}. */
export interface TeleportClientOptions {
  /** `teleport.addr`: `host:port` of the Auth Service or a Proxy. */
  readonly addr: string;
  readonly credentials: CredentialsSource;
  /** Deadline of each unary call and of each listing page; defaults to 10 s. */
  readonly callTimeoutMs?: number;
  /**
   * Interval of HTTP/2 keepalive pings on open streams; defaults to 60 s, the least a real
   * Teleport accepts (faster pings get the connection closed with ENHANCE_YOUR_CALM).
   */
  readonly keepaliveTimeMs?: number;
  /** How long a keepalive ping may go unanswered before the connection counts as dead. */
  readonly keepaliveTimeoutMs?: number;
}

/** One grpc-js channel built from one identity. */
interface Channel {
  readonly client: grpc.Client;
  readonly credentials: TeleportCredentials;
  readonly generation: number;
  /** The latest TLS event on this channel, to explain connection failures. */
  tls: TlsProblem | "handshake_ok" | undefined;
  /** Calls and streams still running on it. */
  inFlight: number;
  /** Replaced by a newer channel: close once idle. */
  retired: boolean;
}

/** A watch stream opened by {@linkcode TeleportClient.openWatch}. */
export interface WatchStream extends AsyncIterable<Event> {
  /** Which channel generation it runs on. */
  readonly generation: number;
  /** Ends the stream; iteration then stops without an error. */
  cancel(): void;
}

/** How the credentials are named in messages. */
function describeFiles(files: CredentialFiles): string {
  return files.kind === "identity_file"
    ? `identity file ${files.path} (teleport.identity)`
    : `certificate ${files.certPath} and CAs ${files.casPath} (teleport.client_crt, teleport.root_cas)`;
}

/** The {@linkcode AuthClient} over gRPC. Create, use, then {@linkcode close}. */
export class TeleportClient implements AuthClient {
  /** The parsed `teleport.addr`. */
  readonly address: AuthAddress;
  readonly #source: CredentialsSource;
  readonly #callTimeoutMs: number;
  readonly #keepaliveTimeMs: number;
  readonly #keepaliveTimeoutMs: number;
  readonly #channelListeners = new Set<(generation: number) => void>();
  readonly #unsubscribe: () => void;
  /** Every channel not closed yet: the current one and retired ones with calls running. */
  readonly #open = new Set<Channel>();
  /** One promise per TLS connection still open, resolved when its socket closes. */
  readonly #connections = new Set<Promise<void>>();
  #channel: Channel;
  #generation = 0;
  #closed = false;
  /** Set once the server said UNIMPLEMENTED, so later calls go straight to the fallback. */
  #legacyListing = false;
  #legacyGetUser = false;

  /**
   * Parses the address (throwing {@linkcode TeleportError} `invalid_argument` naming
   * `teleport.addr` when it has no port) and builds the first channel. Nothing connects until
   * the first call.
   */
  constructor(options: TeleportClientOptions) {
    this.address = parseAuthAddress(options.addr);
    this.#source = options.credentials;
    this.#callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.#keepaliveTimeMs = options.keepaliveTimeMs ?? DEFAULT_KEEPALIVE_TIME_MS;
    this.#keepaliveTimeoutMs = options.keepaliveTimeoutMs ?? 20_000;
    registerHostPortResolver();
    this.#channel = this.#buildChannel(options.credentials.current);
    this.#unsubscribe = options.credentials.subscribe((next) => this.#replaceChannel(next));
  }

  /** Which channel new calls use; grows by one on every identity change. */
  get generation(): number {
    return this.#channel.generation;
  }

  /** The Teleport user of the current identity. */
  get user(): string {
    return this.#channel.credentials.username;
  }

  /**
   * Calls `listener` after a new identity replaced the channel (the argument is the new
   * generation). Returns an unsubscribe function.
   */
  onChannelChange(listener: (generation: number) => void): () => void {
    this.#channelListeners.add(listener);
    return () => this.#channelListeners.delete(listener);
  }

  /** Cluster name, version and proxy address; needs no RBAC permission. */
  async ping(): Promise<ClusterInfo> {
    const response = await this.#unary(AuthService.method.ping, {}, {
      operation: "ping the Auth Service",
      permissionHint: "check that the identity belongs to this cluster",
    });
    return clusterInfoOf(response);
  }

  /** Every PENDING access request; see {@linkcode TeleportClient.listAccessRequests}. */
  listPendingRequests(): AsyncIterable<AccessRequest> {
    return this.#list({ State: RequestState.PENDING });
  }

  /**
   * Every access request in any state, page by page (ListAccessRequests); falls back to
   * GetAccessRequestsV2 on an Auth Service without ListAccessRequests.
   */
  listAccessRequests(): AsyncIterable<AccessRequest> {
    return this.#list({});
  }

  async *#list(filter: { State?: RequestState }): AsyncIterable<AccessRequest> {
    if (!this.#legacyListing) {
      let startKey = "";
      let first = true;
      do {
        let page;
        try {
          page = await this.#unary(AuthService.method.listAccessRequests, {
            Filter: filter,
            Limit: LIST_PAGE_SIZE,
            StartKey: startKey,
          }, LIST_CONTEXT);
        } catch (error) {
          if (!(first && isUnimplemented(error))) throw error;
          log.debug("ListAccessRequests is not implemented; using GetAccessRequestsV2.");
          this.#legacyListing = true;
          break;
        }
        first = false;
        for (const request of page.AccessRequests) yield accessRequestOf(request);
        startKey = page.NextKey;
      } while (startKey !== "");
      if (!this.#legacyListing) return;
    }
    for (const request of await this.#legacyList(filter)) yield request;
  }

  /** One access request by ID, or undefined when it does not exist (any more). */
  async getAccessRequest(id: string): Promise<AccessRequest | undefined> {
    if (!this.#legacyListing) {
      try {
        const page = await this.#unary(AuthService.method.listAccessRequests, {
          Filter: { ID: id },
          Limit: 1,
        }, { ...LIST_CONTEXT, operation: `read access request ${id}` });
        const found = page.AccessRequests[0];
        return found === undefined ? undefined : accessRequestOf(found);
      } catch (error) {
        if (!isUnimplemented(error)) throw error;
        this.#legacyListing = true;
      }
    }
    return (await this.#legacyList({ ID: id }))[0];
  }

  /** The plugin's data on a request; undefined when it has none. */
  async getPluginData(requestId: string, plugin: string): Promise<PluginDataMap | undefined> {
    const response = await this.#unary(AuthService.method.getPluginData, {
      Kind: PLUGIN_DATA_KIND,
      Resource: requestId,
      Plugin: plugin,
    }, {
      operation: `read plugin data of access request ${requestId}`,
      permissionHint:
        "give its role `access_request: [list, read]` or `access_plugin_data: [list, read]`",
    });
    const data = response.PluginData[0]?.Spec?.Entries[plugin]?.Data;
    return data === undefined ? undefined : { ...data };
  }

  /**
   * The plugin's data on every access request (GetPluginData without a resource: Teleport
   * returns every match in one answer, deleted requests' data included until it expires).
   */
  async listPluginData(plugin: string): Promise<PluginDataRecord[]> {
    const response = await this.#unary(AuthService.method.getPluginData, {
      Kind: PLUGIN_DATA_KIND,
      Plugin: plugin,
    }, {
      operation: "list plugin data of access requests",
      permissionHint:
        "give its role `access_request: [list, read]` or `access_plugin_data: [list, read]`",
    });
    return response.PluginData.flatMap((item) => {
      const data = item.Spec?.Entries[plugin]?.Data;
      const requestId = item.Metadata?.Name ?? "";
      return data === undefined || requestId === "" ? [] : [{ requestId, data: { ...data } }];
    });
  }

  /** Compare-and-swap on the plugin's data; a mismatch throws kind `compare_failed`. */
  async updatePluginData(
    requestId: string,
    plugin: string,
    set: PluginDataMap,
    expect: PluginDataMap,
  ): Promise<void> {
    await this.#unary(AuthService.method.updatePluginData, {
      Kind: PLUGIN_DATA_KIND,
      Resource: requestId,
      Plugin: plugin,
      Set: { ...set },
      Expect: { ...expect },
    }, {
      operation: `update plugin data of access request ${requestId}`,
      permissionHint:
        "give its role `access_plugin_data: [update]` (or `access_request: [update]`)",
    });
  }

  /**
   * Submits a review and returns the request as it is after it. Sends no annotations and no
   * threshold indexes (Teleport rejects or computes those) and `Created` = now, as the Go
   * plugins do.
   */
  async submitReview(requestId: string, review: ReviewSubmission): Promise<AccessRequest> {
    const response = await this.#unary(AuthService.method.submitAccessReview, {
      RequestID: requestId,
      Review: {
        Author: review.author,
        ProposedState: requestStateValue(review.decision),
        Reason: review.reason,
        Created: timestampOf(new Date()),
      },
    }, {
      operation: `submit a review on access request ${requestId}`,
      permissionHint:
        "give its role `review_requests` allowing the requested roles (and on clusters that require MFA for admin actions, use a Machine ID bot identity)",
    });
    return accessRequestOf(response);
  }

  /** A user with roles and traits (UsersService, or the legacy AuthService.GetUser). */
  async getUser(name: string): Promise<TeleportUser> {
    const context = {
      operation: `read user ${name}`,
      permissionHint: "give its role `user: [read]`",
    };
    if (!this.#legacyGetUser) {
      try {
        const response = await this.#unary(UsersService.method.getUser, { name }, context);
        if (response.user === undefined) {
          throw new TeleportError(
            "not_found",
            `The Auth Service returned no user for "${name}": check that the user exists.`,
          );
        }
        return teleportUserOf(response.user);
      } catch (error) {
        if (!isUnimplemented(error)) throw error;
        this.#legacyGetUser = true;
      }
    }
    return teleportUserOf(await this.#unary(AuthService.method.getUser, { Name: name }, context));
  }

  /**
   * Access Monitoring Rules that notify `plugin` about access requests, every page. An Auth
   * Service without the rules service (UNIMPLEMENTED) has no rules: the result is empty.
   */
  async listAccessMonitoringRules(plugin: string): Promise<AccessMonitoringRule[]> {
    const rules: AccessMonitoringRule[] = [];
    let pageToken = "";
    do {
      let page;
      try {
        page = await this.#unary(
          AccessMonitoringRulesService.method.listAccessMonitoringRulesWithFilter,
          {
            pageSize: RULES_PAGE_SIZE,
            pageToken,
            subjects: [PLUGIN_DATA_KIND],
            notificationName: plugin,
          },
          {
            operation: "list Access Monitoring Rules",
            permissionHint: "give its role `access_monitoring_rule: [list, read]`",
          },
        );
      } catch (error) {
        if (!isUnimplemented(error)) throw error;
        log.debug("The Auth Service has no Access Monitoring Rules service.");
        return [];
      }
      for (const message of page.rules) {
        const rule = accessMonitoringRuleOf(message);
        // The server filters too, but an older one may ignore the filter fields.
        if (rule.notificationName === plugin && rule.subjects.includes(PLUGIN_DATA_KIND)) {
          rules.push(rule);
        }
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return rules;
  }

  /**
   * Creates or replaces the lock with this name: every certificate issued from the target access
   * request stops working while it is in force.
   */
  async upsertLock(lock: NewLock): Promise<void> {
    await this.#unary(AuthService.method.upsertLock, lockMessage(lock), {
      operation: `lock access request ${lock.target.accessRequest} (lock ${lock.name})`,
      permissionHint: LOCK_WRITE_HINT,
    });
  }

  /** The lock with this name, or undefined when there is none. */
  async getLock(name: string): Promise<Lock | undefined> {
    try {
      return lockOf(
        await this.#unary(AuthService.method.getLock, { Name: name }, {
          operation: `read lock ${name}`,
          permissionHint: "give its role `lock: [read]`",
        }),
      );
    } catch (error) {
      if (error instanceof TeleportError && error.kind === "not_found") return undefined;
      throw error;
    }
  }

  /** The locks on the given access requests (every lock when none is given). */
  async getLocks(query: LockQuery): Promise<Lock[]> {
    const response = await this.#unary(AuthService.method.getLocks, {
      Targets: (query.accessRequests ?? []).map((id) => ({ AccessRequest: id })),
      InForceOnly: query.inForceOnly ?? false,
    }, {
      operation: "list locks",
      permissionHint: "give its role `lock: [list, read]`",
    });
    return response.Locks.map(lockOf);
  }

  /**
   * Opens a WatchEvents stream on the current channel (no deadline: it lives until cancelled
   * or the server ends it). Errors surface from iteration as {@linkcode TeleportError}s.
   */
  openWatch(request: MessageInitShape<typeof AuthService.method.watchEvents.input>): WatchStream {
    const channel = this.#acquire();
    const context = this.#context(channel, WATCH_CONTEXT);
    const call = serverStreamCall(channel.client, AuthService.method.watchEvents, request, {});
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#release(channel);
    };
    let cancelled = false;
    call.on("error", () => {}); // errors surface through the iterator below
    const iterate = async function* (): AsyncGenerator<Event> {
      try {
        for await (const event of call as AsyncIterable<Event>) yield event;
      } catch (error) {
        if (cancelled) return;
        throw toTeleportError(error, context());
      } finally {
        release();
      }
    };
    return {
      generation: channel.generation,
      cancel: () => {
        cancelled = true;
        call.cancel();
        release();
      },
      [Symbol.asyncIterator]: iterate,
    };
  }

  /** Closes the channels (running calls end with CANCELLED/UNAVAILABLE); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#channelListeners.clear();
    for (const channel of this.#open) channel.client.close();
    this.#open.clear();
  }

  /**
   * Resolves once every connection the client opened has closed. grpc-js ends a connection a
   * few events after {@linkcode close}, and until then it keeps the connection's keepalive timer.
   * Gives up after `timeoutMs`.
   */
  async closed(timeoutMs = 2_000): Promise<void> {
    // Bounded: a socket Deno's node:tls never reports closed must not hold up a stop.
    const gaveUp = new AbortController();
    const timer = setTimeout(() => gaveUp.abort(), boundedDelay(timeoutMs));
    try {
      while (this.#connections.size > 0 && !gaveUp.signal.aborted) {
        await Promise.race([
          Promise.all([...this.#connections]),
          new Promise((resolve) => gaveUp.signal.addEventListener("abort", resolve)),
        ]);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #buildChannel(credentials: TeleportCredentials): Channel {
    const generation = ++this.#generation;
    const alpn = this.#alpnProtocols(credentials);
    const channel: Channel = {
      client: undefined as unknown as grpc.Client,
      credentials,
      generation,
      tls: undefined,
      inFlight: 0,
      retired: false,
    };
    const channelCredentials = new TeleportChannelCredentials({
      keyPem: credentials.privateKeyPem,
      certPem: credentials.certificatePem,
      caPems: credentials.rootCasPem,
    }, {
      alpnProtocols: alpn,
      onProblem: (problem) => {
        channel.tls = problem;
      },
      onHandshake: () => {
        channel.tls = "handshake_ok";
      },
      onConnection: (closed) => {
        this.#connections.add(closed);
        closed.then(() => this.#connections.delete(closed));
      },
    });
    const client = new grpc.Client(grpcTarget(this.address), channelCredentials, {
      "grpc.default_authority": "teleport.cluster.local",
      "grpc.ssl_target_name_override": "teleport.cluster.local",
      "grpc.keepalive_time_ms": this.#keepaliveTimeMs,
      "grpc.keepalive_timeout_ms": this.#keepaliveTimeoutMs,
      // Each identity gets its own connections, never one shared through grpc-js's global pool.
      "grpc.use_local_subchannel_pool": 1,
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
      "grpc.initial_reconnect_backoff_ms": 200,
      "grpc.max_reconnect_backoff_ms": 5_000,
    });
    Object.assign(channel, { client });
    this.#open.add(channel);
    log.debug("Built gRPC channel {generation} to {addr} ({route}, ALPN {alpn}).", {
      generation,
      addr: this.address.text,
      route: this.address.route,
      alpn: alpn.join(","),
    });
    return channel;
  }

  /** `h2` direct; `teleport-auth@…` first when routing through a Proxy and the cluster is known. */
  #alpnProtocols(credentials: TeleportCredentials): string[] {
    if (this.address.route === "direct") return ["h2"];
    if (credentials.clusterName === undefined) {
      log.warn(
        "The certificate in {files} names no Teleport cluster, so {addr} is dialled without TLS routing; use port 3025 of the Auth Service or re-issue the identity.",
        { files: describeFiles(credentials.files), addr: this.address.text },
      );
      return ["h2"];
    }
    return [authAlpnProtocol(credentials.clusterName), "h2"];
  }

  #replaceChannel(next: TeleportCredentials): void {
    if (this.#closed) return;
    const old = this.#channel;
    this.#channel = this.#buildChannel(next);
    old.retired = true;
    if (old.inFlight === 0) this.#closeChannel(old);
    log.info("New Teleport identity for {user}: new calls use a new connection.", {
      user: next.username,
      generation: this.#channel.generation,
    });
    for (const listener of [...this.#channelListeners]) {
      try {
        listener(this.#channel.generation);
      } catch (error) {
        log.error("A channel-change listener failed: {error}", { error: String(error) });
      }
    }
  }

  #acquire(): Channel {
    if (this.#closed) {
      throw new TeleportError("cancelled", "The Teleport client is closed: this is a shutdown.");
    }
    this.#channel.inFlight++;
    return this.#channel;
  }

  #release(channel: Channel): void {
    channel.inFlight--;
    if (channel.retired && channel.inFlight === 0) this.#closeChannel(channel);
  }

  #closeChannel(channel: Channel): void {
    if (!this.#open.delete(channel)) return;
    channel.client.close();
    log.debug("Closed gRPC channel {generation}.", { generation: channel.generation });
  }

  #context(
    channel: Channel,
    call: Pick<CallContext, "operation" | "permissionHint">,
  ): () => CallContext {
    return () => ({
      ...call,
      address: this.address,
      credentials: describeFiles(channel.credentials.files),
      user: channel.credentials.username,
      clusterName: channel.credentials.clusterName,
      tls: channel.tls,
      timeoutMs: this.#callTimeoutMs,
    });
  }

  async #unary<I extends DescMessage, O extends DescMessage>(
    method: UnaryMethod<I, O>,
    request: MessageInitShape<I>,
    call: Pick<CallContext, "operation" | "permissionHint">,
  ): Promise<MessageShape<O>> {
    const channel = this.#acquire();
    try {
      return await unaryCall(channel.client, method, request, {
        deadline: new Date(Date.now() + this.#callTimeoutMs),
      });
    } catch (error) {
      throw toTeleportError(error, this.#context(channel, call)());
    } finally {
      this.#release(channel);
    }
  }

  /** GetAccessRequestsV2 (a stream) for servers without ListAccessRequests. */
  async #legacyList(
    filter: { State?: RequestState; ID?: string },
  ): Promise<AccessRequest[]> {
    const channel = this.#acquire();
    try {
      const call = serverStreamCall(
        channel.client,
        AuthService.method.getAccessRequestsV2,
        filter,
        {
          deadline: new Date(Date.now() + this.#callTimeoutMs * 6),
        },
      );
      const requests: AccessRequest[] = [];
      for await (const message of call) requests.push(accessRequestOf(message));
      return requests;
    } catch (error) {
      throw toTeleportError(error, this.#context(channel, LIST_CONTEXT)());
    } finally {
      this.#release(channel);
    }
  }
}

const LIST_CONTEXT = {
  operation: "list access requests",
  permissionHint: "give its role `access_request: [list, read]`",
};

const LOCK_WRITE_HINT =
  "give its role `lock: [create, update]` (and on clusters that require MFA for admin actions, use a Machine ID bot identity)";

const WATCH_CONTEXT = {
  operation: "watch access requests",
  permissionHint: "give its role `access_request: [list, read]`",
};

/** The Watch request the Go access plugins send. */
export const PLUGIN_WATCH: MessageInitShape<typeof AuthService.method.watchEvents.input> = {
  Kinds: WATCHED_KINDS.map((Kind) => ({ Kind })),
  AllowPartialSuccess: true,
};

function isUnimplemented(error: unknown): boolean {
  return (error instanceof TeleportError && error.kind === "unimplemented") ||
    (isServiceError(error) && error.code === grpc.status.UNIMPLEMENTED);
}
