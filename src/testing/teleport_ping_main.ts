/**
 * Pings an Auth Service with an identity file and prints the cluster name, or the error's
 * message on stderr with exit code 1. The permission test runs it with only
 * `--allow-net=<host>:<port>` to prove the client needs no wider network permission.
 *
 * Usage: `deno run --ignore-env --allow-read=<file> --allow-net=<host:port> teleport_ping_main.ts <addr> <identity file>`
 *
 * @module
 */

import { fixedCredentials, TeleportClient } from "../teleport/client.ts";
import { loadCredentials } from "../teleport/identity.ts";

const [addr, identityPath] = Deno.args;
const credentials = await loadCredentials({ kind: "identity_file", path: identityPath });
const client = new TeleportClient({
  addr,
  credentials: fixedCredentials(credentials),
  callTimeoutMs: 5_000,
});
try {
  console.log((await client.ping()).clusterName);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  Deno.exitCode = 1;
} finally {
  client.close();
}
