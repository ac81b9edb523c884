/**
 * The running service as a sandboxed task: sets up logging from `[log]` and runs the service
 * until the supervisor asks it to stop. `service_worker.ts` serves it; its own module so a test
 * can run the very same task next to a probe.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { runService } from "../app/service.ts";
import { configFromMessage } from "../config/transfer.ts";
import { configureLogging, ROOT_CATEGORY } from "../logging.ts";
import { GIT_REF, VERSION } from "../version.ts";
import type { ServiceInput } from "./service_input.ts";
import type { TaskContext } from "./task.ts";

const log = getLogger([ROOT_CATEGORY, "main"]);

/** Runs the service until `signal` asks it to stop; rejects with the fatal error. */
export async function runServiceTask(input: ServiceInput, { signal }: TaskContext): Promise<void> {
  const config = configFromMessage(input.config);
  const logging = await configureLogging(config.log, { debug: input.debug });
  try {
    // Interpolated by hand: LogTape quotes string placeholders, which reads badly here.
    log.info(
      `Starting teleport-pagerduty v${VERSION} (git:${GIT_REF}, deno ${Deno.version.deno})`,
      {
        version: VERSION,
        git_ref: GIT_REF,
        deno: Deno.version.deno,
        config_path: input.configPath,
        teleport_addr: config.teleport.addr,
        pagerduty_api: config.pagerduty.apiEndpoint,
      },
    );
    for (const warning of input.warnings) log.warn(warning.message, { key: warning.key });
    signal.addEventListener("abort", () => {
      const name = String(signal.reason);
      log.info(`Received ${name}: shutting down gracefully; send it again to stop at once`, {
        signal: name,
      });
    }, { once: true });
    await runService(config, { signal });
    log.info("Successfully shut down");
  } catch (error) {
    // On stderr the supervisor prints the same sentence right after; elsewhere, keep it in the log.
    if (config.log.output !== "stderr") {
      log.error("Terminating with fatal error: {error}", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
    throw error;
  } finally {
    await logging.close();
  }
}
