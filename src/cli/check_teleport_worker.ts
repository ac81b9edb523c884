/**
 * Worker entry for the Teleport half of `check`, sandboxed to the Auth/Proxy address and the
 * credential files, like the service itself.
 *
 * @module
 */

import "../sandbox/ignore_env.ts";
import { PLUGIN_NAME } from "../app/plugin_data.ts";
import { serveTask } from "../sandbox/task.ts";
import { fixedCredentials, TeleportClient } from "../teleport/client.ts";
import { credentialFilesFromConfig } from "../config/credentials.ts";
import { loadCredentials, type TeleportCredentials } from "../teleport/identity.ts";
import { formatDuration } from "../util/duration.ts";
import type { CheckItem } from "./checklist.ts";
import type { TeleportCheckInput } from "./check_inputs.ts";
import { probesById } from "./check_probes.ts";
import { checkTeleport, type TeleportCheckResult } from "./check_teleport.ts";

serveTask(async (input: TeleportCheckInput): Promise<TeleportCheckResult> => {
  const title = "Teleport credentials load and are valid";
  let credentials: TeleportCredentials;
  try {
    credentials = await loadCredentials(credentialFilesFromConfig(input.teleport));
  } catch (error) {
    // IdentityError messages already name the file and the fix.
    return {
      items: [{
        status: "fail",
        title,
        detail: error instanceof Error ? error.message : String(error),
      }],
      serviceNames: [],
    };
  }
  const items: CheckItem[] = [{
    status: "ok",
    title,
    detail: `user ${credentials.username} (roles ${credentials.roles.join(", ")}), expires in ` +
      `${formatDuration(credentials.notAfter.getTime() - Date.now())}`,
  }];
  for (const warning of credentials.warnings) {
    items.push({ status: "warn", title, detail: warning });
  }
  const client = new TeleportClient({
    addr: input.teleport.addr,
    credentials: fixedCredentials(credentials),
  });
  try {
    const result = await checkTeleport(client, {
      ...input,
      plugin: PLUGIN_NAME,
      probes: probesById(input.probes),
    });
    return { items: [...items, ...result.items], serviceNames: result.serviceNames };
  } finally {
    client.close();
  }
});
