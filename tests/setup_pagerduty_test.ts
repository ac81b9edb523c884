/**
 * `teleport-pagerduty setup-pagerduty` end to end: the real CLI in a subprocess, with the shipped
 * permission flags, against the fake PagerDuty.
 */

import assert from "node:assert/strict";
import { FakePagerDuty } from "../src/fakes/pagerduty/server.ts";
import { runCliProcess } from "../src/testing/deno_process.ts";

interface Setup {
  readonly pd: FakePagerDuty;
  readonly dir: string;
  /** Writes a config using `apiKey` (the account key by default); returns its path. */
  config(options?: { apiKey?: string; publicAddr?: string | null }): Promise<string>;
}

async function withFake(run: (setup: Setup) => Promise<void>): Promise<void> {
  const pd = await FakePagerDuty.start();
  const dir = await Deno.makeTempDir();
  try {
    pd.addUser({ name: "Teleport Bot", email: "bot@example.com" });
    const policy = pd.addEscalationPolicy({ name: "On call" });
    pd.addService({ name: "Access Requests", escalationPolicyId: policy.id });
    let n = 0;
    await run({
      pd,
      dir,
      config: async (options = {}) => {
        const path = `${dir}/tp-${n++}.toml`;
        const publicAddr = options.publicAddr === null
          ? ""
          : `public_addr = "${options.publicAddr ?? "https://tp.example.com"}"\n`;
        await Deno.writeTextFile(
          path,
          `[pagerduty]
api_key = "${options.apiKey ?? pd.apiKey}"
user_email = "bot@example.com"
api_endpoint = "${pd.url}"
[pagerduty.reviews]
webhook_secrets = ["${dir}/webhook-secret"]
action_secret = "${dir}/action-secret"
[http]
listen_addr = "127.0.0.1:8081"
${publicAddr}`,
          { mode: 0o600 },
        );
        return path;
      },
    });
    assert.deepEqual(pd.validationFailures, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await pd.stop();
  }
}

function writes(pd: FakePagerDuty): string[] {
  return pd.calls.filter((c) => c.method !== "GET").map((c) => `${c.method} ${c.path}`);
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("setup-pagerduty: dry run, then set-up, then a second run that changes nothing", async () => {
  await withFake(async ({ pd, dir, config }) => {
    const path = await config();
    const args = ["setup-pagerduty", "-c", path, "--service", "Access Requests"];

    const dry = await runCliProcess([...args, "--dry-run"]);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /\(dry run: nothing is changed\):\n→ create the webhook subscription/);
    assert.deepEqual(writes(pd), []);
    assert.equal(await exists(`${dir}/webhook-secret`), false);
    assert.equal(await exists(`${dir}/action-secret`), false);

    const first = await runCliProcess(args);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.equal(first.stderr, "");
    const [subscription] = pd.integrations.webhookSubscriptions();
    const [approve, deny] = pd.integrations.workflows();
    assert.equal(await Deno.readTextFile(`${dir}/webhook-secret`), `${subscription.secret}\n`);
    assert.equal((await Deno.stat(`${dir}/webhook-secret`)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${dir}/action-secret`)).mode! & 0o777, 0o600);
    const actionSecret = (await Deno.readTextFile(`${dir}/action-secret`)).trim();
    assert.ok(!first.stdout.includes(subscription.secret), "the webhook secret is never printed");
    assert.ok(!first.stdout.includes(actionSecret), "the action secret is never printed");
    assert.match(first.stdout, /\+ created the webhook subscription for "Access Requests": /);
    assert.match(first.stdout, /\+ wrote a new action secret to /);
    assert.ok(
      first.stdout.includes(
        `[pagerduty.reviews]\napprove_workflows = ["${approve.id}"]\ndeny_workflows = ["${deny.id}"]\n`,
      ),
      first.stdout,
    );
    assert.match(first.stdout, /Done\. Restart teleport-pagerduty so it reads the new secrets/);
    assert.equal(pd.integrations.extensions().length, 2);

    pd.clearCalls();
    const second = await runCliProcess(args);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.deepEqual(writes(pd), [], "a second run writes nothing");
    assert.equal(second.stdout.split("\n").filter((l) => l.startsWith("✓ ")).length, 5);
    assert.match(second.stdout, /\nDone\.\n$/);
    assert.equal(await Deno.readTextFile(`${dir}/webhook-secret`), `${subscription.secret}\n`);
  });
});

Deno.test("setup-pagerduty with a read-only key prints the steps by hand and exits 4", async () => {
  await withFake(async ({ pd, config }) => {
    const path = await config({ apiKey: pd.addToken({ readOnly: true }) });
    const run = await runCliProcess([
      "setup-pagerduty",
      "-c",
      path,
      "--service",
      "Access Requests",
    ]);
    assert.equal(run.code, 4, run.stdout + run.stderr);
    assert.match(run.stdout, /To do by hand in the PagerDuty web app:\n1\. Webhook subscription/);
    assert.match(run.stdout, /Open Integrations → Generic Webhooks \(v3\) and click New Webhook\./);
    assert.deepEqual(pd.integrations.webhookSubscriptions(), []);
  });
});

Deno.test("setup-pagerduty refuses a bad command line or config with exit 2, touching nothing", async () => {
  await withFake(async ({ pd, config }) => {
    const withoutPublicAddr = await config({ publicAddr: null });
    const plainHttp = await config({ publicAddr: "http://tp.example.com" });
    const good = await config();
    const [noAddr, http, noService, unknown] = await Promise.all([
      runCliProcess(["setup-pagerduty", "-c", withoutPublicAddr, "--service", "Access Requests"]),
      runCliProcess(["setup-pagerduty", "-c", plainHttp, "--service", "Access Requests"]),
      runCliProcess(["setup-pagerduty", "-c", good]),
      runCliProcess(["setup-pagerduty", "-c", good, "--service", "Acess Requests"]),
    ]);
    for (const run of [noAddr, http, noService]) {
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.equal(run.stdout, "");
    }
    assert.match(noAddr.stderr, /^teleport-pagerduty: http\.public_addr is not set/);
    assert.match(http.stderr, /must be an https URL/);
    assert.match(noService.stderr, /pass --service NAME/);
    assert.equal(unknown.code, 2, unknown.stdout + unknown.stderr);
    assert.match(unknown.stdout, /✗ no PagerDuty service is named "Acess Requests"/);
    assert.deepEqual(writes(pd), []);
    for (const run of [noAddr, http, noService, unknown]) {
      assert.ok(!(run.stdout + run.stderr).includes(pd.apiKey));
    }
  });
});
