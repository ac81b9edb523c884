/**
 * `setup-pagerduty`: creates (or checks) what PagerDuty needs so responders can approve and deny
 * access requests from it: the V3 webhook subscription of each service, the two manual
 * workflows, and the two Custom Incident Actions. The work runs in a worker that may reach only
 * PagerDuty and the secret files.
 *
 * @module
 */

import { ConfigError } from "../../config/errors.ts";
import { configToMessage } from "../../config/transfer.ts";
import { loadConfigSandboxed } from "../../sandbox/config_loader.ts";
import { startTask } from "../../sandbox/run_task.ts";
import type { Command } from "../command.ts";
import { EXIT } from "../exit_codes.ts";
import { CONFIG_OPTION, DEBUG_OPTION, printFatal } from "../options.ts";
import { ACTION_NAMES, WEBHOOK_EVENTS, WORKFLOW_NAMES } from "./endpoints.ts";
import { setupPermissions, type SetupRequest, setupRequest } from "./inputs.ts";
import { formatReport, outcome, type SetupReport } from "./report.ts";

const EXIT_BY_OUTCOME = {
  done: EXIT.ok,
  failed: EXIT.failure,
  config: EXIT.usage,
  manual: EXIT.setupManual,
} as const;

/** The `setup-pagerduty` command. */
export const setupPagerDutyCommand: Command = {
  name: "setup-pagerduty",
  summary: "Set up approve/deny from PagerDuty (webhook, workflows, actions)",
  description:
    "With the configured API key and http.public_addr, creates or updates in PagerDuty:\n" +
    "  - for each --service, a V3 webhook subscription to <public_addr>/pagerduty/webhook\n" +
    `    (${WEBHOOK_EVENTS.join(", ")}); its secret, shown by\n` +
    "    PagerDuty only once, is written (mode 0600) to the first file of\n" +
    "    [pagerduty.reviews] webhook_secrets that is missing or empty, never printed;\n" +
    `  - the manual Incident Workflows "${WORKFLOW_NAMES.approve}" and "${WORKFLOW_NAMES.deny}"\n` +
    "    where the account has them, offered on those services; their IDs are printed for\n" +
    "    approve_workflows and deny_workflows;\n" +
    `  - the Custom Incident Actions "${ACTION_NAMES.approve}" and "${ACTION_NAMES.deny}" when\n` +
    "    action_secret is set (a missing or empty secret file gets a new random secret).\n" +
    "What exists is found by URL and name, so a second run changes nothing. Where PagerDuty\n" +
    "refuses the key (402/403), the steps to do by hand in the web app are printed instead\n" +
    "(exit code 4).",
  options: {
    config: CONFIG_OPTION,
    service: {
      type: "string",
      multiple: true,
      valueName: "NAME",
      help: "a PagerDuty service requests are opened in (repeat for several)",
    },
    "dry-run": { type: "boolean", help: "print what would be done and change nothing" },
    debug: DEBUG_OPTION,
  },
  run: async (values, _positionals, io) => {
    const path = String(values.config);
    let loaded;
    try {
      // The secret files may not exist yet: writing them is what this command is for.
      loaded = await loadConfigSandboxed(path, { allowPendingSecretFiles: true });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      io.err(`teleport-pagerduty: ${error.message}\n`);
      return EXIT.usage;
    }
    const { config } = loaded;
    const request = setupRequest(config, configToMessage(config), {
      serviceNames: (values.service as readonly string[] | undefined) ?? [],
      dryRun: values["dry-run"] === true,
    });
    if ("problems" in request) {
      for (const problem of request.problems) io.err(`teleport-pagerduty: ${problem}\n`);
      return EXIT.usage;
    }
    let report: SetupReport;
    try {
      report = await startTask<SetupRequest, SetupReport>(
        new URL("./setup_worker.ts", import.meta.url),
        "setup-pagerduty",
        setupPermissions(config, request),
        request,
      ).result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const stack = (error as { workerStack?: string }).workerStack;
      printFatal(io, message, stack, values.debug === true);
      return EXIT.failure;
    }
    io.out(formatReport(report));
    return EXIT_BY_OUTCOME[outcome(report)];
  },
};
