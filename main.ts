/**
 * teleport-pagerduty: the command line. Everything else lives in `src/`; see `src/cli/`.
 *
 * @module
 */

import { runCli } from "./src/cli/main.ts";

if (import.meta.main) Deno.exit(await runCli(Deno.args));
