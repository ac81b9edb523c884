import assert from "node:assert/strict";
import { startHarness } from "../testing/teleport_harness.ts";
import { probesById } from "./check_probes.ts";
import { checkTeleport, type TeleportCheckOptions } from "./check_teleport.ts";

const OPTIONS: TeleportCheckOptions = {
  plugin: "pagerduty",
  notifyServiceAnnotation: "pagerduty_notify_service",
  servicesAnnotation: "pagerduty_services",
  probes: probesById(["review_requests", "lock"]),
  probeRequestId: "00000000-0000-4000-8000-000000000000",
};

function item(items: readonly { title: string }[], prefix: string) {
  const found = items.find((i) => i.title.startsWith(prefix));
  assert.ok(found, JSON.stringify(items));
  return found as { status: string; title: string; detail?: string; fix?: string };
}

Deno.test("check: reviews and locks are proved without changing anything", async () => {
  await using harness = await startHarness({
    permissions: {
      rules: {
        access_request: ["list", "read"],
        access_plugin_data: ["update"],
        lock: ["create", "update", "read"],
      },
      review: true,
    },
  });
  const { items } = await checkTeleport(harness.client, OPTIONS);
  const review = item(items, "may submit reviews");
  assert.equal(review.status, "ok");
  assert.match(review.detail ?? "", /proved by reviewing a request that does not exist/);
  const lock = item(items, "may lock access requests");
  assert.equal(lock.status, "ok", JSON.stringify(lock));
  assert.deepEqual(harness.auth.locks(), [], "the probe wrote no lock");
});

Deno.test("check: without review_requests or lock rules, each fails with its fix", async () => {
  await using harness = await startHarness({
    permissions: { rules: { access_request: ["list", "read"], access_plugin_data: ["update"] } },
  });
  const { items } = await checkTeleport(harness.client, OPTIONS);
  const review = item(items, "may submit reviews");
  assert.equal(review.status, "fail");
  assert.match(review.fix ?? "", /`review_requests`.*\[pagerduty\.reviews\]/);
  const lock = item(items, "may lock access requests");
  assert.equal(lock.status, "fail");
  assert.match(lock.fix ?? "", /`lock: \[create, update, read\]`/);
});
