/**
 * Whether the Teleport section names credentials. Kept out of `parse.ts`: the Go plugin's own
 * template (credentials commented out) loads there, as it did in Go, and fails only when
 * connecting; `start` and `check` call this to fail early with a clear message instead. No
 * third-party imports: the supervisor thread uses it.
 *
 * @module
 */

import type { TeleportConfig } from "./types.ts";

/** Why the Teleport section cannot connect, or undefined when it names credentials. */
export function credentialsProblem(teleport: TeleportConfig): string | undefined {
  if (teleport.identity !== undefined || teleport.clientCrt !== undefined) return undefined;
  return "no Teleport credentials are configured: set teleport.identity to an identity file " +
    "(from `tctl auth sign --format=file` or tbot), or set teleport.client_key, " +
    "teleport.client_crt and teleport.root_cas (from `tctl auth sign --format=tls`).";
}
