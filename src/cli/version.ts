/**
 * `version`: prints the version line.
 *
 * @module
 */

import { GIT_REF, VERSION } from "../version.ts";
import { EXIT } from "./exit_codes.ts";
import type { Command } from "./command.ts";

/** `teleport-pagerduty v<version> git:<ref> deno <version>`, like the Go plugin's line. */
export function versionLine(): string {
  return `teleport-pagerduty v${VERSION} git:${GIT_REF} deno ${Deno.version.deno}`;
}

/** The `version` command. */
export const versionCommand: Command = {
  name: "version",
  summary: "Print the version",
  description: "Prints the version, the git ref it was built from, and the Deno version.",
  options: {},
  run: (_values, _positionals, io) => {
    io.out(`${versionLine()}\n`);
    return Promise.resolve(EXIT.ok);
  },
};
