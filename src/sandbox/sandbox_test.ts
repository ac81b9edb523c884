import assert from "node:assert/strict";
import { parseConfig } from "../config/parse.ts";
import { servicePermissions } from "./permissions.ts";
import { startTask } from "./run_task.ts";
import type { Probe, ProbeResult } from "../testing/sandbox_probe_worker.ts";

const PROBE_WORKER = new URL("../testing/sandbox_probe_worker.ts", import.meta.url);

/** A TCP listener that accepts and closes connections, standing in for a server. */
function listener(): { port: number; close(): Promise<void> } {
  const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of server) conn.close();
  })();
  return {
    port: (server.addr as Deno.NetAddr).port,
    close: async () => {
      server.close();
      await accepting.catch(() => {});
    },
  };
}

Deno.test("code in the service sandbox reaches only the configured hosts and files", async () => {
  const dir = await Deno.makeTempDir();
  const auth = listener();
  const pagerduty = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("ok"),
  );
  const other = listener();
  try {
    const identity = `${dir}/auth_id`;
    const secretElsewhere = `${dir}/other-secret`;
    const logFile = `${dir}/tp.log`;
    await Deno.writeTextFile(identity, "identity");
    await Deno.writeTextFile(secretElsewhere, "secret");
    const { config } = await parseConfig(
      `
[teleport]
addr = "127.0.0.1:${auth.port}"
identity = "${identity}"
[pagerduty]
api_key = "k"
user_email = "bot@example.com"
api_endpoint = "http://127.0.0.1:${pagerduty.addr.port}"
[http]
listen_addr = "127.0.0.1:0"
[log]
output = "${logFile}"
`,
      { path: "t.toml", readFile: () => Promise.reject(new Error("unused")) },
    );
    const permissions = servicePermissions(config);
    assert.deepEqual(permissions, {
      net: [`127.0.0.1:${auth.port}`, `127.0.0.1:${pagerduty.addr.port}`, "127.0.0.1:0"],
      read: [identity],
      write: [logFile],
    });
    const probes: Array<[Probe, ProbeResult]> = [
      [{ kind: "connect", hostname: "127.0.0.1", port: auth.port }, "ok"],
      [{ kind: "fetch", url: `http://127.0.0.1:${pagerduty.addr.port}/abilities` }, "ok"],
      [{ kind: "listen", hostname: "127.0.0.1", port: 0 }, "ok"],
      [{ kind: "read", path: identity }, "ok"],
      [{ kind: "write", path: logFile }, "ok"],
      [{ kind: "connect", hostname: "127.0.0.1", port: other.port }, "NotCapable"],
      [{ kind: "fetch", url: `http://127.0.0.1:${other.port}/` }, "NotCapable"],
      [{ kind: "listen", hostname: "127.0.0.1", port: other.port }, "NotCapable"],
      [{ kind: "read", path: secretElsewhere }, "NotCapable"],
      [{ kind: "read", path: "/etc/passwd" }, "NotCapable"],
      [{ kind: "write", path: identity }, "NotCapable"],
      [{ kind: "env", name: "HOME" }, "NotCapable"],
      [{ kind: "run" }, "NotCapable"],
      [{ kind: "sys" }, "NotCapable"],
      // node-compat code sees an empty environment instead of failing (see ignore_env.ts).
      [{ kind: "grpc-js" }, "ok"],
    ];
    const task = startTask<Probe[], ProbeResult[]>(
      PROBE_WORKER,
      "probe",
      permissions,
      probes.map(([probe]) => probe),
    );
    const results = await task.result;
    assert.deepEqual(
      probes.map(([probe], i) => [probe, results[i]]),
      probes,
    );
  } finally {
    await auth.close();
    await other.close();
    await pagerduty.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
