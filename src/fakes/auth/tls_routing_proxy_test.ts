import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";
import { fromBinary } from "@bufbuild/protobuf";
import { PingResponseSchema } from "../../teleport/gen/teleport/legacy/client/proto/authservice_pb.ts";
import type { ClientIdentity } from "../pki.ts";
import { FakeAuthServer } from "./server.ts";
import {
  authAlpnProtocol,
  startTlsRoutingProxy,
  type TlsRoutingProxy,
} from "./tls_routing_proxy.ts";

async function setup(): Promise<{
  auth: FakeAuthServer;
  proxy: TlsRoutingProxy;
  identity: ClientIdentity;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  const auth = await FakeAuthServer.start({ clusterName: "example.com", expirySweepMs: 0 });
  auth.addUser({ name: "plugin" });
  const identity = await auth.issueIdentity("plugin");
  const proxy = await startTlsRoutingProxy(auth);
  return {
    auth,
    proxy,
    identity,
    async [Symbol.asyncDispose]() {
      await proxy.close();
      await auth.stop();
    },
  };
}

/** Opens TLS through the proxy offering `alpn`; resolves to the socket or the error message. */
function connectTls(
  proxy: TlsRoutingProxy,
  identity: ClientIdentity,
  alpn: string[],
): Promise<tls.TLSSocket | string> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port: proxy.port,
      servername: "teleport.cluster.local",
      ALPNProtocols: alpn,
      key: Buffer.from(identity.keyPem),
      cert: Buffer.from(identity.certPem),
      ca: identity.hostCaCertPems.map((p) => Buffer.from(p)),
    });
    socket.once("secureConnect", () => resolve(socket));
    socket.once("error", (err) => {
      socket.destroy();
      resolve(err.message);
    });
    socket.once("close", () => resolve("closed before the handshake"));
  });
}

/** A raw gRPC Ping (empty request) over an established TLS socket. */
async function grpcPing(socket: tls.TLSSocket): Promise<string> {
  const session = http2.connect("https://teleport.cluster.local", {
    createConnection: () => socket,
  });
  try {
    const stream = session.request({
      ":method": "POST",
      ":path": "/proto.AuthService/Ping",
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    return fromBinary(PingResponseSchema, body.subarray(5, 5 + body.readUInt32BE(1))).ClusterName;
  } finally {
    await new Promise<void>((resolve) => session.close(() => resolve()));
  }
}

Deno.test("the routing ALPN is teleport-auth@<hex(cluster)>.teleport.cluster.local", () => {
  assert.equal(
    authAlpnProtocol("example.com"),
    "teleport-auth@6578616d706c652e636f6d.teleport.cluster.local",
  );
});

Deno.test("teleport-auth@ first: TLS passes through to Auth, which negotiates h2 and serves gRPC", async () => {
  await using env = await setup();
  const socket = await connectTls(env.proxy, env.identity, [
    authAlpnProtocol("example.com"),
    "h2",
  ]);
  assert.ok(typeof socket !== "string", String(socket));
  assert.equal(socket.alpnProtocol, "h2");
  assert.equal(socket.authorized, true);
  assert.equal(await grpcPing(socket), "example.com");
  assert.equal(env.proxy.routed, 1);
  assert.equal(env.auth.callCount("Ping"), 1);
});

Deno.test("other ALPN lists, another cluster and non-TLS bytes are refused", async () => {
  await using env = await setup();
  const offers = [
    ["h2", authAlpnProtocol("example.com")], // routing protocol not first
    [authAlpnProtocol("other.example.com"), "h2"],
    ["h2"],
  ];
  for (const alpn of offers) {
    const result = await connectTls(env.proxy, env.identity, alpn);
    assert.equal(typeof result, "string", `ALPN ${alpn.join(",")} should be refused`);
  }
  const plain = net.connect(env.proxy.port, "127.0.0.1");
  plain.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const received: Buffer[] = [];
  plain.on("data", (d: Buffer) => received.push(d));
  await new Promise((resolve) => plain.once("close", resolve));
  assert.equal(Buffer.concat(received).length, 0);
  assert.equal(env.proxy.rejected, 4);
  assert.equal(env.proxy.routed, 0);
});
