/**
 * The service's HTTP(S) listener: liveness (`/healthz`), readiness (`/readyz`), Prometheus
 * metrics (`/metrics`) and, when handlers are injected, PagerDuty webhooks
 * (`POST /pagerduty/webhook`) and Custom Incident Actions (`POST /pagerduty/action/…`). It faces
 * the internet, so every connection is bounded: time to send the request head, idle time between
 * requests, and how many are open (in all and per client address).
 *
 * @module
 */

import { createPrivateKey, X509Certificate } from "node:crypto";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { Readable } from "node:stream";
import { getLogger } from "@logtape/logtape";
import { boundedDelay } from "../timers.ts";
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

/**
 * Time a client has from connecting to finish sending a request's head (request line and
 * headers; over HTTPS including the handshake). A slow-headers client holds a connection no
 * longer than this.
 */
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;

/** Time a kept-alive connection may wait, after an answer, for the next request's head. */
export const DEFAULT_IDLE_TIMEOUT_MS = 5_000;

/**
 * Connections open at once; beyond it new ones are closed at once. Health checks, scrapes and
 * PagerDuty's webhooks need a handful.
 */
export const DEFAULT_MAX_CONNECTIONS = 256;

/**
 * Connections open at once from one client address, so that one client cannot take them all
 * (PagerDuty delivers from several addresses).
 */
export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 16;

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
  /** {@linkcode DEFAULT_HEADER_TIMEOUT_MS} by default. */
  readonly headerTimeoutMs?: number;
  /** {@linkcode DEFAULT_IDLE_TIMEOUT_MS} by default. */
  readonly idleTimeoutMs?: number;
  /** {@linkcode DEFAULT_MAX_CONNECTIONS} by default. */
  readonly maxConnections?: number;
  /** {@linkcode DEFAULT_MAX_CONNECTIONS_PER_CLIENT} by default. */
  readonly maxConnectionsPerClient?: number;
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
  if (tls) checkKeyPair(options, tls);
  const routes = buildRoutes(options);
  const limits: ConnectionLimits = {
    headerTimeoutMs: options.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    maxConnectionsPerClient: options.maxConnectionsPerClient ?? DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
  };

  let listener: Listener | undefined;
  let lastError: unknown;
  for (const hostname of address.hostnames) {
    try {
      listener = await listen(
        hostname,
        address.port,
        tls,
        limits,
        (request, remote) => serveOne(routes, request, remote),
      );
      break;
    } catch (error) {
      lastError = error;
      // Trying the next hostname is for hosts without IPv6 (or without permission for it);
      // a port in use stays in use.
      if (error instanceof Deno.errors.AddrInUse) break;
    }
  }
  if (!listener) throw startError(options, lastError);

  const running = listener;
  const shutdown = () => running.shutdown();
  if (options.signal.aborted) shutdown();
  else options.signal.addEventListener("abort", shutdown, { once: true });

  const scheme = tls ? "https" : "http";
  const { port } = listener;
  // As a URL writes it, so logs show http://[::]:port, not http://:::port.
  const hostname = listener.hostname.includes(":") ? `[${listener.hostname}]` : listener.hostname;
  log.info("Listening on {scheme}://{host}:{port}", { scheme, host: hostname, port });
  const finished = listener.finished.then(() => {
    options.signal.removeEventListener("abort", shutdown);
    log.info("HTTP listener stopped");
  });
  return { scheme, hostname, port, finished };
}

/** The bounds every connection is held to. */
interface ConnectionLimits {
  readonly headerTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerClient: number;
}

/** A client's address as `host:port` (IPv6 in brackets). */
type Remote = string;

/** A bound listener. */
interface Listener {
  readonly hostname: string;
  readonly port: number;
  /** Stops accepting, closes idle connections, lets running requests finish. */
  shutdown(): void;
  /** Resolves once every connection is closed after {@link Listener.shutdown}. */
  readonly finished: Promise<void>;
}

/** One open connection: its deadline, and how many of its requests are being answered. */
interface Connection {
  readonly socket: Socket;
  timer: ReturnType<typeof setTimeout> | undefined;
  busy: number;
}

/**
 * Binds `hostname:port` with Node's HTTP(S) server (Deno's `Deno.serve` has no way to bound
 * how long a client may take to send its headers, to stay idle, or how many connections may
 * be open), holding every connection to `limits`:
 * - from connecting, a client has `headerTimeoutMs` to send a whole request head (over HTTPS
 *   including the handshake), and after each answer `idleTimeoutMs` to send the next one;
 *   otherwise the connection is closed (a slow body is the webhook route's time cap's job);
 * - beyond `maxConnections` open connections, or `maxConnectionsPerClient` from one address,
 *   new ones are closed at once.
 */
