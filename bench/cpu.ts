/**
 * CPU time from Linux's `/proc`: of one process, of this process, and of the whole machine, so
 * a scenario can tell how much CPU the service, the fakes and everything else on the machine
 * used while it ran (a busy neighbour skews every figure on a 2-core machine).
 *
 * @module
 */

/** Linux's clock ticks per second for `/proc` CPU times (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_SECOND = 100;

/** User + system seconds from the text of a `/proc/<pid>/stat` file. */
export function cpuSecondsOf(stat: string): number {
  // The command name (field 2) may hold spaces, so count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Busy seconds of every CPU together, from the first line of a `/proc/stat` file. */
export function busySecondsOf(procStat: string): number {
  const line = procStat.slice(0, procStat.indexOf("\n"));
  const [label, ...values] = line.trim().split(/\s+/);
  if (label !== "cpu") {
    throw new Error(
      "/proc/stat does not start with the total cpu line: the benchmark needs Linux.",
    );
  }
  const ticks = values.map(Number);
  // user nice system idle iowait irq softirq steal …: everything but idle and iowait is busy.
  const busy = ticks.slice(0, 8).reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0);
  return busy / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds a process used so far (all its threads). */
export async function processCpuSeconds(pid: number | "self"): Promise<number> {
  return cpuSecondsOf(await Deno.readTextFile(`/proc/${pid}/stat`));
}

/** Busy seconds of the whole machine so far. */
export async function machineBusySeconds(): Promise<number> {
  return busySecondsOf(await Deno.readTextFile("/proc/stat"));
}

/** Where the CPU went during a measurement. */
export interface CpuUse {
  /** Wall-clock seconds measured. */
  readonly wall_seconds: number;
  /** The service under test. */
  readonly service_seconds: number;
  /** This process: the fake Auth Service, the fake PagerDuty and the driver. */
  readonly fakes_seconds: number;
  /** Every other process on the machine; high values mean the figures are skewed. */
  readonly other_seconds: number;
}

/** Measures CPU use between {@link CpuMeter.start} and {@link CpuMeter.stop}. */
export class CpuMeter {
  readonly #pid: number;
  #start: { wall: number; service: number; own: number; machine: number } | undefined;

  /** A meter for the service process `pid`. */
  constructor(pid: number) {
    this.#pid = pid;
  }

  /** Takes the starting readings. */
  async start(): Promise<void> {
    this.#start = await this.#read();
  }

  /** Takes the final readings and returns the differences. */
  async stop(): Promise<CpuUse> {
    const start = this.#start;
    if (start === undefined) throw new Error("CpuMeter.stop was called before CpuMeter.start.");
    const end = await this.#read();
    const service = end.service - start.service;
    const own = end.own - start.own;
    const round2 = (x: number) => Math.round(x * 100) / 100;
    return {
      wall_seconds: round2((end.wall - start.wall) / 1000),
      service_seconds: round2(service),
      fakes_seconds: round2(own),
      other_seconds: round2(Math.max(0, end.machine - start.machine - service - own)),
    };
  }

  async #read() {
    const [service, own, machine] = await Promise.all([
      processCpuSeconds(this.#pid),
      processCpuSeconds("self"),
      machineBusySeconds(),
    ]);
    return { wall: performance.now(), service, own, machine };
  }
}
