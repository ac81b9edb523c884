/**
 * A fake Teleport Auth Service on grpc-js with mTLS, serving the RPCs an access-request plugin
 * uses with Teleport's semantics, and a driver API for tests, the demo and the benchmark:
 * users, access requests, reviews, plugin data, access monitoring rules, fault injection, and
 * stop/restart on the same port with state kept.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import * as net from "node:net";
import * as grpc from "@grpc/grpc-js";
import { AccessMonitoringRulesService } from "../../teleport/gen/teleport/accessmonitoringrules/v1/access_monitoring_rules_service_pb.ts";
import type { ListAccessMonitoringRulesWithFilterRequest } from "../../teleport/gen/teleport/accessmonitoringrules/v1/access_monitoring_rules_pb.ts";
import {
  AuthService,
  type GetLockRequest,
  type GetLocksRequest,
  type GetUserRequest,
  type ListAccessRequestsRequest,
  type RequestStateSetter,
  type Watch,
} from "../../teleport/gen/teleport/legacy/client/proto/authservice_pb.ts";
import type {
  AccessRequestFilter,
  AccessReviewSubmission,
  LockV2,
  PluginDataFilter,
  PluginDataUpdateParams,
} from "../../teleport/gen/teleport/legacy/types/types_pb.ts";
import {
  type GetUserRequest as UsersGetUserRequest,
  UsersService,
} from "../../teleport/gen/teleport/users/v1/users_service_pb.ts";
import { grpcServiceDefinition } from "../../teleport/grpc_service.ts";
import type { AccessRequest, Lock, RequestState, TeleportUser } from "../../teleport/types.ts";
import {
  type ClientIdentity,
  type ClientIdentityOptions,
  type ClusterPki,
  createClusterPki,
} from "../pki.ts";
import { AuthError } from "./errors.ts";
import { type FakeAuthMethod, FaultPlan, type InjectedFailure } from "./faults.ts";
import { ACCESS_PLUGIN_PERMISSIONS, type Permissions } from "./rbac.ts";
import { AuthRpc, type CallContext, internalError, LockRpc } from "./rpc.ts";
import { lockTarget, type LockTargetField, lockView, type StoredLock } from "./locks.ts";
import {
  accessRequestView,
  AuthStore,
  type Clock,
  type NewAccessRequest,
  type StoredRule,
  type StoreEvent,
  systemClock,
  userView,
} from "./store.ts";
import { Waiters, type WaitOptions } from "../waiters.ts";
import { type Watcher, WatchHub } from "./watch.ts";
import { accessRequestBytes, listAccessRequestsResponseBytes } from "./wire.ts";

export type { WaitOptions } from "../waiters.ts";

/** Options for {@linkcode FakeAuthServer.start}. */
export interface FakeAuthOptions {
  /** Teleport cluster name; defaults to `example.com`. */
  readonly clusterName?: string;
  /** Reported by Ping; defaults to `18.0.0`. */
  readonly serverVersion?: string;
  /** Reported by Ping (`host:port`); defaults to "". */
  readonly proxyPublicAddr?: string;
  /** Reported by Ping as `ServerFeatures.AdvancedAccessWorkflows`; defaults to true. */
  readonly advancedAccessWorkflows?: boolean;
  /** Port on 127.0.0.1; defaults to 0 (any free port). */
  readonly port?: number;
  /** The cluster PKI to use; a new one is made by default. */
  readonly pki?: ClusterPki;
  /** Time source for request and plugin data expiry; defaults to the system clock. */
  readonly clock?: Clock;
  /** How often expired requests are deleted (emitting DELETE); 0 turns it off. Default 1000 ms. */
  readonly expirySweepMs?: number;
}

/** A user to add: roles and traits as `GetUser` returns them, and what the user may do. */
export interface AddUserOptions {
  readonly name: string;
  readonly roles?: readonly string[];
  readonly traits?: Readonly<Record<string, readonly string[]>>;
  /** Defaults to {@linkcode ACCESS_PLUGIN_PERMISSIONS}. */
  readonly permissions?: Permissions;
}

