/**
 * Parses `http.listen_addr` (`host:port`, `:port` for all interfaces, `[::1]:port`) into what
 * the listener binds and what `--allow-net` / Worker permissions must grant for it.
 *
 * @module
 */

import { HttpServerError } from "./errors.ts";

/** The config key every error here names. */
const KEY = "http.listen_addr";

/** A parsed listen address. */
export interface ListenAddress {
  /**
   * Hostnames to try binding, in order. `:port` gives `::` (IPv6 and, on dual-stack hosts,
   * IPv4) then `0.0.0.0`, as Go's `:port` listens on both where it can.
   */
  readonly hostnames: readonly string[];
  /** The TCP port; 0 lets the system choose one. */
  readonly port: number;
  /** Net permission entries (`host:port`, IPv6 bracketed) that binding any hostname needs. */
  readonly netPermissions: readonly string[];
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/** Parses `addr`, throwing an {@linkcode HttpServerError} that names `http.listen_addr`. */
export function parseListenAddr(addr: string): ListenAddress {
  const fail = (problem: string): never => {
    throw new HttpServerError(
      KEY,
      `${KEY} "${addr}" ${problem}; write host:port, :port (all interfaces) or [::1]:port.`,
    );
  };
  let host: string;
  let portText: string;
  if (addr.startsWith("[")) {
    const close = addr.indexOf("]");
    if (close < 0 || addr[close + 1] !== ":") fail("has an IPv6 address without a closing ]:port");
    host = addr.slice(1, close);
    portText = addr.slice(close + 2);
    if (!host.includes(":") || !IPV6.test(host)) fail(`has "${host}" in brackets, not IPv6`);
  } else {
    const colon = addr.lastIndexOf(":");
    if (colon < 0) fail("has no port");
    host = addr.slice(0, colon);
    portText = addr.slice(colon + 1);
    if (host.includes(":")) fail("has an IPv6 address without brackets");
    if (host !== "" && !HOSTNAME.test(host)) fail(`has an invalid host "${host}"`);
  }
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) {
    fail(`has port "${portText}", not a number from 0 to 65535`);
  }
  const hostnames = host === "" ? ["::", "0.0.0.0"] : [host];
  return {
    hostnames,
    port,
    netPermissions: hostnames.map((h) => `${h.includes(":") ? `[${h}]` : h}:${port}`),
  };
}
