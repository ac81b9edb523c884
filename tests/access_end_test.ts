/**
 * Access that ends early, end to end: the real service against the fake Auth Service and the
 * fake PagerDuty. Shifts end a few real seconds after the request; nothing here asserts how
 * long anything took, only that the lock never comes before its time and always comes after it.
 */

import assert from "node:assert/strict";
import { lockName } from "../src/app/locks.ts";
import { decodeRecord, PLUGIN_NAME, type RequestRecord } from "../src/app/plugin_data.ts";
import { ACCESS_PLUGIN_WITH_LOCKS_PERMISSIONS } from "../src/fakes/auth/rbac.ts";
import type { IncidentRecord } from "../src/fakes/pagerduty/mod.ts";
import type { World } from "../src/fakes/world.ts";
import type { AccessRequest, Lock } from "../src/teleport/types.ts";
import { startTestService, withService } from "./harness.ts";

const NOTIFY = "Teleport Access Requests";
/** How far ahead a shift ends: far more than the service needs to approve on a loaded machine. */
const SHIFT_MS = 3_000;
/** Waiting for a lock that falls due a few seconds later. */
const LOCK_WAIT_MS = 20_000;

const SHIFT_WORLD = {
  world: { pluginPermissions: ACCESS_PLUGIN_WITH_LOCKS_PERMISSIONS },
  config: { accessEnd: { endWithShift: true } },
};

function incidentWorld(pollMs: number) {
  return {
    world: { pluginPermissions: ACCESS_PLUGIN_WITH_LOCKS_PERMISSIONS },
    config: { accessEnd: { incidentAccess: true, incidentPollIntervalMs: pollMs } },
  };
}

function record(world: World, id: string): RequestRecord {
  return decodeRecord(world.auth.pluginData(id, PLUGIN_NAME));
}

/**
 * Resolves once `predicate` holds, checked every few milliseconds: for state of the service
 * itself, which no fake announces.
 */
