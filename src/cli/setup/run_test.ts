import assert from "node:assert/strict";
import { FakePagerDuty, type FakePagerDutyOptions } from "../../fakes/pagerduty/mod.ts";
import { signBody } from "../../fakes/pagerduty/webhooks.ts";
import { PagerDutyClient } from "../../pagerduty/client.ts";
import { endpoints, secretFileOf, subscriptionDescription, WEBHOOK_EVENTS } from "./endpoints.ts";
import type { ActionSecretSource, SetupRequest } from "./inputs.ts";
import { formatReport, outcome, type SetupReport } from "./report.ts";
import { runSetup } from "./run.ts";
import { DISK_SECRET_FILES, type SecretFiles } from "./secret_files.ts";

const PUBLIC = "https://tp.example.com";
const URLS = endpoints(PUBLIC);
const ACTION_SECRET = "0123456789abcdef-action-secret";

interface World {
  readonly pd: FakePagerDuty;
  readonly dir: string;
  readonly services: Array<{ id: string; name: string }>;
  readonly alice: { id: string };
  /** Runs the set-up with the account key (or `apiKey`) and these secrets. */
  run(options?: {
    dryRun?: boolean;
    apiKey?: string;
    webhookSecretFiles?: readonly string[];
    actionSecret?: ActionSecretSource | null;
    files?: SecretFiles;
    publicAddr?: string;
    serviceNames?: readonly string[];
  }): Promise<SetupReport>;
}

async function withWorld(
  body: (world: World) => Promise<void>,
  options: FakePagerDutyOptions & { serviceNames?: readonly string[] } = {},
): Promise<void> {
  const pd = await FakePagerDuty.start(options);
  const dir = await Deno.makeTempDir();
  try {
    const alice = pd.addUser({ name: "Alice", email: "alice@example.com" });
    pd.addUser({ name: "Bot", email: "bot@example.com" });
    const policy = pd.addEscalationPolicy({ name: "Ops", levels: [{ userIds: [alice.id] }] });
    const services = (options.serviceNames ?? ["Access Requests"]).map((name) =>
      pd.addService({ name, escalationPolicyId: policy.id })
    );
    const world: World = {
      pd,
      dir,
      services,
      alice,
      run: (o = {}) => {
        const apiKey = o.apiKey ?? pd.apiKey;
        const request: SetupRequest = {
          pagerduty: {} as SetupRequest["pagerduty"],
          publicAddr: o.publicAddr ?? PUBLIC,
          serviceNames: o.serviceNames ?? services.map((s) => s.name),
          webhookSecretFiles: o.webhookSecretFiles ?? [`${dir}/webhook-secret`],
          actionSecret: o.actionSecret === null
            ? undefined
            : o.actionSecret ?? { kind: "file", path: `${dir}/action-secret` },
          dryRun: o.dryRun ?? false,
        };
        const api = new PagerDutyClient({
          apiKey,
          userEmail: "bot@example.com",
          baseUrl: pd.url,
          retry: { baseDelayMs: 1, maxAttempts: 2 },
        });
        return runSetup(request, { api, files: o.files ?? DISK_SECRET_FILES });
      },
    };
    await body(world);
    assert.deepEqual(pd.validationFailures, [], "every request passed the fake's validation");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await pd.stop();
  }
}

function writes(pd: FakePagerDuty) {
  return pd.calls.filter((c) => c.method !== "GET").map((c) => `${c.method} ${c.path}`);
}

function marks(report: SetupReport): string[] {
  return report.lines.map((l) => l.mark);
}

