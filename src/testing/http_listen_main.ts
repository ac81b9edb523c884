/**
 * Command-line entry for the permission tests: `deno run --allow-net=<only these> http_listen_main.ts
 * <listen_addr>` prints the {@linkcode ListenResult} as JSON.
 *
 * @module
 */

import { listenOnce } from "./http_listen.ts";

console.log(JSON.stringify(await listenOnce(Deno.args[0])));
