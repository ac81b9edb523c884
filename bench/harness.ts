/**
 * Runs the five scenarios in one go and turns their figures into `bench/results.json`'s shape
 * and a table of target, measured value and verdict.
 *
 * @module
 */

import {
  type BurstResult,
  type CallsResult,
  type LatencyResult,
  measureBurst,
  measureCallsPerRequest,
  measureLatency,
  measureMemory,
  measureRateLimited,
  type MemoryResult,
  type RateLimitedResult,
  type ServiceVariant,
} from "./scenarios.ts";
import { round } from "./stats.ts";

/** How much work each scenario does. */
export interface BenchSizes {
  readonly latency: {
    readonly requests: number;
    readonly perSecond: number;
    readonly warmUp: number;
  };
  readonly burst: { readonly requests: number };
  readonly rateLimited: { readonly requests: number };
  readonly calls: { readonly requests: number; readonly warmUp: number };
  readonly memory: { readonly requests: number; readonly settleMs: number };
}

/** The sizes the issue asks for. */
export const FULL_SIZES: BenchSizes = {
  // Five seconds of warm-up at the same rate, reported apart (details.latency.warm_up).
  latency: { requests: 2000, perSecond: 50, warmUp: 250 },
  burst: { requests: 5000 },
  rateLimited: { requests: 1000 },
  calls: { requests: 200, warmUp: 20 },
  memory: { requests: 10_000, settleMs: 3000 },
};

/** Where the figures came from. */
export interface MachineInfo {
  readonly nproc: number;
  readonly cpu_model: string;
  readonly memory_mb: number;
  readonly deno: string;
  readonly v8: string;
  readonly os: string;
  /** 1-, 5- and 15-minute load averages when the run started. */
  readonly load_average_at_start: readonly number[];
}

/** The contents of `bench/results.json`. */
export interface BenchResults {
  readonly latency_ms: { readonly p50: number; readonly p95: number; readonly p99: number };
  readonly burst: {
    readonly requests: number;
    readonly seconds: number;
    readonly requests_per_second: number;
  };
  readonly rate_limited: {
    readonly requests: number;
    readonly drain_seconds: number;
    readonly floor_seconds: number;
    readonly http_429: number;
  };
  readonly calls_per_request: number;
  readonly peak_rss_mb: { readonly idle: number; readonly tracked_10k: number };
  /** One line per target, as printed. */
  readonly verdicts: readonly Verdict[];
  /** Everything else measured, per scenario (sizes, CPU use, calls by operation…). */
  readonly details: {
    readonly latency: LatencyResult;
    readonly burst: BurstResult;
    readonly rate_limited: RateLimitedResult;
    readonly calls: CallsResult;
    readonly memory: MemoryResult;
    /** V8 flags the service ran with, when not the shipped ones. */
    readonly service_v8_flags?: string;
    /** When only the calls per request were measured again (`--only calls`). */
    readonly calls_measured_at?: string;
  };
  readonly machine: MachineInfo;
  readonly measured_at: string;
  readonly total_seconds: number;
}

/**
 * The Go plugin's PagerDuty calls for a request approved by one review: create, the review's
 * note, the outcome's note, resolve. The service must not need more.
 */
export const MAX_CALLS_PER_REQUEST = 4;

/** The verdict on PagerDuty calls per approved request. */
export function callsVerdict(callsPerRequest: number): Verdict {
  return {
    measure: "PagerDuty calls per approved request",
    target: `<= ${MAX_CALLS_PER_REQUEST}, as the Go plugin`,
    measured: String(callsPerRequest),
    pass: callsPerRequest <= MAX_CALLS_PER_REQUEST,
  };
}

/**
 * Measures only the calls per request (the other scenarios take minutes) and merges the figures
 * into `previous` (the last full run's results): its calls figures, details and verdicts are
 * replaced, and `details.calls_measured_at` says when.
 */
export async function remeasureCalls(
  previous: BenchResults,
  sizes: BenchSizes,
  options: ServiceVariant = {},
): Promise<BenchResults> {
  const calls = await measureCallsPerRequest({ ...sizes.calls, v8Flags: options.v8Flags });
  const figures = { ...previous, calls_per_request: calls.calls_per_request };
  return {
    ...figures,
    verdicts: verdicts(figures, previous.details.memory.tracked_requests),
    details: { ...previous.details, calls, calls_measured_at: new Date().toISOString() },
  };
}

/** One line of the table. */
export interface Verdict {
  readonly measure: string;
  readonly target: string;
  readonly measured: string;
  /** Undefined for figures without a target. */
  readonly pass: boolean | undefined;
}

/** Told when each scenario starts, for progress output. */
export type Progress = (scenario: string) => void;