/** A human review, as submitted from the Web UI or `tctl`. */
export interface HumanReview {
  readonly author: string;
  readonly decision: "APPROVED" | "DENIED";
  readonly reason?: string;
}

const METHODS: readonly FakeAuthMethod[] = [
  "Ping",
  "WatchEvents",
  "GetUser",
  "GetAccessRequestsV2",
  "ListAccessRequests",
  "SetAccessRequestState",
  "SubmitAccessReview",
  "GetPluginData",
  "UpdatePluginData",
  "UsersService/GetUser",
  "ListAccessMonitoringRulesWithFilter",
  "GetLock",
  "GetLocks",
  "UpsertLock",
];

interface PendingDelay {
  readonly timer: ReturnType<typeof setTimeout>;
  readonly reject: (error: AuthError) => void;
}

/** The part of a grpc-js server call that identifies the peer. */
type PeerCall = Pick<grpc.ServerUnaryCall<unknown, unknown>, "getAuthContext" | "getPeer">;

function callerOf(call: PeerCall): string {
  const cn = call.getAuthContext().sslPeerCertificate?.subject?.CN;
  return typeof cn === "string" ? cn : "";
}

function statusOf(error: unknown): grpc.StatusObject {
  const e = error instanceof AuthError ? error : internalError(error);
  return { code: e.code, details: e.message, metadata: new grpc.Metadata() };
}

/** The fake Auth Service. Create it with {@linkcode FakeAuthServer.start}. */
export class FakeAuthServer {
  /** The cluster's CAs; issue client identities from here or with {@linkcode issueIdentity}. */
  readonly pki: ClusterPki;
  /** The state, for direct inspection or driving. */
  readonly store: AuthStore;
  readonly #hub = new WatchHub();
  readonly #faults = new FaultPlan();
  readonly #rpc: AuthRpc;
  readonly #lockRpc: LockRpc;
  readonly #credentials: grpc.ServerCredentials;
  readonly #sweepMs: number;
  readonly #calls = new Map<FakeAuthMethod, number>(METHODS.map((m) => [m, 0]));
  readonly #delays = new Set<PendingDelay>();
  readonly #waiters = new Waiters("the fake Auth server", "on the fake Auth server");
  #server: grpc.Server | undefined;
  #listener: net.Server | undefined;
  readonly #sockets = new Set<net.Socket>();
  #sweep: ReturnType<typeof setInterval> | undefined;
  #port: number;

