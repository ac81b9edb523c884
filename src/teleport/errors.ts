/**
 * Turns grpc-js failures into {@linkcode TeleportError}s whose message is one sentence naming
 * what to fix. Teleport maps its `trace` errors to gRPC codes (`api/trail`), and grpc-js reports
 * connection failures as UNAVAILABLE or DEADLINE_EXCEEDED with a generic text; the TLS problem
 * the credentials' connector saw last says which setting is wrong.
 *
 * @module
 */

import * as grpc from "@grpc/grpc-js";
import type { AuthAddress } from "./address.ts";
import type { TlsProblem } from "./credentials.ts";
import { TeleportError, type TeleportErrorKind } from "./types.ts";

/** What the failing call was doing and with which settings, for the message. */
export interface CallContext {
  /** What the call does, as a verb phrase: "list pending access requests". */
  readonly operation: string;
  /** What to do about PERMISSION_DENIED, e.g. "give its role `access_request: [list, read]`". */
  readonly permissionHint: string;
  /** The configured address. */
  readonly address: AuthAddress;
  /** The credentials, as the message names them: "identity file /etc/…/identity". */
  readonly credentials: string;
  /** The Teleport user of the credentials. */
  readonly user: string;
  /** The cluster the credentials are for, when known (the TLS-routing target). */
  readonly clusterName: string | undefined;
  /** The latest TLS event of the channel: a classified failure, or a completed handshake. */
  readonly tls: TlsProblem | "handshake_ok" | undefined;
  /** The call's timeout, for the deadline message. */
  readonly timeoutMs: number;
}

const KIND_BY_CODE: ReadonlyMap<number, TeleportErrorKind> = new Map([
  [grpc.status.PERMISSION_DENIED, "permission_denied"],
  [grpc.status.UNAUTHENTICATED, "permission_denied"],
  [grpc.status.NOT_FOUND, "not_found"],
  [grpc.status.ALREADY_EXISTS, "already_exists"],
  [grpc.status.FAILED_PRECONDITION, "compare_failed"],
  [grpc.status.INVALID_ARGUMENT, "invalid_argument"],
  [grpc.status.OUT_OF_RANGE, "invalid_argument"],
  [grpc.status.UNAVAILABLE, "unavailable"],
  [grpc.status.UNIMPLEMENTED, "unimplemented"],
  [grpc.status.RESOURCE_EXHAUSTED, "limit_exceeded"],
  [grpc.status.DEADLINE_EXCEEDED, "deadline_exceeded"],
  [grpc.status.CANCELLED, "cancelled"],
]);

/** Whether a value is a grpc-js call error (has a numeric status code). */
export function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === "number";
}

/** Teleport's own text from a status: grpc-js's details, without its connection boilerplate. */
function detailsOf(error: grpc.ServiceError): string {
  return (error.details || error.message).replace(/\. Resolution note: ?$/, "").trim();
}

/** Why a connection could not be made, in one sentence naming the setting to fix. */
function connectionMessage(details: string, context: CallContext): string {
  const at = `${context.address.text} (teleport.addr)`;
  const tls = context.tls;
  if (tls !== undefined && tls !== "handshake_ok") {
    switch (tls.kind) {
      case "server_untrusted":
        return `The server at ${at} presented a certificate not signed by the CAs in ${context.credentials}: is the identity from this cluster, and does teleport.addr point at its Auth Service or Proxy?`;
      case "server_name":
        return `The server at ${at} presented a certificate that is not for teleport.cluster.local (${tls.detail}): teleport.addr must point at a Teleport Auth Service or Proxy, not another TLS server.`;
      case "server_expired":
        return `The server at ${at} presented a certificate outside its validity period (${tls.detail}): check the clocks of this host and of the Teleport cluster.`;
      case "client_rejected":
        return `The Auth Service at ${at} rejected the client certificate in ${context.credentials} (${tls.detail}): sign a new identity for this cluster (\`tctl auth sign --user=${context.user}\`, or check that tbot renews it).`;
      case "alpn_rejected":
        return `The server at ${at} refused to route the connection to the Auth Service of cluster "${
          context.clusterName ?? "?"
        }" (${tls.detail}): teleport.addr must be a Proxy of that cluster with TLS routing, or the Auth Service itself (port 3025).`;
      case "tls":
        return `The TLS connection to ${at} failed (${tls.detail}): check that teleport.addr is a Teleport Auth Service (port 3025) or a Proxy with TLS routing (port 443 or 3080).`;
    }
  }
  // The handshake succeeded, but the server hung up before speaking HTTP/2: Teleport does this
  // when it does not trust the client certificate (TLS 1.3 checks it after our side finished).
  if (tls === "handshake_ok" && /Failed to connect|Connection closed|ECONNRESET/.test(details)) {
    return `The Auth Service at ${at} closed the connection right after the TLS handshake, which it does when it does not trust the client certificate in ${context.credentials}: sign a new identity for this cluster (\`tctl auth sign --user=${context.user}\`, or check that tbot renews it).`;
  }
  // Deno refused the connect itself: the sandbox's net permission does not cover the address.
  if (/\bEPERM\b|NotCapable|Requires net access/.test(details)) {
    return `This process is not permitted to connect to ${at} (${details}): Deno's --allow-net permission must include that exact host:port.`;
  }
  const code =
    /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET)\b/
      .exec(details)?.[1];
  if (code !== undefined) {
    return `Cannot connect to ${at} (${code}): check teleport.addr and that the Teleport Auth Service or Proxy there is running and reachable from this host.`;
  }
  return `The Teleport Auth Service at ${at} is unavailable (${details}): check teleport.addr and the Auth Service's health.`;
}

