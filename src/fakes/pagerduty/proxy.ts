/**
 * A loopback TCP relay in front of the fake's HTTP server, so a request can be answered with a
 * closed connection and no status line at all. `Deno.serve` always sends the status line before
 * the body, so it can only break a response half-way; PagerDuty's load balancer (and the network)
 * can also drop a request before answering, which a client must survive too.
 *
 * @module
 */

interface Pair {
  readonly client: Deno.TcpConn;
  readonly upstream: Deno.TcpConn;
  closed: boolean;
}

/** Copies bytes from one connection to the other until end of stream. */
async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await from.read(buffer);
    if (n === null) return;
    let written = 0;
    while (written < n) written += await to.write(buffer.subarray(written, n));
  }
}

/** Relays connections to a target and can drop the client connection behind any upstream one. */
export class DroppingProxy {
  /** The port clients connect to. */
  readonly port: number;
  readonly #listener: Deno.TcpListener;
  readonly #target: { hostname: string; port: number };
  /** Keyed by the local port of the upstream connection, which the server sees as the remote port. */
  readonly #pairs = new Map<number, Pair>();
  readonly #pending = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;

  private constructor(listener: Deno.TcpListener, target: { hostname: string; port: number }) {
    this.#listener = listener;
    this.#target = target;
    this.port = listener.addr.port;
    this.#accepting = this.#accept();
  }

  /** Listens on an ephemeral loopback port and relays to `target`. */
  static start(target: { hostname: string; port: number }): Promise<DroppingProxy> {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return Promise.resolve(new DroppingProxy(listener, target));
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) {
        const relay = this.#relay(client);
        this.#pending.add(relay);
        relay.finally(() => this.#pending.delete(relay));
      }
    } catch (error) {
      // Closing the listener ends the loop with BadResource; anything else is unexpected.
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  }

  async #relay(client: Deno.TcpConn): Promise<void> {
    let upstream: Deno.TcpConn;
    try {
      upstream = await Deno.connect({ ...this.#target, transport: "tcp" });
    } catch {
      client.close();
      return;
    }
    const pair: Pair = { client, upstream, closed: false };
    const key = upstream.localAddr.port;
    this.#pairs.set(key, pair);
    const pumps = [pump(client, upstream), pump(upstream, client)];
    // Either side ending (or failing) ends the relay; closing both then settles the other pump.
    await Promise.race(pumps).catch(() => {});
    this.#close(pair);
    await Promise.allSettled(pumps);
    this.#pairs.delete(key);
  }

  #close(pair: Pair): void {
    if (pair.closed) return;
    pair.closed = true;
    for (const conn of [pair.client, pair.upstream]) {
      try {
        conn.close();
      } catch {
        // Already closed by the peer.
      }
    }
  }

  /**
   * Closes the client connection relayed through the upstream connection whose local port is
   * `upstreamPort` (the remote port the HTTP server saw). Returns false when it is unknown.
   */
  drop(upstreamPort: number): boolean {
    const pair = this.#pairs.get(upstreamPort);
    if (pair === undefined) return false;
    this.#close(pair);
    return true;
  }

  /** Stops accepting, closes every relayed connection and waits for the relays to end. */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    await this.#accepting;
    for (const pair of this.#pairs.values()) this.#close(pair);
    await Promise.allSettled([...this.#pending]);
  }
}