async function listen(
  hostname: string,
  port: number,
  tls: CertifiedKeyPem | undefined,
  limits: ConnectionLimits,
  handle: (request: Request, remote: Remote) => Promise<Response>,
): Promise<Listener> {
  // Node's listen reports a missing permission as an uncaught error, not as an "error" event.
  const host = `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  if (Deno.permissions.querySync({ name: "net", host }).state !== "granted") {
    throw new Deno.errors.NotCapable(`Requires net access to "${host}"`);
  }
  const connections = new Map<Remote, Connection>();
  let stopping = false;
  const remoteOf = (socket: Socket): Remote =>
    socket.remoteAddress?.includes(":")
      ? `[${socket.remoteAddress}]:${socket.remotePort}`
      : `${socket.remoteAddress}:${socket.remotePort}`;
  const arm = (connection: Connection, ms: number) => {
    clearTimeout(connection.timer);
    connection.timer = setTimeout(() => connection.socket.destroy(), boundedDelay(ms));
  };
  const onRequest = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const remote = remoteOf(incoming.socket);
    const connection = connections.get(remote);
    if (connection) {
      clearTimeout(connection.timer);
      connection.busy++;
    }
    outgoing.on("close", () => {
      if (!connection) return;
      connection.busy--;
      if (stopping) connection.socket.destroy();
      else if (connection.busy === 0) arm(connection, limits.idleTimeoutMs);
    });
    void answer(incoming, outgoing, remote, handle, () => stopping);
  };
  const server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key }, onRequest)
    : createHttpServer(onRequest);
  server.maxConnections = limits.maxConnections;
  // Node's own timers: the connection deadlines above replace them.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = limits.idleTimeoutMs;
  const perClient = new Map<string, number>();
  server.on("connection", (socket: Socket) => {
    const client = socket.remoteAddress ?? "";
    const open = perClient.get(client) ?? 0;
    if (open >= limits.maxConnectionsPerClient) {
      socket.destroy();
      return;
    }
    perClient.set(client, open + 1);
    const connection: Connection = { socket, timer: undefined, busy: 0 };
    const remote = remoteOf(socket);
    connections.set(remote, connection);
    arm(connection, limits.headerTimeoutMs);
    socket.once("close", () => {
      clearTimeout(connection.timer);
      if (connections.get(remote) === connection) connections.delete(remote);
      const left = (perClient.get(client) ?? 1) - 1;
      if (left > 0) perClient.set(client, left);
      else perClient.delete(client);
    });
  });
  // Errors of one client's connection (a reset, a bad TLS handshake) concern only it.
  server.on("clientError", (_error: Error, socket: Socket) => socket.destroy());
  server.on("tlsClientError", (_error: Error, socket: Socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(denoError(error)));
    server.listen({ host: hostname, port }, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const finished = new Promise<void>((resolve) => server.once("close", () => resolve()));
  return {
    hostname: bound.address,
    port: bound.port,
    shutdown: () => {
      if (stopping) return;
      stopping = true;
      server.close();
      for (const connection of connections.values()) {
        if (connection.busy === 0) connection.socket.destroy();
      }
    },
    finished,
  };
}

/** Node's listen errors as the Deno errors the rest of the server names. */
function denoError(error: NodeJS.ErrnoException): Error {
  const message = error.message;
  if (error.code === "EADDRINUSE") return new Deno.errors.AddrInUse(message);
  if (error.code === "EADDRNOTAVAIL") return new Deno.errors.AddrNotAvailable(message);
  if (error.code === "EACCES" || error.code === "EPERM") {
    return new Deno.errors.PermissionDenied(message);
  }
  return error;
}

/** Answers one request through the routes, converting between Node's and Fetch's shapes. */
async function answer(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  remote: Remote,
  handle: (request: Request, remote: Remote) => Promise<Response>,
  stopping: () => boolean,
): Promise<void> {
  let response: Response;
  try {
    const headers = new Headers();
    const raw = incoming.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
    const method = incoming.method ?? "GET";
    const hasBody = method !== "GET" && method !== "HEAD";
    // Only the path and query are the client's; the origin is a placeholder, never used.
    const request = new Request(new URL(incoming.url ?? "/", "http://listener"), {
      method,
      headers,
      body: hasBody ? Readable.toWeb(incoming) as ReadableStream<Uint8Array> : undefined,
      ...(hasBody ? { duplex: "half" } : {}),
    });
    response = await handle(request, remote);
  } catch (error) {
    // Only a request that cannot be read gets here; the routes answer their own failures.
    log.warn("Could not read an HTTP request from {remoteAddr}: {error}", {
      remoteAddr: remote,
      error: String(error),
    });
    response = text(400, "Bad request.\n");
  }
  let body: Uint8Array;
  try {
    // Every answer here is small (health, metrics, a webhook's verdict): send it with its length.
    body = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    log.warn("HTTP response could not be read: {error}", { error: String(error) });
    outgoing.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  headers["content-length"] = String(body.length);
  if (stopping()) headers["connection"] = "close";
  outgoing.writeHead(response.status, headers);
  outgoing.end(incoming.method === "HEAD" ? undefined : body);
}

/**
 * Fails like a bad TLS setup at start when the certificate does not belong to the key: Node's
 * server would accept the pair and fail every handshake later.
 */
function checkKeyPair(options: HttpServerOptions, tls: CertifiedKeyPem): void {
  let matches: boolean;
  let problem: unknown;
  try {
    matches = new X509Certificate(tls.cert).checkPrivateKey(createPrivateKey(tls.key));
  } catch (error) {
    matches = false;
    problem = error;
  }
  if (!matches) {
    throw startError(
      options,
      new Deno.errors.InvalidData(
        problem === undefined
          ? "the certificate does not belong to the private key"
          : `the certificate or key cannot be parsed (${errorName(problem)})`,
      ),
    );
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "unknown error";
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
  remoteAddr: Remote,
): Promise<Response> {
  const started = performance.now();
  // Only the path is used or logged: a query string could carry credentials.
  const path = new URL(request.url).pathname;
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
