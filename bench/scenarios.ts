/**
 * The benchmark's five measurements. Each runs in a fresh {@linkcode World} (fake Auth Service
 * and fake PagerDuty in this process) against the service under test in its own process, and
 * reports where the CPU went while it measured.
 *
 * @module
 */

import type { FakeAuthMethod } from "../src/fakes/auth/faults.ts";
import type { NewAccessRequest } from "../src/fakes/auth/store.ts";
import { World, type WorldOptions } from "../src/fakes/world.ts";
import { sleep } from "../src/util/sleep.ts";
import { CpuMeter, type CpuUse } from "./cpu.ts";
import { ServiceProcess, ServiceProcessError } from "./service_process.ts";
import { percentile, round } from "./stats.ts";
import { Tracker } from "./tracker.ts";

/** The service the requests notify (seeded by `seedDemo`). */
const NOTIFY_SERVICE = "Teleport Access Requests";

/** The plugin data the service keeps on each request. */
const PLUGIN_NAME = "pagerduty";

/**
 * The client-side PagerDuty limit for scenarios where the fake PagerDuty has none: high enough
 * that the limiter never waits (see `bench/service.ts`).
 */
export const UNLIMITED_RATE_PER_MINUTE = 1_000_000;

/** PagerDuty's own limit per API key, used by the rate-limited scenario on both sides. */
export const PAGERDUTY_RATE_PER_MINUTE = 960;

/** How every scenario runs the service. */
export interface ServiceVariant {
  /** V8 flags for the service process; the shipped run flags have none. */
  readonly v8Flags?: string;
}

/** The Auth Service calls the lifecycle makes, counted per request in the details. */
const AUTH_METHODS: readonly FakeAuthMethod[] = [
  "GetPluginData",
  "UpdatePluginData",
  "GetAccessRequestsV2",
  "ListAccessRequests",
  "SubmitAccessReview",
];

/** Calls of each of {@link AUTH_METHODS} the fake Auth Service has answered so far. */
function authCalls(world: World): Map<FakeAuthMethod, number> {
  return new Map(AUTH_METHODS.map((m) => [m, world.auth.callCount(m)]));
}

/** Calls per request of each method since `before`, leaving out methods not called. */
function authCallsPerRequest(
  world: World,
  before: Map<FakeAuthMethod, number>,
  requests: number,
): Record<string, number> {
  const perRequest: Record<string, number> = {};
  for (const [method, count] of authCalls(world)) {
    const calls = count - (before.get(method) ?? 0);
    if (calls > 0) perRequest[method] = round(calls / requests, 3);
  }
  return perRequest;
}

/** A request that opens one incident and is not considered for auto-approval. */
function newRequest(n: number): NewAccessRequest {
  return {
    user: "erin@example.com",
    roles: ["editor"],
    reason: `benchmark request ${n}`,
    systemAnnotations: { pagerduty_notify_service: [NOTIFY_SERVICE] },
  };
}

function newRequests(count: number): NewAccessRequest[] {
  return Array.from({ length: count }, (_, n) => newRequest(n));
}

/** The world, the tracker and the running service of one scenario. */
interface Scenario {
  readonly world: World;
  readonly tracker: Tracker;
  readonly service: ServiceProcess;
  readonly cpu: CpuMeter;
  /** `performance.now()` when the service's watch stream opened. */
  readonly watchOpenedAt: number;
}

/** Options of {@link runScenario}. */
interface ScenarioOptions extends ServiceVariant {
  readonly world?: WorldOptions;
  /** Client-side limit; the config's 960 through the real CLI when undefined. */
  readonly rateLimitPerMinute?: number;
  /** Requests created before the service starts. */
  readonly pendingAtStart?: number;
  /** How long the service may take to open its watch. */
  readonly startTimeoutMs?: number;
}

/** Runs `body` against a fresh world and service, and always cleans both up. */
async function runScenario<T>(
  options: ScenarioOptions,
  body: (scenario: Scenario) => Promise<T>,
): Promise<T> {
  const world = await World.start(options.world);
  const tracker = new Tracker(world);
  let service: ServiceProcess | undefined;
  try {
    world.auth.createAccessRequests(newRequests(options.pendingAtStart ?? 0));
    const configPath = await world.writeConfigFile({
      maxRequestsPerMinute: options.rateLimitPerMinute ?? PAGERDUTY_RATE_PER_MINUTE,
    });
    service = ServiceProcess.spawn({
      configPath,
      rateLimitPerMinute: options.rateLimitPerMinute,
      v8Flags: options.v8Flags,
    });
    const cpu = new CpuMeter(service.pid);
    const watchOpenedAt = await watchOpened(world, service, options.startTimeoutMs ?? 30_000);
    const result = await body({ world, tracker, service, cpu, watchOpenedAt });
    // Cut the Auth connections first: a GOAWAY from the stopping service after thousands of
    // streams can abort Deno 2.9.6's nghttp2 in this process (denoland/deno#36788).
    await world.auth.stop();
    await service.stop();
    service = undefined;
    return result;
  } finally {
    await service?.kill();
    tracker.close();
    await world.stop();
  }
}

