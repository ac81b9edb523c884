/**
 * Typed reads of one TOML table, each recording a problem (key, bad value, what is allowed)
 * instead of throwing, so one pass over the file reports every mistake at once.
 *
 * @module
 */

import { formatGoDuration, nanosToMs, parseGoDuration } from "./duration.ts";

/**
 * The longest duration any setting accepts unless it names a shorter limit: a day, far inside
 * what a timer can hold (about 24.8 days; see `src/timers.ts`).
 */
export const MAX_DURATION_MS = 24 * 3_600_000;

/** A TOML table as smol-toml returns it. */
export type Table = Readonly<Record<string, unknown>>;

/** Whether a parsed TOML value is a table (not an array, date or scalar). */
export function isTable(v: unknown): v is Table {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** A short description of a bad value for messages; never the value of a secret. */
export function describe(v: unknown): string {
  if (isTable(v)) return "a table";
  if (Array.isArray(v)) return "a list";
  if (v instanceof Date) return `the date ${v.toISOString()}`;
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

/** Reads the keys of one table, collecting problems in a shared list. */
export class Section {
  /** The dotted name of this table, e.g. `pagerduty.auto_approval`. */
  readonly prefix: string;
  readonly #table: Table;
  readonly #problems: string[];

  /**
   * @param prefix the dotted table name used in messages.
   * @param table the parsed table; undefined when the file does not have it.
   * @param problems where every problem found is appended.
   */
  constructor(prefix: string, table: unknown, problems: string[]) {
    this.prefix = prefix;
    this.#problems = problems;
    if (table === undefined || isTable(table)) {
      this.#table = table ?? {};
    } else {
      this.#table = {};
      problems.push(`${prefix} must be a table ([${prefix}]), not ${describe(table)}.`);
    }
  }

  /** The dotted key for `name` in this table. */
  key(name: string): string {
    return `${this.prefix}.${name}`;
  }

  /** Whether the table sets `name`; an empty string counts as unset, as in the Go plugin. */
  has(name: string): boolean {
    const v = this.#table[name];
    return v !== undefined && v !== "";
  }

  /** Whether the table sets any key at all. */
  get isEmpty(): boolean {
    return Object.keys(this.#table).length === 0;
  }

  /** Records a problem about this table. */
  problem(message: string): void {
    this.#problems.push(message);
  }

  /** A sub-table, found under its first present spelling among `names`. */
  table(...names: string[]): Section {
    const name = names.find((n) => this.#table[n] !== undefined) ?? names[0];
    return new Section(this.key(name), this.#table[name], this.#problems);
  }

  /**
   * A string value; undefined when absent or wrong.
   * @param secret never print the value in a message.
   */
  string(name: string, options: { secret?: boolean } = {}): string | undefined {
    const v = this.#table[name];
    if (v === undefined) return undefined;
    if (typeof v === "string") return v;
    this.problem(
      `${this.key(name)} must be a string (in double quotes)${
        options.secret ? "" : `, not ${describe(v)}`
      }.`,
    );
    return undefined;
  }

  /**
   * A string value in which an empty string counts as unset, as the Go plugin's
   * `CheckAndSetDefaults` treats every string key; undefined when absent, empty or wrong.
   */
  nonEmptyString(name: string): string | undefined {
    const v = this.string(name);
    return v === "" ? undefined : v;
  }

  /**
   * A non-empty string without surrounding whitespace (an empty string counts as unset);
   * `what` says what it should be.
   */
  text(name: string, what: string): string | undefined {
    const v = this.nonEmptyString(name);
    if (v === undefined) return undefined;
    if (v.trim() === "" || v.trim() !== v) {
      this.problem(`${this.key(name)} ${describe(v)} must be ${what}, without surrounding spaces.`);
      return undefined;
    }
    return v;
  }

  /** One of a fixed set of words, matched without regard to case; empty counts as unset. */
  choice<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const v = this.nonEmptyString(name);
    if (v === undefined) return undefined;
    const found = allowed.find((a) => a === v.toLowerCase());
    if (found === undefined) {
      this.problem(
        `${this.key(name)} ${describe(v)} is not allowed: use one of ${
          allowed.map((a) => `"${a}"`).join(", ")
        }.`,
      );
    }
    return found;
  }

  /** A boolean (`true` / `false`, without quotes). */
  boolean(name: string): boolean | undefined {
    const v = this.#table[name];
    if (v === undefined) return undefined;
    if (typeof v === "boolean") return v;
    this.problem(`${this.key(name)} must be true or false (without quotes), not ${describe(v)}.`);
    return undefined;
  }

  /** An integer within `[min, max]`. */
  integer(name: string, min: number, max: number): number | undefined {
    const v = this.#table[name];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      this.problem(
        `${this.key(name)} must be a whole number from ${min} to ${max} (without quotes), not ${
          describe(v)
        }.`,
      );
      return undefined;
    }
    return v;
  }

  /**
   * A list of non-empty strings.
   * @param secret never print the value in a message.
   */
  stringList(name: string, options: { secret?: boolean } = {}): string[] | undefined {
    const v = this.#table[name];
    if (v === undefined) return undefined;
    if (
      !Array.isArray(v) || !v.every((item) => typeof item === "string" && item.trim() !== "")
    ) {
      this.problem(
        `${this.key(name)} must be a list of non-empty strings, like ["a", "b"]${
          options.secret ? "" : `, not ${describe(v)}`
        }.`,
      );
      return undefined;
    }
    return v;
  }

  /**
   * Secret strings: a list, or one string for a list of one. Messages never show a value, and
   * an empty list counts as unset.
   */
  secretList(name: string): string[] | undefined {
    const v = this.#table[name];
    if (v === undefined) return undefined;
    const items = typeof v === "string" ? [v] : v;
    if (!Array.isArray(items) || !items.every((item) => typeof item === "string")) {
      this.problem(
        `${this.key(name)} must be a list of strings in double quotes, like ["…", "…"].`,
      );
      return undefined;
    }
    return items.length === 0 ? undefined : items;
  }

  /** A list of integers, each within `[min, max]`. */
  integerList(name: string, min: number, max: number): number[] | undefined {
    const v = this.#table[name];
    if (v === undefined) return undefined;
    if (
      !Array.isArray(v) ||
      !v.every((item) =>
        typeof item === "number" && Number.isInteger(item) && item >= min &&
        item <= max
      )
    ) {
      this.problem(
        `${this.key(name)} must be a list of whole numbers from ${min} to ${max}, like [1, 2], ` +
          `not ${describe(v)}.`,
      );
      return undefined;
    }
    return v;
  }

  /**
   * A duration (Go syntax like "1m30s", or an integer number of nanoseconds) in whole
   * milliseconds, from `minMs` to `maxMs` ({@link MAX_DURATION_MS} unless given); an empty
   * string counts as unset. A fraction of a millisecond is rounded here, once, so nothing
   * downstream sees one.
   */
  duration(name: string, minMs: number, maxMs: number = MAX_DURATION_MS): number | undefined {
    const v = this.#table[name];
    if (v === undefined || v === "") return undefined;
    let ms: number | undefined;
    if (typeof v === "string") ms = parseGoDuration(v);
    else if (typeof v === "number" && Number.isInteger(v)) ms = nanosToMs(v);
    if (ms === undefined) {
      this.problem(
        `${this.key(name)} ${
          describe(v)
        } is not a duration: write it like "30s", "5m" or "1h30m" (units ns, us, ms, s, m, h).`,
      );
      return undefined;
    }
    ms = Math.round(ms);
    if (ms < minMs || ms > maxMs) {
      this.problem(
        `${this.key(name)} ${describe(v)} is too ${ms < minMs ? "short" : "long"}: use from "${
          formatGoDuration(minMs)
        }" to "${formatGoDuration(maxMs)}".`,
      );
      return undefined;
    }
    return ms;
  }
}
