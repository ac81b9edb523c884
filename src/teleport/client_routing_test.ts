/**
 * TLS routing through a Proxy: the client offers ALPN `teleport-auth@<hex(cluster)>…` first, and
 * the Proxy (here the fake's stand-in, which checks exactly that) forwards the still-encrypted
 * connection to the Auth Service.
 */

import assert from "node:assert/strict";
import { startTlsRoutingProxy } from "../fakes/auth/tls_routing_proxy.ts";
import { TeleportClient } from "./client.ts";
import { TeleportError } from "./types.ts";
import { startHarness } from "../testing/teleport_harness.ts";

Deno.test("a Proxy address is reached through TLS routing with the cluster's ALPN value", async () => {
  await using h = await startHarness();
  const proxy = await startTlsRoutingProxy({ clusterName: h.auth.clusterName, port: h.auth.port });
  const client = new TeleportClient({ addr: proxy.addr, credentials: h.credentials });
  try {
    assert.equal(client.address.route, "tls-routing");
    assert.equal((await client.ping()).clusterName, "example.com");
    const request = h.auth.createAccessRequest({ user: "alice@example.com" });
    assert.equal((await client.getAccessRequest(request.id))?.user, "alice@example.com");
    assert.equal(proxy.routed, 1, "one connection, routed to Auth");
    assert.equal(proxy.rejected, 0);
  } finally {
    client.close();
    await proxy.close();
    // grpc-js keeps the connection's keepalive timer until the socket has closed.
    await client.closed();
  }
});

Deno.test({
  name: "an identity of another cluster is refused by the Proxy's router with a clear error",
  // grpc-js (1.14.7) leaves its subchannel's BackoffTimeout timer running after a failed
  // connect, and Deno's sanitizers report it.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using h = await startHarness();
    const proxy = await startTlsRoutingProxy({
      clusterName: "other.example.com",
      port: h.auth.port,
    });
    const client = new TeleportClient({ addr: proxy.addr, credentials: h.credentials });
    try {
      await assert.rejects(client.ping(), (error: unknown) => {
        assert.ok(error instanceof TeleportError);
        assert.equal(error.kind, "unavailable");
        assert.match(
          error.message,
          /refused to route the connection to the Auth Service of cluster "example\.com"/,
        );
        return true;
      });
      assert.equal(proxy.routed, 0);
      assert.ok(proxy.rejected >= 1);
    } finally {
      client.close();
      await proxy.close();
    }
  },
});