  private constructor(
    pki: ClusterPki,
    credentials: grpc.ServerCredentials,
    options: FakeAuthOptions,
  ) {
    this.pki = pki;
    this.#credentials = credentials;
    this.#port = options.port ?? 0;
    this.#sweepMs = options.expirySweepMs ?? 1000;
    this.store = new AuthStore(options.clock ?? systemClock);
    this.#rpc = new AuthRpc(this.store, {
      clusterName: pki.clusterName,
      serverVersion: options.serverVersion ?? "18.0.0",
      proxyPublicAddr: options.proxyPublicAddr ?? "",
      advancedAccessWorkflows: options.advancedAccessWorkflows ?? true,
    });
    this.#lockRpc = new LockRpc(this.store);
    this.store.onEvent((event) => {
      this.#hub.publish(event);
      this.#waiters.changed();
    });
  }

  /** Creates the PKI (unless given) and starts serving on 127.0.0.1. */
  static async start(options: FakeAuthOptions = {}): Promise<FakeAuthServer> {
    const pki = options.pki ??
      await createClusterPki({ clusterName: options.clusterName ?? "example.com" });
    const serverCert = await pki.issueServerCert({
      extraDnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
    });
    const credentials = grpc.ServerCredentials.createSsl(
      Buffer.from(pki.userCa.certPem),
      [{
        cert_chain: Buffer.from(serverCert.certPem),
        private_key: Buffer.from(serverCert.keyPem),
      }],
      true,
    );
    const auth = new FakeAuthServer(pki, credentials, options);
    await auth.#listen();
    return auth;
  }

  /** The cluster name. */
  get clusterName(): string {
    return this.pki.clusterName;
  }

  /** `127.0.0.1:<port>`, the address to dial (with server name `teleport.cluster.local`). */
  get addr(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** The port served on; kept across {@linkcode restart}. */
  get port(): number {
    return this.#port;
  }

  /** Whether the server is accepting connections. */
  get running(): boolean {
    return this.#server !== undefined;
  }

  /** How many WatchEvents streams are open. */
  get watcherCount(): number {
    return this.#hub.count;
  }

  /** The open watch streams: caller and confirmed kinds. */
  watchers(): Watcher[] {
    return this.#hub.watchers();
  }

  // ---- users and identities ----

  /** Adds (or replaces) a user; by default with the access-plugin grant. */
  addUser(options: AddUserOptions): TeleportUser {
    const user = {
      name: options.name,
      roles: [...(options.roles ?? [])],
      traits: structuredClone(options.traits ?? {}),
      permissions: options.permissions ?? ACCESS_PLUGIN_PERMISSIONS,
    };
    this.store.putUser(user);
    return userView(user);
  }

  /** Issues a client identity for `user`; its roles default to the user's roles. */
  async issueIdentity(
    user: string,
    options: Omit<ClientIdentityOptions, "user"> = {},
  ): Promise<ClientIdentity> {
    return await this.pki.issueClientIdentity({
      roles: this.store.user(user)?.roles,
      ...options,
      user,
    });
  }

  // ---- access requests ----

  /** Creates a PENDING access request (a PUT goes to every watcher) and returns it. */
  createAccessRequest(input: NewAccessRequest): AccessRequest {
    return accessRequestView(this.store.createRequest(input));
  }

  /** Creates many requests at once, e.g. for the benchmark. */
  createAccessRequests(inputs: Iterable<NewAccessRequest>): AccessRequest[] {
    return Array.from(inputs, (input) => this.createAccessRequest(input));
  }

  /** A request by ID, or undefined when it does not exist (any more). */
  request(id: string): AccessRequest | undefined {
    const stored = this.store.request(id);
    return stored && accessRequestView(stored);
  }

  /** Every request, in creation order. */
  requests(): AccessRequest[] {
    return Array.from(this.store.requests(), accessRequestView);
  }

  /** Reviews a request as a human reviewer would (no RBAC; Teleport's state checks apply). */
  review(id: string, review: HumanReview): AccessRequest {
    return accessRequestView(this.store.applyReview(id, review));
  }

  /** Approves or denies directly, as `tctl request approve|deny` does. */
  setState(id: string, state: RequestState, reason = ""): AccessRequest {
    return accessRequestView(this.store.setState(id, state, reason));
  }

  /** Lets a request expire now: it is deleted and watchers get DELETE; plugin data stays. */
  expire(id: string): boolean {
    return this.store.deleteRequest(id);
  }

  /** Deletes a request (`tctl request rm`): watchers get DELETE; plugin data stays. */
  deleteRequest(id: string): boolean {
    return this.store.deleteRequest(id);
  }

  /** A plugin's data on a request, or undefined when it has none. */
  pluginData(id: string, plugin: string): Record<string, string> | undefined {
    const [record] = this.store.pluginData(id, plugin);
    const entry = record?.entries.get(plugin);
    return entry && Object.fromEntries(entry);
  }

  // ---- access monitoring rules ----

  /** Adds or replaces an access monitoring rule (watchers get PUT). */
  putAccessMonitoringRule(rule: StoredRule): void {
    this.store.putRule(rule);
  }

  /** Deletes an access monitoring rule (watchers get DELETE). */
  deleteAccessMonitoringRule(name: string): boolean {
    return this.store.deleteRule(name);
  }

  // ---- locks ----

  /** Every lock not yet deleted, in name order (in force or not). */
  locks(): Lock[] {
    return this.store.locks.list([], false).map(lockView);
  }

  /** The lock with this name, or undefined. */
  lock(name: string): Lock | undefined {
    const stored = this.store.locks.find(name);
    return stored && lockView(stored);
  }

  /** Whether an in-force lock stops the certificates of this access request from working. */
  isRequestLocked(requestId: string): boolean {
    return this.store.locks.isRequestLocked(requestId);
  }

  /** Writes a lock as an administrator would (`tctl lock`), without RBAC. */
  putLock(lock: {
    readonly name: string;
    readonly target: Partial<Record<LockTargetField, string>>;
    readonly message?: string;
    readonly expires?: Date;
    readonly createdBy?: string;
  }): Lock {
    const expires = lock.expires?.getTime();
    const stored = this.store.locks.upsert({
      name: lock.name,
      target: lockTarget(lock.target),
      message: lock.message ?? "",
      expires,
      deleteAt: expires,
      createdBy: lock.createdBy ?? "admin",
    });
    this.#waiters.changed();
    return lockView(stored);
  }

  /** Deletes a lock as an administrator would (`tctl rm lock/<name>`); false when none. */
  deleteLock(name: string): boolean {
    const deleted = this.store.locks.delete(name);
    this.#waiters.changed();
    return deleted;
  }

  /** Calls `listener` after every lock written; returns a function that stops it. */
  onLock(listener: (lock: Lock, stored: StoredLock) => void): () => void {
    return this.store.locks.onUpsert((stored) => listener(lockView(stored), stored));
  }

  // ---- observing ----

  /** Calls `listener` on every state change; returns a function that stops it. */
  onEvent(listener: (event: StoreEvent) => void): () => void {
    return this.store.onEvent(listener);
  }

  /** How many calls of `method` arrived (including failed and delayed ones). */
  callCount(method: FakeAuthMethod): number {
    return this.#calls.get(method) ?? 0;
  }

  /**
   * Resolves once `predicate` holds. It is checked now and after every state change, RPC and
   * watch stream change; rejects after `timeoutMs`.
   */
  async waitFor(predicate: () => boolean, options: WaitOptions = {}): Promise<void> {
    await this.#waiters.waitFor(predicate, options);
  }

  // ---- faults ----

  /** Ends every watch stream with UNAVAILABLE, as a dropped connection would; returns how many. */
  dropWatchStreams(message = "connection to the Auth Service was lost"): number {
    const n = this.#hub.endAll(grpc.status.UNAVAILABLE, message);
    this.#waiters.changed();
    return n;
  }

  /** Ends every watch stream with UNKNOWN "event fanout system reset"; returns how many. */
  resetFanout(): number {
    const n = this.#hub.endAll(grpc.status.UNKNOWN, "event fanout system reset");
    this.#waiters.changed();
    return n;
  }

  /** Delays every RPC by `ms` before it is served (0 turns it off). */
  setDelay(ms: number): void {
    this.#faults.delayMs = ms;
  }

  /** Makes the next `count` calls of `method` fail with `failure`. */
  failNext(method: FakeAuthMethod, count: number, failure: InjectedFailure): void {
    this.#faults.failNext(method, count, failure);
  }

  /**
   * Holds back the INIT event of watch streams opened from now on (their events are queued);
   * `holdInit(false)` sends INIT and the queue to every held stream.
   */
  holdInit(hold: boolean): void {
    this.#hub.setHoldInit(hold);
  }

  /** Removes every planned fault (delay and queued failures). */
  clearFaults(): void {
    this.#faults.clear();
  }

  // ---- lifecycle ----

  /**
   * Stops serving: watch streams end with UNAVAILABLE, delayed calls fail with UNAVAILABLE,
   * connections are closed. The state is kept for {@linkcode restart}.
   */
  async stop(): Promise<void> {
    const server = this.#server;
    const listener = this.#listener;
    if (!server || !listener) return;
    this.#server = undefined;
    this.#listener = undefined;
    clearInterval(this.#sweep);
    this.#sweep = undefined;
    for (const delay of this.#delays) {
      clearTimeout(delay.timer);
      delay.reject(new AuthError(grpc.status.UNAVAILABLE, "the Auth Service is shutting down"));
    }
    this.#delays.clear();
    this.#hub.endAll(grpc.status.UNAVAILABLE, "the Auth Service is shutting down");
    // Let the ended streams' statuses go out before the connections are cut.
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Cut TCP connections without an HTTP/2 GOAWAY, as a crashed Auth server would: a GOAWAY
    // right after a stream ended can crash Deno 2.9.6's HTTP/2 client (nghttp2 assertion in
    // find_stream_on_goaway_func, or a segfault), which would take the test process down.
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    await new Promise((resolve) => listener.close(resolve));
    server.forceShutdown();
    this.#waiters.changed();
  }

  /** Starts serving again on the same port, with the same state. */
  async restart(): Promise<void> {
    await this.stop();
    await this.#listen();
  }

  async #listen(): Promise<void> {
    const server = new grpc.Server();
    this.#register(server);
    // Own the TCP listener (grpc-js takes the sockets through an injector) so stop() can cut
    // connections abruptly.
    const injector = server.createConnectionInjector(this.#credentials);
    const listener = net.createServer((socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
      injector.injectConnection(socket);
    });
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(this.#port, "127.0.0.1", () => {
        listener.off("error", reject);
        resolve();
      });
    });
    this.#port = (listener.address() as net.AddressInfo).port;
    this.#server = server;
    this.#listener = listener;
    if (this.#sweepMs > 0) {
      this.#sweep = setInterval(() => this.store.expireDue(), this.#sweepMs);
    }
  }

  #delay(): Promise<void> {
    const ms = this.#faults.delayMs;
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const delay: PendingDelay = {
        timer: setTimeout(() => {
          this.#delays.delete(delay);
          resolve();
        }, ms),
        reject,
      };
      this.#delays.add(delay);
    });
  }

  /** Counts the call, applies delay and planned failures, and identifies the caller. */
  async #admit(
    method: FakeAuthMethod,
    call: PeerCall,
  ): Promise<CallContext> {
    this.#calls.set(method, this.callCount(method) + 1);
    this.#waiters.changed();
    await this.#delay();
    const failure = this.#faults.take(method);
    if (failure) throw new AuthError(failure.code, failure.message);
    const caller = callerOf(call);
    if (caller === "") {
      throw new AuthError(grpc.status.UNAUTHENTICATED, "client certificate has no common name");
    }
    return this.#rpc.context(caller, call.getPeer());
  }

  #unary<Req, Res>(
    method: FakeAuthMethod,
    serve: (ctx: CallContext, request: Req) => Res,
  ): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      this.#admit(method, call)
        .then((ctx) => serve(ctx, call.request))
        .then((response) => callback(null, response), (error) => callback(statusOf(error)))
        .finally(() => this.#waiters.changed());
    };
  }

  #serverStream<Req, Res>(
    method: FakeAuthMethod,
    serve: (ctx: CallContext, request: Req) => Res[],
  ): grpc.handleServerStreamingCall<Req, Res> {
    return (call) => {
      this.#admit(method, call)
        .then((ctx) => {
          for (const message of serve(ctx, call.request)) call.write(message);
          call.end();
        })
        .catch((error) => call.emit("error", statusOf(error)))
        .finally(() => this.#waiters.changed());
    };
  }

  #watchEvents(): grpc.handleServerStreamingCall<Watch, Buffer> {
    return (call) => {
      this.#admit("WatchEvents", call)
        .then((ctx) => {
          const kinds = this.#rpc.watch(ctx, call.request);
          let open = true;
          const watcher = this.#hub.add(ctx.caller, kinds, {
            write: (bytes) => {
              if (open) call.write(bytes);
            },
            end: (code, message) => {
              if (!open) return;
              open = false;
              call.emit("error", { code, details: message, metadata: new grpc.Metadata() });
            },
          });
          const forget = () => {
            open = false;
            this.#hub.remove(watcher);
            this.#waiters.changed();
          };
          call.on("cancelled", forget);
          call.on("close", forget);
        })
        .catch((error) => call.emit("error", statusOf(error)))
        .finally(() => this.#waiters.changed());
    };
  }

  #register(server: grpc.Server): void {
    const rpc = this.#rpc;
    const generated = grpcServiceDefinition(AuthService);
    // Watch events are encoded once per event, not once per watcher, and listings reuse each
    // request's cached encoding: these methods hand grpc-js ready bytes.
    const passThrough = (bytes: Buffer) => bytes;
    const auth: grpc.ServiceDefinition = {
      ...generated,
      watchEvents: { ...generated.watchEvents, responseSerialize: passThrough },
      getAccessRequestsV2: { ...generated.getAccessRequestsV2, responseSerialize: passThrough },
      listAccessRequests: { ...generated.listAccessRequests, responseSerialize: passThrough },
    };
    server.addService(auth, {
      ping: this.#unary("Ping", (ctx) => rpc.ping(ctx)),
      watchEvents: this.#watchEvents(),
      getUser: this.#unary(
        "GetUser",
        (ctx, req: GetUserRequest) => rpc.getUser(ctx, req.Name, false),
      ),
      getAccessRequestsV2: this.#serverStream(
        "GetAccessRequestsV2",
        (ctx, req: AccessRequestFilter) =>
          rpc.accessRequests(ctx, req).map((r) => Buffer.from(accessRequestBytes(r))),
      ),
      listAccessRequests: this.#unary(
        "ListAccessRequests",
        (ctx, req: ListAccessRequestsRequest) => {
          const { page, nextKey } = rpc.listAccessRequests(ctx, req);
          return listAccessRequestsResponseBytes(page, nextKey);
        },
      ),
      setAccessRequestState: this.#unary(
        "SetAccessRequestState",
        (ctx, req: RequestStateSetter) => rpc.setAccessRequestState(ctx, req),
      ),
      submitAccessReview: this.#unary(
        "SubmitAccessReview",
        (ctx, req: AccessReviewSubmission) => rpc.submitAccessReview(ctx, req),
      ),
      getPluginData: this.#unary(
        "GetPluginData",
        (ctx, req: PluginDataFilter) => rpc.getPluginData(ctx, req),
      ),
      updatePluginData: this.#unary(
        "UpdatePluginData",
        (ctx, req: PluginDataUpdateParams) => rpc.updatePluginData(ctx, req),
      ),
      getLock: this.#unary(
        "GetLock",
        (ctx, req: GetLockRequest) => this.#lockRpc.getLock(ctx, req.Name),
      ),
      getLocks: this.#unary(
        "GetLocks",
        (ctx, req: GetLocksRequest) => this.#lockRpc.getLocks(ctx, req),
      ),
      upsertLock: this.#unary(
        "UpsertLock",
        (ctx, req: LockV2) => this.#lockRpc.upsertLock(ctx, req),
      ),
    });
    server.addService(grpcServiceDefinition(UsersService), {
      getUser: this.#unary(
        "UsersService/GetUser",
        (ctx, req: UsersGetUserRequest) => ({
          user: rpc.getUser(ctx, req.name, req.currentUser),
        }),
      ),
    });
    server.addService(grpcServiceDefinition(AccessMonitoringRulesService), {
      listAccessMonitoringRulesWithFilter: this.#unary(
        "ListAccessMonitoringRulesWithFilter",
        (ctx, req: ListAccessMonitoringRulesWithFilterRequest) =>
          rpc.listAccessMonitoringRules(ctx, req),
      ),
    });
  }
}
