/**
 * End-to-end checks of the hardening (issue 13): the real service against the fake Auth Service
 * and the fake PagerDuty, fed what an attacker or a clumsy operator would feed it.
 */

import assert from "node:assert/strict";
import { decodeRecord, PLUGIN_NAME, type RequestRecord } from "../src/app/plugin_data.ts";
import type { World } from "../src/fakes/world.ts";
import { type ServiceHandle, withService } from "./harness.ts";
import { REPO_ROOT, spawnFixture } from "../src/testing/deno_process.ts";
import { FakeAuthServer } from "../src/fakes/auth/server.ts";
import { FakePagerDuty } from "../src/fakes/pagerduty/server.ts";
import { writeIdentityFile } from "../src/fakes/pki.ts";
import type { ImportProbeResult } from "../src/testing/import_probe_worker.ts";

const NOTIFY = "Teleport Access Requests";

function record(world: World, id: string): RequestRecord {
  return decodeRecord(world.auth.pluginData(id, PLUGIN_NAME));
}

/** Waits until the service's metrics match `pattern`. */
async function untilMetric(handle: ServiceHandle, pattern: RegExp): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (pattern.test(await handle.service.metrics.render())) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`no metric matched ${pattern}`);
}

Deno.test("a look-alike of an on-call responder's email is not approved as them", async () => {
  await withService({}, async (world, handle) => {
    const kate = world.pagerduty.addUser({ name: "Kate King", email: "kate@example.com" });
    world.pagerduty.putOnCall({
      userId: kate.id,
      escalationPolicyId: world.account.platformService.escalationPolicyId,
      level: 1,
    });
    const annotations = {
      pagerduty_notify_service: [NOTIFY],
      pagerduty_services: ["Platform"],
    };
    // Kate's own request is approved, which also puts her in the service's lookup cache.
    const real = world.auth.createAccessRequest({
      user: "kate@example.com",
      roles: ["editor"],
      systemAnnotations: annotations,
    });
    await world.auth.waitFor(() => world.auth.request(real.id)?.state === "APPROVED", {
      description: "Kate's own request approved",
    });
    // U+212A KELVIN SIGN: toLowerCase() turns it into "k".
    const forged = world.auth.createAccessRequest({
      user: "\u212Aate@example.com",
      roles: ["editor"],
      systemAnnotations: annotations,
    });
    await untilMetric(handle, /auto_approvals_total\{outcome="no_email"\} 1/);
    await world.auth.waitFor(() => record(world, forged.id).incidentId !== "", {
      description: "the look-alike's request noted in PagerDuty",
    });
    const current = world.auth.request(forged.id);
    assert.equal(current?.state, "PENDING");
    assert.equal(current?.reviews.length, 0);
  });
});

Deno.test("import() inside the running service's worker reads only the program's own code", async () => {
  const auth = await FakeAuthServer.start();
  const pd = await FakePagerDuty.start();
  // Where the probe's literal specifiers point: the repository root, outside the program's code.
  const dir = `${REPO_ROOT}.import-probe`;
  await Deno.mkdir(dir);
  try {
    auth.addUser({ name: "access-plugin", roles: ["access-plugin"] });
    const identity = await writeIdentityFile(dir, await auth.issueIdentity("access-plugin"));
    const secrets = {
      "secret.json": '{"token":"JSON-SECRET-1"}',
      "secret.js": "JS-SECRET-2 on the first line is no JavaScript\nsecond line\n",
      "id_ed25519":
        "-----BEGIN OPENSSH PRIVATE KEY-----\nKEY-SECRET-3\n-----END OPENSSH PRIVATE KEY-----\n",
    };
    for (const [name, content] of Object.entries(secrets)) {
      await Deno.writeTextFile(`${dir}/${name}`, content, { mode: 0o600 });
    }
    const config = `${dir}/tp.toml`;
    await Deno.writeTextFile(
      config,
      `[teleport]\naddr = "${auth.addr}"\nidentity = "${identity}"\n` +
        `[pagerduty]\napi_key = "${pd.apiKey}"\nuser_email = "bot@example.com"\n` +
        `api_endpoint = "${pd.url}"\n[log]\nformat = "json"\n`,
      { mode: 0o600 },
    );
    const process = spawnFixture("src/testing/start_with_import_probe.ts", [config]);
    await process.waitFor("Watching access requests");
    process.kill("SIGTERM");
    const { code, stdout, stderr } = await process.finished();
    assert.equal(code, 0, stderr);
    const line = stdout.split("\n").find((l) => l.startsWith("IMPORT-PROBE "));
    assert.ok(line, stdout);
    const results: ImportProbeResult[] = JSON.parse(line.slice("IMPORT-PROBE ".length));
    const [own, ...others] = results;
    assert.match(own.outcome, /^ok: /, "the program's own modules still load");
    assert.ok(others.length >= 10);
    for (const { attempt, outcome } of others) {
      assert.match(outcome, /Requires read access/, `${attempt}: ${outcome}`);
    }
    for (const secret of ["JSON-SECRET-1", "JS-SECRET-2", "KEY-SECRET-3", pd.apiKey]) {
      assert.ok(!(stdout + stderr).includes(secret), `${secret} leaked:\n${stdout}\n${stderr}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
    await pd.stop();
    await auth.stop();
  }
});

Deno.test("a request naming 500 services costs ten look-ups, and the incident says so", async () => {
  await withService({}, async (world) => {
    const bogus = Array.from({ length: 499 }, (_, i) => `No Such Service ${i}`);
    const request = world.auth.createAccessRequest({
      user: "erin@example.com",
      roles: ["editor"],
      systemAnnotations: { pagerduty_notify_service: [NOTIFY, ...bogus] },
    });
    await world.auth.waitFor(() => record(world, request.id).incidentId !== "", {
      description: "an incident recorded",
    });
    const incident = world.pagerduty.incident(record(world, request.id).incidentId);
    assert.match(incident?.details ?? "", /490 more service\(s\) named for this request/);
    const lookups = world.pagerduty.callsTo("listServices").length;
    assert.ok(lookups <= 10, `${lookups} service look-ups`);
  });
});
