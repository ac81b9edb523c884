import assert from "node:assert/strict";
import { authAlpnProtocol, grpcTarget, parseAuthAddress } from "./address.ts";
import { TeleportError } from "./types.ts";

Deno.test("port 3025 dials the Auth Service directly; other ports use TLS routing", () => {
  assert.deepEqual(parseAuthAddress("auth.example.com:3025"), {
    host: "auth.example.com",
    port: 3025,
    route: "direct",
    text: "auth.example.com:3025",
  });
  assert.equal(parseAuthAddress("example.teleport.sh:443").route, "tls-routing");
  assert.equal(parseAuthAddress("proxy.example.com:3080").route, "tls-routing");
  assert.equal(parseAuthAddress(" 10.0.0.5:8443 ").route, "tls-routing");
});

Deno.test("IPv6 addresses keep their brackets in the gRPC target only", () => {
  const address = parseAuthAddress("[::1]:3025");
  assert.equal(address.host, "::1");
  assert.equal(grpcTarget(address), "hostport:[::1]:3025");
  assert.equal(grpcTarget(parseAuthAddress("localhost:3025")), "hostport:localhost:3025");
});

Deno.test("an address without a port is a config error naming teleport.addr", () => {
  for (
    const [text, why] of [
      ["auth.example.com", "has no port"],
      ["[::1]", "has no port"],
      ["https://example.teleport.sh:443", "has a URL scheme"],
      ["auth.example.com:0", "outside 1-65535"],
      ["auth.example.com:70000", "outside 1-65535"],
      ["", "is empty"],
      ["a:b:c", "is not a valid host:port"],
    ]
  ) {
    assert.throws(() => parseAuthAddress(text), (error: unknown) => {
      assert.ok(error instanceof TeleportError);
      assert.equal(error.kind, "invalid_argument");
      assert.match(error.message, /^teleport\.addr /);
      assert.ok(error.message.includes(why), `${text}: ${error.message}`);
      assert.match(error.message, /host:port/);
      return true;
    });
  }
});

Deno.test("the TLS-routing ALPN value hex-encodes the cluster name", () => {
  // The value teleport-wire.md §3.4 gives for cluster example.com.
  assert.equal(
    authAlpnProtocol("example.com"),
    "teleport-auth@6578616d706c652e636f6d.teleport.cluster.local",
  );
});
