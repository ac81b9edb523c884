/**
 * The command table. To add a command, write it as a {@link Command} and list it here.
 *
 * @module
 */

import { checkCommand } from "./check.ts";
import type { Command } from "./command.ts";
import { configureCommand } from "./configure.ts";
import { setupPagerDutyCommand } from "./setup/command.ts";
import { demoCommand } from "./demo.ts";
import { EXIT } from "./exit_codes.ts";
import { commandHelp, PROGRAM, programHelp } from "./help.ts";
import { startCommand } from "./start.ts";
import { versionCommand } from "./version.ts";

const BASE_COMMANDS: readonly Command[] = [
  startCommand,
  checkCommand,
  configureCommand,
  versionCommand,
  demoCommand,
  setupPagerDutyCommand,
];

/** `help [COMMAND]`, which needs the table it is part of. */
const helpCommand: Command = {
  name: "help",
  summary: "Show help for the program or a command",
  description: `Shows the program's help, or with a command name that command's help.`,
  options: {},
  positionals: "[COMMAND]",
  run: (_values, positionals, io) => {
    if (positionals.length === 0) {
      io.out(programHelp(COMMANDS));
      return Promise.resolve(EXIT.ok);
    }
    const command = COMMANDS.find((c) => c.name === positionals[0]);
    if (command === undefined || positionals.length > 1) {
      io.err(`${PROGRAM}: unknown command "${positionals.join(" ")}"; see "${PROGRAM} help".\n`);
      return Promise.resolve(EXIT.usage);
    }
    io.out(commandHelp(command));
    return Promise.resolve(EXIT.ok);
  },
};

/** Every command, in the order help lists them. */
export const COMMANDS: readonly Command[] = [...BASE_COMMANDS, helpCommand];
