/**
 * The PagerDuty REST base URL: defaults, and the rule that the API key never travels in clear
 * text. Plain `http://` is accepted only for loopback hosts (a local fake or a local TLS-
 * terminating proxy); `src/config/` reuses {@link parseApiEndpoint} so a bad value fails at
 * start-up with the config key named.
 *
 * @module
 */

import { PagerDutyConfigError } from "./errors.ts";

/** PagerDuty's US REST API (its default region). */
export const DEFAULT_API_ENDPOINT = "https://api.pagerduty.com";

/** PagerDuty's EU REST API. */
export const EU_API_ENDPOINT = "https://api.eu.pagerduty.com";

/** The config key the endpoint comes from, named in every error about it. */
export const API_ENDPOINT_KEY = "pagerduty.api_endpoint";

/** An unusable `pagerduty.api_endpoint` value; the message says what to change. */
export class ApiEndpointError extends PagerDutyConfigError {
  /** Creates the error for one bad value of `key`. */
  constructor(message: string, key: string) {
    super(message, key);
    this.name = "ApiEndpointError";
  }
}

/**
 * Whether `hostname` (as `URL.hostname` gives it: lower case, IPv6 in brackets, IPv4 in dotted
 * decimal) names this machine: `localhost`, 127.0.0.0/8 or `[::1]`.
 */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === "localhost" || hostname === "[::1]") return true;
  // The URL parser already turned forms like `127.1` or `0x7f.0.0.1` into dotted decimal.
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Parses and checks a REST base URL, returning it without a trailing slash.
 *
 * @param value the configured base URL, e.g. `https://api.eu.pagerduty.com`.
 * @param key the config key to name in errors.
 * @throws {ApiEndpointError} when the value is not an absolute `https://` URL (or `http://` to
 *   a loopback host), or carries credentials, a query or a fragment.
 */
export function parseApiEndpoint(value: string, key: string = API_ENDPOINT_KEY): URL {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ApiEndpointError(
      `${key} ${
        JSON.stringify(value)
      } is not an absolute URL: set it to ${DEFAULT_API_ENDPOINT} (US) or ${EU_API_ENDPOINT} (EU).`,
      key,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ApiEndpointError(
      `${key} must use https:// (got ${url.protocol}//): set it to ${DEFAULT_API_ENDPOINT} (US) or ${EU_API_ENDPOINT} (EU).`,
      key,
    );
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new ApiEndpointError(
      `${key} uses plain http:// to ${url.hostname}, which would send the PagerDuty API key in clear text: use https:// (http:// is accepted only for 127.0.0.1, localhost or [::1]).`,
      key,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new ApiEndpointError(
      `${key} must not contain a user name or password: remove the "user:password@" part (the API key goes in pagerduty.api_key).`,
      key,
    );
  }
  if (url.search !== "" || url.hash !== "") {
    throw new ApiEndpointError(
      `${key} must not contain a query or fragment: remove everything from "?" or "#" on.`,
      key,
    );
  }
  url.pathname = url.pathname.replace(/\/+$/, "");
  return url;
}
