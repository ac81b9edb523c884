/**
 * The supervisor side of config loading: runs `config_worker.ts` in a worker that may read files
 * but nothing else, and rebuilds the result on this thread.
 *
 * @module
 */

import { ConfigError, type ConfigWarning } from "../config/errors.ts";
import { configFromMessage, type ConfigMessage } from "../config/transfer.ts";
import type { Config } from "../config/types.ts";
import { CONFIG_LOADER_PERMISSIONS } from "./permissions.ts";
import { startTask } from "./run_task.ts";

/** What the config worker answers. */
export type ConfigLoadOutput =
  | {
    readonly ok: true;
    readonly config: ConfigMessage;
    readonly warnings: readonly ConfigWarning[];
  }
  | { readonly ok: false; readonly problems: readonly string[] };

/** A loaded config, as on this side of the worker boundary. */
export interface LoadedConfig {
  readonly config: Config;
  readonly warnings: readonly ConfigWarning[];
}

/**
 * Loads the config file at `path` in a sandboxed worker.
 *
 * @throws {ConfigError} listing every problem with the file.
 * @throws {TaskError} when the worker itself failed (a bug, or missing process permissions).
 */
export async function loadConfigSandboxed(
  path: string,
  options: { allowPendingSecretFiles?: boolean } = {},
): Promise<LoadedConfig> {
  const output = await startTask<
    { path: string; allowPendingSecretFiles?: boolean },
    ConfigLoadOutput
  >(
    new URL("./config_worker.ts", import.meta.url),
    "config",
    CONFIG_LOADER_PERMISSIONS,
    { path, ...options },
  ).result;
  if (!output.ok) throw new ConfigError(path, output.problems);
  return { config: configFromMessage(output.config), warnings: output.warnings };
}
