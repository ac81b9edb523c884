/**
 * Runs the service under test as a separate Deno process with the shipped permission flags, and
 * reads its memory and CPU time from `/proc`, so the figures are the service's alone (the fakes
 * run in the benchmark's own process). Worker threads belong to the same process, so `/proc`
 * counts the supervisor, the config worker and the service worker together.
 *
 * @module
 */

import { SUPERVISOR_FLAGS } from "../src/sandbox/flags.ts";
import { processCpuSeconds } from "./cpu.ts";

/** The repository root, so `main.ts` and `bench/service.ts` resolve whatever the cwd. */
const REPO_ROOT = new URL("../", import.meta.url).pathname;

/** Options of {@link ServiceProcess.spawn}. */
export interface SpawnOptions {
  /** The TOML config file. */
  readonly configPath: string;
  /**
   * A client-side PagerDuty limit above the config's cap of 960 per minute, for the scenarios
   * where the fake PagerDuty has no limit (see `bench/service.ts`). Without it the real CLI,
   * `main.ts start`, runs unchanged.
   */
  readonly rateLimitPerMinute?: number;
  /**
   * V8 flags for the service process (`--v8-flags=<this>`), to measure a variant of the shipped
   * run flags; none by default.
   */
  readonly v8Flags?: string;
}

/** Resident memory of a process, in MiB. */
export interface MemoryReading {
  /** Resident now (`VmRSS`). */
  readonly rssMb: number;
  /** The highest resident size so far (`VmHWM`). */
  readonly peakMb: number;
}

/** How the process ended. */
export interface ServiceExit {
  readonly code: number;
  /** Everything it wrote to stderr (the config sets `log.severity = "warn"`). */
  readonly stderr: string;
}

/** Error raised when the service process does not behave; names what to look at. */
export class ServiceProcessError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ServiceProcessError";
  }
}

/** A running service process. */
export class ServiceProcess {
  /** The operating-system process id. */
  readonly pid: number;
  readonly #child: Deno.ChildProcess;
  readonly #exit: Promise<ServiceExit>;
  #stderr = "";

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.pid = child.pid;
    const drain = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        this.#stderr += chunk;
      }
    })();
    this.#exit = Promise.all([child.status, drain]).then(([status]) => ({
      code: status.code,
      stderr: this.#stderr,
    }));
  }

  /** Starts the service; it is running (not yet necessarily connected) when this returns. */
  static spawn(options: SpawnOptions): ServiceProcess {
    const entry = options.rateLimitPerMinute === undefined
      ? ["main.ts", "start", "-c", options.configPath]
      : [
        "bench/service.ts",
        "-c",
        options.configPath,
        "--rate-limit-per-minute",
        String(options.rateLimitPerMinute),
      ];
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...SUPERVISOR_FLAGS,
        ...(options.v8Flags === undefined ? [] : [`--v8-flags=${options.v8Flags}`]),
        ...entry,
      ],
      cwd: REPO_ROOT,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    return new ServiceProcess(child);
  }

  /** Resolves when the process has exited (by itself or after {@link stop}). */
  get exited(): Promise<ServiceExit> {
    return this.#exit;
  }

  /** Current and peak resident memory, from `/proc/<pid>/status`. */
  async memory(): Promise<MemoryReading> {
    const status = await Deno.readTextFile(`/proc/${this.pid}/status`);
    const kb = (field: string) => {
      const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m"));
      if (match === null) {
        throw new ServiceProcessError(
          `/proc/${this.pid}/status has no ${field} line: the benchmark needs Linux's procfs.`,
        );
      }
      return Number(match[1]);
    };
    return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
  }

  /** CPU seconds (user + system, all threads) used so far, from `/proc/<pid>/stat`. */
  cpuSeconds(): Promise<number> {
    return processCpuSeconds(this.pid);
  }

  /** Stops the service with SIGTERM and waits; throws if it did not exit cleanly. */
  async stop(): Promise<ServiceExit> {
    try {
      this.#child.kill("SIGTERM");
    } catch (error) {
      // Already gone: the exit status below says how.
      if (!(error instanceof TypeError)) throw error;
    }
    const exit = await this.#exit;
    if (exit.code !== 0) {
      throw new ServiceProcessError(
        `The service under test exited with code ${exit.code}; its stderr follows:\n${exit.stderr}`,
      );
    }
    return exit;
  }

  /** Ends the process at once (after a failed scenario) and waits for it. */
  async kill(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
    }
    await this.#exit;
  }
}
