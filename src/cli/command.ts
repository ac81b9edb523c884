/**
 * The shape of a CLI command. Commands are listed in `commands.ts`; adding one is adding an
 * entry there. This module runs on the supervisor thread: a command whose implementation needs
 * third-party code must load it lazily (`await import(...)`) or, better, run it in a sandboxed
 * worker, so `start` keeps a main thread free of third-party code.
 *
 * @module
 */

import type { Io } from "./io.ts";

/** One command-line option. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  /** The option may be given several times; its value is then a list. */
  readonly multiple?: boolean;
  readonly short?: string;
  /** Shown in help, e.g. "PATH". */
  readonly valueName?: string;
  readonly default?: string;
  readonly help: string;
}

/** Parsed options, by long name. */
export type OptionValues = Readonly<
  Record<string, string | boolean | readonly string[] | undefined>
>;

/** A command: its help and its implementation. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** What it does, for `<command> --help`. */
  readonly description: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Positional arguments accepted, e.g. "[COMMAND]"; undefined when none. */
  readonly positionals?: string;
  /** Runs the command and returns the exit code. */
  run(values: OptionValues, positionals: readonly string[], io: Io): Promise<number>;
}
