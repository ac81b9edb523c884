/**
 * Flags and output helpers shared by several commands.
 *
 * @module
 */

import { DEFAULT_CONFIG_PATH } from "../config/defaults.ts";
import type { OptionSpec } from "./command.ts";
import type { Io } from "./io.ts";

/** `-c/--config PATH`, shared by the commands that read the config. */
export const CONFIG_OPTION: OptionSpec = {
  type: "string",
  short: "c",
  valueName: "PATH",
  default: DEFAULT_CONFIG_PATH,
  help: "config file",
};

/** `-d/--debug`. */
export const DEBUG_OPTION: OptionSpec = {
  type: "boolean",
  short: "d",
  help: "log at debug level (overrides log.severity) and print stack traces of fatal errors",
};

/** Prints a fatal error as one line (plus its stack with --debug). */
export function printFatal(
  io: Io,
  message: string,
  stack: string | undefined,
  debug: boolean,
): void {
  io.err(`teleport-pagerduty: ${message}\n`);
  if (debug && stack !== undefined) io.err(`${stack}\n`);
}
