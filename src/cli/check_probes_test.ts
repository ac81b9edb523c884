import assert from "node:assert/strict";
import { parseConfig } from "../config/parse.ts";
import { PERMISSION_PROBES, probesById, probesFor } from "./check_probes.ts";

async function config(autoApproval: string) {
  const text = `[teleport]\nidentity = "/i"\n[pagerduty]\napi_key = "k"\n` +
    `user_email = "bot@example.com"\n[pagerduty.auto_approval]\n${autoApproval}\n`;
  return (await parseConfig(text, { path: "t.toml", readFile: () => Promise.reject() })).config;
}

Deno.test("check probes exactly the permissions the enabled features need", async () => {
  const ids = async (autoApproval: string) =>
    probesFor(await config(autoApproval)).map((probe) => probe.id);
  assert.deepEqual(await ids(""), ["review_requests"]);
  assert.deepEqual(await ids('email_trait = "pd_email"'), ["review_requests", "user_read"]);
  assert.deepEqual(await ids("enabled = false"), []);
  // The trait is read only to approve, so without auto-approval it needs no permission.
  assert.deepEqual(await ids('enabled = false\nemail_trait = "pd_email"'), []);
});

Deno.test("each probe names its feature's config key, and the worker finds probes by ID", async () => {
  const all = await config('email_trait = "pd_email"');
  assert.deepEqual(
    PERMISSION_PROBES.map((probe) => probe.neededFor(all)),
    ["pagerduty.auto_approval.enabled", "pagerduty.auto_approval.email_trait", undefined],
  );
  for (const probe of PERMISSION_PROBES) {
    assert.match(probe.fix, /^give the plugin's role `/, probe.id);
  }
  assert.equal(new Set(PERMISSION_PROBES.map((probe) => probe.id)).size, PERMISSION_PROBES.length);
  assert.deepEqual(probesById(["user_read", "nope"]).map((probe) => probe.id), ["user_read"]);
});

Deno.test("decisions from PagerDuty need reviews, and bounded access needs locks", async () => {
  const listener = `[http]\nlisten_addr = ":8081"\n`;
  const reviews = await config(
    `enabled = false\n[pagerduty.reviews]\nwebhook_secrets = ["whsec-value-0123456789"]\n${listener}`,
  );
  assert.deepEqual(probesFor(reviews).map((probe) => [probe.id, probe.neededFor(reviews)]), [
    ["review_requests", "[pagerduty.reviews]"],
  ]);
  const shift = await config("end_with_shift = true");
  assert.deepEqual(probesFor(shift).map((probe) => [probe.id, probe.neededFor(shift)]), [
    ["review_requests", "pagerduty.auto_approval.enabled"],
    ["lock", "pagerduty.auto_approval.end_with_shift"],
  ]);
});

Deno.test("the email trait needs user: [read] for every feature that matches the requester", async () => {
  const listener = `[http]\nlisten_addr = ":8081"\n`;
  const decisions = await config(
    `enabled = false\nemail_trait = "pd_email"\n[pagerduty.reviews]\n` +
      `webhook_secrets = ["whsec-value-0123456789"]\n${listener}`,
  );
  assert.deepEqual(probesFor(decisions).map((probe) => probe.id), ["review_requests", "user_read"]);
});