async function mode(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

Deno.test("a first run creates everything; a second run changes nothing", async () => {
  await withWorld(async ({ pd, dir, services, run }) => {
    const first = await run();
    assert.equal(outcome(first), "done", formatReport(first));
    assert.deepEqual(marks(first), [
      "changed", // subscription
      "changed", // approve workflow
      "changed", // deny workflow
      "changed", // action secret
      "changed", // approve action
      "changed", // deny action
    ]);
    const [subscription] = pd.integrations.webhookSubscriptions();
    assert.deepEqual(subscription.events, WEBHOOK_EVENTS);
    assert.equal(subscription.url, `${PUBLIC}/pagerduty/webhook`);
    assert.deepEqual(subscription.filter, { type: "service_reference", id: services[0].id });
    assert.equal(secretFileOf(subscription.description), `${dir}/webhook-secret`);
    // The secret PagerDuty showed once is in the file, private, and nowhere in the report.
    assert.equal(await Deno.readTextFile(`${dir}/webhook-secret`), `${subscription.secret}\n`);
    assert.equal(await mode(`${dir}/webhook-secret`), 0o600);
    const actionSecret = (await Deno.readTextFile(`${dir}/action-secret`)).trim();
    assert.match(actionSecret, /^[0-9a-f]{64}$/);
    assert.equal(await mode(`${dir}/action-secret`), 0o600);
    const text = formatReport(first);
    assert.ok(!text.includes(subscription.secret) && !text.includes(actionSecret));
    assert.deepEqual(first.secretsWritten, [`${dir}/webhook-secret`, `${dir}/action-secret`]);

    const workflows = pd.integrations.workflows();
    assert.deepEqual(workflows.map((w) => w.name), [
      "Approve access request",
      "Deny access request",
    ]);
    assert.deepEqual(first.workflowIds, { approve: [workflows[0].id], deny: [workflows[1].id] });
    assert.match(text, new RegExp(`approve_workflows = \\["${workflows[0].id}"\\]`));
    for (const trigger of pd.integrations.triggers()) {
      assert.equal(trigger.triggerType, "manual");
      assert.deepEqual(trigger.serviceIds, [services[0].id]);
    }
    const extensions = pd.integrations.extensions();
    assert.deepEqual(extensions.map((e) => [e.name, e.endpointUrl]), [
      ["Approve request", `${PUBLIC}/pagerduty/action/approve`],
      ["Deny request", `${PUBLIC}/pagerduty/action/deny`],
    ]);
    for (const e of extensions) {
      assert.deepEqual(e.config, {
        headers: [{ name: "x-teleport-action-secret", value: actionSecret }],
      });
    }

    pd.clearCalls();
    const second = await run();
    assert.deepEqual(writes(pd), [], "the second run writes nothing to PagerDuty");
    assert.deepEqual(marks(second), ["ok", "ok", "ok", "ok", "ok"]);
    assert.equal(outcome(second), "done");
    assert.deepEqual(second.workflowIds, first.workflowIds);
    assert.deepEqual(second.secretsWritten, []);
    assert.equal(await Deno.readTextFile(`${dir}/webhook-secret`), `${subscription.secret}\n`);
    assert.equal((await Deno.readTextFile(`${dir}/action-secret`)).trim(), actionSecret);
  });
});

Deno.test("a dry run changes nothing, in PagerDuty or on disk, and says what it would do", async () => {
  await withWorld(async ({ pd, dir, run }) => {
    const report = await run({ dryRun: true });
    assert.deepEqual(writes(pd), []);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    assert.deepEqual(marks(report), [
      "planned",
      "planned",
      "planned",
      "planned",
      "planned",
      "planned",
    ]);
    assert.equal(outcome(report), "done");
    const text = formatReport(report);
    assert.match(
      text,
      /^Setting up approve\/deny from PagerDuty at https:\/\/tp\.example\.com \(dry run: nothing is changed\):\n/,
    );
    assert.ok(
      text.includes(
        '# approve_workflows = ["<ID of the workflow Approve access request, once it exists>"]',
      ),
      text,
    );
    assert.match(
      text,
      /→ create the webhook subscription for "Access Requests", its secret going to/,
    );
    assert.match(text, /→ create the workflow "Approve access request" with a manual trigger/);
    assert.match(text, /→ write a new action secret to/);
    assert.match(text, /Run again without --dry-run to apply\./);
  });
});

Deno.test("the stored secret is the one PagerDuty signs deliveries with", async () => {
  const received: Array<{ body: string; signature: string | null }> = [];
  const listener = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (r) => {
    received.push({ body: await r.text(), signature: r.headers.get("x-pagerduty-signature") });
    return new Response(null, { status: 202 });
  });
  try {
    await withWorld(async ({ pd, dir, services, alice, run }) => {
      const publicAddr = `http://127.0.0.1:${listener.addr.port}`;
      assert.equal(outcome(await run({ publicAddr, actionSecret: null })), "done");
      const secret = (await Deno.readTextFile(`${dir}/webhook-secret`)).trim();
      const incident = pd.account.createIncident(
        { title: "Access request", serviceId: services[0].id },
        alice.id,
        new Date(),
      );
      pd.addNoteAs(incident.id, alice.id, "/approve looks fine");
      await pd.waitFor(() => pd.deliveries.length === 1);
      assert.equal(received.length, 1);
      assert.equal(received[0].signature, `v1=${await signBody(secret, received[0].body)}`);
    });
  } finally {
    await listener.shutdown();
  }
});

