import assert from "node:assert/strict";
import { ConfigError } from "./errors.ts";
import { parseConfig } from "./parse.ts";
import { configFromMessage, configToMessage } from "./transfer.ts";
import { Secret } from "./types.ts";

const BASE = `[pagerduty]
api_key = "key"
user_email = "bot@example.com"
`;

function parse(reviews: string) {
  return parseConfig(`${BASE}[pagerduty.reviews]\n${reviews}`, {
    path: "t.toml",
    readFile: () => Promise.reject(new Error("the reviews secrets are not read when loading")),
  });
}

Deno.test("webhook_secrets and action_secret: values and absolute file paths, files not read", async () => {
  const { config, warnings } = await parse(
    `webhook_secrets = ["/etc/tp/webhook-secret", "Old+Secret/42"]\naction_secret = "/etc/tp/action"\n`,
  );
  assert.deepEqual(warnings, []);
  const reviews = config.pagerduty.reviews!;
  assert.deepEqual(reviews.webhookSecrets[0], { kind: "file", path: "/etc/tp/webhook-secret" });
  const inline = reviews.webhookSecrets[1];
  assert.ok(inline.kind === "value" && inline.value instanceof Secret);
  assert.equal(inline.value.reveal(), "Old+Secret/42");
  assert.deepEqual(reviews.actionSecret, { kind: "file", path: "/etc/tp/action" });
});

Deno.test("without [pagerduty.reviews], there are no secrets", async () => {
  const { config } = await parseConfig(BASE, { path: "t.toml", readFile: () => Promise.reject() });
  assert.deepEqual(config.pagerduty.reviews, { webhookSecrets: [], actionSecret: undefined });
});

Deno.test("bad secrets are reported by key, never by value", async () => {
  const leaked = "Sup3rSecretValue";
  for (
    const [text, problem] of [
      [`webhook_secrets = "${leaked}"`, /webhook_secrets must be a list of non-empty strings/],
      [`webhook_secrets = ["${leaked} x"]`, /webhook_secrets\[0\] contains spaces/],
      [`action_secret = "${leaked}\\n"`, /action_secret contains spaces or control characters/],
      [`action_secret = 42`, /action_secret must be a string/],
      [`action_secret = "/etc/tp/ "`, /action_secret must be a secret or the absolute path/],
    ] as const
  ) {
    const error = await parse(text).then(() => undefined, (e) => e);
    assert.ok(error instanceof ConfigError, text);
    assert.equal(error.problems.length, 1, error.message);
    assert.match(error.problems[0], problem);
    assert.ok(!error.message.includes(leaked), error.message);
  }
});

Deno.test("the secrets survive the transfer to a worker, wrapped again", async () => {
  const { config } = await parse(`webhook_secrets = ["abc", "/f"]\naction_secret = "xyz"\n`);
  const back = configFromMessage(structuredClone(configToMessage(config)));
  const [first, second] = back.pagerduty.reviews!.webhookSecrets;
  assert.ok(first.kind === "value" && first.value instanceof Secret);
  assert.equal(first.value.reveal(), "abc");
  assert.deepEqual(second, { kind: "file", path: "/f" });
  const action = back.pagerduty.reviews!.actionSecret!;
  assert.ok(action.kind === "value" && action.value.reveal() === "xyz");
  assert.equal(JSON.stringify(back.pagerduty.reviews), JSON.stringify(config.pagerduty.reviews));
  assert.ok(!JSON.stringify(back.pagerduty.reviews).includes("xyz"));
});
