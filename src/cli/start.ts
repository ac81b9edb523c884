/**
 * `start`: loads the config, then runs the service in its sandbox until it fails or a signal
 * stops it.
 *
 * @module
 */

import { credentialsProblem } from "../config/credentials.ts";
import { ConfigError } from "../config/errors.ts";
import { configToMessage } from "../config/transfer.ts";
import { loadConfigSandboxed } from "../sandbox/config_loader.ts";
import { servicePermissions } from "../sandbox/permissions.ts";
import { DEFAULT_GRACE_MS, type ServiceOutcome, superviseService } from "../sandbox/supervisor.ts";
import type { Command } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import type { Io } from "./io.ts";
import { CONFIG_OPTION, DEBUG_OPTION, printFatal } from "./options.ts";

/** The `start` command. */
export const startCommand: Command = {
  name: "start",
  summary: "Start the service",
  description: "Loads the config, connects to Teleport and PagerDuty, and handles access\n" +
    "requests until stopped. SIGTERM or SIGINT stops it gracefully (running work gets\n" +
    `up to 15 s, the whole stop ${
      DEFAULT_GRACE_MS / 1000
    } s); a second signal stops it at once.\n` +
    "The service runs in a worker that may reach only the configured Teleport and\n" +
    "PagerDuty addresses and its own listener, and read only its credential files.",
  options: { config: CONFIG_OPTION, debug: DEBUG_OPTION },
  run: async (values, _positionals, io) => {
    const path = String(values.config);
    const debug = values.debug === true;
    let loaded;
    try {
      loaded = await loadConfigSandboxed(path);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      io.err(`teleport-pagerduty: ${error.message}\n`);
      return EXIT.usage;
    }
    const { config, warnings } = loaded;
    const missing = credentialsProblem(config.teleport);
    if (missing !== undefined) {
      io.err(`teleport-pagerduty: config file ${path}: ${missing}\n`);
      return EXIT.usage;
    }
    const outcome = await superviseService({
      input: { config: configToMessage(config), configPath: path, warnings, debug },
      permissions: servicePermissions(config),
      onSignal: (signal, phase) => {
        if (phase === "forced") io.err(`teleport-pagerduty: second ${signal}: stopping at once\n`);
      },
    });
    return reportOutcome(outcome, io, debug, DEFAULT_GRACE_MS);
  },
};

/** Prints how the service ended (when there is anything to say) and returns the exit code. */
export function reportOutcome(
  outcome: ServiceOutcome,
  io: Io,
  debug: boolean,
  graceMs: number,
): number {
  switch (outcome.kind) {
    case "stopped":
      return EXIT.ok;
    case "failed":
      printFatal(io, outcome.error.message, outcome.error.workerStack, debug);
      return EXIT.failure;
    case "forced":
      if (outcome.why === "timeout") {
        io.err(
          `teleport-pagerduty: not stopped within ${
            graceMs / 1000
          } s of ${outcome.signal}: stopping at once\n`,
        );
      }
      return outcome.signal === "SIGINT" ? EXIT.sigint : EXIT.sigterm;
  }
}
