/**
 * The service's HTTP(S) listener: liveness (`/healthz`), readiness (`/readyz`), Prometheus
 * metrics (`/metrics`) and, when handlers are injected, PagerDuty webhooks
 * (`POST /pagerduty/webhook`) and Custom Incident Actions (`POST /pagerduty/action/…`).
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { HttpServerError } from "./errors.ts";
import type { Health } from "./health.ts";
import { parseListenAddr } from "./listen_addr.ts";
import type { Metrics } from "./metrics.ts";
import { type CertifiedKeyPem, type HttpsFiles, readHttpsFiles } from "./tls.ts";
import { receiveWebhook, type WebhookHandler } from "./webhook.ts";
import { ACTION_PATHS, WEBHOOK_PATH } from "./routes.ts";

const log = getLogger(["teleport-pagerduty", "http"]);

export { ACTION_PATHS, WEBHOOK_PATH } from "./routes.ts";

/** Largest webhook body accepted by default: PagerDuty promises up to 256 KB, best effort. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

/** Default time to read and handle a webhook, under PagerDuty's 5 s delivery timeout. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 4_000;

/** What {@linkcode startHttpServer} needs. */
export interface HttpServerOptions {
  /** `http.listen_addr`: `host:port`, `:port` (all interfaces) or `[::1]:port`; port 0 picks one. */
  readonly listenAddr: string;
  /** `http.https_cert_file` and `http.https_key_file`; plain HTTP when absent. */
  readonly https?: HttpsFiles;
  readonly metrics: Metrics;
  readonly health: Health;
  /** Handles `POST /pagerduty/webhook`; the route answers 404 when absent. */
  readonly webhookHandler?: WebhookHandler;
  /** Handle `POST` to {@linkcode ACTION_PATHS}; the routes answer 404 when absent. */
  readonly actionHandlers?: { readonly approve: WebhookHandler; readonly deny: WebhookHandler };
  /** Aborting it shuts the listener down gracefully (in-flight requests finish). */
  readonly signal: AbortSignal;
  /** Webhook body cap in bytes; {@linkcode DEFAULT_MAX_BODY_BYTES} by default. */
  readonly maxBodyBytes?: number;
  /** Webhook time cap; {@linkcode DEFAULT_WEBHOOK_TIMEOUT_MS} by default. */
  readonly webhookTimeoutMs?: number;
}

/** A running listener. */
export interface HttpServer {
  readonly scheme: "http" | "https";
  /**
   * The bound host as a URL writes it (IPv6 in brackets): `127.0.0.1`, `[::]` or `0.0.0.0`, so
   * `${scheme}://${hostname}:${port}` is the listener's address.
   */
  readonly hostname: string;
  /** The bound port (the chosen one when 0 was asked for). */
  readonly port: number;
  /** Resolves once the listener has shut down after the signal aborted. */
  readonly finished: Promise<void>;
}

type Route = (request: Request, remoteAddr: string) => Promise<Response> | Response;

interface RouteEntry {
  readonly methods: readonly string[];
  readonly handle: Route;
}

