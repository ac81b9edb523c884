/**
 * The embedded demo: starts the fake Auth Service and the fake PagerDuty in this process, runs
 * the real service against them, plays the scripted scenario and prints what happened on each
 * side, step by step, then a summary read back from the fakes. Each step waits for the
 * service's visible effect, with a timeout, so the demo either shows everything working or says
 * which effect did not happen; it never hangs.
 *
 * @module
 */

import { type RunningService, startService } from "../app/service.ts";
import { commandLine } from "../command_line.ts";
import { ACCESS_PLUGIN_WITH_LOCKS_PERMISSIONS } from "../fakes/auth/rbac.ts";
import { Secret } from "../config/types.ts";
import { World } from "../fakes/world.ts";
import { WEBHOOK_PATH } from "../http/routes.ts";
import { onCallRows, systemRows } from "./describe.ts";
import { renderEntries, renderRows, type Style, style } from "./render.ts";
import { buildScenario, type Step } from "./scenario.ts";
import { ServiceLog } from "./service_log.ts";
import { summarize, summaryRows } from "./summary.ts";
import { Timeline } from "./timeline.ts";
import { boundedDelay } from "../timers.ts";

/**
 * How long a step may take by default; the whole demo normally needs a few seconds, most of
 * them waiting for the shortened shift to end.
 */
export const DEFAULT_STEP_TIMEOUT_MS = 10_000;

/** Both ways access ends early are on; incidents are polled often, so the demo stays short. */
const DEMO_ACCESS_END = {
  endWithShift: true,
  incidentAccess: true,
  incidentPollIntervalMs: 250,
} as const;

/** Options of {@linkcode runDemo}. */
export interface DemoOptions {
  /** Receives the timeline and the summary (text with line ends). */
  readonly output: (text: string) => void;
  /** Receives failure reports; `output` when not given. */
  readonly errorOutput?: (text: string) => void;
  /** Use ANSI colours. */
  readonly color: boolean;
  /** When given, the service's log goes here as it happens (`--verbose`). */
  readonly serviceLog?: (text: string) => void;
  /** Log the service at debug level. */
  readonly debug?: boolean;
  /** How long each step may take before the demo gives up. */
  readonly stepTimeoutMs?: number;
  /** Aborting it stops the demo early (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Changes the world before the service starts, e.g. faults for tests. */
  readonly beforeStart?: (world: World) => void;
}

/** A step whose effect did not show up; its message is the one sentence to print. */
export class DemoStepError extends Error {
  /** Creates the error for a failed step. */
  constructor(message: string) {
    super(message);
    this.name = "DemoStepError";
  }
}

/**
 * How the demo ended: every step happened, a step (or the final check) failed, or the signal
 * stopped it.
 */
export type DemoOutcome = "completed" | "failed" | "interrupted";

/** Runs the demo and says how it ended. */
export async function runDemo(options: DemoOptions): Promise<DemoOutcome> {
  const s = style(options.color);
  const out = (line = "") => options.output(`${line}\n`);
  const err = (line = "") => (options.errorOutput ?? options.output)(`${line}\n`);
  const log = await ServiceLog.open({ live: options.serviceLog, debug: options.debug });
  try {
    out(s.bold("teleport-pagerduty demo"));
    out(
      "The real service runs in this process against a fake Teleport Auth Service and a fake\n" +
        "PagerDuty (the fakes the tests use). Every line below is read back from the fakes.",
    );
    const world = await World.start({ pluginPermissions: ACCESS_PLUGIN_WITH_LOCKS_PERMISSIONS });
    try {
      options.beforeStart?.(world);
      return await play(world, options, s, out, err, log);
    } finally {
      await world.stop();
    }
  } finally {
    await log.close();
  }
}

