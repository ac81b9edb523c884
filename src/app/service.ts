/**
 * The running service: joins the Teleport client and watcher, the PagerDuty client, the
 * lifecycle, and the optional HTTP listener, and runs them until the caller's signal aborts or
 * a fatal error. The CLI's worker calls {@linkcode runService}; the demo, the benchmark and the
 * end-to-end tests use {@linkcode startService} to keep a handle on the parts.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { Config, ReviewsConfig } from "../config/types.ts";
import { Health } from "../http/health.ts";
import { Metrics } from "../http/metrics.ts";
import {
  customActionHandler,
  type ResponderSink,
  v3WebhookHandler,
} from "../http/responder_routes.ts";
import { type HttpServerOptions, startHttpServer } from "../http/server.ts";
import { metricsObserver, pagerDutyTelemetry } from "../http/telemetry.ts";
import { PagerDutyClient } from "../pagerduty/client.ts";
import { PagerDutyError } from "../pagerduty/types.ts";
import { TeleportClient } from "../teleport/client.ts";
import { credentialFilesFromConfig } from "../config/credentials.ts";
import { IdentitySource } from "../teleport/identity_source.ts";
import type { ClusterInfo } from "../teleport/types.ts";
import { Watcher, type WatcherStatus } from "../teleport/watcher.ts";
import { ACCESS_END_JOB_HANDLERS } from "./access_end_handlers.ts";
import { Lifecycle } from "./lifecycle.ts";
import { DECISION_JOB, decisionJobHandler } from "./responder_decisions.ts";
import { responderSink, serviceUserIdLookup } from "./responder_sink.ts";
import { boundedDelay } from "../timers.ts";

const log = getLogger(["teleport-pagerduty", "service"]);

/** Pause between the last stream ending and closing the Teleport channel; see the cleanup. */
const GOAWAY_SETTLE_MS = 100;

/** How long a stop waits for the Teleport connections to close before going on. */
const CLOSE_SETTLE_MS = 2_000;

/** How long a graceful stop waits for running work before abandoning it. */
export const SHUTDOWN_GRACE_MS = 15_000;

/** Options of {@linkcode startService}. */
export interface ServiceOptions {
  /** Aborting it stops the service gracefully. */
  readonly signal: AbortSignal;
  /** Overrides for tests and tools: retry delays of failed request work. */
  readonly retryDelayMs?: (attempt: number) => number;
  /** Overrides for tests and tools: watcher INIT wait and reconnect backoff. */
  readonly watch?: { initTimeoutMs?: number; backoff?: { baseMs: number; maxMs: number } };
}

/** A started service. */
export interface RunningService {
  readonly cluster: ClusterInfo;
  readonly metrics: Metrics;
  readonly health: Health;
  readonly lifecycle: Lifecycle;
  /** The watcher's state. */
  readonly watchStatus: () => WatcherStatus;
  /** The HTTP listener's port, when one is configured. */
  readonly httpPort: number | undefined;
  /** Resolves after a graceful stop; rejects with the fatal error that stopped the service. */
  readonly done: Promise<void>;
}

/** Error that stops the service; its message is one sentence for the operator. */
export class ServiceError extends Error {
  /** Creates a fatal service error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ServiceError";
  }
}

/** Runs the service until `signal` aborts (resolves) or a fatal error (rejects). */
export async function runService(config: Config, options: { signal: AbortSignal }): Promise<void> {
  const service = await startService(config, options);
  await service.done;
}

/** Starts the service and returns once it has connected to both sides. */
export async function startService(
  config: Config,
  options: ServiceOptions,
): Promise<RunningService> {
  const { signal } = options;
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  const cleanups: Array<() => Promise<void> | void> = [
    () => signal.removeEventListener("abort", onAbort),
  ];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        log.warn("Shutdown step failed: {error}", { error: String(error) });
      }
    }
  };
  try {
    return await start(config, options, stop, cleanups, cleanup);
  } catch (error) {
    stop.abort();
    await cleanup();
    throw error;
  }
}

