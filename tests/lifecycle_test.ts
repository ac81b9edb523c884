/**
 * End-to-end behaviour of the request lifecycle: the real service against the fake Auth
 * Service and the fake PagerDuty.
 */

import assert from "node:assert/strict";
import { PLUGIN_USER, type World } from "../src/fakes/world.ts";
import type { AccessRequest } from "../src/teleport/types.ts";
import {
  incidentOf,
  notesOf,
  record,
  resolvedIncident,
  type ServiceHandle,
  withService,
} from "./harness.ts";

const NOTIFY = "Teleport Access Requests";

function createRequest(
  world: World,
  fields: Partial<Parameters<World["auth"]["createAccessRequest"]>[0]> = {},
): AccessRequest {
  return world.auth.createAccessRequest({
    user: "erin@example.com",
    roles: ["editor"],
    reason: "deploy hotfix",
    systemAnnotations: { pagerduty_notify_service: [NOTIFY] },
    ...fields,
  });
}

/** Waits for the service to settle on a request and returns its state in Teleport. */
async function settled(world: World, id: string): Promise<AccessRequest | undefined> {
  await incidentOf(world, id);
  return world.auth.request(id);
}

Deno.test("a new request opens an incident with the Go plugin's key and records it", async () => {
  await withService({}, async (world) => {
    const request = createRequest(world, {
      suggestedReviewers: ["carol@example.com"],
    });
    const incident = await incidentOf(world, request.id);
    const data = record(world, request.id);
    assert.equal(data.serviceId, world.account.notifyService.id);
    assert.equal(incident.serviceId, world.account.notifyService.id);
    assert.equal(incident.incidentKey, `teleport-access-request/${request.id}`);
    assert.equal(incident.status, "triggered");
    assert.equal(incident.urgency, "high");
    assert.equal(incident.title, "Access request from erin@example.com for roles editor");
    for (
      const fact of [
        "Reason: deploy hotfix",
        "Suggested reviewers: carol@example.com",
        `Request ID: ${request.id}`,
        `https://teleport.example.com/web/requests/${request.id}`,
      ]
    ) {
      assert.ok(incident.details?.includes(fact), `details lack ${fact}`);
    }
    assert.equal(data.user, "erin@example.com");
    assert.deepEqual(data.roles, ["editor"]);
    assert.equal(data.requestReason, "deploy hotfix");
    assert.equal(world.pagerduty.validationFailures.length, 0);
  });
});

Deno.test("every listed service gets its own incident; unknown services are skipped", async () => {
  await withService({}, async (world) => {
    const request = createRequest(world, {
      systemAnnotations: { pagerduty_notify_service: [NOTIFY, "platform", "No Such Service"] },
    });
    await world.auth.waitFor(() => Object.keys(record(world, request.id).incidents).length === 2, {
      description: "two incidents recorded",
    });
    const services = world.pagerduty.incidents().map((i) => i.serviceId).sort();
    assert.deepEqual(
      services,
      [world.account.notifyService.id, world.account.platformService.id].sort(),
    );
    world.auth.setState(request.id, "APPROVED", "fine");
    await world.pagerduty.waitFor(
      () => world.pagerduty.incidents().every((i) => i.status === "resolved"),
      { description: "both incidents resolved" },
    );
  });
});

Deno.test("approval adds the review's note, then the outcome's, and resolves the incident", async () => {
  await withService({}, async (world) => {
    const request = createRequest(world);
    await incidentOf(world, request.id);
    world.auth.review(request.id, {
      author: "carol@example.com",
      decision: "APPROVED",
      reason: "okay",
    });
    const incident = await resolvedIncident(world, request.id);
    const notes = notesOf(incident);
    assert.equal(notes.length, 2, "one note for the review, one for the outcome, as in Go");
    assert.match(notes[0], /carol@example.com reviewed the request/);
    assert.match(notes[0], /Resolution: APPROVED/);
    assert.match(notes[1], /^Access request has been approved\nReason: okay/);
    assert.match(incident.resolution ?? "", /Access request has been approved/);
    const data = record(world, request.id);
    assert.equal(data.resolution, "approved");
    assert.equal(data.resolveReason, "okay");
    assert.equal(data.reviewsCount, 1);
  });
});

