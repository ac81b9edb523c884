import assert from "node:assert/strict";
import { parseListenAddr } from "./listen_addr.ts";
import { METRIC_PREFIX } from "./metrics.ts";
import type { ListenResult } from "../testing/http_listen.ts";
import type { PermissionWorkerResult } from "../testing/http_permission_worker.ts";
import { parseExposition, sampleValue } from "../testing/prometheus_text.ts";
import { runWorker } from "../testing/run_worker.ts";

Deno.test("permissions: metrics and listener work in a Worker with only its net permission", async () => {
  const listenAddr = "127.0.0.1:0";
  const result = await runWorker<PermissionWorkerResult>(
    new URL("../testing/http_permission_worker.ts", import.meta.url),
    { net: [...parseListenAddr(listenAddr).netPermissions] },
    listenAddr,
  );
  assert.equal(result.envDenied, true, "env must really be denied in the worker");
  assert.equal(result.readDenied, true, "read must really be denied in the worker");
  assert.deepEqual(result.listen.ok && result.listen.hostname, "127.0.0.1");
  const e = parseExposition(result.metricsText);
  assert.equal(sampleValue(e, `${METRIC_PREFIX}incidents_created_total`), 1);
  assert.equal(sampleValue(e, `${METRIC_PREFIX}request_to_incident_seconds_count`), 1);
  assert.equal(
    sampleValue(e, `${METRIC_PREFIX}pagerduty_requests_total`, {
      operation: "createIncident",
      status: "201",
    }),
    1,
  );
  assert.ok(sampleValue(e, "process_resident_memory_bytes") > 0);
});

/** Runs the listen probe in a `deno run` subprocess granted only `net`. */
async function listenWith(net: readonly string[], listenAddr: string): Promise<ListenResult> {
  const probe = new URL("../testing/http_listen_main.ts", import.meta.url);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", `--allow-net=${net.join(",")}`, probe.pathname, listenAddr],
    // The project root, so the subprocess finds deno.json and node_modules.
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `listen probe failed: ${stderr}`);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

Deno.test("permissions: ':port' binds '[::]' when permitted, else falls back to 0.0.0.0", async () => {
  const [both, v4] = await Promise.all([
    listenWith(parseListenAddr(":0").netPermissions, ":0"),
    listenWith(["0.0.0.0:0"], ":0"),
  ]);
  // As a URL writes it, so logs show http://[::]:port, not http://:::port.
  assert.equal(both.ok && both.hostname, "[::]");
  assert.equal(v4.ok && v4.hostname, "0.0.0.0");
});

Deno.test("permissions: listening without permission fails naming http.listen_addr", async () => {
  const result = await listenWith(["127.0.0.1:1"], "127.0.0.1:0");
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.key, "http.listen_addr");
  assert.match(
    result.error,
    /^Cannot listen on http\.listen_addr "127\.0\.0\.1:0" \(NotCapable: .*\); grant the service permission/,
  );
});
