import assert from "node:assert/strict";
import { files, parse, problemsOf } from "../testing/config_parse.ts";
import { loadConfig } from "./load.ts";
import { parseConfig } from "./parse.ts";
import { configFromMessage, configToMessage } from "./transfer.ts";
import { Secret } from "./types.ts";

const WEBHOOK_SECRET = "whsec+Abc123SECRETvalue";
const ACTION_SECRET = "act-0123456789abcdefSECRET";

const BASE = `
[teleport]
addr = "auth.example.com:3025"
identity = "/var/lib/tp/auth_id"
[pagerduty]
api_key = "u+key"
user_email = "bot@example.com"
`;

const LISTENER = `
[http]
listen_addr = ":8081"
public_addr = "https://tp.example.com"
`;

/** Every secret this file uses, none of which may appear in a message. */
function assertNoSecret(texts: readonly string[]): void {
  for (const text of texts) {
    for (const secret of [WEBHOOK_SECRET, ACTION_SECRET, "tiny-Xq9", "two words"]) {
      assert.ok(!text.includes(secret), `a message shows a secret: ${text}`);
    }
  }
}

Deno.test("reviews: off without a secret; the other keys are then ignored with one warning", async () => {
  const off = await parse(BASE);
  assert.equal(off.config.pagerduty.reviews, undefined);
  assert.deepEqual(off.warnings, []);

  const stray = await parse(`${BASE}
[pagerduty.reviews]
approve_workflows = ["PWF0001"]
approver_escalation_levels = [1]
`);
  assert.equal(stray.config.pagerduty.reviews, undefined);
  assert.deepEqual(stray.warnings.map((w) => w.message), [
    "pagerduty.reviews sets no webhook_secrets or action_secret, so approving and denying from " +
    "PagerDuty is off and pagerduty.reviews.approve_workflows, " +
    "pagerduty.reviews.approver_escalation_levels are ignored: set " +
    "pagerduty.reviews.webhook_secrets (notes and workflows) or pagerduty.reviews.action_secret " +
    "(Custom Incident Actions).",
  ]);
});

Deno.test("reviews: every key is read, secrets wrapped, from values and from files", async () => {
  const { config, warnings } = await parse(
    `${BASE}
[pagerduty.reviews]
webhook_secrets = ["${WEBHOOK_SECRET}", "/etc/tp/old_webhook_secret"]
action_secret = "/etc/tp/action_secret"
approve_workflows = ["PWF0001", "PWF0002"]
deny_workflows = ["PWF0003"]
approver_escalation_levels = [1, 2]
approver_emails = ["lead@example.com"]
approver_teams = ["PTEAM01"]
${LISTENER}`,
    {
      "/etc/tp/old_webhook_secret": "  old+Secret/Value==\n",
      "/etc/tp/action_secret": `${ACTION_SECRET}\n`,
    },
  );
  assert.deepEqual(warnings, []);
  const reviews = config.pagerduty.reviews!;
  assert.deepEqual(reviews.webhookSecrets.map((s) => s.reveal()), [
    WEBHOOK_SECRET,
    "old+Secret/Value==",
  ]);
  assert.ok(reviews.webhookSecrets.every((s) => s instanceof Secret));
  assert.equal(reviews.actionSecret?.reveal(), ACTION_SECRET);
  assert.deepEqual(reviews.secretFiles, [
    { key: "pagerduty.reviews.webhook_secrets[1]", path: "/etc/tp/old_webhook_secret" },
    { key: "pagerduty.reviews.action_secret", path: "/etc/tp/action_secret" },
  ]);
  assert.deepEqual(reviews.approveWorkflows, ["PWF0001", "PWF0002"]);
  assert.deepEqual(reviews.denyWorkflows, ["PWF0003"]);
  assert.deepEqual(reviews.approverEscalationLevels, [1, 2]);
  assert.deepEqual(reviews.approverEmails, ["lead@example.com"]);
  assert.deepEqual(reviews.approverTeams, ["PTEAM01"]);
  assert.equal(config.http?.publicAddr, "https://tp.example.com");
  // The secrets never print, whichever way the config is shown.
  const shown = [
    JSON.stringify(config),
    Deno.inspect(config, { depth: 10 }),
    String(reviews.actionSecret),
  ];
  assertNoSecret(shown);
  assert.ok(!shown.some((t) => t.includes("old+Secret")));
});

