/**
 * grpc-js channel credentials for Teleport's mTLS: the client certificate and key from the
 * identity, the Host CAs as the only trust roots, the server verified as
 * `teleport.cluster.local`, and a caller-chosen ALPN list.
 *
 * grpc-js hard-codes ALPN `["h2"]` in its own TLS credentials, and TLS routing through a Proxy
 * needs `teleport-auth@…` first. `ChannelCredentials` is an abstract class whose
 * `_createSecureConnector` (declared in grpc-js's public typings, and the same hook its own
 * credentials use) returns the object that wraps each new TCP socket in TLS, so subclassing it
 * is the narrowest way to choose the ALPN list. The connector also classifies TLS failures, so
 * the client can explain them in one sentence instead of grpc-js's generic UNAVAILABLE.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import * as tls from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { TELEPORT_API_DOMAIN } from "./address.ts";

/** The TLS material of a Teleport identity, as grpc-js needs it (Buffers, not Uint8Arrays). */
export interface TlsMaterial {
  /** Client private key, PEM. Secret: never logged. */
  readonly keyPem: Buffer;
  /** Client certificate, PEM. */
  readonly certPem: Buffer;
  /** Host CA certificates the server must chain to, PEM, concatenated. */
  readonly caPems: Buffer;
}

/** What went wrong on the most recent failed TLS connection. */
export type TlsProblemKind =
  /** The server's certificate does not chain to the identity's Host CAs. */
  | "server_untrusted"
  /** The server's certificate does not name `teleport.cluster.local`. */
  | "server_name"
  /** The server's certificate has expired or is not valid yet. */
  | "server_expired"
  /** The server refused our client certificate (alert, or close right after the handshake). */
  | "client_rejected"
  /** The server supports none of our ALPN protocols: a Proxy that will not route to this cluster. */
  | "alpn_rejected"
  /** Any other TLS failure. */
  | "tls";

/** A classified TLS failure. */
export interface TlsProblem {
  readonly kind: TlsProblemKind;
  /** The TLS library's own message, for the log. */
  readonly detail: string;
}

/** Options of {@linkcode TeleportChannelCredentials}. */
export interface TeleportCredentialsOptions {
  /** ALPN protocols in preference order, e.g. `["h2"]` or `["teleport-auth@…", "h2"]`. */
  readonly alpnProtocols: readonly string[];
  /** Called for every classified TLS failure; the client keeps the latest. */
  readonly onProblem?: (problem: TlsProblem) => void;
  /** Called after every successful handshake. */
  readonly onHandshake?: () => void;
  /** Called for every new connection with a promise that resolves once its socket has closed. */
  readonly onConnection?: (closed: Promise<void>) => void;
}

const UNTRUSTED_CODES = new Set([
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
]);

const EXPIRED_CODES = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);

/** Maps a TLS error to a problem kind; `afterHandshake` means our side had accepted the server. */
export function classifyTlsError(error: unknown, afterHandshake: boolean): TlsProblem {
  const code = typeof error === "object" && error !== null && "code" in error
    ? String((error as { code: unknown }).code)
    : "";
  const detail = error instanceof Error ? error.message : String(error);
  if (UNTRUSTED_CODES.has(code)) return { kind: "server_untrusted", detail };
  if (EXPIRED_CODES.has(code)) return { kind: "server_expired", detail };
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return { kind: "server_name", detail };
  if (
    /NO_APPLICATION_PROTOCOL|NoApplicationProtocol|no.application.protocol/i.test(code + detail)
  ) {
    return { kind: "alpn_rejected", detail };
  }
  // A server that refuses the client certificate sends an alert (TLS 1.2: during the handshake;
  // TLS 1.3: right after it) or just drops the connection once our side has finished.
  const alert = /ALERT|alert/.test(code) ||
    /fatal alert|alert (bad|unknown|certificate)/i.test(detail);
  if (alert) return { kind: "client_rejected", detail };
  if (afterHandshake && /ECONNRESET|EPIPE/.test(code + detail)) {
    return { kind: "client_rejected", detail };
  }
  return { kind: "tls", detail };
}

/** Wraps each new TCP socket in mTLS with the configured ALPN list. */
class TeleportSecureConnector implements grpc.experimental.SecureConnector {
  readonly #secureContext: tls.SecureContext;
  readonly #options: TeleportCredentialsOptions;
  readonly #callCredentials: grpc.CallCredentials;

  constructor(
    secureContext: tls.SecureContext,
    options: TeleportCredentialsOptions,
    callCredentials: grpc.CallCredentials,
  ) {
    this.#secureContext = secureContext;
    this.#options = options;
    this.#callCredentials = callCredentials;
  }

  connect(socket: Socket): Promise<grpc.experimental.SecureConnectResult> {
    const report = (problem: TlsProblem) => this.#options.onProblem?.(problem);
    return new Promise((resolve, reject) => {
      let handshakeDone = false;
      const tlsSocket = tls.connect({
        socket,
        secureContext: this.#secureContext,
        // Teleport serves every cluster under this name; the dialled host is irrelevant.
        servername: TELEPORT_API_DOMAIN,
        ALPNProtocols: [...this.#options.alpnProtocols],
        rejectUnauthorized: true,
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(TELEPORT_API_DOMAIN, cert),
      }, () => {
        if (!tlsSocket.authorized) {
          const problem = classifyTlsError(tlsSocket.authorizationError, false);
          report(problem);
          tlsSocket.destroy();
          reject(tlsSocket.authorizationError);
          return;
        }
        handshakeDone = true;
        this.#options.onHandshake?.();
        resolve({ socket: tlsSocket, secure: true });
      });
      // Registered before grpc-js's own listener, whose disconnect handling (it clears the
      // keepalive timer) therefore runs in the same event, before anyone awaiting this promise.
      this.#options.onConnection?.(
        new Promise((closed) => tlsSocket.once("close", () => closed())),
      );
      tlsSocket.on("error", (error) => {
        report(classifyTlsError(error, handshakeDone));
        if (!handshakeDone) reject(error);
      });
    });
  }

  waitForReady(): Promise<void> {
    return Promise.resolve();
  }

  getCallCredentials(): grpc.CallCredentials {
    return this.#callCredentials;
  }

  destroy(): void {}
}

/**
 * Channel credentials carrying one identity's TLS material and an ALPN list. Each instance is
 * equal only to itself, so a new identity always gets new connections.
 */
export class TeleportChannelCredentials extends grpc.ChannelCredentials {
  readonly #secureContext: tls.SecureContext;
  readonly #options: TeleportCredentialsOptions;

  /** Builds the TLS context now, so a malformed key or certificate fails here, not on connect. */
  constructor(material: TlsMaterial, options: TeleportCredentialsOptions) {
    super();
    this.#secureContext = tls.createSecureContext({
      key: material.keyPem,
      cert: material.certPem,
      ca: material.caPems,
    });
    this.#options = options;
  }

  /** Always a secure channel. */
  _isSecure(): boolean {
    return true;
  }

  /** Only the same instance is equal, so grpc-js never reuses a connection across identities. */
  _equals(other: grpc.ChannelCredentials): boolean {
    return other === this;
  }

  /** The connector grpc-js uses for every new connection of the channel. */
  _createSecureConnector(
    _target: grpc.experimental.GrpcUri,
    _options: grpc.ChannelOptions,
    callCredentials?: grpc.CallCredentials,
  ): grpc.experimental.SecureConnector {
    return new TeleportSecureConnector(
      this.#secureContext,
      this.#options,
      callCredentials ?? grpc.CallCredentials.createEmpty(),
    );
  }
}
