/**
 * Connection failures must each give one clear error naming the setting to fix, and never hang.
 */

import "reflect-metadata";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createPrivateKey } from "node:crypto";
import * as net from "node:net";
import * as tls from "node:tls";
import * as x509 from "@peculiar/x509";
import { createClusterPki } from "../fakes/pki.ts";
import { fixedCredentials, TeleportClient } from "./client.ts";
import { TeleportError } from "./types.ts";
import { PLUGIN_USER, startHarness } from "../testing/teleport_harness.ts";

/**
 * grpc-js (1.14.7) leaves its subchannel's BackoffTimeout timer running after a failed connect:
 * closing the channel does not stop it. Deno's sanitizers report that timer, so the tests of
 * failed connections opt out of them.
 */
const GRPC_BACKOFF_LEAK = { sanitizeOps: false, sanitizeResources: false };

async function pingError(client: TeleportClient): Promise<TeleportError> {
  try {
    await client.ping();
  } catch (error) {
    assert.ok(error instanceof TeleportError, `expected a TeleportError, got ${error}`);
    assert.ok(!error.message.includes("\n    at "), "no stack trace in the message");
    return error;
  }
  assert.fail("expected ping to fail");
}

/** A TLS server presenting a certificate signed by `ca` but only for `example.org`. */
async function wrongNameServer(ca: { certificate: x509.X509Certificate; keys: CryptoKeyPair }) {
  const algorithm = { name: "ECDSA", namedCurve: "P-256" };
  const keys = await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: "01",
    subject: "CN=example.org",
    issuer: ca.certificate.subjectName,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "example.org" }])],
  });
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  const key = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  const server = tls.createServer({
    key: key.export({ format: "pem", type: "pkcs8" }),
    cert: cert.toString("pem"),
    ALPNProtocols: ["h2"],
  }, (socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

Deno.test({
  name: "a server certificate from another cluster's CA names the identity file",
  ...GRPC_BACKOFF_LEAK,
  async fn() {
    await using h = await startHarness();
    const other = await createClusterPki({ clusterName: "other.example.com" });
    const identity = await h.auth.issueIdentity(PLUGIN_USER);
    const credentials = await h.load(
      { ...identity, hostCaCertPems: [other.hostCa.certPem] },
      "wrong-ca",
    );
    const client = new TeleportClient({
      addr: `localhost:${h.auth.port}`,
      credentials: fixedCredentials(credentials),
    });
    try {
      const error = await pingError(client);
      assert.equal(error.kind, "unavailable");
      assert.match(
        error.message,
        /^The server at localhost:\d+ \(teleport\.addr\) presented a certificate not signed by the CAs in identity file .*wrong-ca \(teleport\.identity\): is the identity from this cluster/,
      );
    } finally {
      client.close();
    }
  },
});

Deno.test({
  name: "a server certificate not for teleport.cluster.local says teleport.addr is wrong",
  ...GRPC_BACKOFF_LEAK,
  async fn() {
    await using h = await startHarness();
    const server = await wrongNameServer(h.auth.pki.hostCa);
    const port = (server.address() as net.AddressInfo).port;
    const client = new TeleportClient({
      addr: `127.0.0.1:${port}`,
      credentials: h.credentials,
    });
    try {
      const error = await pingError(client);
      assert.equal(error.kind, "unavailable");
      assert.match(error.message, /is not for teleport\.cluster\.local/);
      assert.match(error.message, /teleport\.addr must point at a Teleport Auth Service or Proxy/);
    } finally {
      client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  },
});

Deno.test({
  name: "a client certificate the Auth Service does not trust is reported as such",
  ...GRPC_BACKOFF_LEAK,
  async fn() {
    await using h = await startHarness();
    const other = await createClusterPki({ clusterName: "other.example.com" });
    const identity = await h.auth.issueIdentity(PLUGIN_USER, { signer: other.userCa });
    const credentials = await h.load(identity, "untrusted");
    const client = new TeleportClient({
      addr: `localhost:${h.auth.port}`,
      credentials: fixedCredentials(credentials),
    });
    try {
      const error = await pingError(client);
      assert.equal(error.kind, "unavailable");
      assert.match(error.message, /client certificate in identity file .*untrusted/);
      assert.match(
        error.message,
        /sign a new identity for this cluster \(`tctl auth sign --user=\S+`/,
      );
    } finally {
      client.close();
    }
  },
});

Deno.test({
  name: "an address nothing listens on fails fast with the address and the error code",
  ...GRPC_BACKOFF_LEAK,
  async fn() {
    await using h = await startHarness();
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const client = new TeleportClient({ addr: `127.0.0.1:${port}`, credentials: h.credentials });
    try {
      const error = await pingError(client);
      assert.equal(error.kind, "unavailable");
      assert.equal(
        error.message,
        `Cannot connect to 127.0.0.1:${port} (teleport.addr) (ECONNREFUSED): check teleport.addr and that the Teleport Auth Service or Proxy there is running and reachable from this host.`,
      );
    } finally {
      client.close();
    }
  },
});

Deno.test({
  name: "a peer that accepts TCP but never answers ends in the call deadline, not a hang",
  ...GRPC_BACKOFF_LEAK,
  async fn() {
    await using h = await startHarness();
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const client = new TeleportClient({
      addr: `127.0.0.1:${port}`,
      credentials: h.credentials,
      callTimeoutMs: 300,
    });
    try {
      const error = await pingError(client);
      assert.equal(error.kind, "deadline_exceeded");
      assert.match(
        error.message,
        new RegExp(
          `^Could not connect to 127\\.0\\.0\\.1:${port} \\(teleport\\.addr\\) within 0\\.3 s`,
        ),
      );
    } finally {
      client.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  },
});