/** Resolves with the time the service opened its watch; rejects if it exits or takes too long. */
async function watchOpened(
  world: World,
  service: ServiceProcess,
  timeoutMs: number,
): Promise<number> {
  const exited = service.exited.then((exit) => {
    throw new ServiceProcessError(
      `The service under test exited with code ${exit.code} before watching; its stderr follows:\n${exit.stderr}`,
    );
  });
  exited.catch(() => {});
  await Promise.race([
    world.auth.waitFor(() => world.auth.watcherCount > 0, {
      timeoutMs,
      description: "the service under test to open its watch",
    }),
    exited,
  ]);
  return performance.now();
}

/** Latency figures in milliseconds. */
export interface LatencyResult {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly requests: number;
  readonly per_second: number;
  /** Requests sent first at the same rate and not counted: the service's start-up and JIT. */
  readonly warm_up: { readonly requests: number; readonly p99: number; readonly max: number };
  /** CPU use while the counted requests were handled. */
  readonly cpu: CpuUse;
}

/**
 * Scenario 1: requests arrive at a steady rate while the service runs; latency is from each
 * request's creation at the fake Auth Service to its incident's creation at the fake PagerDuty.
 * The first `warmUp` requests arrive at the same rate but are reported apart, so the figures
 * describe a running service rather than its first seconds of compilation.
 */
export function measureLatency(
  options: { requests: number; perSecond: number; warmUp: number } & ServiceVariant,
): Promise<LatencyResult> {
  return runScenario(
    { rateLimitPerMinute: UNLIMITED_RATE_PER_MINUTE, v8Flags: options.v8Flags },
    async (s) => {
      const intervalMs = 1000 / options.perSecond;
      const total = options.warmUp + options.requests;
      const start = performance.now();
      const ids: string[] = [];
      for (let n = 0; n < total; n++) {
        if (n === options.warmUp) await s.cpu.start();
        // Paced against the schedule, not the previous request, so timer lateness does not add up.
        const due = start + n * intervalMs - performance.now();
        if (due > 0) await sleep(due);
        ids.push(s.world.auth.createAccessRequest(newRequest(n)).id);
      }
      await s.tracker.opened(total, 60_000);
      const cpu = await s.cpu.stop();
      const all = s.tracker.latenciesMs(ids);
      const warmUp = all.slice(0, options.warmUp);
      const latencies = all.slice(options.warmUp);
      return {
        p50: round(percentile(latencies, 50), 2),
        p95: round(percentile(latencies, 95), 2),
        p99: round(percentile(latencies, 99), 2),
        max: round(Math.max(...latencies), 2),
        requests: options.requests,
        per_second: options.perSecond,
        warm_up: {
          requests: options.warmUp,
          p99: warmUp.length === 0 ? 0 : round(percentile(warmUp, 99), 2),
          max: warmUp.length === 0 ? 0 : round(Math.max(...warmUp), 2),
        },
        cpu,
      };
    },
  );
}

/** Burst figures. */
export interface BurstResult {
  readonly requests: number;
  /** From the service's watch opening to the last incident. */
  readonly seconds: number;
  readonly requests_per_second: number;
  /** Auth Service calls per request, by method. */
  readonly auth_calls_per_request: Readonly<Record<string, number>>;
  readonly cpu: CpuUse;
}

/** Scenario 2: every request is pending when the service starts; how fast are all opened? */
export function measureBurst(
  options: { requests: number } & ServiceVariant,
): Promise<BurstResult> {
  return runScenario({
    rateLimitPerMinute: UNLIMITED_RATE_PER_MINUTE,
    pendingAtStart: options.requests,
    v8Flags: options.v8Flags,
  }, async (s) => {
    await s.cpu.start();
    await s.tracker.opened(options.requests, 180_000);
    const cpu = await s.cpu.stop();
    const seconds = (s.tracker.lastOpened() - s.watchOpenedAt) / 1000;
    return {
      requests: options.requests,
      seconds: round(seconds, 2),
      requests_per_second: round(options.requests / seconds, 1),
      auth_calls_per_request: authCallsPerRequest(s.world, new Map(), options.requests),
      cpu,
    };
  });
}

/** Rate-limited burst figures. */
export interface RateLimitedResult {
  readonly requests: number;
  /** From the service's first PagerDuty call to the last incident. */
  readonly drain_seconds: number;
  /** PagerDuty calls made divided by the rate. */
  readonly floor_seconds: number;
  readonly http_429: number;
  readonly pagerduty_calls: number;
  readonly rate_per_minute: number;
}

/**
 * Scenario 3: the fake PagerDuty allows 960 requests per minute and the real CLI runs with
 * `rate_limit_per_minute = 960`; every request is pending at start.
 */
