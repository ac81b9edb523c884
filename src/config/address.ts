/**
 * Network addresses as the config writes them (`host:port`, `[::1]:port`), parsed the same way
 * by config validation and by the sandbox that turns them into net permissions.
 * No third-party code: the supervisor thread imports this.
 *
 * @module
 */

/** A host (name, IPv4, or bracketed IPv6) and a port. */
export interface HostPort {
  /** Host name or IP; IPv6 keeps its brackets (`[::1]`). */
  readonly host: string;
  readonly port: number;
}

/**
 * Teleport's Auth Service port. The service connects directly there and through the Proxy's TLS
 * routing on any other port (`src/teleport/address.ts` decides the route by the same number).
 */
export const AUTH_SERVICE_PORT = 3025;

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

/**
 * Parses `host:port`; undefined when the text is not of that form or the port is above 65535
 * (0 parses, so callers that need a real port check for it).
 */
export function parseHostPort(text: string): HostPort | undefined {
  const match = HOST_PORT.exec(text);
  if (match === null) return undefined;
  const [, host, portText] = match;
  const port = Number(portText);
  if (port > 65535) return undefined;
  return { host: host.toLowerCase(), port };
}

/** `host:port` back to text, for permission lists and messages. */
export function formatHostPort({ host, port }: HostPort): string {
  return `${host}:${port}`;
}

/**
 * The `host:port` a URL connects to, with the scheme's default port filled in (443 for https,
 * 80 for http), as Deno's net permission checks it.
 */
export function urlHostPort(url: URL): HostPort {
  const port = url.port !== "" ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
  return { host: url.hostname, port };
}