/** Runs every scenario with `sizes` and collects the results. */
export async function runBenchmark(
  sizes: BenchSizes,
  options: ServiceVariant & { progress?: Progress } = {},
): Promise<BenchResults> {
  const started = performance.now();
  const machine = await machineInfo();
  const progress = options.progress ?? (() => {});
  const variant = { v8Flags: options.v8Flags };
  progress(
    `latency: ${sizes.latency.requests} requests at ${sizes.latency.perSecond}/s, after ` +
      `${sizes.latency.warmUp} to warm up`,
  );
  const latency = await measureLatency({ ...sizes.latency, ...variant });
  progress(`burst: ${sizes.burst.requests} requests pending at start-up`);
  const burst = await measureBurst({ ...sizes.burst, ...variant });
  progress(`rate-limited burst: ${sizes.rateLimited.requests} requests at 960/min`);
  const rateLimited = await measureRateLimited({ ...sizes.rateLimited, ...variant });
  progress(`calls per request: ${sizes.calls.requests} create-review-approve lifecycles`);
  const calls = await measureCallsPerRequest({ ...sizes.calls, ...variant });
  progress(`memory: idle, then ${sizes.memory.requests} requests tracked`);
  const memory = await measureMemory({ ...sizes.memory, ...variant });
  const results = {
    latency_ms: { p50: latency.p50, p95: latency.p95, p99: latency.p99 },
    burst: {
      requests: burst.requests,
      seconds: burst.seconds,
      requests_per_second: burst.requests_per_second,
    },
    rate_limited: {
      requests: rateLimited.requests,
      drain_seconds: rateLimited.drain_seconds,
      floor_seconds: rateLimited.floor_seconds,
      http_429: rateLimited.http_429,
    },
    calls_per_request: calls.calls_per_request,
    peak_rss_mb: { idle: memory.idle, tracked_10k: memory.tracked },
  };
  return {
    ...results,
    verdicts: verdicts(results, memory.tracked_requests),
    details: {
      latency,
      burst,
      rate_limited: rateLimited,
      calls,
      memory,
      ...(options.v8Flags === undefined ? {} : { service_v8_flags: options.v8Flags }),
    },
    machine,
    measured_at: new Date().toISOString(),
    total_seconds: round((performance.now() - started) / 1000, 1),
  };
}

/** The targets, checked against the figures. */
export function verdicts(
  r: Pick<
    BenchResults,
    "latency_ms" | "burst" | "rate_limited" | "calls_per_request" | "peak_rss_mb"
  >,
  trackedRequests: number,
): Verdict[] {
  const ms = (x: number) => `${x} ms`;
  const drainRatio = r.rate_limited.drain_seconds / r.rate_limited.floor_seconds;
  return [
    { measure: "Latency p50", target: "", measured: ms(r.latency_ms.p50), pass: undefined },
    { measure: "Latency p95", target: "", measured: ms(r.latency_ms.p95), pass: undefined },
    {
      measure: "Latency p99",
      target: "< 25 ms",
      measured: ms(r.latency_ms.p99),
      pass: r.latency_ms.p99 < 25,
    },
    {
      measure: `Burst, ${r.burst.requests} pending`,
      target: "> 500 req/s",
      measured: `${r.burst.requests_per_second} req/s (${r.burst.seconds} s)`,
      pass: r.burst.requests_per_second > 500,
    },
    {
      measure: `Rate-limited drain, ${r.rate_limited.requests} requests`,
      target: "within 5% of floor",
      measured: `${r.rate_limited.drain_seconds} s, floor ${r.rate_limited.floor_seconds} s (${
        round(drainRatio * 100, 1)
      }%)`,
      // Faster than calls ÷ rate is possible (a sliding window admits a first full minute at
      // once) and is no failure; slower by more than 5% is.
      pass: drainRatio <= 1.05,
    },
    {
      measure: "Rate-limited 429 answers",
      target: "0",
      measured: String(r.rate_limited.http_429),
      pass: r.rate_limited.http_429 === 0,
    },
    callsVerdict(r.calls_per_request),
    {
      measure: "Peak RSS, idle",
      target: "",
      measured: `${r.peak_rss_mb.idle} MB`,
      pass: undefined,
    },
    {
      measure: `Peak RSS, ${trackedRequests} tracked`,
      target: "< 120 MB",
      measured: `${r.peak_rss_mb.tracked_10k} MB`,
      pass: r.peak_rss_mb.tracked_10k < 120,
    },
  ];
}

/** The verdicts as an aligned text table. */
export function formatTable(rows: readonly Verdict[]): string {
  const cells = [
    ["Measure", "Target", "Measured", "Result"],
    ...rows.map((
      v,
    ) => [
      v.measure,
      v.target || "-",
      v.measured,
      v.pass === undefined ? "" : v.pass ? "PASS" : "FAIL",
    ]),
  ];
  const widths = cells[0].map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd();
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)]
    .join("\n");
}

/** The machine the benchmark runs on, from `/proc` and Deno. */
export async function machineInfo(): Promise<MachineInfo> {
  const [cpuinfo, meminfo, loadavg] = await Promise.all([
    Deno.readTextFile("/proc/cpuinfo"),
    Deno.readTextFile("/proc/meminfo"),
    Deno.readTextFile("/proc/loadavg"),
  ]);
  const memKb = Number(meminfo.match(/^MemTotal:\s+(\d+) kB$/m)?.[1] ?? 0);
  return {
    nproc: navigator.hardwareConcurrency,
    cpu_model: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? "unknown",
    memory_mb: Math.round(memKb / 1024),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    os: `${Deno.build.os} ${Deno.build.arch} ${Deno.osRelease()}`,
    load_average_at_start: loadavg.trim().split(/\s+/).slice(0, 3).map(Number),
  };
}