async function play(
  world: World,
  options: DemoOptions,
  s: Style,
  out: (line?: string) => void,
  err: (line?: string) => void,
  log: ServiceLog,
): Promise<DemoOutcome> {
  const timeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const timeline = new Timeline(world);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  // A Ctrl-C while the fakes were starting came before the listener: it counts all the same.
  if (options.signal?.aborted) stop.abort();
  const interrupted = (): DemoOutcome => {
    err(s.fail("Interrupted; the fakes and the service are stopped."));
    return "interrupted";
  };
  let service: RunningService | undefined;
  try {
    if (stop.signal.aborted) return interrupted();
    // Approve/deny from PagerDuty: a listener on a free port, a fresh secret for this run.
    const webhookSecret = crypto.randomUUID();
    service = await startService(
      world.config({
        accessEnd: DEMO_ACCESS_END,
        http: { listenAddr: "127.0.0.1:0" },
        reviews: {
          webhookSecrets: [new Secret(webhookSecret)],
          secretFiles: [],
          approveWorkflows: [],
          denyWorkflows: [],
          approverEscalationLevels: [],
          approverEmails: [],
          approverTeams: [],
        },
      }),
      {
        signal: stop.signal,
        // Short retry and reconnect delays: a hiccup must not stall a demo of a few seconds.
        retryDelayMs: (attempt) => Math.min(20 * 2 ** attempt, 300),
        watch: { backoff: { baseMs: 10, maxMs: 200 } },
      },
    );
    const webhookUrl = `http://127.0.0.1:${service.httpPort}${WEBHOOK_PATH}`;
    world.pagerduty.subscribeWebhooks({
      url: webhookUrl,
      secret: webhookSecret,
      events: ["incident.annotated", "incident.workflow.started"],
      serviceIds: [world.account.notifyService.id],
    });
    await untilWatching(world, service, timeoutMs, stop.signal);
    if (stop.signal.aborted) return interrupted();
    out();
    for (const line of renderRows(systemRows(world, webhookUrl), s)) out(line);
    out();
    out(s.bold("On call now, by PagerDuty service (from the fake PagerDuty)"));
    for (const line of renderRows(onCallRows(world), s)) out(line);
    out();

    const scenario = buildScenario(world);
    const stopped = failWhenStopped(service);
    timeline.take();
    const start = Date.now();
    for (const [index, step] of scenario.steps.entries()) {
      out(s.bold(`[${index + 1}/${scenario.steps.length}] ${step.title}`));
      try {
        step.act();
        await awaitEffect(step, timeline, service, timeoutMs, stop.signal, stopped);
      } catch (error) {
        for (const line of renderEntries(timeline.take(), start, s)) out(line);
        if (stop.signal.aborted) return interrupted();
        reportFailure(err, s, index, scenario.steps.length, error, log);
        return "failed";
      }
      for (const line of renderEntries(timeline.take(), start, s)) out(line);
      out();
    }
    const elapsed = ((Date.now() - start) / 1000).toFixed(2);
    const summary = summarize(world, scenario.requestIds());
    out(s.bold("Summary (read back from the fakes)"));
    for (const line of renderRows(summaryRows(summary), s)) out(line);
    out();
    const open = summary.incidentsOpened - summary.incidentsResolved;
    if (open > 0) {
      err(
        s.fail(
          `✗ ${open} incident(s) were left open; every request's incident should be resolved.`,
        ),
      );
      return "failed";
    }
    out(s.ok(`✓ All ${scenario.steps.length} steps happened as expected in ${elapsed} s.`));
    out();
    for (const line of nextSteps()) out(line);
    return "completed";
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    timeline.close();
    stop.abort();
    await service?.done.catch(() => {});
  }
}

/** How long to wait for the start-up listings before playing anyway. */
const STARTUP_LISTINGS_WAIT_MS = 1000;

/**
 * Waits until the service's watch has its INIT and its start-up listings are served, so the
 * first request reaches the service once, as a live event. (A request created while the
 * resync lists pending requests arrives twice, as event and as resync finding: harmless, but it
 * would print a duplicate on-call look-up.) The watcher has no event for this, hence the poll.
 */