/**
 * Starts the listener. Reads the HTTPS files once, then binds; every failure to start is an
 * {@linkcode HttpServerError} naming the config key to fix.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const address = parseListenAddr(options.listenAddr);
  const tls = options.https ? await readHttpsFiles(options.https) : undefined;
  const routes = buildRoutes(options);
  const handler = (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) =>
    serveOne(routes, request, info);

  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  let lastError: unknown;
  for (const hostname of address.hostnames) {
    try {
      server = serveOn(hostname, address.port, tls, handler);
      break;
    } catch (error) {
      lastError = error;
      // Trying the next hostname is for hosts without IPv6 (or without permission for it);
      // a port in use stays in use.
      if (error instanceof Deno.errors.AddrInUse) break;
    }
  }
  if (!server) throw startError(options, lastError);

  // Deno.serve's own `signal` option closes connections abruptly (in-flight requests fail, seen
  // on 2.9.6); shutdown() lets them finish, and every route is bounded in time.
  const running = server;
  const shutdown = () => void running.shutdown();
  if (options.signal.aborted) shutdown();
  else options.signal.addEventListener("abort", shutdown, { once: true });

  const scheme = tls ? "https" : "http";
  const { hostname: bound, port } = server.addr;
  const hostname = bound.includes(":") ? `[${bound}]` : bound;
  log.info("Listening on {scheme}://{host}:{port}", { scheme, host: hostname, port });
  const finished = server.finished.then(() => {
    options.signal.removeEventListener("abort", shutdown);
    log.info("HTTP listener stopped");
  });
  return { scheme, hostname, port, finished };
}

function serveOn(
  hostname: string,
  port: number,
  tls: CertifiedKeyPem | undefined,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): Deno.HttpServer<Deno.NetAddr> {
  const common = {
    hostname,
    port,
    // Deno prints "Listening on" to stdout by default; the service logs instead.
    onListen: () => {},
    onError: (error: unknown) => {
      log.error("HTTP request failed: {error}", { error: String(error) });
      return new Response("Internal error.\n", { status: 500 });
    },
  };
  return tls ? Deno.serve({ ...common, ...tls }, handler) : Deno.serve(common, handler);
}

function isTlsError(error: unknown): boolean {
  return error instanceof Deno.errors.InvalidData ||
    (error instanceof Error && /key|cert/i.test(error.message));
}

function startError(options: HttpServerOptions, error: unknown): HttpServerError {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (options.https && isTlsError(error)) {
    return new HttpServerError(
      "http.https_cert_file",
      `Cannot serve HTTPS with http.https_cert_file "${options.https.certFile}" and ` +
        `http.https_key_file "${options.https.keyFile}" (${reason}); ` +
        "check that they hold a matching PEM certificate chain and private key.",
      { cause: error },
    );
  }
  const hint = error instanceof Deno.errors.AddrInUse
    ? "stop the other process using it or choose another port"
    : error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied
    ? "grant the service permission to listen there or choose another address"
    : "check that the address belongs to this host";
  return new HttpServerError(
    "http.listen_addr",
    `Cannot listen on http.listen_addr "${options.listenAddr}" (${reason}); ${hint}.`,
    { cause: error },
  );
}

function buildRoutes(options: HttpServerOptions): Map<string, RouteEntry> {
  const read = ["GET", "HEAD"];
  const routes = new Map<string, RouteEntry>([
    ["/healthz", { methods: read, handle: () => text(200, "ok\n") }],
    ["/readyz", { methods: read, handle: () => readyz(options.health) }],
    ["/metrics", { methods: read, handle: () => metrics(options.metrics) }],
  ]);
  const limits = {
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    timeoutMs: options.webhookTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
  };
  const webhooks: Array<[string, WebhookHandler | undefined]> = [
    [WEBHOOK_PATH, options.webhookHandler],
    [ACTION_PATHS.approve, options.actionHandlers?.approve],
    [ACTION_PATHS.deny, options.actionHandlers?.deny],
  ];
  for (const [path, handler] of webhooks) {
    if (!handler) continue;
    routes.set(path, {
      methods: ["POST"],
      handle: (request, remoteAddr) => receiveWebhook(request, remoteAddr, handler, limits),
    });
  }
  return routes;
}

async function serveOne(
  routes: Map<string, RouteEntry>,
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
): Promise<Response> {
  const started = performance.now();
  // Only the path is used or logged: a query string could carry credentials.
  const path = new URL(request.url).pathname;
  const remote = info.remoteAddr;
  const remoteAddr = remote.hostname.includes(":")
    ? `[${remote.hostname}]:${remote.port}`
    : `${remote.hostname}:${remote.port}`;
  const route = routes.get(path);
  let response: Response;
  if (!route) {
    response = text(404, "Not found.\n");
  } else if (!route.methods.includes(request.method)) {
    response = text(405, `Use ${route.methods.join(" or ")}.\n`);
    response.headers.set("allow", route.methods.join(", "));
  } else {
    try {
      response = await route.handle(request, remoteAddr);
    } catch (error) {
      log.error("{method} {path} failed: {error}", {
        method: request.method,
        path,
        error: error instanceof Error ? error.message : String(error),
      });
      response = text(500, "Internal error.\n");
    }
  }
  log.debug("{method} {path} {status} {durationMs} ms from {remoteAddr}", {
    method: request.method,
    path,
    status: response.status,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
    remoteAddr,
  });
  return response;
}

async function readyz(health: Health): Promise<Response> {
  const readiness = await health.readiness();
  const body = {
    status: readiness.ready ? "ready" : "not_ready",
    checks: readiness.checks,
  };
  return new Response(JSON.stringify(body, null, 2) + "\n", {
    status: readiness.ready ? 200 : 503,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

async function metrics(registry: Metrics): Promise<Response> {
  return new Response(await registry.render(), {
    headers: { "content-type": registry.contentType, "cache-control": "no-store" },
  });
}

function text(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}
