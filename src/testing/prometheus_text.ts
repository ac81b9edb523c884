/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for tests that check what
 * `/metrics` serves. It throws on any line it does not understand, so a test using it also
 * proves the output is well-formed.
 *
 * @module
 */

/** One sample line: metric name, labels and value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed exposition: `# HELP` and `# TYPE` per metric family, and every sample. */
export interface Exposition {
  readonly help: ReadonlyMap<string, string>;
  readonly type: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: \\d+)?$`);
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** Parses `text`, throwing an error that quotes the first malformed line. */
export function parseExposition(text: string): Exposition {
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const meta = line.match(new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`));
    if (meta) {
      const [, keyword, name, rest] = meta;
      if (keyword === "HELP") help.set(name, rest);
      else if (TYPES.has(rest)) type.set(name, rest);
      else throw new Error(`Unknown metric type in line: ${line}`);
      continue;
    }
    if (line.startsWith("#")) continue;
    const sample = line.match(SAMPLE);
    if (!sample) throw new Error(`Malformed sample line: ${line}`);
    const [, name, labelText = "", valueText] = sample;
    samples.push({
      name,
      labels: parseLabels(labelText, line),
      value: parseValue(valueText, line),
    });
  }
  return { help, type, samples };
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const start = LABEL.lastIndex;
    const match = LABEL.exec(text);
    if (!match || match.index !== start) throw new Error(`Malformed labels in line: ${line}`);
    labels[match[1]] = match[2].replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  return labels;
}

function parseValue(text: string, line: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error(`Malformed value in line: ${line}`);
  return value;
}

/** The samples named `name` whose labels include every pair in `labels`. */
export function findSamples(
  exposition: Exposition,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Sample[] {
  return exposition.samples.filter((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
}

/** The value of the one sample matching `name` and `labels`; throws unless exactly one matches. */
export function sampleValue(
  exposition: Exposition,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  const found = findSamples(exposition, name, labels);
  if (found.length !== 1) {
    throw new Error(`Expected one sample ${name} ${JSON.stringify(labels)}, found ${found.length}`);
  }
  return found[0].value;
}