Deno.test("reviews: one webhook secret may be a plain string; defaults are empty lists", async () => {
  const { config } = await parse(`${BASE}
[pagerduty.reviews]
webhook_secrets = "${WEBHOOK_SECRET}"
${LISTENER}`);
  const reviews = config.pagerduty.reviews!;
  assert.deepEqual(reviews.webhookSecrets.map((s) => s.reveal()), [WEBHOOK_SECRET]);
  assert.equal(reviews.actionSecret, undefined);
  assert.deepEqual(
    [reviews.approveWorkflows, reviews.denyWorkflows, reviews.approverEscalationLevels],
    [[], [], []],
  );
  assert.deepEqual([reviews.approverEmails, reviews.approverTeams], [[], []]);
});

Deno.test("reviews: on without http.listen_addr is one sentence naming the key to set", async () => {
  for (
    const secret of [
      `webhook_secrets = ["${WEBHOOK_SECRET}"]`,
      `action_secret = "${ACTION_SECRET}"`,
    ]
  ) {
    const problems = await problemsOf(`${BASE}
[pagerduty.reviews]
${secret}
`);
    assert.deepEqual(problems, [
      "pagerduty.reviews is on (webhook_secrets or action_secret is set) but http.listen_addr is " +
      'not set: set http.listen_addr, e.g. ":8081", so PagerDuty can deliver approvals and denials.',
    ]);
  }
});

Deno.test("reviews: wrong values are problems that never show a secret", async () => {
  const problems = await problemsOf(
    `${BASE}
[pagerduty.reviews]
webhook_secrets = ["${WEBHOOK_SECRET}", "two words", "", "/missing", "/big", "/empty", "/binary"]
action_secret = "tiny-Xq9"
approve_workflows = ["PWF0001", "bad id"]
deny_workflows = ["PWF0009"]
approver_escalation_levels = [0, 1]
approver_emails = ["not-an-email"]
approver_teams = ["team one"]
${LISTENER}`,
    {
      "/big": "x".repeat(5000),
      "/empty": " \n",
      "/binary": new Uint8Array([0xff, 0xfe, 0x00]),
    },
  );
  assert.deepEqual(problems, [
    "pagerduty.reviews.webhook_secrets[1] contains spaces or control characters: it must be the secret alone.",
    "pagerduty.reviews.webhook_secrets[2] is empty: set it to the secret, or to the absolute path of a file holding it.",
    "pagerduty.reviews.webhook_secrets[3] names the file /missing, which does not exist: create it holding only the secret, readable by the plugin's user.",
    "pagerduty.reviews.webhook_secrets[4] names the file /big, which is larger than 4096 bytes: point it at a file holding only the secret.",
    "pagerduty.reviews.webhook_secrets[5] names the file /empty, which is empty: write the secret into it.",
    "pagerduty.reviews.webhook_secrets[6] names the file /binary, which is not text: point it at a file holding only the secret.",
    "pagerduty.reviews.action_secret is shorter than 16 characters: use a long random value, e.g. from `openssl rand -hex 32`.",
    'pagerduty.reviews.approve_workflows ["bad id"] are not PagerDuty IDs: use incident workflow IDs like "PABC123" (the last part of the incident workflow\'s URL).',
    'pagerduty.reviews.approver_emails ["not-an-email"] are not email addresses: list the emails of the PagerDuty users who may decide.',
    "pagerduty.reviews.approver_escalation_levels must be a list of whole numbers from 1 to 100, like [1, 2], not a list.",
    'pagerduty.reviews.approver_teams ["team one"] are not PagerDuty IDs: use team IDs like "PABC123" (the last part of the team\'s URL).',
  ]);
  assertNoSecret(problems);
});

Deno.test("reviews: a secret of the wrong type is refused without printing it", async () => {
  const problems = await problemsOf(`${BASE}
[pagerduty.reviews]
webhook_secrets = [42]
action_secret = 1234567890123
${LISTENER}`);
  assert.deepEqual(problems, [
    'pagerduty.reviews.webhook_secrets must be a list of strings in double quotes, like ["…", "…"].',
    "pagerduty.reviews.action_secret must be a string (in double quotes).",
  ]);
  assert.ok(!problems.some((p) => p.includes("1234567890")));
});

Deno.test("reviews: a workflow cannot both approve and deny", async () => {
  const problems = await problemsOf(`${BASE}
[pagerduty.reviews]
webhook_secrets = ["${WEBHOOK_SECRET}"]
approve_workflows = ["PWF0001"]
deny_workflows = ["PWF0001"]
${LISTENER}`);
  assert.deepEqual(problems, [
    "pagerduty.reviews.approve_workflows and pagerduty.reviews.deny_workflows both list PWF0001: " +
    "a workflow either approves or denies, so keep each ID in one list.",
  ]);
});