export function measureRateLimited(
  options: { requests: number } & ServiceVariant,
): Promise<RateLimitedResult> {
  const rate = PAGERDUTY_RATE_PER_MINUTE;
  return runScenario({
    world: { pagerDutyRateLimitPerMinute: rate },
    pendingAtStart: options.requests,
    v8Flags: options.v8Flags,
  }, async (s) => {
    // The floor is a minute per 960 calls; allow twice that, and slack for start-up.
    const timeoutMs = 2 * 60_000 * Math.ceil((options.requests + 10) / rate) + 30_000;
    await s.tracker.opened(options.requests, timeoutMs);
    const calls = s.world.pagerduty.calls;
    const firstCall = calls[0].at.getTime() - performance.timeOrigin;
    const drain = (s.tracker.lastOpened() - firstCall) / 1000;
    return {
      requests: options.requests,
      drain_seconds: round(drain, 2),
      floor_seconds: round(calls.length / (rate / 60), 2),
      http_429: calls.filter((c) => c.status === 429).length,
      pagerduty_calls: calls.length,
      rate_per_minute: rate,
    };
  });
}

/** PagerDuty calls per request over a full lifecycle. */
export interface CallsResult {
  readonly requests: number;
  readonly calls_per_request: number;
  /** Calls per request by PagerDuty operationId. */
  readonly by_operation: Readonly<Record<string, number>>;
  /** Auth Service calls per request, by method (the review itself is the fake's driver's). */
  readonly auth_calls_per_request: Readonly<Record<string, number>>;
}

/**
 * Scenario 4: each request is created, then approved by one human review; with caches warm
 * (a first round is not counted), the PagerDuty calls of the counted round are divided by its
 * requests.
 */
export function measureCallsPerRequest(
  options: { requests: number; warmUp: number } & ServiceVariant,
): Promise<CallsResult> {
  return runScenario(
    { rateLimitPerMinute: UNLIMITED_RATE_PER_MINUTE, v8Flags: options.v8Flags },
    async (s) => {
      await lifecycles(s, 0, options.warmUp);
      s.world.pagerduty.clearCalls();
      const authBefore = authCalls(s.world);
      await lifecycles(s, options.warmUp, options.requests);
      const authPerRequest = authCallsPerRequest(s.world, authBefore, options.requests);
      const calls = s.world.pagerduty.calls;
      const byOperation: Record<string, number> = {};
      for (const call of calls) {
        const op = call.operationId ?? `${call.method} ${call.path}`;
        byOperation[op] = (byOperation[op] ?? 0) + 1;
      }
      for (const op of Object.keys(byOperation)) {
        byOperation[op] = round(byOperation[op] / options.requests, 3);
      }
      return {
        requests: options.requests,
        calls_per_request: round(calls.length / options.requests, 3),
        by_operation: byOperation,
        auth_calls_per_request: authPerRequest,
      };
    },
  );
}

/** Creates `count` requests, waits for their incidents, approves each, waits until all settled. */
async function lifecycles(s: Scenario, offset: number, count: number): Promise<void> {
  const requests = Array.from(
    { length: count },
    (_, n) => s.world.auth.createAccessRequest(newRequest(offset + n)),
  );
  await s.tracker.opened(offset + count, 60_000);
  for (const request of requests) {
    s.world.auth.review(request.id, {
      author: "carol@example.com",
      decision: "APPROVED",
      reason: "looks fine",
    });
  }
  await s.tracker.resolved(offset + count, 60_000);
  // The service records the resolution in Teleport after PagerDuty; only then is it done.
  await s.world.auth.waitFor(
    () =>
      requests.every((r) => (s.world.auth.pluginData(r.id, PLUGIN_NAME)?.resolution ?? "") !== ""),
    { timeoutMs: 60_000, description: "every resolution recorded in plugin data" },
  );
}

/** Resident memory of the service process, in MiB. */
export interface MemoryResult {
  /** Peak (VmHWM) after start-up, with nothing to do. */
  readonly idle: number;
  /** Peak (VmHWM) once the tracked requests were all handled. */
  readonly tracked: number;
  readonly tracked_requests: number;
  /** Resident (VmRSS) at the two points. */
  readonly rss_idle: number;
  readonly rss_tracked: number;
  readonly cpu: CpuUse;
}

/** Scenario 5: resident memory idle, then with many requests created at once and handled. */
export function measureMemory(
  options: { requests: number; settleMs: number } & ServiceVariant,
): Promise<MemoryResult> {
  return runScenario(
    { rateLimitPerMinute: UNLIMITED_RATE_PER_MINUTE, v8Flags: options.v8Flags },
    async (s) => {
      await sleep(options.settleMs);
      const idle = await s.service.memory();
      await s.cpu.start();
      s.world.auth.createAccessRequests(newRequests(options.requests));
      await s.tracker.opened(options.requests, 180_000);
      const cpu = await s.cpu.stop();
      const tracked = await s.service.memory();
      return {
        idle: round(idle.peakMb, 1),
        tracked: round(tracked.peakMb, 1),
        tracked_requests: options.requests,
        rss_idle: round(idle.rssMb, 1),
        rss_tracked: round(tracked.rssMb, 1),
        cpu,
      };
    },
  );
}
