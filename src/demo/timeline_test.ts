import assert from "node:assert/strict";
import { PLUGIN_NAME } from "../app/plugin_data.ts";
import { PLUGIN_USER, World } from "../fakes/world.ts";
import { shortId, Timeline, type TimelineEntry } from "./timeline.ts";

/** Calls the fake PagerDuty over HTTP as the service would, as the world's bot user. */
async function pd(world: World, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(new URL(path, world.pagerduty.url), {
    method,
    headers: {
      Authorization: `Token token=${world.pagerduty.apiKey}`,
      Accept: "application/vnd.pagerduty+json;version=2",
      From: world.account.bot.email,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  assert.ok(response.ok, JSON.stringify(json));
  return json;
}

function line(entry: TimelineEntry): string {
  const who = entry.actor.kind === "person" ? entry.actor.name : entry.actor.kind;
  return `${entry.side} ${who}: ${entry.text}`;
}

Deno.test("the timeline records both fakes' changes, in order, with who made them", async () => {
  const world = await World.start();
  const timeline = new Timeline(world);
  try {
    const { auth, account } = world;
    let changes = 0;
    timeline.onChange(() => changes++);

    const request = auth.createAccessRequest({
      user: "alice@example.com",
      roles: ["editor"],
      reason: "On call",
      systemAnnotations: { pagerduty_notify_service: ["Teleport Access Requests"] },
    });
    const id = shortId(request.id);
    const created = (await pd(world, "POST", "/incidents", {
      incident: {
        type: "incident",
        title: "Access request from alice@example.com for roles editor",
        service: { id: account.notifyService.id, type: "service_reference" },
        incident_key: `teleport-access-request/${request.id}`,
      },
    })) as { incident: { id: string } };
    // The service writes every key each time; only what changed is shown.
    auth.store.updatePluginData(
      request.id,
      PLUGIN_NAME,
      { incident_id: created.incident.id, user: "alice@example.com", resolution: "" },
      {},
    );
    await pd(
      world,
      "GET",
      `/oncalls?user_ids[]=${account.alice.id}&escalation_policy_ids[]=${account.platformPolicy.id}`,
    );
    auth.review(request.id, { author: PLUGIN_USER, decision: "APPROVED", reason: "on call" });
    auth.store.updatePluginData(
      request.id,
      PLUGIN_NAME,
      { incident_id: created.incident.id, user: "alice@example.com", auto_approval: "approved" },
      { incident_id: created.incident.id },
    );
    // Another plugin's data is not the service's business.
    auth.store.updatePluginData(request.id, "slack", { ts: "1" }, {});
    world.pagerduty.addNoteAs(created.incident.id, account.carol.id, "Looking.\nAll fine.");

    const first = timeline.take();
    assert.deepEqual(first.map(line), [
      `teleport alice@example.com: created request ${id} for roles editor: "On call"`,
      `pagerduty service: opened incident #1 in "Teleport Access Requests" (urgency high, ` +
      `paging Carol Chen): "Access request from alice@example.com for roles editor"`,
      `teleport service: wrote plugin data on request ${id}: ` +
      `incident_id=${created.incident.id}, and user`,
      `pagerduty service: asked who is on call: GET /oncalls for Alice Anderson in ` +
      `Platform On-Call (answered 200)`,
      `teleport service: auto-approval: reviewed request ${id}: APPROVED "on call"`,
      `teleport teleport: request ${id} is now APPROVED`,
      `teleport service: wrote plugin data on request ${id}: auto_approval=approved`,
      `pagerduty Carol Chen: added a note to incident #1:`,
    ]);
    assert.deepEqual(first[0].detail, [
      "annotations: pagerduty_notify_service=Teleport Access Requests",
    ]);
    assert.deepEqual(first.at(-1)?.detail, ["Looking.", "All fine."]);
    for (let i = 1; i < first.length; i++) assert.ok(first[i - 1].at <= first[i].at);
    // Listeners hear of every entry (the on-call look-up when it is read from the call log).
    assert.equal(changes, first.length);

    auth.expire(request.id);
    world.pagerduty.updateIncidentAs(created.incident.id, account.carol.id, {
      status: "resolved",
      resolution: "Access request has been expired\nReason: none",
    });
    assert.deepEqual(timeline.take().map(line), [
      `teleport teleport: deleted request ${id}; watchers get a DELETE event`,
      `pagerduty Carol Chen: resolved incident #1: "Access request has been expired"`,
    ]);

    timeline.close();
    auth.createAccessRequest({ user: "bob@example.com" });
    assert.deepEqual(timeline.take(), []);
  } finally {
    timeline.close();
    await world.stop();
  }
});

Deno.test("short IDs keep the random end of a UUIDv7", () => {
  assert.equal(shortId("01a2128c-a13f-7000-a83b-8774b707d0df"), "…b707d0df");
  assert.equal(shortId("abc"), "abc");
});

Deno.test("a plugin data write names its unshown keys alone, or after the shown ones", async () => {
  const world = await World.start();
  const timeline = new Timeline(world);
  try {
    const request = world.auth.createAccessRequest({ user: "bob@example.com", roles: ["auditor"] });
    const id = shortId(request.id);
    timeline.take();
    world.auth.store.updatePluginData(
      request.id,
      PLUGIN_NAME,
      { user: "bob@example.com", roles: "auditor" },
      {},
    );
    world.auth.store.updatePluginData(
      request.id,
      PLUGIN_NAME,
      { incident_id: "Q1", created: "1700000000" },
      {},
    );
    assert.deepEqual(timeline.take().map(line), [
      `teleport service: wrote plugin data on request ${id}: user, roles`,
      `teleport service: wrote plugin data on request ${id}: incident_id=Q1, and created`,
    ]);
  } finally {
    timeline.close();
    await world.stop();
  }
});
