/**
 * teleport-pagerduty: the command line. Everything else lives in `src/`; see `src/cli/`.
 *
 * @module
 */

import { runCli } from "./src/cli/main.ts";

Deno.exit(await runCli(Deno.args));
