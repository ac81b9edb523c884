/**
 * The command-line dispatcher: finds the command, parses its flags with `node:util`
 * `parseArgs`, runs it, and turns any error into one line on stderr and an exit code.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { nearest } from "../config/suggest.ts";
import type { Command } from "./command.ts";
import { COMMANDS } from "./commands.ts";
import { EXIT } from "./exit_codes.ts";
import { commandHelp, PROGRAM, programHelp } from "./help.ts";
import { type Io, STDIO } from "./io.ts";
import { printFatal } from "./options.ts";

/** Runs the command line `args` (without the program name) and returns the exit code. */
export async function runCli(args: readonly string[], io: Io = STDIO): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    io.err(programHelp(COMMANDS));
    return EXIT.usage;
  }
  if (name === "-h" || name === "--help") {
    io.out(programHelp(COMMANDS));
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    const guess = nearest(name, COMMANDS.map((c) => c.name));
    io.err(
      `${PROGRAM}: unknown command "${name}"${guess ? `; did you mean "${guess}"?` : ""} ` +
        `(see "${PROGRAM} help").\n`,
    );
    return EXIT.usage;
  }
  const parsed = parse(command, rest, io);
  if (typeof parsed === "number") return parsed;
  const debug = parsed.values.debug === true;
  try {
    return await command.run(parsed.values, parsed.positionals, io);
  } catch (error) {
    printFatal(io, fatalMessage(error), error instanceof Error ? error.stack : undefined, debug);
    return EXIT.failure;
  }
}

function parse(
  command: Command,
  args: string[],
  io: Io,
):
  | { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] }
  | number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      allowPositionals: command.positionals !== undefined,
      strict: true,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    io.err(`${PROGRAM} ${command.name}: ${reason} (see "${PROGRAM} ${command.name} --help").\n`);
    return EXIT.usage;
  }
  if (parsed.values.help === true) {
    io.out(commandHelp(command));
    return EXIT.ok;
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

function fatalMessage(error: unknown): string {
  if (error instanceof Deno.errors.NotCapable) {
    return `${error.message}: run ${PROGRAM} with the permission flags of \`deno task start\` ` +
      "(see README, Running) or with -A; it narrows them itself.";
  }
  return error instanceof Error ? error.message : String(error);
}
