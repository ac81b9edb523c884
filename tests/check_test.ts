/**
 * `teleport-pagerduty check` end to end: the real CLI, with the shipped permission flags,
 * against the fake Auth Service and the fake PagerDuty.
 */

import assert from "node:assert/strict";
import { ACCESS_PLUGIN_PERMISSIONS } from "../src/fakes/auth/rbac.ts";
import { FakeAuthServer } from "../src/fakes/auth/server.ts";
import { FakePagerDuty } from "../src/fakes/pagerduty/server.ts";
import { writeIdentityFile } from "../src/fakes/pki.ts";
import { runCliProcess } from "../src/testing/deno_process.ts";

interface Setup {
  readonly auth: FakeAuthServer;
  readonly pd: FakePagerDuty;
  readonly dir: string;
  readonly identity: string;
}

async function withFakes(
  run: (setup: Setup) => Promise<void>,
  services: readonly string[] = ["Teleport Notifications", "Databases"],
): Promise<void> {
  const auth = await FakeAuthServer.start();
  const pd = await FakePagerDuty.start();
  const dir = await Deno.makeTempDir();
  try {
    const policy = pd.addEscalationPolicy({ name: "On call" });
    for (const name of services) pd.addService({ name, escalationPolicyId: policy.id });
    pd.addUser({ name: "Teleport Bot", email: "bot@example.com" });
    auth.addUser({ name: "requester@example.com", roles: ["requester"] });
    auth.createAccessRequest({
      user: "requester@example.com",
      systemAnnotations: {
        pagerduty_notify_service: ["Teleport Notifications"],
        pagerduty_services: ["Databases"],
      },
    });
    auth.addUser({ name: "access-plugin", roles: ["access-plugin"] });
    const identity = await writeIdentityFile(dir, await auth.issueIdentity("access-plugin"));
    await run({ auth, pd, dir, identity });
  } finally {
    await Deno.remove(dir, { recursive: true });
    await pd.stop();
    await auth.stop();
  }
}

async function writeConfig(path: string, values: Record<string, string>): Promise<void> {
  await Deno.writeTextFile(
    path,
    `[teleport]
addr = "${values.addr}"
identity = "${values.identity}"
[pagerduty]
api_key = "${values.apiKey}"
user_email = "${values.userEmail}"
api_endpoint = "${values.endpoint}"
`,
    { mode: 0o600 },
  );
}

Deno.test("check passes against a correctly set-up cluster and account, changing nothing", async () => {
  await withFakes(async ({ auth, pd, dir, identity }) => {
    const config = `${dir}/tp.toml`;
    await writeConfig(config, {
      addr: auth.addr,
      identity,
      apiKey: pd.apiKey,
      userEmail: "bot@example.com",
      endpoint: pd.url,
    });
    const { code, stdout, stderr } = await runCliProcess(["check", "-c", config]);
    assert.equal(code, 0, stdout + stderr);
    const lines = stdout.trimEnd().split("\n");
    const expected = [
      /^✓ config file .*tp\.toml: valid$/,
      /^✓ Teleport credentials load and are valid: user access-plugin \(roles access-plugin\), expires in /,
      /^✓ Teleport Auth Service reachable and the identity accepted \(Ping\): cluster example\.com, Teleport 18\.0\.0$/,
      /^✓ may list and read access requests: 1 pending request$/,
      /^✓ may read plugin data$/,
      /^✓ may update plugin data: proved by updating a request that does not exist$/,
      /^✓ may submit reviews \(for auto-approval[^)]*\): proved by reviewing a request that does not exist/,
      /^✓ may read access monitoring rules: 0 rules route to pagerduty$/,
      /^✓ PagerDuty reachable and the API key accepted \(GET \/abilities\): \d+ abilities$/,
      /^✓ pagerduty\.user_email bot@example\.com is a PagerDuty user: Teleport Bot$/,
      /^✓ the API key may write incidents and notes: proved by resolving an incident that does not exist$/,
      /^✓ PagerDuty service "Databases" exists: P\w+$/,
      /^✓ PagerDuty service "Teleport Notifications" exists: P\w+$/,
      /^All 13 checks passed\.$/,
    ];
    assert.equal(lines.length, expected.length, stdout);
    expected.forEach((re, i) => assert.match(lines[i], re));
    // Nothing was changed on either side.
    assert.equal(pd.incidents().length, 0);
    assert.equal(pd.callsTo("createIncidentNote").length, 0);
    assert.deepEqual(auth.requests().map((r) => [r.state, r.reviews.length]), [["PENDING", 0]]);
    assert.deepEqual(pd.validationFailures, []);
  });
});

