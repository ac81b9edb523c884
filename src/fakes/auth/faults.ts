/**
 * Fault injection for the fake Auth Service: a delay before every RPC, and queued failures of
 * the next N calls of a method.
 *
 * @module
 */

import type { status } from "@grpc/grpc-js";

/** An RPC of the fake, named as in its gRPC path (the users service's GetUser is qualified). */
export type FakeAuthMethod =
  | "Ping"
  | "WatchEvents"
  | "GetUser"
  | "GetAccessRequestsV2"
  | "ListAccessRequests"
  | "SetAccessRequestState"
  | "SubmitAccessReview"
  | "GetPluginData"
  | "UpdatePluginData"
  | "UsersService/GetUser"
  | "ListAccessMonitoringRulesWithFilter"
  | "GetLock"
  | "GetLocks"
  | "UpsertLock";

/** A status to answer with instead of serving the call. */
export interface InjectedFailure {
  readonly code: status;
  readonly message: string;
}

/** The faults currently planned. */
export class FaultPlan {
  /** Delay before every RPC is served, in milliseconds. */
  delayMs = 0;
  readonly #failures = new Map<FakeAuthMethod, InjectedFailure[]>();

  /** Makes the next `count` calls of `method` fail with `failure`, after any already queued. */
  failNext(method: FakeAuthMethod, count: number, failure: InjectedFailure): void {
    const queue = this.#failures.get(method) ?? [];
    for (let i = 0; i < count; i++) queue.push(failure);
    this.#failures.set(method, queue);
  }

  /** The failure planned for this call of `method`, consuming it; undefined to serve the call. */
  take(method: FakeAuthMethod): InjectedFailure | undefined {
    const queue = this.#failures.get(method);
    const failure = queue?.shift();
    if (queue?.length === 0) this.#failures.delete(method);
    return failure;
  }

  /** Drops every planned failure and the delay. */
  clear(): void {
    this.delayMs = 0;
    this.#failures.clear();
  }
}