/**
 * Maps a grpc-js error (or anything else a call threw) to a {@linkcode TeleportError} with a
 * one-sentence message. Teleport's own text is kept in the message, since callers and operators
 * recognise states by it (e.g. "has already reviewed this request").
 */
export function toTeleportError(error: unknown, context: CallContext): TeleportError {
  if (error instanceof TeleportError) return error;
  if (!isServiceError(error)) {
    const text = error instanceof Error ? error.message : String(error);
    return new TeleportError(
      "unknown",
      `Could not ${context.operation} (${text}): this is a bug in teleport-pagerduty; please report it.`,
      { cause: error },
    );
  }
  // grpc-js reports a connection torn down under a running call as INTERNAL.
  const dropped = error.code === grpc.status.INTERNAL &&
    /RST_STREAM|EPIPE|ECONNRESET|Connection dropped/.test(error.details ?? "");
  const kind = dropped ? "unavailable" : KIND_BY_CODE.get(error.code) ?? "unknown";
  const details = detailsOf(error);
  const options = { grpcCode: error.code, cause: error };
  const user = `"${context.user}"`;
  switch (kind) {
    case "permission_denied":
      // Not a permission problem: the request was resolved before this review arrived.
      if (/has been already (approved|denied|promoted)/.test(details)) {
        return new TeleportError(kind, `Could not ${context.operation}: ${details}.`, options);
      }
      return new TeleportError(
        kind,
        `The Teleport user ${user} may not ${context.operation} (${details}): ${context.permissionHint}.`,
        options,
      );
    case "invalid_argument":
      // With AllowPartialSuccess, a user who may watch none of the kinds gets this, not a denial.
      if (/none of the requested kinds can be watched/.test(details)) {
        return new TeleportError(
          kind,
          `The Teleport user ${user} may not ${context.operation} (${details}): ${context.permissionHint}.`,
          options,
        );
      }
      return new TeleportError(
        kind,
        `Could not ${context.operation}: the Auth Service rejected the request as invalid ("${details}"); this is a bug in teleport-pagerduty, please report it.`,
        options,
      );
    case "unavailable":
      return new TeleportError(kind, connectionMessage(details, context), options);
    case "deadline_exceeded": {
      const seconds = Math.round(context.timeoutMs / 100) / 10;
      // grpc-js names the stage: "Waiting for LB pick" means no connection was ever ready.
      const message = /LB pick|Waiting for connection|name resolution/i.test(details)
        ? `Could not connect to ${context.address.text} (teleport.addr) within ${seconds} s: check that the address is right and reachable, and that no firewall drops the traffic.`
        : `The Auth Service at ${context.address.text} did not answer in ${seconds} s when asked to ${context.operation}: it may be overloaded; the request is retried.`;
      return new TeleportError(kind, message, options);
    }
    case "unimplemented":
      return new TeleportError(
        kind,
        `The Auth Service at ${context.address.text} cannot ${context.operation} (${details}): upgrade Teleport to a supported version (18 or newer).`,
        options,
      );
    case "cancelled":
      return new TeleportError(kind, `Cancelled while trying to ${context.operation}.`, options);
    default:
      return new TeleportError(
        kind,
        `Could not ${context.operation}: the Auth Service answered ${
          grpc.status[error.code] ?? error.code
        } "${details}".`,
        options,
      );
  }
}
