/**
 * Runs the supervisor the way `start` does, with the stub service worker, so a test can send
 * real signals to a real process. Usage: `sandbox_supervise_main.ts <stop|ignore-stop|fail> [graceMs]`.
 *
 * @module
 */

import { reportOutcome } from "../cli/start.ts";
import { STDIO } from "../cli/io.ts";
import { superviseService } from "../sandbox/supervisor.ts";

const [behaviour, graceText] = Deno.args;
const graceMs = Number(graceText ?? 15_000);
const outcome = await superviseService({
  input: {
    config: {} as never,
    configPath: behaviour,
    warnings: [],
    debug: false,
  },
  permissions: { net: [], read: [], write: [] },
  module: new URL("./sandbox_stub_service_worker.ts", import.meta.url),
  graceMs,
  onSignal: (signal, phase) => {
    const state = (name: "net" | "write" | "read") => Deno.permissions.querySync({ name }).state;
    console.log(`supervisor got ${signal} (${phase})`);
    console.log(
      `supervisor holds net:${state("net")} write:${state("write")} read:${state("read")}`,
    );
  },
});
console.log(`outcome ${outcome.kind}`);
Deno.exit(reportOutcome(outcome, STDIO, false, graceMs));
