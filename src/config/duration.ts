/**
 * Durations written the way the Go plugin's config accepted them: a Go duration string
 * (`"1m"`, `"30s"`, `"1h30m"`, `"1.5h"`, `"250ms"`), or an integer number of nanoseconds
 * (go-toml decoded a TOML integer into `time.Duration` that way).
 *
 * @module
 */

const NANOS_PER_MS = 1_000_000;

/** Milliseconds per unit, with every unit suffix Go's `time.ParseDuration` knows. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1 / NANOS_PER_MS,
  us: 1 / 1000,
  "µs": 1 / 1000,
  "μs": 1 / 1000,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const SEGMENT = /(\d+(?:\.\d*)?|\.\d+)([a-zµμ]+)/gy;

/**
 * Parses a Go duration string into milliseconds, or returns undefined when it is not one.
 * Like Go, `"0"` is zero and every other value needs a unit on each number; a sign is allowed.
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  let total = 0;
  SEGMENT.lastIndex = 0;
  let consumed = 0;
  for (let match = SEGMENT.exec(rest); match !== null; match = SEGMENT.exec(rest)) {
    const unitMs = UNIT_MS[match[2]];
    if (unitMs === undefined) return undefined;
    total += Number(match[1]) * unitMs;
    consumed = SEGMENT.lastIndex;
  }
  if (consumed !== rest.length) return undefined;
  return sign * total;
}

/** Converts a go-toml integer duration (nanoseconds) to milliseconds. */
export function nanosToMs(nanos: number): number {
  return nanos / NANOS_PER_MS;
}

/** Formats milliseconds the way Go prints a duration (`1h30m0s`, `30s`, `250ms`), for messages. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (Math.abs(ms) < 1000) return `${ms}ms`;
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = rest / 1000;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}
