/**
 * Small helpers for talking to a fake Auth server with a raw grpc-js client: unary calls with
 * a deadline, a watch stream that collects its events and final status, and a started server
 * with a connected plugin client that is disposed as one.
 *
 * @module
 */

import type * as grpc from "@grpc/grpc-js";
import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import {
  AuthService,
  type WatchSchema,
} from "../teleport/gen/teleport/legacy/client/proto/authservice_pb.ts";
import type { Event } from "../teleport/gen/teleport/legacy/client/proto/event_pb.ts";
import { serverStreamCall, unaryCall, type UnaryMethod } from "../teleport/grpc_service.ts";
import type { ClientIdentity } from "../fakes/pki.ts";
import { connectRawClient } from "./fake_auth_client.ts";
import type { Permissions } from "../fakes/auth/rbac.ts";
import { type FakeAuthOptions, FakeAuthServer } from "../fakes/auth/server.ts";

/** Calls a unary method with a 5 s deadline. */
export function call<I extends DescMessage, O extends DescMessage>(
  client: grpc.Client,
  method: UnaryMethod<I, O>,
  request: MessageInitShape<I>,
): Promise<MessageShape<O>> {
  return unaryCall(client, method, request, { deadline: new Date(Date.now() + 5000) });
}

/** The final status of a stream. */
export interface StreamEnd {
  readonly code: number;
  readonly details: string;
}

/** An open WatchEvents stream that records what arrives. */
export interface WatchRecorder {
  /** Events received so far, in order. */
  readonly events: Event[];
  /** Resolves with the stream's final status. */
  readonly ended: Promise<StreamEnd>;
  /** Resolves once at least `n` events arrived (rejects if the stream ends first). */
  received(n: number): Promise<Event[]>;
  /** Cancels the stream and waits for its end. */
  cancel(): Promise<StreamEnd>;
}

/** Opens WatchEvents and records its events and final status. */
export function watch(
  client: grpc.Client,
  request: MessageInitShape<typeof WatchSchema>,
): WatchRecorder {
  const stream = serverStreamCall(client, AuthService.method.watchEvents, request, {});
  const events: Event[] = [];
  const waiters: Array<{ n: number; resolve: () => void; reject: (e: Error) => void }> = [];
  let end: StreamEnd | undefined;
  const ended = new Promise<StreamEnd>((resolve) => {
    stream.on("error", (error: grpc.ServiceError) => {
      end = { code: error.code, details: error.details };
    });
    stream.on("status", (status: grpc.StatusObject) => {
      end ??= { code: status.code, details: status.details };
    });
    stream.on("close", () => {
      const final = end ?? { code: 0, details: "" };
      for (const w of waiters.splice(0)) {
        w.reject(new Error(`stream ended (${final.code} ${final.details}) before ${w.n} events`));
      }
      resolve(final);
    });
  });
  stream.on("data", (event: Event) => {
    events.push(event);
    for (const w of [...waiters]) {
      if (events.length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  return {
    events,
    ended,
    received(n) {
      if (events.length >= n) return Promise.resolve(events);
      return new Promise<void>((resolve, reject) => waiters.push({ n, resolve, reject }))
        .then(() => events);
    },
    cancel() {
      stream.cancel();
      return ended;
    },
  };
}

/** A started fake Auth server and a raw client of the plugin user. */
export interface Connected extends AsyncDisposable {
  readonly auth: FakeAuthServer;
  readonly client: grpc.Client;
  readonly identity: ClientIdentity;
  /** Connects another client as `user` (added with `permissions` if given); closed on dispose. */
  connectAs(user: string, permissions?: Permissions): Promise<grpc.Client>;
}

/** Starts a fake Auth server with user `plugin` (access-plugin grant) and connects as it. */
export async function connected(options: FakeAuthOptions = {}): Promise<Connected> {
  const auth = await FakeAuthServer.start({ expirySweepMs: 0, ...options });
  const clients: grpc.Client[] = [];
  auth.addUser({ name: "plugin", roles: ["access-plugin"] });
  const identity = await auth.issueIdentity("plugin");
  const client = connectRawClient(auth.addr, identity);
  clients.push(client);
  return {
    auth,
    client,
    identity,
    async connectAs(user, permissions) {
      if (permissions) auth.addUser({ name: user, permissions });
      const other = connectRawClient(auth.addr, await auth.issueIdentity(user));
      clients.push(other);
      return other;
    },
    async [Symbol.asyncDispose]() {
      for (const c of clients) c.close();
      await auth.stop();
    },
  };
}
