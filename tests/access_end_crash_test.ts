/**
 * A lock that falls due while the service is down: the real CLI (`main.ts start`) is killed with
 * SIGKILL between an on-call approval and the end of the shift, and started again after it;
 * the lock the shift's end called for is written once it is back.
 */

import assert from "node:assert/strict";
import { lockName } from "../src/app/locks.ts";
import { decodeRecord, PLUGIN_NAME } from "../src/app/plugin_data.ts";
import { type Running, spawnDeno } from "../src/testing/deno_process.ts";
import { ACCESS_PLUGIN_WITH_LOCKS_PERMISSIONS } from "../src/fakes/auth/rbac.ts";
import { World } from "../src/fakes/world.ts";

/** Starts the CLI and waits until its watch is open. */
async function startCli(world: World, config: string): Promise<Running> {
  const cli = spawnDeno(["run", "-A", "main.ts", "start", "-c", config]);
  const exited = cli.finished().then((f) => {
    throw new Error(`the service exited (code ${f.code}) before watching:\n${f.stderr}`);
  });
  exited.catch(() => {});
  await Promise.race([
    world.auth.waitFor(() => world.auth.watcherCount > 0, {
      timeoutMs: 30_000,
      description: "the CLI watching",
    }),
    exited,
  ]);
  return cli;
}

Deno.test("a shift that ends while the CLI is killed is locked once it is back", async () => {
  const world = await World.start({ pluginPermissions: ACCESS_PLUGIN_WITH_LOCKS_PERMISSIONS });
  const clis: Running[] = [];
  try {
    const config = await world.writeConfigFile({ accessEnd: { endWithShift: true } });
    clis.push(await startCli(world, config));
    const { alice, platformPolicy, platformSchedule } = world.account;
    world.pagerduty.removeOnCalls({ userId: alice.id });
    const end = Date.now() + 3_000;
    world.pagerduty.putOnCall({
      userId: alice.id,
      escalationPolicyId: platformPolicy.id,
      scheduleId: platformSchedule.id,
      start: new Date(end - 3_600_000),
      end: new Date(end),
    });
    const request = world.auth.createAccessRequest({
      user: "alice@example.com",
      roles: ["editor"],
      reason: "checkout is slow",
      systemAnnotations: {
        pagerduty_notify_service: ["Teleport Access Requests"],
        pagerduty_services: ["Platform"],
      },
    });
    const data = () => decodeRecord(world.auth.pluginData(request.id, PLUGIN_NAME));
    await world.auth.waitFor(() => data().autoApproval === "approved", {
      timeoutMs: 20_000,
      description: "the on-call approval recorded",
    });
    assert.equal(world.auth.request(request.id)?.state, "APPROVED");
    // Killed between runs: a run killed mid-way would hold the request's lease for 30 s more.
    await world.auth.waitFor(() => data().resolution === "approved" && !data().lease, {
      timeoutMs: 20_000,
      description: "the request's incident resolved and its lease given back",
    });
    assert.equal(data().scheduled[0]?.dueAt, end, "the shift's end is planned");

    clis[0].kill("SIGKILL");
    await clis[0].finished();
    await world.auth.waitFor(() => world.auth.watcherCount === 0, {
      timeoutMs: 10_000,
      description: "the killed CLI's watch closed",
    });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, end - Date.now()) + 200));
    assert.equal(world.auth.isRequestLocked(request.id), false, "nobody locks while it is down");

    clis.push(await startCli(world, config));
    await world.auth.waitFor(() => data().accessEnd.locked === "shift_ended", {
      timeoutMs: 30_000,
      description: "the lock recorded after the restart",
    });
    const lock = world.auth.lock(lockName(request.id))!;
    assert.ok(world.auth.isRequestLocked(request.id));
    assert.ok(lock.createdAt!.getTime() >= end);
    assert.match(lock.message, /your PagerDuty on-call shift ended at /);
    const incident = world.pagerduty.incident(data().incidentId)!;
    assert.equal(
      incident.notes.filter((n) => n.content.startsWith("Access from this request")).length,
      1,
    );
  } finally {
    for (const cli of clis) {
      try {
        cli.kill("SIGKILL");
      } catch {
        // Already ended (killed by the test).
      }
      await cli.finished();
    }
    await world.stop();
  }
});