Deno.test("denial is noted and resolves the incident", async () => {
  await withService({}, async (world) => {
    const request = createRequest(world);
    await incidentOf(world, request.id);
    world.auth.review(request.id, {
      author: "carol@example.com",
      decision: "DENIED",
      reason: "not okay",
    });
    const incident = await resolvedIncident(world, request.id);
    assert.match(notesOf(incident).join("\n"), /Access request has been denied\nReason: not okay/);
    assert.equal(record(world, request.id).resolution, "denied");
  });
});

Deno.test("with thresholds of two, each review is noted and the second resolves", async () => {
  await withService({}, async (world) => {
    for (const decision of ["APPROVED", "DENIED"] as const) {
      const request = createRequest(world, { thresholds: [{ approve: 2, deny: 2 }] });
      const incident = await incidentOf(world, request.id);
      world.auth.review(request.id, { author: "carol@example.com", decision, reason: "first" });
      await world.auth.waitFor(() => record(world, request.id).reviewsCount === 1, {
        description: "first review noted",
      });
      assert.equal(world.auth.request(request.id)?.state, "PENDING");
      const firstNotes = notesOf(world.pagerduty.incident(incident.id)!);
      assert.equal(firstNotes.length, 1);
      assert.match(firstNotes[0], new RegExp(`Resolution: ${decision}\\.\nReason: first\\.`));
      world.auth.review(request.id, { author: "dave@example.com", decision, reason: "finally" });
      const resolved = await resolvedIncident(world, request.id);
      const notes = notesOf(resolved);
      assert.equal(notes.length, 3, "two review notes and the outcome's");
      assert.match(notes[1], /dave@example.com reviewed the request/);
      const word = decision === "APPROVED" ? "approved" : "denied";
      assert.match(notes[2], new RegExp(`^Access request has been ${word}\nReason: finally`));
      assert.equal(record(world, request.id).reviewsCount, 2);
    }
  });
});

Deno.test("an expired request's incident is noted and resolved", async () => {
  await withService({}, async (world) => {
    const request = createRequest(world);
    await incidentOf(world, request.id);
    world.auth.expire(request.id);
    const incident = await resolvedIncident(world, request.id);
    assert.match(notesOf(incident).join("\n"), /Access request has been expired/);
    assert.equal(record(world, request.id).resolution, "expired");
  });
});

Deno.test("a request without annotation or rule opens nothing", async () => {
  await withService({}, async (world) => {
    const quiet = createRequest(world, { systemAnnotations: {} });
    const loud = createRequest(world);
    await incidentOf(world, loud.id);
    assert.equal(world.pagerduty.incidents().length, 1);
    assert.equal(record(world, quiet.id).incidentId, "");
  });
});

Deno.test("an Access Monitoring Rule routes the request to its recipients", async () => {
  await withService({}, async (world) => {
    world.auth.putAccessMonitoringRule({
      name: "route-editors",
      subjects: ["access_request"],
      states: [],
      condition: 'access_request.spec.roles.contains("editor")',
      notificationName: "pagerduty",
      recipients: ["Databases"],
    });
    // A request the rule does not match, created first: it must still follow its annotation.
    const probe = createRequest(world, { roles: ["auditor"] });
    await incidentOf(world, probe.id);
    const request = createRequest(world);
    const incident = await incidentOf(world, request.id);
    assert.equal(incident.serviceId, world.account.databaseService.id);
    assert.equal(
      world.pagerduty.incident(record(world, probe.id).incidentId)?.serviceId,
      world.account.notifyService.id,
      "a request the rule does not match still follows its annotation",
    );
  });
});