async function untilWatching(
  world: World,
  service: RunningService,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (service.watchStatus().state !== "ready" && !signal.aborted) {
    if (Date.now() > deadline) {
      throw new Error(
        `The service did not start watching the fake Auth Service within ${timeoutMs / 1000} s; ` +
          "run the demo with --verbose to see its log.",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // The resync and the reconciliation of decided requests each list requests once. Should the
  // service list differently one day, the demo plays on after a second, only less tidily.
  await world.auth.waitFor(() => world.auth.callCount("ListAccessRequests") >= 2, {
    timeoutMs: STARTUP_LISTINGS_WAIT_MS,
  }).catch(() => {});
  // The fake counts a call when it arrives; one macrotask later the listing has been served.
  await new Promise((resolve) => setTimeout(resolve, 0));
  await service.lifecycle.idle();
}

/**
 * Waits until the step's effect shows on the fakes, then until the service has nothing more
 * queued, so a step's trailing work (e.g. an on-call re-check) is printed with the step.
 */
async function awaitEffect(
  step: Step,
  timeline: Timeline,
  service: RunningService,
  timeoutMs: number,
  signal: AbortSignal,
  stopped: Promise<never>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const timedOut = () =>
    new DemoStepError(`the service did not ${step.expect} within ${timeoutMs / 1000} s`);
  await Promise.race([
    within(effectSeen(step, timeline), timeoutMs, signal, timedOut),
    stopped,
  ]);
  await Promise.race([
    within(
      service.lifecycle.idle(),
      Math.max(0, deadline - Date.now()),
      signal,
      () =>
        new DemoStepError(
          `the service did not finish its work on the step within ${timeoutMs / 1000} s`,
        ),
    ),
    stopped,
  ]);
}

/** Resolves once `step.done()` holds, checked now and after every timeline entry. */
function effectSeen(step: Step, timeline: Timeline): { promise: Promise<void>; cancel(): void } {
  let cancel = () => {};
  const promise = new Promise<void>((resolve) => {
    if (step.done()) return resolve();
    const unsubscribe = timeline.onChange(() => {
      if (!step.done()) return;
      unsubscribe();
      resolve();
    });
    cancel = () => {
      unsubscribe();
    };
  });
  return { promise, cancel: () => cancel() };
}

/** `work`, or a rejection after `ms` or on abort; cleans up its timer and listener. */
function within(
  work: Promise<void> | { promise: Promise<void>; cancel(): void },
  ms: number,
  signal: AbortSignal,
  onTimeout: () => Error,
): Promise<void> {
  const { promise, cancel } = work instanceof Promise ? { promise: work, cancel: () => {} } : work;
  return new Promise<void>((resolve, reject) => {
    const finish = (fn: () => void) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      cancel();
      fn();
    };
    const onAbort = () => finish(() => reject(new DemoStepError("the demo was interrupted")));
    const timer = setTimeout(() => finish(() => reject(onTimeout())), boundedDelay(ms));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(() => finish(resolve), (error) => finish(() => reject(error)));
  });
}

/** A promise that rejects when the service stops on its own (a fatal error), never resolving. */
function failWhenStopped(service: RunningService): Promise<never> {
  const stopped = service.done.then(
    () => {
      throw new DemoStepError("the service stopped before the demo ended");
    },
    (error: unknown) => {
      throw new DemoStepError(
        `the service stopped: ${error instanceof Error ? error.message : String(error)}`,
      );
    },
  );
  // Observed by the races; a rejection after the demo ended (at shutdown) is not an error.
  stopped.catch(() => {});
  return stopped;
}

function reportFailure(
  err: (line?: string) => void,
  s: Style,
  index: number,
  total: number,
  error: unknown,
  log: ServiceLog,
): void {
  const reason = error instanceof Error ? error.message : String(error);
  err();
  err(s.fail(`✗ Step ${index + 1} of ${total} failed: ${reason}.`));
  const lines = log.lastLines();
  if (lines.length > 0) {
    err("The service's last log lines:");
    for (const line of lines) err(`  ${line}`);
  }
  err(`Run \`${commandLine("demo")} --verbose\` to see the service's whole log as it happens.`);
}

/** The config file the closing hints write and use, relative to where they are run. */
export const HINT_CONFIG = "teleport-pagerduty.toml";

/**
 * What to do next, after a successful demo: the commands that run the service against a real
 * cluster, spelled for where the demo runs (the binary, or `deno task` from a checkout), so each
 * works as printed (a test runs them).
 */
export function nextSteps(standalone: boolean = Deno.build.standalone): string[] {
  const commands: Array<[string, string]> = [
    [
      `${commandLine("configure", standalone)} > ${HINT_CONFIG}`,
      "then fill in [teleport] and [pagerduty]",
    ],
    [`chmod 600 ${HINT_CONFIG}`, "it holds the API key"],
    [
      `${commandLine("check", standalone)} -c ${HINT_CONFIG}`,
      "proves both connections and every permission",
    ],
    [`${commandLine("start", standalone)} -c ${HINT_CONFIG}`, ""],
  ];
  const width = Math.max(...commands.map(([command]) => command.length));
  return [
    `Next: run the service against your own cluster${
      standalone ? "" : " (from the checkout's root)"
    }; the README's Quick start has the details`,
    ...commands.map(([command, note]) =>
      note === "" ? `  ${command}` : `  ${command.padEnd(width)}  # ${note}`
    ),
  ];
}
