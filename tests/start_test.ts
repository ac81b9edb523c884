/**
 * `teleport-pagerduty start` end to end: the real CLI and service, in its sandboxed worker,
 * against the fake Auth Service and the fake PagerDuty; then a graceful stop by signal.
 */

import assert from "node:assert/strict";
import { runArgs } from "../src/sandbox/flags.ts";
import { spawnDeno } from "../src/testing/deno_process.ts";
import { FakeAuthServer } from "../src/fakes/auth/server.ts";
import { FakePagerDuty } from "../src/fakes/pagerduty/server.ts";
import { createClusterPki, writeIdentityFile } from "../src/fakes/pki.ts";

/** The log lines of a JSON-format log, parsed. */
function records(
  text: string,
): Array<{ level: string; message: string; logger: string; properties: Record<string, unknown> }> {
  return text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

Deno.test("start opens incidents from the sandbox and stops gracefully on a signal", async (t) => {
  const auth = await FakeAuthServer.start();
  const pd = await FakePagerDuty.start();
  const dir = await Deno.makeTempDir();
  try {
    const policy = pd.addEscalationPolicy({ name: "On call" });
    pd.addService({ name: "Teleport Notifications", escalationPolicyId: policy.id });
    pd.addUser({ name: "Teleport Bot", email: "bot@example.com" });
    auth.addUser({ name: "access-plugin", roles: ["access-plugin"] });
    auth.addUser({ name: "requester@example.com", roles: ["requester"] });
    const identity = await writeIdentityFile(dir, await auth.issueIdentity("access-plugin"));
    const config = `${dir}/tp.toml`;
    await Deno.writeTextFile(
      config,
      `[teleport]
addr = "${auth.addr}"
identity = "${identity}"
[pagerduty]
api_key = "${pd.apiKey}"
user_email = "bot@example.com"
api_endpoint = "${pd.url}"
typo_key = 1
[http]
listen_addr = "127.0.0.1:0"
[log]
format = "json"
`,
      { mode: 0o600 },
    );

    // `deno task start` (the shipped flags; the task runner forwards the signal), and
    // `deno run -A`, which the program narrows itself.
    const variants: Array<[string, string[], "SIGTERM" | "SIGINT"]> = [
      ["deno task start, SIGTERM", ["task", "--quiet"], "SIGTERM"],
      ["deno run -A, SIGINT", ["run", "-A", "main.ts"], "SIGINT"],
    ];
    for (const [name, args, signal] of variants) {
      await t.step(name, async () => {
        const process = spawnDeno([...args, "start", "-c", config]);
        await process.waitFor("Watching access requests");
        // The listener runs inside the sandbox too (its own address is in the net list).
        const port = records(process.stderrSoFar()).find((r) =>
          r.message.startsWith("Listening for health and metrics")
        )?.properties.port;
        const health = await fetch(`http://127.0.0.1:${port}/healthz`);
        assert.equal(health.status, 200);
        await health.body?.cancel();
        const request = auth.createAccessRequest({
          user: "requester@example.com",
          systemAnnotations: { pagerduty_notify_service: ["Teleport Notifications"] },
        });
        await pd.waitFor(
          () =>
            pd.incidents().some((i) => i.incidentKey === `teleport-access-request/${request.id}`),
          { timeoutMs: 10_000 },
        );
        process.kill(signal);
        const { code, stderr } = await process.finished();
        assert.equal(code, 0, stderr);
        const log = records(stderr);
        assert.ok(log.length > 0, stderr);
        assert.match(
          log[0].message,
          /^Starting teleport-pagerduty v\d+\.\d+\.\d+ \(git:dev, deno /,
        );
        assert.ok(
          log.some((r) =>
            r.level === "WARN" && /pagerduty\.typo_key is not a known key/.test(r.message)
          ),
          "config warnings are logged",
        );
        assert.ok(
          log.some((r) =>
            r.message ===
              `Received ${signal}: shutting down gracefully; send it again to stop at once`
          ),
        );
        assert.equal(log.at(-1)?.message, "Successfully shut down");
        assert.ok(!stderr.includes(pd.apiKey), "the API key is never logged");
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
    await pd.stop();
    await auth.stop();
  }
});

Deno.test("a fatal error at start is one line on stderr and exit 1, with the stack only under --debug", async () => {
  const auth = await FakeAuthServer.start();
  const dir = await Deno.makeTempDir();
  try {
    // An identity from another cluster: the fake Auth Service rejects it, which is fatal.
    const other = await createClusterPki({ clusterName: "other.example.com" });
    const identity = await writeIdentityFile(
      dir,
      await other.issueClientIdentity({ user: "access-plugin", roles: ["access-plugin"] }),
    );
    const config = `${dir}/tp.toml`;
    await Deno.writeTextFile(
      config,
      `[teleport]\naddr = "${auth.addr}"\nidentity = "${identity}"\n` +
        `[pagerduty]\napi_key = "k"\nuser_email = "bot@example.com"\n` +
        `api_endpoint = "http://127.0.0.1:9"\n[log]\noutput = "${dir}/tp.log"\n`,
      { mode: 0o600 },
    );
    const [plain, debug] = await Promise.all([
      spawnDeno([...runArgs(), "start", "-c", config]).finished(),
      spawnDeno([...runArgs(), "start", "-c", config, "--debug"]).finished(),
    ]);
    assert.equal(plain.code, 1, plain.stderr);
    const lines = plain.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, plain.stderr);
    assert.match(lines[0], /^teleport-pagerduty: .*identity/);
    assert.equal(debug.code, 1);
    assert.ok(debug.stderr.startsWith(`${lines[0]}\n`), debug.stderr);
    assert.match(debug.stderr, /\n\s+at /, "--debug adds the stack trace");
    // With the log in a file, the file records why the service ended.
    const log = await Deno.readTextFile(`${dir}/tp.log`);
    assert.match(log, /level=error .*msg="Terminating with fatal error: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await auth.stop();
  }
});
