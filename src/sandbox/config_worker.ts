/**
 * Worker entry: loads and validates the config file. TOML parsing is third-party code, so it
 * runs here, with read access but no network, write, env or subprocess, instead of on the
 * supervisor thread that holds the broad permissions.
 *
 * @module
 */

import "./ignore_env.ts";
import { ConfigError } from "../config/errors.ts";
import { loadConfig } from "../config/load.ts";
import { configToMessage } from "../config/transfer.ts";
import type { ConfigLoadOutput } from "./config_loader.ts";
import { serveTask } from "./task.ts";

serveTask(
  async (input: { path: string; allowPendingSecretFiles?: boolean }): Promise<ConfigLoadOutput> => {
    try {
      const { config, warnings } = await loadConfig(input.path, {
        allowPendingSecretFiles: input.allowPendingSecretFiles,
      });
      return { ok: true, config: configToMessage(config), warnings };
    } catch (error) {
      if (error instanceof ConfigError) return { ok: false, problems: error.problems };
      throw error;
    }
  },
);