Deno.test("check names each missing permission and bad setting with its fix, and exits 3", async () => {
  await withFakes(async ({ auth, pd, dir }) => {
    auth.addUser({
      name: "weak-plugin",
      roles: ["weak"],
      permissions: { rules: { access_request: ["list", "read"] } },
    });
    const identity = await writeIdentityFile(dir, await auth.issueIdentity("weak-plugin"), "weak");
    const readOnly = pd.addToken({ readOnly: true });
    const config = `${dir}/tp.toml`;
    await writeConfig(config, {
      addr: auth.addr,
      identity,
      apiKey: readOnly,
      userEmail: "nobody@example.com",
      endpoint: pd.url,
    });
    const { code, stdout } = await runCliProcess(["check", "-c", config]);
    assert.equal(code, 3, stdout);
    const lines = stdout.split("\n");
    const failures = lines.filter((l, i) =>
      l.startsWith("✗") || (l.startsWith("    fix:") && lines[i - 1].startsWith("✗"))
    );
    const expected = [
      /^✗ may update plugin data: .*access denied/,
      /^ {4}fix: give the plugin's role `access_plugin_data: \[update\]`/,
      /^✗ may submit reviews \(for auto-approval[^)]*\): .*cannot submit reviews/,
      /^ {4}fix: give the plugin's role `review_requests` for the requestable roles/,
      /^✗ pagerduty\.user_email nobody@example\.com is a PagerDuty user: no user has this email$/,
      /^ {4}fix: set pagerduty\.user_email to the email of an existing PagerDuty user/,
      /^✗ the API key may write incidents and notes: /,
      /^ {4}fix: the API key is read-only: create a key with full access for pagerduty\.api_key$/,
      /^✗ PagerDuty service "Databases" exists: no service has this name$/,
      /^ {4}fix: create the service in PagerDuty, or correct the role annotation/,
    ];
    assert.equal(failures.length, expected.length, stdout);
    expected.forEach((re, i) => assert.match(failures[i], re));
    assert.match(
      stdout,
      /^⚠ may read access monitoring rules: .*access_monitoring_rule.*; routing by access monitoring rules is off$/m,
    );
    assert.match(stdout, /\n5 of 13 checks failed\.\n$/);
    assert.ok(!stdout.includes(readOnly), "the API key never appears in the output");
  }, ["Teleport Notifications"]);
});

Deno.test("check reports an unreachable Auth Service and a rejected API key, and stops there", async () => {
  await withFakes(async ({ pd, dir, identity }) => {
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (closed.addr as Deno.NetAddr).port;
    closed.close();
    const config = `${dir}/tp.toml`;
    await writeConfig(config, {
      addr: `127.0.0.1:${port}`,
      identity,
      apiKey: "u+wrong-key",
      userEmail: "bot@example.com",
      endpoint: pd.url,
    });
    const { code, stdout } = await runCliProcess(["check", "-c", config]);
    assert.equal(code, 3, stdout);
    const lines = stdout.trimEnd().split("\n");
    assert.match(
      lines[2],
      /^✗ Teleport Auth Service reachable and the identity accepted \(Ping\): /,
    );
    assert.match(lines[3], /^ {4}fix: check teleport\.addr and the identity/);
    assert.match(
      lines[4],
      /^✗ PagerDuty reachable and the API key accepted \(GET \/abilities\): .*401/,
    );
    assert.match(lines[5], /^ {4}fix: set pagerduty\.api_key to a REST API key/);
    assert.equal(lines[6], "2 of 4 checks failed.");
    assert.ok(!stdout.includes("u+wrong-key"));
  });
});

Deno.test("with pagerduty.auto_approval.email_trait, check proves the plugin may read users", async () => {
  await withFakes(async ({ auth, pd, dir, identity }) => {
    const { user: _, ...withoutUsers } = ACCESS_PLUGIN_PERMISSIONS.rules!;
    auth.addUser({
      name: "no-user-read",
      roles: ["access-plugin"],
      permissions: { ...ACCESS_PLUGIN_PERMISSIONS, rules: withoutUsers },
    });
    const weak = await writeIdentityFile(dir, await auth.issueIdentity("no-user-read"), "weak");
    const runWith = async (identityPath: string) => {
      const config = `${dir}/${identityPath === identity ? "full" : "weak"}.toml`;
      await writeConfig(config, {
        addr: auth.addr,
        identity: identityPath,
        apiKey: pd.apiKey,
        userEmail: "bot@example.com",
        endpoint: pd.url,
      });
      await Deno.writeTextFile(config, '[pagerduty.auto_approval]\nemail_trait = "pd_email"\n', {
        append: true,
      });
      return await runCliProcess(["check", "-c", config]);
    };
    const [full, missing] = await Promise.all([runWith(identity), runWith(weak)]);

    assert.equal(full.code, 0, full.stdout + full.stderr);
    assert.match(
      full.stdout,
      /^✓ may read users' traits \(for pagerduty\.auto_approval\.email_trait\): proved by reading a user that does not exist$/m,
    );
    assert.equal(missing.code, 3, missing.stdout);
    assert.match(
      missing.stdout,
      /^✗ may read users' traits \(for pagerduty\.auto_approval\.email_trait\): .*access denied.*\n {4}fix: give the plugin's role `user: \[read\]` \(see README, "Teleport setup", section "Role and user"\), or remove pagerduty\.auto_approval\.email_trait/m,
    );
    assert.match(missing.stdout, /\n1 of 14 checks failed\.\n$/);
    // Nothing was changed on the way.
    assert.deepEqual(auth.requests().map((r) => [r.state, r.reviews.length]), [["PENDING", 0]]);
  });
});
