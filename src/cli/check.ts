/**
 * `check`: validates the config, then tests every connection and permission the service needs,
 * each side in a worker holding exactly the permissions the service would hold for it, and
 * prints a checklist with a fix for every failure.
 *
 * @module
 */

import { credentialsProblem } from "../config/credentials.ts";
import { ConfigError } from "../config/errors.ts";
import { configToMessage } from "../config/transfer.ts";
import type { Config } from "../config/types.ts";
import { loadConfigSandboxed } from "../sandbox/config_loader.ts";
import { pagerDutyPermissions, teleportPermissions } from "../sandbox/permissions.ts";
import { startTask } from "../sandbox/run_task.ts";
import type { Command } from "./command.ts";
import type { PagerDutyCheckInput, TeleportCheckInput } from "./check_inputs.ts";
import type { TeleportCheckResult } from "./check_teleport.ts";
import { allPassed, type CheckItem, formatChecklist } from "./checklist.ts";
import { EXIT } from "./exit_codes.ts";
import { CONFIG_OPTION } from "./options.ts";

/** The `check` command. */
export const checkCommand: Command = {
  name: "check",
  summary: "Validate the config and test every connection and permission",
  description: "Validates the config, then proves with calls that change nothing that:\n" +
    "  - the Teleport Auth Service is reachable and accepts the identity (Ping);\n" +
    "  - the plugin may list and read access requests, read and update plugin data, and\n" +
    "    submit reviews (probed on a request ID that does not exist);\n" +
    "  - PagerDuty accepts the API key, pagerduty.user_email is a user, the key may write\n" +
    "    (probed on an incident ID that does not exist), and every service named by pending\n" +
    "    requests or access monitoring rules exists.\n" +
    "Prints a checklist with a fix for each failure.",
  options: { config: CONFIG_OPTION },
  run: async (values, _positionals, io) => {
    const items = await runChecks(String(values.config));
    io.out(formatChecklist(items));
    return allPassed(items) ? EXIT.ok : EXIT.checkFailed;
  },
};

/** Every check, in order; a broken config stops before any connection is tried. */
export async function runChecks(path: string): Promise<CheckItem[]> {
  const title = `config file ${path}`;
  let config: Config;
  const items: CheckItem[] = [];
  try {
    const loaded = await loadConfigSandboxed(path);
    config = loaded.config;
    items.push({ status: "ok", title, detail: "valid" });
    for (const warning of loaded.warnings) {
      items.push({ status: "warn", title, detail: warning.message });
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((problem) => ({ status: "fail", title, detail: problem }));
  }
  const missing = credentialsProblem(config.teleport);
  if (missing !== undefined) return [...items, { status: "fail", title, detail: missing }];

  let serviceNames: string[] = [];
  try {
    const teleport = await startTask<TeleportCheckInput, TeleportCheckResult>(
      new URL("./check_teleport_worker.ts", import.meta.url),
      "check-teleport",
      teleportPermissions(config),
      {
        teleport: config.teleport,
        notifyServiceAnnotation: config.pagerduty.notifyServiceAnnotation,
        servicesAnnotation: config.pagerduty.servicesAnnotation,
        autoApproval: config.pagerduty.autoApproval.enabled,
        probeRequestId: crypto.randomUUID(),
      },
    ).result;
    items.push(...teleport.items);
    serviceNames = teleport.serviceNames;
  } catch (error) {
    items.push({ status: "fail", title: "Teleport checks ran", detail: errorText(error) });
  }

  try {
    items.push(
      ...await startTask<PagerDutyCheckInput, CheckItem[]>(
        new URL("./check_pagerduty_worker.ts", import.meta.url),
        "check-pagerduty",
        pagerDutyPermissions(config),
        {
          pagerduty: configToMessage(config).pagerduty,
          serviceNames,
          probeIncidentId: `PTPCHECK${crypto.randomUUID().slice(0, 8).toUpperCase()}`,
        },
      ).result,
    );
  } catch (error) {
    items.push({ status: "fail", title: "PagerDuty checks ran", detail: errorText(error) });
  }
  return items;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