Deno.test("a read-only key: nothing is created, every part is printed as steps by hand", async () => {
  await withWorld(async ({ pd, dir, run }) => {
    const report = await run({ apiKey: pd.addToken({ readOnly: true }) });
    assert.equal(outcome(report), "manual");
    assert.deepEqual(pd.integrations.webhookSubscriptions(), []);
    assert.deepEqual(pd.integrations.workflows(), []);
    assert.deepEqual(pd.integrations.extensions(), []);
    // One refused attempt per part; the rest go straight to the manual steps.
    assert.deepEqual(writes(pd), [
      "POST /webhook_subscriptions",
      "POST /incident_workflows",
      "POST /extensions",
    ]);
    assert.deepEqual(report.manual.map((t) => t.title), [
      'Webhook subscription for the service "Access Requests"',
      'Incident Workflow "Approve access request"',
      'Incident Workflow "Deny access request"',
      'Custom Incident Action "Approve request" on the service "Access Requests"',
      'Custom Incident Action "Deny request" on the service "Access Requests"',
    ]);
    const text = formatReport(report);
    assert.match(text, /PagerDuty refused it \(403\), so do it by hand/);
    assert.match(text, /Webhook URL: https:\/\/tp\.example\.com\/pagerduty\/webhook/);
    assert.match(text, /write it alone into .*webhook-secret \(chmod 600/);
    assert.match(text, /URL Endpoint: https:\/\/tp\.example\.com\/pagerduty\/action\/approve/);
    assert.match(text, /value the content of .*action-secret\./);
    assert.match(text, /Do the steps above, then run setup-pagerduty again to check\./);
    // The action secret was still generated, so the steps can point at it; never printed.
    const actionSecret = (await Deno.readTextFile(`${dir}/action-secret`)).trim();
    assert.ok(!text.includes(actionSecret));
    // The webhook secret file was only prepared: empty, so a later run may still use it.
    assert.equal(await Deno.readTextFile(`${dir}/webhook-secret`), "");
  });
});

Deno.test("a responder's user token may read but not write: 403 → manual steps", async () => {
  await withWorld(async ({ pd, run }) => {
    const responder = pd.addUser({ name: "R", email: "r@example.com", role: "limited_user" });
    const report = await run({ apiKey: pd.addToken({ userId: responder.id }), actionSecret: null });
    assert.equal(outcome(report), "manual");
    assert.equal(report.manual.length, 3);
    assert.deepEqual(pd.integrations.webhookSubscriptions(), []);
  });
});

Deno.test("an account without Incident Workflows (402) or Custom Incident Actions skips them", async () => {
  await withWorld(async ({ pd, run }) => {
    pd.integrations.offerCustomIncidentActions = false;
    const report = await run();
    assert.equal(outcome(report), "done", formatReport(report));
    assert.deepEqual(marks(report), ["changed", "skipped", "skipped"]);
    assert.match(report.lines[1].text, /Incident Workflows: this PagerDuty account has none \(402/);
    assert.match(report.lines[2].text, /does not offer them/);
    assert.equal(report.workflowsInUse, false);
    assert.doesNotMatch(formatReport(report), /approve_workflows/);
  }, { abilities: ["teams"] });
});

Deno.test("without action_secret, no Custom Incident Actions are made", async () => {
  await withWorld(async ({ pd, run }) => {
    const report = await run({ actionSecret: null });
    assert.equal(report.lines.at(-1)!.mark, "skipped");
    assert.match(report.lines.at(-1)!.text, /action_secret is not set/);
    assert.deepEqual(pd.integrations.extensions(), []);
  });
});

Deno.test("subscriptions are repaired: events, active, disabled, a lost secret, duplicates", async () => {
  await withWorld(async ({ pd, dir, services, run }) => {
    const [a, b, c] = services;
    await Deno.writeTextFile(`${dir}/a`, "secret-a\n");
    await Deno.writeTextFile(`${dir}/c`, "");
    const wrongEvents = pd.integrations.addWebhookSubscription({
      url: URLS.webhookUrl,
      events: ["incident.annotated"],
      filter: { type: "service_reference", id: a.id },
      description: subscriptionDescription(`${dir}/a`),
      active: false,
    });
    pd.integrations.disableTemporarily(wrongEvents.id);
    const duplicate = pd.integrations.addWebhookSubscription({
      url: URLS.webhookUrl,
      events: WEBHOOK_EVENTS,
      filter: { type: "service_reference", id: a.id },
    });
    const lost = pd.integrations.addWebhookSubscription({
      url: URLS.webhookUrl,
      events: WEBHOOK_EVENTS,
      filter: { type: "service_reference", id: c.id },
      description: subscriptionDescription(`${dir}/c`),
    });
    // Another integration's subscription on the same service is not ours to touch.
    pd.integrations.addWebhookSubscription({
      url: "https://elsewhere.example.com/hook",
      events: ["incident.triggered"],
      filter: { type: "service_reference", id: b.id },
    });
    const report = await run({
      webhookSecretFiles: [`${dir}/a`, `${dir}/b`, `${dir}/c`],
      actionSecret: null,
    });
    const text = formatReport(report);
    assert.match(text, new RegExp(`\\+ updated the webhook subscription ${wrongEvents.id}`));
    assert.match(text, new RegExp(`\\+ re-enabled the webhook subscription ${wrongEvents.id}`));
    assert.match(
      text,
      /\+ created the webhook subscription for "Databases": .*, its secret written to .*\/b/,
    );
    assert.match(
      text,
      /\+ replaced the webhook subscription for "Web": .*, its secret written to .*\/c/,
    );
    assert.match(text, new RegExp(`delete the webhooks ${duplicate.id}; keep ${wrongEvents.id}`));
    assert.equal(outcome(report), "manual");
    const subscriptions = pd.integrations.webhookSubscriptions();
    const repaired = subscriptions.find((s) => s.id === wrongEvents.id)!;
    assert.deepEqual(repaired.events, WEBHOOK_EVENTS);
    assert.equal(repaired.active, true);
    assert.equal(repaired.temporarilyDisabled, false);
    assert.equal(subscriptions.some((s) => s.id === lost.id), false);
    const replacement = subscriptions.find((s) =>
      s.filter.id === c.id && s.url === URLS.webhookUrl
    )!;
    assert.equal((await Deno.readTextFile(`${dir}/c`)).trim(), replacement.secret);
    assert.equal((await Deno.readTextFile(`${dir}/a`)).trim(), "secret-a", "never overwritten");
    const created = subscriptions.find((s) => s.filter.id === b.id && s.url === URLS.webhookUrl)!;
    assert.equal((await Deno.readTextFile(`${dir}/b`)).trim(), created.secret);
  }, { serviceNames: ["Access Requests", "Databases", "Web"] });
});

Deno.test("a new subscription with no free secret file is a config problem; nothing is created", async () => {
  await withWorld(async ({ pd, dir, run }) => {
    await Deno.writeTextFile(`${dir}/full`, "in-use\n");
    const report = await run({ webhookSecretFiles: [`${dir}/full`], actionSecret: null });
    assert.equal(outcome(report), "config");
    assert.match(report.lines[0].text, /no file to keep its secret in/);
    assert.deepEqual(pd.integrations.webhookSubscriptions(), []);
    assert.equal(await Deno.readTextFile(`${dir}/full`), "in-use\n");
  });
});

Deno.test("a secret that cannot be stored undoes its subscription; an unwritable file stops before PagerDuty", async () => {
  await withWorld(async ({ pd, dir, run }) => {
    const failingWrite: SecretFiles = {
      ...DISK_SECRET_FILES,
      write: () => Promise.reject(new Error("the disk is full")),
    };
    const report = await run({ files: failingWrite, actionSecret: null });
    assert.equal(outcome(report), "failed");
    assert.match(
      report.lines[0].text,
      /the disk is full; so the new subscription .* was deleted again/,
    );
    assert.deepEqual(pd.integrations.webhookSubscriptions(), []);

    pd.clearCalls();
    const unwritable = await run({
      webhookSecretFiles: [`${dir}/no-such-dir/secret`],
      actionSecret: null,
    });
    assert.equal(outcome(unwritable), "failed");
    assert.match(
      unwritable.lines[0].text,
      /the secret file .*no-such-dir\/secret cannot be written/,
    );
    assert.equal(pd.callsTo("createWebhookSubscription").length, 0);
  });
});

Deno.test("workflows: a missing trigger is added, a missing service is offered, a turned-off one is reported", async () => {
  await withWorld(async ({ pd, services, run }) => {
    const [a, b] = services;
    const approve = pd.integrations.addWorkflow({ name: "Approve access request" });
    const deny = pd.integrations.addWorkflow({ name: "Deny access request", isEnabled: false });
    const trigger = pd.integrations.addTrigger({ workflowId: deny.id, serviceIds: [a.id] });
    const report = await run({ actionSecret: null });
    const text = formatReport(report);
    assert.match(
      text,
      new RegExp(
        `\\+ gave the workflow "Approve access request" \\(${approve.id}\\) a manual trigger`,
      ),
    );
    assert.match(
      text,
      new RegExp(`\\+ offered the workflow "Deny access request" \\(${deny.id}\\) on "Databases"`),
    );
    assert.match(
      text,
      new RegExp(`! workflow "Deny access request" \\(${deny.id}\\) is turned off`),
    );
    assert.deepEqual(report.workflowIds, { approve: [approve.id], deny: [deny.id] });
    const triggers = pd.integrations.triggers();
    assert.deepEqual(triggers.find((t) => t.id === trigger.id)!.serviceIds, [a.id, b.id]);
    assert.deepEqual(triggers.find((t) => t.workflowId === approve.id)!.serviceIds, [a.id, b.id]);
    assert.equal(pd.integrations.workflows().length, 2, "no workflow created twice");
  }, { serviceNames: ["Access Requests", "Databases"] });
});

Deno.test("actions: a changed endpoint or secret is updated in place, keeping other headers and services", async () => {
  await withWorld(async ({ pd, services, run }) => {
    const [a, b] = services;
    const approve = pd.integrations.addExtension({
      name: "Approve request",
      endpointUrl: "https://old.example.com/approve",
      schemaId: "PCUSTOM",
      serviceIds: [a.id, b.id],
      config: {
        headers: [{ name: "X-Other", value: "o" }, {
          name: "x-teleport-action-secret",
          value: "old",
        }],
      },
    });
    pd.integrations.addExtension({
      name: "Deny request",
      endpointUrl: URLS.actionUrls.deny,
      schemaId: "PCUSTOM",
      serviceIds: [a.id],
      config: { headers: [{ name: "x-teleport-action-secret", value: ACTION_SECRET }] },
    });
    const report = await run({
      actionSecret: { kind: "value", value: ACTION_SECRET },
      serviceNames: ["Access Requests"],
    });
    assert.equal(outcome(report), "done", formatReport(report));
    assert.deepEqual(report.lines.slice(-2).map((l) => [l.mark, l.text]), [
      [
        "changed",
        `updated the Custom Incident Action "Approve request" on "Access Requests": ${approve.id}`,
      ],
      [
        "ok",
        `Custom Incident Action "Deny request" (${
          pd.integrations.extensions()[1].id
        }) on "Access Requests": set up`,
      ],
    ]);
    const updated = pd.integrations.extensions()[0];
    assert.equal(updated.endpointUrl, URLS.actionUrls.approve);
    assert.deepEqual(updated.serviceIds, [a.id, b.id]);
    assert.deepEqual(updated.config, {
      headers: [
        { name: "X-Other", value: "o" },
        { name: "x-teleport-action-secret", value: ACTION_SECRET },
      ],
    });
  }, { serviceNames: ["Access Requests", "Databases"] });
});

Deno.test("an unknown service is a config problem and nothing else is done", async () => {
  await withWorld(async ({ pd, run }) => {
    const report = await run({ serviceNames: ["Acces Requests"] });
    assert.equal(outcome(report), "config");
    assert.equal(report.lines.length, 1);
    assert.match(report.lines[0].text, /no PagerDuty service is named "Acces Requests"/);
    assert.deepEqual(writes(pd), []);
  });
});

Deno.test("a 402 on webhook subscriptions (a plan without them) also gives the steps by hand", async () => {
  await withWorld(async ({ pd, run }) => {
    pd.failNext(1, { operation: "listWebhookSubscriptions", status: 402 });
    const report = await run({ actionSecret: null });
    assert.equal(outcome(report), "manual");
    assert.match(report.lines[0].text, /PagerDuty refused to list subscriptions \(402\)/);
    assert.equal(report.manual[0].title, 'Webhook subscription for the service "Access Requests"');
    assert.deepEqual(pd.integrations.webhookSubscriptions(), []);
    // The other parts still ran.
    assert.equal(pd.integrations.workflows().length, 2);
  });
});
