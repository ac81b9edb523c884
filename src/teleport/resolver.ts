/**
 * A grpc-js resolver for `hostport:<host>:<port>` targets that hands the host name, unresolved,
 * to the socket connect. grpc-js's own `dns:` resolver looks the name up without a port and then
 * dials the IP, so Deno would need `--allow-net=<host>` plus every resolved `<ip>:<port>`; with
 * this resolver `--allow-net=<host>:<port>` is enough, because Deno's `net.connect` resolves the
 * name itself and checks the permission against `host:port`.
 *
 * @module
 */

import * as grpc from "@grpc/grpc-js";

/** The URI scheme the resolver handles. */
export const HOSTPORT_SCHEME = "hostport";

/**
 * Reports the target's host and port as the one endpoint, once until destroyed. Answering every
 * re-resolution request would spin: pick-first asks for one on each failed connect, and a fresh
 * result restarts the connect at once (grpc-js's DNS resolver rate-limits itself for this).
 * The address never changes, so pick-first's own reconnect backoff is all that is needed.
 */
class HostPortResolver implements grpc.experimental.Resolver {
  readonly #target: grpc.experimental.GrpcUri;
  readonly #listener: grpc.experimental.ResolverListener;
  #reported = false;

  constructor(
    target: grpc.experimental.GrpcUri,
    listener: grpc.experimental.ResolverListener,
    _options: grpc.ChannelOptions,
  ) {
    this.#target = target;
    this.#listener = listener;
  }

  updateResolution(): void {
    if (this.#reported) return;
    this.#reported = true;
    const hostPort = grpc.experimental.splitHostPort(this.#target.path);
    // grpc-js forbids calling the listener synchronously from updateResolution.
    queueMicrotask(() => {
      if (!this.#reported) return;
      if (hostPort === null || hostPort.port === undefined) {
        this.#listener(
          grpc.experimental.statusOrFromError({
            code: grpc.status.UNAVAILABLE,
            details: `the gRPC target "${this.#target.path}" is not host:port`,
            metadata: new grpc.Metadata(),
          }),
          {},
          null,
          "",
        );
        return;
      }
      this.#listener(
        grpc.experimental.statusOrFromValue([{
          addresses: [{ host: hostPort.host, port: hostPort.port }],
        }]),
        {},
        null,
        "",
      );
    });
  }

  destroy(): void {
    // After destroy (channel idle or closed) the next updateResolution must report again.
    this.#reported = false;
  }

  static getDefaultAuthority(target: grpc.experimental.GrpcUri): string {
    return target.path;
  }
}

let registered = false;

/** Registers the `hostport:` scheme with grpc-js; safe to call more than once. */
export function registerHostPortResolver(): void {
  if (registered) return;
  grpc.experimental.registerResolver(HOSTPORT_SCHEME, HostPortResolver);
  registered = true;
}
