/**
 * The client reaches the Auth Service with `--allow-net=<host>:<port>` alone, thanks to the
 * host-passthrough resolver (grpc-js's own `dns:` resolver would need the bare host plus every
 * resolved IP), and gets nothing beyond it.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { writeIdentityFile } from "../fakes/pki.ts";
import { PLUGIN_USER, startHarness } from "../testing/teleport_harness.ts";

const script = fileURLToPath(new URL("../testing/teleport_ping_main.ts", import.meta.url));

async function ping(args: { net: string; addr: string; identity: string }) {
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--ignore-env",
      `--allow-read=${args.identity}`,
      `--allow-net=${args.net}`,
      script,
      args.addr,
      args.identity,
    ],
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await command.output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  return { code, stdout: text(stdout), stderr: text(stderr) };
}

Deno.test("pinging needs only --allow-net=<host>:<port> of the Auth Service", async () => {
  await using h = await startHarness();
  const identity = await writeIdentityFile(h.dir, await h.auth.issueIdentity(PLUGIN_USER), "id");
  const addr = `localhost:${h.auth.port}`;
  const allowed = await ping({ net: addr, addr, identity });
  assert.equal(allowed.stdout, "example.com", allowed.stderr);
  assert.equal(allowed.code, 0);

  const elsewhere = await ping({ net: `localhost:${h.auth.port + 1}`, addr, identity });
  assert.equal(elsewhere.code, 1);
  assert.match(elsewhere.stderr, /^This process is not permitted to connect to localhost:\d+ /);
  assert.match(elsewhere.stderr, /--allow-net permission must include that exact host:port\.$/);
});
