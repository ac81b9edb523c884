/**
 * Help text for the program and for each command.
 *
 * @module
 */

import type { Command } from "./command.ts";
import { EXIT_CODES_HELP } from "./exit_codes.ts";

import { PROGRAM } from "../command_line.ts";

export { CHECKOUT_DENO, commandLine, PROGRAM } from "../command_line.ts";

function table(rows: ReadonlyArray<[string, string]>): string {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join("\n");
}

/** The program's help: the commands and the exit codes. */
export function programHelp(commands: readonly Command[]): string {
  return `${PROGRAM}: Teleport access requests as PagerDuty incidents, with on-call auto-approval.

Usage: ${PROGRAM} <command> [flags]

Commands:
${table(commands.map((c) => [c.name, c.summary]))}

Run "${PROGRAM} <command> --help" for a command's flags.

${EXIT_CODES_HELP}`;
}

/** One command's help: usage, description, flags and exit codes. */
export function commandHelp(command: Command): string {
  const flags: Array<[string, string]> = Object.entries(command.options).map(([name, spec]) => [
    `${spec.short ? `-${spec.short}, ` : "    "}--${name}${
      spec.valueName ? ` ${spec.valueName}` : ""
    }`,
    `${spec.help}${spec.default !== undefined ? ` (default ${spec.default})` : ""}`,
  ]);
  flags.push(["-h, --help", "show this help"]);
  return `Usage: ${PROGRAM} ${command.name} [flags]${
    command.positionals ? ` ${command.positionals}` : ""
  }

${command.description}

Flags:
${table(flags)}

${EXIT_CODES_HELP}`;
}