async function start(
  config: Config,
  options: ServiceOptions,
  stop: AbortController,
  cleanups: Array<() => Promise<void> | void>,
  cleanup: () => Promise<void>,
): Promise<RunningService> {
  const identity = await IdentitySource.open(credentialFilesFromConfig(config.teleport), {
    refresh: config.teleport.refreshIdentity,
    intervalMs: config.teleport.refreshIdentityIntervalMs,
    signal: stop.signal,
  });
  cleanups.push(() => identity.close());
  const selfUser = identity.current.username;

  const auth = new TeleportClient({ addr: config.teleport.addr, credentials: identity });
  cleanups.push(async () => {
    // A GOAWAY right after a stream closed can abort Deno 2.9.6 in nghttp2
    // (find_stream_on_goaway_func); let the cancelled watch stream settle first.
    await new Promise((resolve) => setTimeout(resolve, GOAWAY_SETTLE_MS));
    auth.close();
    // grpc-js clears its keepalive timer only once the socket has closed; wait for that, briefly.
    await auth.closed(CLOSE_SETTLE_MS);
  });
  const cluster = await auth.ping();
  log.info("Connected to Teleport cluster {cluster} (version {version}) as {user}", {
    cluster: cluster.clusterName,
    version: cluster.serverVersion,
    user: selfUser,
  });

  const metrics = new Metrics();
  const pd: { client?: PagerDutyClient } = {};
  const health = new Health({
    probe: async () => {
      await pd.client?.listAbilities();
    },
  });
  const pagerduty = new PagerDutyClient({
    apiKey: config.pagerduty.apiKey.reveal(),
    userEmail: config.pagerduty.userEmail,
    baseUrl: config.pagerduty.apiEndpoint,
    authScheme: config.pagerduty.authScheme,
    timeoutMs: config.pagerduty.requestTimeoutMs,
    maxRequestsPerMinute: config.pagerduty.maxRequestsPerMinute,
    signal: stop.signal,
    ...pagerDutyTelemetry(metrics, health),
  });
  pd.client = pagerduty;
  await checkPagerDuty(pagerduty);

  const proxyAddr = config.teleport.webProxyAddr ?? cluster.proxyPublicAddr;
  const reviews = config.pagerduty.reviews;
  const serviceUserId = serviceUserIdLookup(pagerduty, config.pagerduty.userEmail);
  const lifecycle = new Lifecycle({
    auth,
    pagerduty,
    selfUser,
    proxyAddr: () => proxyAddr,
    notifyAnnotation: config.pagerduty.notifyServiceAnnotation,
    servicesAnnotation: config.pagerduty.servicesAnnotation,
    urgency: config.pagerduty.urgency,
    priority: config.pagerduty.priority,
    autoApproval: config.pagerduty.autoApproval,
    accessEnd: config.pagerduty.accessEnd,
    // Registered whatever the config: plans made while a feature was on are still carried out.
    concurrency: config.processing.concurrency,
    retryDelayMs: options.retryDelayMs,
    observer: metricsObserver(metrics),
    // Access already granted until a shift or incident ends still ends if the feature is turned
    // off; decisions wait for [pagerduty.reviews] to be turned back on.
    jobHandlers: {
      ...ACCESS_END_JOB_HANDLERS,
      ...(reviews && {
        [DECISION_JOB]: decisionJobHandler({
          reviews,
          serviceUserEmail: config.pagerduty.userEmail,
          serviceUserId,
        }),
      }),
    },
    onQueueDepth: (waiting, running) => {
      metrics.setWorkQueueDepth(waiting);
      metrics.setWorkInFlight(running);
    },
  });

  let httpPort: number | undefined;
  if (config.http) {
    const server = await startHttpServer({
      listenAddr: config.http.listenAddr,
      https: config.http.httpsCertFile && config.http.httpsKeyFile
        ? { certFile: config.http.httpsCertFile, keyFile: config.http.httpsKeyFile }
        : undefined,
      metrics,
      health,
      signal: stop.signal,
      ...(reviews && responderRoutes(
        reviews,
        responderSink({
          auth,
          pagerduty,
          scheduleJob: (requestId, job) => lifecycle.scheduleJob(requestId, job),
          serviceUserId,
          approveWorkflows: reviews.approveWorkflows,
          denyWorkflows: reviews.denyWorkflows,
          clock: () => Date.now(),
          // A resolved incident may end access granted for it (incident-linked access).
          onIncidentResolved: (incidentId) => lifecycle.incidentResolved(incidentId),
        }),
        metrics,
      )),
    });
    httpPort = server.port;
    cleanups.push(() => server.finished);
    log.info("Listening for health and metrics on {scheme}://{host}:{port}", {
      scheme: server.scheme,
      host: server.hostname,
      port: server.port,
    });
  }

  const watcher = new Watcher(auth, {
    pluginName: "pagerduty",
    initTimeoutMs: options.watch?.initTimeoutMs,
    backoff: options.watch?.backoff,
    onRequestEvent: (event, source) => {
      metrics.eventReceived("access_request", source === "resync" ? "resync" : event.type);
      lifecycle.handleRequestEvent(event, source);
    },
    onRuleEvent: (event) => {
      metrics.eventReceived("access_monitoring_rule", event.type);
      lifecycle.handleRuleEvent(event);
    },
    onRules: (rules) => lifecycle.setRules(rules),
    onReady: () => {
      health.watchEstablished();
      // Requests decided or deleted while the service was away are not pending any more.
      lifecycle.reconcileUntilDone(stop.signal, { decidedOnly: true });
    },
    onDisconnect: (error) => {
      health.watchLost(error.message);
      metrics.teleportWatchReconnected(error.kind);
    },
    onResync: (requests) => log.info("Resynced {requests} pending request(s)", { requests }),
  });

  const reconcileTimer = setInterval(() => {
    lifecycle.reconcile(stop.signal).catch((error) =>
      log.warn("Periodic reconciliation failed; it runs again next interval: {error}", {
        error: error instanceof Error ? error.message : String(error),
      })
    );
  }, boundedDelay(config.processing.reconcileIntervalMs));
  cleanups.push(() => clearInterval(reconcileTimer));

  lifecycle.startIncidentPolling();
  const watching = watcher.run(stop.signal);
  const done = (async () => {
    let fatal: unknown;
    try {
      await watching;
    } catch (error) {
      fatal = error;
      stop.abort();
    }
    await closeWithin(lifecycle, SHUTDOWN_GRACE_MS);
    await cleanup();
    if (fatal !== undefined) throw fatal;
  })();

  return {
    cluster,
    metrics,
    health,
    lifecycle,
    watchStatus: () => watcher.status,
    httpPort,
    done,
  };
}

