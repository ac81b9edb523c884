import assert from "node:assert/strict";
import { decodeRecord, PLUGIN_NAME } from "../src/app/plugin_data.ts";
import { withService } from "./harness.ts";

const NOTIFY = { pagerduty_notify_service: ["Teleport Access Requests"] };

Deno.test("a new request opens an incident and records it in plugin data", async () => {
  await withService({}, async (world, _handle) => {
    const request = world.auth.createAccessRequest({
      user: "erin@example.com",
      roles: ["editor"],
      reason: "deploy hotfix",
      systemAnnotations: NOTIFY,
    });
    await world.auth.waitFor(() => !!world.auth.pluginData(request.id, PLUGIN_NAME)?.incident_id, {
      description: "incident recorded",
    });
    const record = decodeRecord(world.auth.pluginData(request.id, PLUGIN_NAME));
    const incident = world.pagerduty.incident(record.incidentId);
    assert.ok(incident, "the recorded incident exists in PagerDuty");
    assert.equal(record.serviceId, world.account.notifyService.id);
    assert.equal(incident.incidentKey, `teleport-access-request/${request.id}`);
    assert.equal(incident.status, "triggered");
    assert.match(incident.title, /erin@example.com.*editor/);
    assert.equal(record.user, "erin@example.com");
    assert.deepEqual(record.roles, ["editor"]);
    assert.equal(record.requestReason, "deploy hotfix");
    assert.equal(world.pagerduty.validationFailures.length, 0);
  });
});
