/**
 * A decision acknowledged to PagerDuty is never lost: the real CLI (`deno run -A main.ts start`)
 * is killed with SIGKILL right after it answered 2xx to a signed `/approve` webhook, while the
 * decision is still being carried out; started again, it finds the decision in the request's
 * plugin data and carries it out, once.
 */

import assert from "node:assert/strict";
import { decodeRecord, PLUGIN_NAME } from "../src/app/plugin_data.ts";
import { type Running, spawnDeno } from "../src/testing/deno_process.ts";
import { Secret } from "../src/config/types.ts";
import { annotatedEvent } from "../src/fakes/pagerduty/mod.ts";
import { PLUGIN_USER, World } from "../src/fakes/world.ts";
import { WEBHOOK_PATH } from "../src/http/routes.ts";

const SECRET = "whsec-crash-0123456789abcdef";
const WAIT = { timeoutMs: 30_000 };

/** Starts the CLI and resolves with it and its listener's port once it is watching. */
async function startCli(world: World, config: string): Promise<{ cli: Running; port: number }> {
  const cli = spawnDeno(["run", "-A", "main.ts", "start", "-c", config]);
  const exited = cli.finished().then((f) => {
    throw new Error(`the service exited (code ${f.code}) before watching:\n${f.stderr}`);
  });
  exited.catch(() => {});
  await Promise.race([
    world.auth.waitFor(() => world.auth.watcherCount > 0, {
      ...WAIT,
      description: "the CLI watching",
    }),
    exited,
  ]);
  await Promise.race([cli.waitFor("Listening for health and metrics"), exited]);
  const port = /Listening for health and metrics on \S*?:(\d+)/.exec(cli.stderrSoFar())?.[1];
  assert.ok(port, `the listener's port is logged:\n${cli.stderrSoFar()}`);
  return { cli, port: Number(port) };
}

Deno.test("the CLI killed right after acknowledging a decision carries it out after a restart, once", async () => {
  const world = await World.start();
  const running: Running[] = [];
  try {
    const config = await world.writeConfigFile({
      http: { listenAddr: "127.0.0.1:0" },
      logSeverity: "info",
      reviews: {
        webhookSecrets: [new Secret(SECRET)],
        secretFiles: [],
        approveWorkflows: [],
        denyWorkflows: [],
        approverEscalationLevels: [],
        approverEmails: [],
        approverTeams: [],
      },
    });
    const first = await startCli(world, config);
    running.push(first.cli);
    const request = world.auth.createAccessRequest({
      user: "erin@example.com",
      roles: ["editor"],
      reason: "deploy hotfix",
      systemAnnotations: { pagerduty_notify_service: [world.account.notifyService.name] },
    });
    const record = () => decodeRecord(world.auth.pluginData(request.id, PLUGIN_NAME));
    await world.auth.waitFor(() => record().incidentId !== "", WAIT);
    const incidentId = record().incidentId;
    const incident = world.pagerduty.incident(incidentId)!;

    // Looking the responder up takes long: the decision is still running when the CLI dies.
    world.pagerduty.setLatency(60_000, { operation: "getUser" });
    const event = annotatedEvent({
      incident: world.pagerduty.reference("incident", "incidents", incident.id, incident.title),
      noteId: "PNOTE01",
      content: "/approve restoring the replica",
      agent: world.pagerduty.userReference(world.account.carol.id),
    });
    const delivery = await world.pagerduty.sendWebhook(
      `http://127.0.0.1:${first.port}${WEBHOOK_PATH}`,
      event,
      { secret: SECRET, maxAttempts: 1 },
    );
    first.cli.kill("SIGKILL");
    await first.cli.finished();
    assert.equal(delivery.attempts[0].status, 202);
    assert.deepEqual(
      record().scheduled.map((job) => job.id),
      [`v3:${event.event.id}`],
      "the decision was stored before the 2xx",
    );
    assert.equal(
      world.auth.request(request.id)!.state,
      "PENDING",
      "not carried out before the kill",
    );
    await world.auth.waitFor(() => world.auth.watcherCount === 0, WAIT);

    world.pagerduty.setLatency(0, { operation: "getUser" });
    const second = await startCli(world, config);
    running.push(second.cli);
    await world.auth.waitFor(() => world.auth.request(request.id)?.state === "APPROVED", {
      ...WAIT,
      description: "the decision carried out after the restart",
    });
    const decided = await world.pagerduty.waitFor(
      () => world.pagerduty.notes(incidentId).find((n) => n.content.startsWith("Carol Chen")),
      { ...WAIT, description: "the decision's note" },
    );
    assert.equal(
      decided.content,
      `Carol Chen (carol@example.com) approved the access request with a /approve note on incident ${incidentId}. Teleport granted the request.`,
    );
    const approved = world.auth.request(request.id)!;
    assert.equal(approved.reviews.length, 1);
    assert.equal(approved.reviews[0].author, PLUGIN_USER);
    assert.match(
      approved.reviews[0].reason,
      /^Approved in PagerDuty by Carol Chen \(carol@example\.com\) with a \/approve note on incident \w+, who is on call at escalation level 1 in service Teleport Access Requests\. Reason: restoring the replica$/,
    );
    await world.auth.waitFor(() => record().scheduled.length === 0, WAIT);
    assert.deepEqual(record().jobsDone, [`v3:${event.event.id}`]);
    assert.equal(
      world.pagerduty.notes(incidentId).filter((n) => n.content.startsWith("Carol Chen")).length,
      1,
    );
  } finally {
    for (const cli of running) {
      try {
        cli.kill("SIGKILL");
      } catch {
        // Already ended.
      }
      await cli.finished();
    }
    await world.stop();
  }
});
