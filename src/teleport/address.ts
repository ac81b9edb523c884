/**
 * Parses the configured Teleport address and decides how to reach the Auth Service through it.
 *
 * The rule (the Go client tries every path in parallel; we pick one from the address):
 * - port **3025** (Teleport's Auth listen port): a direct mTLS connection, ALPN `h2`;
 * - any other port (443, 3080, `*.teleport.sh:443`, a custom Proxy or Auth port): TLS routing,
 *   ALPN `teleport-auth@<hex(cluster)>.teleport.cluster.local` then `h2`. A Proxy with TLS
 *   routing forwards that connection to Auth untouched; an Auth Service reached directly
 *   ignores the first protocol and picks `h2`, so this path also works for Auth on a custom port.
 *   The config refuses the `--format=tls` triple with such an address (Teleport documents it
 *   for direct Auth connections only), so this path always carries an identity file.
 *
 * @module
 */

import { TeleportError } from "./types.ts";

/** The name Teleport service certificates carry and clients verify (`constants.APIDomain`). */
export const TELEPORT_API_DOMAIN = "teleport.cluster.local";

/** Teleport's default Auth Service port. */
export const AUTH_PORT = 3025;

/** How the connection reaches the Auth Service. */
export type Route = "direct" | "tls-routing";

/** A parsed `host:port` with the route the client takes. */
export interface AuthAddress {
  /** Host name or IP address (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  readonly route: Route;
  /** The address as configured, for messages. */
  readonly text: string;
}

/**
 * Parses `host:port` (IPv6 as `[::1]:3025`). An address without a port, with a scheme, or with
 * a port outside 1–65535 is a configuration error naming `teleport.addr`.
 */
export function parseAuthAddress(text: string): AuthAddress {
  const trimmed = text.trim();
  function fail(why: string): never {
    throw new TeleportError(
      "invalid_argument",
      `teleport.addr "${text}" ${why}: write it as host:port, e.g. "auth.example.com:3025" for the Auth Service or "example.teleport.sh:443" for a Proxy.`,
    );
  }
  if (trimmed === "") fail("is empty");
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) fail("has a URL scheme");
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s/[\]]+)):(\d+)$/.exec(trimmed);
  if (match === null) {
    fail(/^[^:]+$|^\[[^\]]+\]$/.test(trimmed) ? "has no port" : "is not a valid host:port");
  }
  const [, ipv6, name, portText] = match;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail("has a port outside 1-65535");
  return {
    host: ipv6 ?? name,
    port,
    route: port === AUTH_PORT ? "direct" : "tls-routing",
    text: trimmed,
  };
}

/** The gRPC target for the host-passthrough resolver (`hostport:` scheme, see resolver.ts). */
export function grpcTarget(address: AuthAddress): string {
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  return `hostport:${host}:${address.port}`;
}

/**
 * The ALPN protocol that asks a Teleport Proxy to forward the connection to the Auth Service of
 * `clusterName` (`teleport-auth@<hex(cluster)>.teleport.cluster.local`).
 */
export function authAlpnProtocol(clusterName: string): string {
  const hex = Array.from(
    new TextEncoder().encode(clusterName),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
  return `teleport-auth@${hex}.${TELEPORT_API_DOMAIN}`;
}
