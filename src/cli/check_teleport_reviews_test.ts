import assert from "node:assert/strict";
import { startHarness } from "../teleport/testing/harness.ts";
import { checkTeleport, type TeleportCheckOptions } from "./check_teleport.ts";

const OPTIONS: TeleportCheckOptions = {
  plugin: "pagerduty",
  notifyServiceAnnotation: "pagerduty_notify_service",
  servicesAnnotation: "pagerduty_services",
  autoApproval: false,
  responderDecisions: true,
  probeRequestId: "00000000-0000-4000-8000-000000000000",
};

function reviewItem(items: readonly { title: string }[]) {
  const item = items.find((i) => i.title.startsWith("may submit reviews"));
  assert.ok(item, JSON.stringify(items));
  return item as { status: string; title: string; detail?: string; fix?: string };
}

Deno.test("check: decisions from PagerDuty need review_requests, proved without changing anything", async () => {
  await using harness = await startHarness({
    permissions: {
      rules: { access_request: ["list", "read"], access_plugin_data: ["update"] },
      review: true,
    },
  });
  const { items } = await checkTeleport(harness.client, OPTIONS);
  const item = reviewItem(items);
  assert.equal(item.title, "may submit reviews (for decisions from PagerDuty)");
  assert.equal(item.status, "ok");
  assert.match(item.detail ?? "", /proved by reviewing a request that does not exist/);
  const both = reviewItem(
    (await checkTeleport(harness.client, { ...OPTIONS, autoApproval: true })).items,
  );
  assert.equal(both.title, "may submit reviews (for auto-approval and decisions from PagerDuty)");
});

Deno.test("check: without review_requests, decisions from PagerDuty fail with the fix", async () => {
  await using harness = await startHarness({
    permissions: { rules: { access_request: ["list", "read"], access_plugin_data: ["update"] } },
  });
  const item = reviewItem((await checkTeleport(harness.client, OPTIONS)).items);
  assert.equal(item.status, "fail");
  assert.match(item.detail ?? "", /cannot submit reviews/);
  assert.match(item.fix ?? "", /`review_requests`.*or turn off \[pagerduty\.reviews\]$/);
  const off = reviewItem(
    (await checkTeleport(harness.client, { ...OPTIONS, responderDecisions: false })).items,
  );
  assert.deepEqual([off.status, off.title], ["ok", "may submit reviews (for auto-approval)"]);
});
