import assert from "node:assert/strict";
import {
  API_ENDPOINT_KEY,
  ApiEndpointError,
  DEFAULT_API_ENDPOINT,
  EU_API_ENDPOINT,
  isLoopbackHost,
  parseApiEndpoint,
} from "./endpoint.ts";
import { PagerDutyConfigError } from "./errors.ts";

Deno.test("parseApiEndpoint accepts https anywhere and http only to loopback", () => {
  const accepted: Array<[string, string]> = [
    [DEFAULT_API_ENDPOINT, "https://api.pagerduty.com"],
    [EU_API_ENDPOINT, "https://api.eu.pagerduty.com"],
    ["https://api.pagerduty.com/", "https://api.pagerduty.com"],
    ["https://pd-proxy.internal:8443/pagerduty/", "https://pd-proxy.internal:8443/pagerduty"],
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080"],
    ["http://127.45.6.7", "http://127.45.6.7"],
    // The URL parser turns short and hex IPv4 forms into dotted decimal.
    ["http://127.1:9", "http://127.0.0.1:9"],
    ["http://0x7f.0.0.1", "http://127.0.0.1"],
    ["http://localhost:3000", "http://localhost:3000"],
    ["http://LOCALHOST:3000", "http://localhost:3000"],
    ["http://[::1]:3000", "http://[::1]:3000"],
    ["  https://api.pagerduty.com  ", "https://api.pagerduty.com"],
  ];
  for (const [input, expected] of accepted) {
    const url = parseApiEndpoint(input);
    assert.equal(url.origin + url.pathname.replace(/\/$/, ""), expected, input);
  }
});

Deno.test("parseApiEndpoint rejects clear text off loopback and other unusable URLs", () => {
  const rejected: Array<[string, RegExp]> = [
    ["http://api.pagerduty.com", /clear text/],
    ["http://10.0.0.5:8080", /clear text/],
    ["http://128.0.0.1", /clear text/],
    ["http://localhost.example.com", /clear text/],
    ["http://[::2]", /clear text/],
    ["http://[::ffff:10.0.0.1]", /clear text/],
    ["http://127.0.0.1.nip.io", /clear text/],
    ["ftp://api.pagerduty.com", /must use https/],
    ["api.pagerduty.com", /not an absolute URL/],
    ["", /not an absolute URL/],
    ["https://user:pw@api.pagerduty.com", /user name or password/],
    ["https://api.pagerduty.com/?x=1", /query or fragment/],
    ["https://api.pagerduty.com/#top", /query or fragment/],
  ];
  for (const [input, message] of rejected) {
    assert.throws(
      () => parseApiEndpoint(input),
      (error: unknown) => {
        assert.ok(error instanceof ApiEndpointError, input);
        assert.ok(error instanceof PagerDutyConfigError);
        assert.equal(error.key, API_ENDPOINT_KEY);
        assert.match(error.message, message, input);
        assert.match(error.message, /^pagerduty\.api_endpoint /);
        return true;
      },
    );
  }
});

Deno.test("parseApiEndpoint names the key it is given", () => {
  assert.throws(
    () => parseApiEndpoint("http://example.com", "profiles.eu.api_endpoint"),
    (error: unknown) =>
      error instanceof ApiEndpointError && error.key === "profiles.eu.api_endpoint" &&
      error.message.startsWith("profiles.eu.api_endpoint "),
  );
});

Deno.test("isLoopbackHost recognises only this machine", () => {
  for (const host of ["localhost", "127.0.0.1", "127.255.255.254", "[::1]"]) {
    assert.equal(isLoopbackHost(host), true, host);
  }
  for (const host of ["example.com", "0.0.0.0", "126.0.0.1", "[::]", "localhost.", "127.0.0.1.x"]) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});