const REFUSED = /auto_approvals_total\{outcome="(?!approved|already_reviewed)[a-z_]+"\} [1-9]/;

/** Waits until the service's metrics match `pattern`. */
async function untilMetric(handle: ServiceHandle, pattern: RegExp): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (pattern.test(await handle.service.metrics.render())) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`no metric matched ${pattern}`);
}

const onCallCases: Array<{
  name: string;
  user: string;
  services: string[];
  approve: boolean;
  traits?: Record<string, string[]>;
  autoApproval?: { maxEscalationLevel?: number; emailTrait?: string; roles?: string[] };
  reason?: RegExp;
}> = [
  {
    name: "on call in the service's policy",
    user: "alice@example.com",
    services: ["Platform"],
    approve: true,
    reason:
      /Alice Anderson \(alice@example.com\) who is on call in service\(s\) Platform \(escalation level 1\)/,
  },
  {
    name: "on call in the second service's policy",
    user: "dave@example.com",
    services: ["Platform", "Databases"],
    approve: true,
    reason: /Databases \(escalation level 1\)/,
  },
  { name: "not on call", user: "erin@example.com", services: ["Platform"], approve: false },
  {
    name: "on call only in another policy",
    user: "dave@example.com",
    services: ["Platform"],
    approve: false,
  },
  {
    name: "on call above the level filter",
    user: "carol@example.com",
    services: ["Platform"],
    approve: false,
    autoApproval: { maxEscalationLevel: 1 },
  },
  {
    name: "on call at level 2 without a level filter",
    user: "carol@example.com",
    services: ["Platform"],
    approve: true,
    reason: /Platform \(escalation level 2\)/,
  },
  {
    name: "a non-email username through the email trait",
    user: "alice",
    traits: { email: ["alice@example.com"] },
    services: ["Platform"],
    approve: true,
    autoApproval: { emailTrait: "email" },
  },
  {
    name: "a non-email username without a trait configured",
    user: "alice",
    traits: { email: ["alice@example.com"] },
    services: ["Platform"],
    approve: false,
  },
  {
    name: "a requester who is no PagerDuty user",
    user: "mallory@example.com",
    services: ["Platform"],
    approve: false,
  },
  {
    name: "a role outside the allow-list",
    user: "alice@example.com",
    services: ["Platform"],
    approve: false,
    autoApproval: { roles: ["viewer"] },
  },
];

for (const c of onCallCases) {
  Deno.test(`auto-approval: ${c.name} → ${c.approve ? "approved" : "not approved"}`, async () => {
    await withService({ config: { autoApproval: c.autoApproval } }, async (world, handle) => {
      if (c.traits) world.auth.addUser({ name: c.user, roles: ["requester"], traits: c.traits });
      const request = createRequest(world, {
        user: c.user,
        systemAnnotations: { pagerduty_notify_service: [NOTIFY], pagerduty_services: c.services },
      });
      await incidentOf(world, request.id);
      if (c.approve) {
        await world.auth.waitFor(() => world.auth.request(request.id)?.state !== "PENDING", {
          description: "the request approved",
        });
        const decided = world.auth.request(request.id)!;
        assert.equal(decided.state, "APPROVED");
        assert.equal(decided.reviews.length, 1);
        assert.equal(decided.reviews[0].author, PLUGIN_USER);
        if (c.reason) assert.match(decided.reviews[0].reason, c.reason);
        const incident = await resolvedIncident(world, request.id);
        assert.match(notesOf(incident).join("\n"), /Access request has been approved/);
        assert.equal(record(world, request.id).autoApproval, "approved");
      } else {
        // The check ends with a refusal in the metrics; then the request must still be pending.
        await untilMetric(handle, REFUSED);
        const current = await settled(world, request.id);
        assert.equal(current?.state, "PENDING");
        assert.equal(current?.reviews.length, 0);
      }
    });
  });
}
