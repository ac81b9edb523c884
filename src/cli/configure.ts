/**
 * `configure`: prints the annotated example config.
 *
 * @module
 */

import { EXAMPLE_CONFIG } from "../config/example.ts";
import { DEFAULT_CONFIG_PATH } from "../config/defaults.ts";
import { EXIT } from "./exit_codes.ts";
import type { Command } from "./command.ts";

/** The `configure` command. */
export const configureCommand: Command = {
  name: "configure",
  summary: "Print an annotated example config (every key, with its default)",
  description: "Prints an example config with every key explained, ready to edit:\n" +
    `  teleport-pagerduty configure > ${DEFAULT_CONFIG_PATH}\n` +
    "It keeps the Go plugin's template keys, so existing configs need no change.\n" +
    "New incidents carry no urgency unless pagerduty.urgency is set: as with the Go plugin,\n" +
    "the PagerDuty service's own urgency rules (low urgency, support hours) decide.",
  options: {},
  run: (_values, _positionals, io) => {
    io.out(EXAMPLE_CONFIG);
    return Promise.resolve(EXIT.ok);
  },
};
