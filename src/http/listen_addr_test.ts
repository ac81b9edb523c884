import assert from "node:assert/strict";
import { HttpServerError } from "./errors.ts";
import { parseListenAddr } from "./listen_addr.ts";

Deno.test("listen_addr: host:port, :port and [v6]:port", () => {
  assert.deepEqual(parseListenAddr("127.0.0.1:8081"), {
    hostnames: ["127.0.0.1"],
    port: 8081,
    netPermissions: ["127.0.0.1:8081"],
  });
  assert.deepEqual(parseListenAddr("localhost:0"), {
    hostnames: ["localhost"],
    port: 0,
    netPermissions: ["localhost:0"],
  });
  assert.deepEqual(parseListenAddr(":8081"), {
    hostnames: ["::", "0.0.0.0"],
    port: 8081,
    netPermissions: ["[::]:8081", "0.0.0.0:8081"],
  });
  assert.deepEqual(parseListenAddr("[::1]:65535"), {
    hostnames: ["::1"],
    port: 65535,
    netPermissions: ["[::1]:65535"],
  });
  assert.deepEqual(parseListenAddr("[fe80::1:2]:443").hostnames, ["fe80::1:2"]);
  assert.deepEqual(parseListenAddr("metrics.example-1.internal:9090").hostnames, [
    "metrics.example-1.internal",
  ]);
});

Deno.test("listen_addr: malformed addresses name http.listen_addr and the fix", () => {
  const cases: Array<[string, RegExp]> = [
    ["localhost", /has no port/],
    ["", /has no port/],
    ["127.0.0.1:", /has port "", not a number/],
    ["127.0.0.1:65536", /has port "65536", not a number from 0 to 65535/],
    ["127.0.0.1:80a", /has port "80a"/],
    ["127.0.0.1:-1", /has port "-1"/],
    ["::1:8081", /IPv6 address without brackets/],
    ["[::1]8081", /without a closing \]:port/],
    ["[::1", /without a closing \]:port/],
    ["[localhost]:80", /has "localhost" in brackets, not IPv6/],
    ["bad host:80", /has an invalid host "bad host"/],
    ["http://x:80", /IPv6 address without brackets|invalid host/],
  ];
  for (const [addr, problem] of cases) {
    assert.throws(
      () => parseListenAddr(addr),
      (error: unknown) => {
        assert.ok(error instanceof HttpServerError, `${addr}: ${error}`);
        assert.equal(error.key, "http.listen_addr");
        assert.ok(error.message.startsWith(`http.listen_addr "${addr}" `), error.message);
        assert.match(error.message, problem);
        assert.match(
          error.message,
          /; write host:port, :port \(all interfaces\) or \[::1\]:port\.$/,
        );
        return true;
      },
    );
  }
});