async function until(predicate: () => boolean, description: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${description}.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Alice's only on-call entries: Platform level 1 from now until each end in turn. */
function aliceShifts(world: World, ends: readonly number[]): void {
  const { alice, platformPolicy, platformSchedule } = world.account;
  world.pagerduty.removeOnCalls({ userId: alice.id });
  let start = Date.now() - 60_000;
  for (const end of ends) {
    world.pagerduty.putOnCall({
      userId: alice.id,
      escalationPolicyId: platformPolicy.id,
      scheduleId: platformSchedule.id,
      start: new Date(start),
      end: new Date(end),
    });
    start = end;
  }
}

function requestFrom(
  world: World,
  user: string,
  reason: string,
  annotations: Record<string, string[]>,
) {
  return world.auth.createAccessRequest({
    user,
    roles: ["editor"],
    reason,
    systemAnnotations: { pagerduty_notify_service: [NOTIFY], ...annotations },
  });
}

async function approvedByService(world: World, id: string): Promise<AccessRequest> {
  await world.auth.waitFor(() => world.auth.request(id)?.state === "APPROVED", {
    timeoutMs: 10_000,
    description: `request ${id} approved`,
  });
  const request = world.auth.request(id)!;
  assert.equal(request.reviews[0].author, "teleport-plugin");
  return request;
}

async function lockOf(world: World, id: string): Promise<Lock> {
  await world.auth.waitFor(() => world.auth.isRequestLocked(id), {
    timeoutMs: LOCK_WAIT_MS,
    description: `request ${id} locked`,
  });
  return world.auth.lock(lockName(id))!;
}

/** The access-request incident of the request, once its lock note is on it. */
async function lockNoted(world: World, id: string): Promise<IncidentRecord> {
  await world.auth.waitFor(() => record(world, id).accessEnd.locked !== "", {
    timeoutMs: LOCK_WAIT_MS,
    description: `the lock of ${id} recorded`,
  });
  return world.pagerduty.incident(record(world, id).incidentId)!;
}

function lockNotes(incident: IncidentRecord): string[] {
  return incident.notes.map((n) => n.content).filter((c) => c.startsWith("Access from this"));
}

Deno.test("shift end: the on-call requester's access is locked when the shift ends, not before", async () => {
  await withService(SHIFT_WORLD, async (world) => {
    const end = Date.now() + SHIFT_MS;
    aliceShifts(world, [end]);
    const request = requestFrom(world, "alice@example.com", "checkout is slow", {
      pagerduty_services: ["Platform"],
    });
    const approved = await approvedByService(world, request.id);
    const endText = new Date(end).toISOString().replace(/\.\d{3}Z$/, "Z");
    assert.match(
      approved.reviews[0].reason,
      new RegExp(`the access ends when the on-call shift ends at ${endText}$`),
    );
    assert.equal(world.auth.isRequestLocked(request.id), false, "usable while the shift lasts");
    const lock = await lockOf(world, request.id);
    assert.ok(lock.createdAt!.getTime() >= end, "locked at the shift's end, not before");
    assert.equal(
      lock.message,
      `Your access from request ${request.id} ended: your PagerDuty on-call shift ended at ${endText}.`,
    );
    assert.equal(lock.expires?.getTime(), approved.accessExpires?.getTime());
    const incident = await lockNoted(world, request.id);
    assert.equal(lockNotes(incident).length, 1);
    assert.equal(record(world, request.id).accessEnd.locked, "shift_ended");
  });
});

Deno.test("shift end: a back-to-back shift postpones the lock to its own end", async () => {
  await withService(SHIFT_WORLD, async (world) => {
    const first = Date.now() + SHIFT_MS;
    const second = first + 2_000;
    aliceShifts(world, [first, second]);
    const request = requestFrom(world, "alice@example.com", "checkout is slow", {
      pagerduty_services: ["Platform"],
    });
    await approvedByService(world, request.id);
    const lock = await lockOf(world, request.id);
    assert.ok(lock.createdAt!.getTime() >= second, "not at the first shift's end");
    assert.match(
      lock.message,
      new RegExp(`shift ended at ${new Date(second).toISOString().slice(0, 19)}Z\\.$`),
    );
  });
});

Deno.test("shift end: a permanent on-call plans no lock", async () => {
  await withService(SHIFT_WORLD, async (world) => {
    // Carol is on call permanently at level 2 of the Platform policy.
    const request = requestFrom(world, "carol@example.com", "on-call manager", {
      pagerduty_services: ["Platform"],
    });
    const approved = await approvedByService(world, request.id);
    assert.match(
      approved.reviews[0].reason,
      /on call permanently, so the access lasts until the request expires$/,
    );
    await world.auth.waitFor(() => record(world, request.id).autoApproval === "approved", {
      description: "the approval recorded",
    });
    assert.deepEqual(record(world, request.id).scheduled, []);
    assert.equal(world.auth.isRequestLocked(request.id), false);
  });
});

Deno.test("incident access: a responder is approved, and locked once the incident is resolved (poll)", async () => {
  await withService(incidentWorld(200), async (world, handle) => {
    const { dave, databaseService } = world.account;
    const incident = world.pagerduty.act((account, now) =>
      account.createIncident(
        { title: "Replication lag", serviceId: databaseService.id },
        dave.id,
        now,
      )
    );
    const request = requestFrom(
      world,
      "dave@example.com",
      `Working on https://fake.pagerduty.com/incidents/${incident.id}`,
      { pagerduty_incident_services: ["Databases"] },
    );
    const approved = await approvedByService(world, request.id);
    assert.match(
      approved.reviews[0].reason,
      new RegExp(`who is assigned to PagerDuty incident #${incident.number} "Replication lag"`),
    );
    await world.pagerduty.waitFor(() => world.pagerduty.callsTo("listIncidents").length >= 2, {
      description: "two polls",
    });
    assert.equal(
      world.auth.isRequestLocked(request.id),
      false,
      "usable while the incident is open",
    );
    world.pagerduty.updateIncidentAs(incident.id, dave.id, { status: "resolved" });
    const lock = await lockOf(world, request.id);
    assert.equal(
      lock.message,
      `Your access from request ${request.id} ended: PagerDuty incident #${incident.number} "Replication lag" was resolved.`,
    );
    const noted = await lockNoted(world, request.id);
    assert.match(lockNotes(noted)[0], /Replication lag.* was resolved\./);
    await until(() => handle.service.lifecycle.incidentWatch.size === 0, "the watch ended");
  });
});

Deno.test("incident access: the incident.resolved webhook locks at once, without waiting for a poll", async () => {
  // Polls every 15 minutes: only the webhook path can lock within the test.
  await withService(incidentWorld(15 * 60_000), async (world, handle) => {
    const { dave, databaseService } = world.account;
    const incident = world.pagerduty.act((account, now) =>
      account.createIncident(
        { title: "Replication lag", serviceId: databaseService.id },
        dave.id,
        now,
      )
    );
    const request = requestFrom(world, "dave@example.com", `Working on ${incident.id}`, {
      pagerduty_incident_services: ["Databases"],
    });
    await approvedByService(world, request.id);
    await until(() => handle.service.lifecycle.incidentWatch.size === 1, "the incident watched");
    const lifecycle = handle.service.lifecycle;
    assert.equal(
      await lifecycle.incidentResolved(incident.id),
      0,
      "an open incident locks nothing",
    );
    world.pagerduty.updateIncidentAs(incident.id, dave.id, { status: "resolved" });
    assert.equal(await lifecycle.incidentResolved(incident.id), 1);
    await lockOf(world, request.id);
    assert.equal(world.pagerduty.callsTo("listIncidents").length, 0, "no poll happened");
  });
});

Deno.test("incident access: each refusal leaves the request pending with a note saying why", async () => {
  await withService(incidentWorld(200), async (world) => {
    const { alice, dave, databaseService, platformService } = world.account;
    const open = (title: string, serviceId: string) =>
      world.pagerduty.act((account, now) =>
        account.createIncident({ title, serviceId }, dave.id, now)
      );
    const resolved = open("Old outage", databaseService.id);
    world.pagerduty.updateIncidentAs(resolved.id, dave.id, { status: "resolved" });
    const platform = open("Platform outage", platformService.id);
    const notOnIt = world.pagerduty.act((account, now) =>
      account.createIncident(
        { title: "Someone else's", serviceId: databaseService.id, assigneeIds: [alice.id] },
        dave.id,
        now,
      )
    );
    const mine = open("Replication lag", databaseService.id);
    const annotated = { pagerduty_incident_services: ["Databases"] };
    const cases: Array<[string, Record<string, string[]>, RegExp]> = [
      [`See ${resolved.id}`, annotated, /"Old outage" is resolved/],
      [`See ${platform.id}`, annotated, /is in service Platform, not in Databases/],
      [`See ${notOnIt.id}`, annotated, /Dave Davis \(dave@example\.com\) is neither assigned to/],
      [
        `See ${mine.id}`,
        {},
        /name no PagerDuty services in annotation pagerduty_incident_services/,
      ],
      ["See https://fake.pagerduty.com/incidents/PNOSUCH", annotated, /PNOSUCH does not exist/],
    ];
    const requests = cases.map(([reason, annotations]) =>
      requestFrom(world, "dave@example.com", reason, annotations)
    );
    for (const [index, request] of requests.entries()) {
      await world.auth.waitFor(
        () => record(world, request.id).accessEnd.incidentApproval === "refused",
        { description: `the refusal of ${request.id} recorded` },
      );
      const incident = world.pagerduty.incident(record(world, request.id).incidentId)!;
      const notes = incident.notes.map((n) => n.content);
      assert.equal(notes.length, 1, notes.join("\n---\n"));
      assert.match(
        notes[0],
        /^Not approved automatically for the cited PagerDuty incident; the request is left for a reviewer:/,
      );
      assert.match(notes[0], cases[index][2]);
      assert.equal(world.auth.request(request.id)?.state, "PENDING");
      assert.equal(incident.status, "triggered", "the request is still waiting for a human");
    }
  });
});

Deno.test("two instances lock a request once", async () => {
  await withService(incidentWorld(100), async (world, first) => {
    const second = await startTestService(world, incidentWorld(100).config);
    try {
      const upserts: string[] = [];
      const stop = world.auth.onLock((lock) => upserts.push(lock.name));
      const { dave, databaseService } = world.account;
      const incident = world.pagerduty.act((account, now) =>
        account.createIncident(
          { title: "Replication lag", serviceId: databaseService.id },
          dave.id,
          now,
        )
      );
      const request = requestFrom(world, "dave@example.com", `Working on ${incident.id}`, {
        pagerduty_incident_services: ["Databases"],
      });
      await approvedByService(world, request.id);
      // Both learn of the approval, as the periodic reconciliation would tell them.
      for (const { service } of [first, second]) {
        await service.lifecycle.reconcile();
        await service.lifecycle.idle();
        assert.equal(service.lifecycle.incidentWatch.size, 1);
      }
      world.pagerduty.updateIncidentAs(incident.id, dave.id, { status: "resolved" });
      await lockNoted(world, request.id);
      for (const { service } of [first, second]) {
        await until(() => service.lifecycle.incidentWatch.size === 0, "both done watching");
        await service.lifecycle.idle();
      }
      stop();
      assert.deepEqual(upserts, [lockName(request.id)]);
      const noted = world.pagerduty.incident(record(world, request.id).incidentId)!;
      assert.equal(lockNotes(noted).length, 1);
    } finally {
      await second.stop();
    }
  });
});
