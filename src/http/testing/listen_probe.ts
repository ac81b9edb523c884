/**
 * Command-line entry for the permission tests: `deno run --allow-net=<only these> listen_probe.ts
 * <listen_addr>` prints the {@linkcode ListenResult} as JSON.
 *
 * @module
 */

import { listenOnce } from "./listen_once.ts";

console.log(JSON.stringify(await listenOnce(Deno.args[0])));