Deno.test("reviews: warnings for workflows without webhook secrets and for a plain-HTTP public address", async () => {
  const { config, warnings } = await parse(`${BASE}
[pagerduty.reviews]
action_secret = "${ACTION_SECRET}"
approve_workflows = ["PWF0001"]
[http]
listen_addr = ":8081"
public_addr = "http://tp.example.com"
`);
  assert.equal(config.pagerduty.reviews?.actionSecret?.reveal(), ACTION_SECRET);
  assert.deepEqual(warnings.map((w) => [w.key, w.message]), [
    [
      "pagerduty.reviews.approve_workflows",
      "incident workflows reach the service as V3 webhooks, which are off without " +
      "pagerduty.reviews.webhook_secrets: set it, or remove the workflow lists.",
    ],
    [
      "http.public_addr",
      'http.public_addr "http://tp.example.com" is plain HTTP, so PagerDuty would send approvals ' +
      "and the action secret unencrypted: use an https:// address (a TLS-terminating proxy or " +
      "http.https_cert_file).",
    ],
  ]);
  assertNoSecret(warnings.map((w) => w.message));
});

Deno.test("reviews: an unknown key of the table gets the usual suggestion", async () => {
  const { warnings } = await parse(`${BASE}
[pagerduty.reviews]
webhook_secrets = ["${WEBHOOK_SECRET}"]
approve_workflow = ["PWF0001"]
${LISTENER}`);
  assert.deepEqual(warnings.map((w) => w.key), ["pagerduty.reviews.approve_workflow"]);
  assert.match(warnings[0].message, /did you mean pagerduty\.reviews\.approve_workflows\?/);
});

Deno.test("reviews: the secrets survive the hand-over to the service worker, wrapped again", async () => {
  const { config } = await parse(`${BASE}
[pagerduty.reviews]
webhook_secrets = ["${WEBHOOK_SECRET}"]
action_secret = "${ACTION_SECRET}"
${LISTENER}`);
  const back = configFromMessage(structuredClone(configToMessage(config)));
  const reviews = back.pagerduty.reviews!;
  assert.ok(reviews.webhookSecrets[0] instanceof Secret);
  assert.equal(reviews.webhookSecrets[0].reveal(), WEBHOOK_SECRET);
  assert.ok(reviews.actionSecret instanceof Secret);
  assert.equal(reviews.actionSecret.reveal(), ACTION_SECRET);
});

Deno.test("reviews: loadConfig warns about secret files other users can read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const secretFile = `${dir}/webhook_secret`;
    const configFile = `${dir}/tp.toml`;
    await Deno.writeTextFile(secretFile, `${WEBHOOK_SECRET}\n`);
    await Deno.chmod(secretFile, 0o644);
    await Deno.writeTextFile(
      configFile,
      `${BASE}\n[pagerduty.reviews]\nwebhook_secrets = ["${secretFile}"]\n${LISTENER}`,
    );
    await Deno.chmod(configFile, 0o600);
    const { config, warnings } = await loadConfig(configFile);
    assert.equal(config.pagerduty.reviews?.webhookSecrets[0].reveal(), WEBHOOK_SECRET);
    assert.deepEqual(warnings.map((w) => w.message), [
      `pagerduty.reviews.webhook_secrets ${secretFile} is accessible by other users (mode 644) ` +
      `although it holds secrets: run \`chmod 600 ${secretFile}\`.`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reviews: missing or empty secret files pass only for the set-up command, which writes them", async () => {
  const text = `${BASE}
[pagerduty.reviews]
webhook_secrets = ["/etc/tp/ws"]
action_secret = "/etc/tp/as"
${LISTENER}`;
  const problems = await problemsOf(text, { "/etc/tp/as": "" });
  assert.equal(problems.length, 2, problems.join("\n"));
  const { config } = await parseConfig(text, {
    path: "/etc/tp.toml",
    readFile: files({ "/etc/tp/as": "" }),
    allowPendingSecretFiles: true,
  });
  assert.deepEqual(config.pagerduty.reviews?.secretFiles.map((f) => f.path), [
    "/etc/tp/ws",
    "/etc/tp/as",
  ]);
  assert.deepEqual(config.pagerduty.reviews?.webhookSecrets, []);
});
