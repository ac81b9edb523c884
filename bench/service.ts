/**
 * The service under test, as its own process: the same path as `teleport-pagerduty start -c
 * <config>` (config parsed in its read-only worker, service run by the same supervisor in its
 * sandboxed worker), with one benchmark-only change, `--rate-limit-per-minute N`.
 *
 * Why the override exists: the config refuses a client-side PagerDuty limit above PagerDuty's
 * own 960 requests per minute per key (it warns and uses 960), which is right for a real
 * account. The scenarios that measure the service's own speed (latency, burst, calls, memory)
 * run against a fake PagerDuty without any limit, and at 960 per minute the limiter alone would
 * decide the figures (5,000 incidents would take over 5 minutes). The rate-limited scenario does
 * not use this entry: it runs the real CLI, `main.ts start`, with `rate_limit_per_minute = 960`.
 *
 * Usage: `deno run <the shipped flags> bench/service.ts -c <config> [--rate-limit-per-minute N]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import { reportOutcome } from "../src/cli/start.ts";
import { STDIO } from "../src/cli/io.ts";
import { ConfigError } from "../src/config/errors.ts";
import { configToMessage } from "../src/config/transfer.ts";
import { loadConfigSandboxed } from "../src/sandbox/config_loader.ts";
import { servicePermissions } from "../src/sandbox/permissions.ts";
import { DEFAULT_GRACE_MS, superviseService } from "../src/sandbox/supervisor.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    config: { type: "string", short: "c" },
    "rate-limit-per-minute": { type: "string" },
  },
});
if (values.config === undefined) {
  STDIO.err("bench/service.ts: pass the config file with -c <path>.\n");
  Deno.exit(2);
}
const rateText = values["rate-limit-per-minute"];
const rate = rateText === undefined ? undefined : Number(rateText);
if (rate !== undefined && (!Number.isInteger(rate) || rate < 1)) {
  STDIO.err(
    `bench/service.ts: --rate-limit-per-minute must be a positive whole number (got ${rateText}).\n`,
  );
  Deno.exit(2);
}

let loaded;
try {
  loaded = await loadConfigSandboxed(values.config);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  STDIO.err(`bench/service.ts: ${error.message}\n`);
  Deno.exit(2);
}
const config = rate === undefined
  ? loaded.config
  : { ...loaded.config, pagerduty: { ...loaded.config.pagerduty, maxRequestsPerMinute: rate } };
const outcome = await superviseService({
  input: {
    config: configToMessage(config),
    configPath: values.config,
    warnings: loaded.warnings,
    debug: false,
  },
  permissions: servicePermissions(config),
});
Deno.exit(reportOutcome(outcome, STDIO, false, DEFAULT_GRACE_MS));