/**
 * The PagerDuty routes `[pagerduty.reviews]` turns on: the V3 webhook with `webhook_secrets`,
 * the Custom Incident Actions with `action_secret`.
 */
function responderRoutes(
  reviews: ReviewsConfig,
  sink: ResponderSink,
  metrics: Metrics,
): Pick<HttpServerOptions, "webhookHandler" | "actionHandlers"> {
  const secrets = reviews.webhookSecrets.map((secret) => secret.reveal());
  const actionSecret = reviews.actionSecret?.reveal();
  return {
    webhookHandler: secrets.length > 0 ? v3WebhookHandler({ secrets, sink, metrics }) : undefined,
    actionHandlers: actionSecret === undefined ? undefined : {
      approve: customActionHandler({ secret: actionSecret, decision: "approve", sink, metrics }),
      deny: customActionHandler({ secret: actionSecret, decision: "deny", sink, metrics }),
    },
  };
}

/** Proves the PagerDuty key works; a rejected key is fatal, anything else only a warning. */
async function checkPagerDuty(pagerduty: PagerDutyClient): Promise<void> {
  try {
    await pagerduty.listAbilities();
  } catch (error) {
    if (error instanceof PagerDutyError && (error.status === 401 || error.status === 403)) {
      throw new ServiceError(error.message, { cause: error });
    }
    log.warn("PagerDuty is not reachable yet; work waits and retries: {error}", {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** Waits for running work to finish, but not longer than `ms`. */
async function closeWithin(lifecycle: Lifecycle, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((
    resolve,
  ) => (timer = setTimeout(resolve, boundedDelay(ms), "timeout")));
  const result = await Promise.race([lifecycle.close().then(() => "closed" as const), timeout]);
  clearTimeout(timer);
  if (result === "timeout") {
    log.warn("Abandoned running work after {ms} ms; it is picked up again at the next start", {
      ms,
    });
  }
}
