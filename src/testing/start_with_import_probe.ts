/**
 * `start` as the CLI runs it (the config loaded in its sandbox, the service's permissions, the
 * supervisor), but with `import_probe_worker.ts` as the service worker. Usage:
 * `start_with_import_probe.ts <config path>`.
 *
 * @module
 */

import { configToMessage } from "../config/transfer.ts";
import { loadConfigSandboxed } from "../sandbox/config_loader.ts";
import { servicePermissions } from "../sandbox/permissions.ts";
import { superviseService } from "../sandbox/supervisor.ts";

const [path] = Deno.args;
const { config, warnings } = await loadConfigSandboxed(path);
const outcome = await superviseService({
  input: { config: configToMessage(config), configPath: path, warnings, debug: false },
  permissions: servicePermissions(config),
  module: new URL("./import_probe_worker.ts", import.meta.url),
});
console.log(`outcome ${outcome.kind}`);
Deno.exit(outcome.kind === "stopped" ? 0 : 1);
