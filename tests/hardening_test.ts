/**
 * End-to-end checks of the hardening (issue 13): the real service against the fake Auth Service
 * and the fake PagerDuty, fed what an attacker or a clumsy operator would feed it.
 */

import assert from "node:assert/strict";
import { decodeRecord, PLUGIN_NAME, type RequestRecord } from "../src/app/plugin_data.ts";
import type { World } from "../src/fakes/world.ts";
import { type ServiceHandle, withService } from "./harness.ts";

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
