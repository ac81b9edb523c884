/**
 * A stand-in for the Teleport Proxy's TLS routing path to the Auth Service: it peeks at the
 * ClientHello and, only when the FIRST ALPN protocol is
 * `teleport-auth@<hex(clusterName)>.teleport.cluster.local`, pipes the raw bytes to the fake
 * Auth server (TLS stays end-to-end, so Auth negotiates `h2` and checks the client
 * certificate). Anything else gets a TLS `no_application_protocol` alert and is closed.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import * as net from "node:net";
import { TELEPORT_API_DOMAIN } from "../pki.ts";
import { parseClientHello } from "./client_hello.ts";

/** What the proxy forwards to: the fake Auth server (its port is read on every connection). */
export interface RoutingTarget {
  readonly clusterName: string;
  readonly port: number;
}

/** A running TLS routing proxy. */
export interface TlsRoutingProxy {
  /** `127.0.0.1:<port>`. */
  readonly addr: string;
  readonly port: number;
  /** Connections routed to Auth so far. */
  readonly routed: number;
  /** Connections refused so far (wrong or missing ALPN, or not TLS). */
  readonly rejected: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** The ALPN protocol that routes to the Auth Service of `clusterName` (Teleport's `teleport-auth@`). */
export function authAlpnProtocol(clusterName: string): string {
  const hex = Buffer.from(clusterName, "utf8").toString("hex");
  return `teleport-auth@${hex}.${TELEPORT_API_DOMAIN}`;
}

/** TLS 1.2 record: fatal alert no_application_protocol (120), as an ALPN mismatch answers. */
const NO_APPLICATION_PROTOCOL_ALERT = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x78]);

/** Starts the proxy on 127.0.0.1 (port 0 = any free port). */
export async function startTlsRoutingProxy(
  target: RoutingTarget,
  options: { readonly port?: number } = {},
): Promise<TlsRoutingProxy> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  };
  const counts = { routed: 0, rejected: 0 };
  const expected = authAlpnProtocol(target.clusterName);

  const server = net.createServer((client) => {
    track(client);
    client.on("error", () => client.destroy());
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const hello = parseClientHello(received);
      if (hello.status === "incomplete") return;
      client.off("data", onData);
      client.pause();
      if (hello.status !== "ok" || hello.alpn[0] !== expected) {
        counts.rejected++;
        if (hello.status === "ok") client.end(NO_APPLICATION_PROTOCOL_ALERT);
        else client.end();
        return;
      }
      counts.routed++;
      const upstream = net.connect(target.port, "127.0.0.1");
      track(upstream);
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      client.on("close", () => upstream.destroy());
      upstream.write(received);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    };
    client.on("data", onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    addr: `127.0.0.1:${port}`,
    port,
    get routed() {
      return counts.routed;
    },
    get rejected() {
      return counts.rejected;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
