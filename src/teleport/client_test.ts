import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { TeleportClient } from "./client.ts";
import { TeleportError } from "./types.ts";
import { PLUGIN_USER, startHarness } from "../testing/teleport_harness.ts";
import { IdentitySource } from "./identity_source.ts";
import { writeIdentityFile } from "../fakes/pki.ts";

/** Runs `fn` and returns the TeleportError it must throw. */
async function teleportError(fn: () => Promise<unknown>): Promise<TeleportError> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof TeleportError, `expected a TeleportError, got ${error}`);
    return error;
  }
  assert.fail("expected the call to fail");
}

Deno.test("ping reports the cluster over mTLS with the identity file", async () => {
  await using h = await startHarness();
  const info = await h.client.ping();
  assert.equal(info.clusterName, "example.com");
  assert.equal(info.serverVersion, "18.0.0");
  assert.equal(info.advancedAccessWorkflows, true);
  assert.equal(h.client.user, PLUGIN_USER);
});

Deno.test("listPendingRequests pages through every pending request and skips decided ones", async () => {
  await using h = await startHarness();
  const created = h.auth.createAccessRequests(
    Array.from({ length: 1203 }, (_, i) => ({ user: `user${i}@example.com`, roles: ["db"] })),
  );
  h.auth.setState(created[7].id, "APPROVED", "fine");
  h.auth.setState(created[1100].id, "DENIED", "no");
  const listed = [];
  for await (const request of h.client.listPendingRequests()) listed.push(request);
  assert.equal(listed.length, 1201);
  assert.ok(listed.every((r) => r.state === "PENDING"));
  const ids = new Set(listed.map((r) => r.id));
  assert.equal(ids.size, 1201);
  assert.ok(!ids.has(created[7].id) && !ids.has(created[1100].id));
  assert.ok(h.auth.callCount("ListAccessRequests") >= 3, "the listing must be paged");
});

Deno.test("listing falls back to GetAccessRequestsV2 where ListAccessRequests is unimplemented", async () => {
  await using h = await startHarness();
  const [a, b] = h.auth.createAccessRequests([{ user: "a@example.com" }, {
    user: "b@example.com",
  }]);
  h.auth.failNext("ListAccessRequests", 1, {
    code: grpc.status.UNIMPLEMENTED,
    message: "unknown method ListAccessRequests",
  });
  const listed = [];
  for await (const request of h.client.listPendingRequests()) listed.push(request.id);
  assert.deepEqual(listed.sort(), [a.id, b.id].sort());
  assert.equal(h.auth.callCount("GetAccessRequestsV2"), 1);
  // The fallback sticks: the next lookup goes straight to GetAccessRequestsV2.
  assert.equal((await h.client.getAccessRequest(b.id))?.user, "b@example.com");
  assert.equal(h.auth.callCount("ListAccessRequests"), 1);
  assert.equal(h.auth.callCount("GetAccessRequestsV2"), 2);
});

Deno.test("getAccessRequest finds a request by ID and returns undefined for a gone one", async () => {
  await using h = await startHarness();
  const request = h.auth.createAccessRequest({
    user: "alice@example.com",
    roles: ["db-admin"],
    reason: "incident 42",
    systemAnnotations: { pagerduty_services: ["DB"] },
  });
  const read = await h.client.getAccessRequest(request.id);
  assert.equal(read?.id, request.id);
  assert.equal(read?.requestReason, "incident 42");
  assert.deepEqual(read?.systemAnnotations, { pagerduty_services: ["DB"] });
  assert.ok(read?.created instanceof Date);
  h.auth.deleteRequest(request.id);
  assert.equal(await h.client.getAccessRequest(request.id), undefined);
});

Deno.test("plugin data: read absent, create, CAS update, conflict is compare_failed", async () => {
  await using h = await startHarness();
  const { id } = h.auth.createAccessRequest({ user: "alice@example.com" });
  assert.equal(await h.client.getPluginData(id, "pagerduty"), undefined);
  await h.client.updatePluginData(id, "pagerduty", { incident_id: "P1" }, { incident_id: "" });
  assert.deepEqual(await h.client.getPluginData(id, "pagerduty"), { incident_id: "P1" });
  const conflict = await teleportError(() =>
    h.client.updatePluginData(id, "pagerduty", { incident_id: "P2" }, { incident_id: "" })
  );
  assert.equal(conflict.kind, "compare_failed");
  assert.equal(conflict.grpcCode, grpc.status.FAILED_PRECONDITION);
  assert.match(conflict.message, /expectations not met/);
  assert.deepEqual(h.auth.pluginData(id, "pagerduty"), { incident_id: "P1" });
});

Deno.test("submitReview approves as the plugin user; a second review is already_exists", async () => {
  await using h = await startHarness();
  const { id } = h.auth.createAccessRequest({ user: "alice@example.com", roles: ["db"] });
  const after = await h.client.submitReview(id, {
    author: PLUGIN_USER,
    decision: "APPROVED",
    reason: "on call",
  });
  assert.equal(after.state, "APPROVED");
  assert.equal(after.reviews[0].author, PLUGIN_USER);
  assert.ok(after.reviews[0].created instanceof Date, "Created is sent as now");
  const again = await teleportError(() =>
    h.client.submitReview(id, { author: PLUGIN_USER, decision: "APPROVED", reason: "" })
  );
  assert.equal(again.kind, "already_exists");
  assert.match(again.message, /has already reviewed this request/);
});

Deno.test("a plugin without review rights gets an actionable permission error", async () => {
  await using h = await startHarness({
    permissions: { rules: { access_request: ["list", "read"] }, review: false },
  });
  const { id } = h.auth.createAccessRequest({ user: "alice@example.com" });
  const error = await teleportError(() =>
    h.client.submitReview(id, { author: PLUGIN_USER, decision: "APPROVED", reason: "" })
  );
  assert.equal(error.kind, "permission_denied");
  assert.match(error.message, /^The Teleport user "pagerduty-plugin" may not submit a review/);
  assert.match(error.message, /review_requests/);
  assert.equal(h.auth.request(id)?.state, "PENDING");
});

Deno.test("getUser uses UsersService and falls back to the legacy GetUser", async () => {
  await using h = await startHarness();
  h.auth.addUser({
    name: "alice",
    roles: ["dev"],
    traits: { pagerduty_email: ["alice@example.com"] },
  });
  const user = await h.client.getUser("alice");
  assert.deepEqual(user, {
    name: "alice",
    roles: ["dev"],
    traits: { pagerduty_email: ["alice@example.com"] },
  });
  h.auth.failNext("UsersService/GetUser", 1, {
    code: grpc.status.UNIMPLEMENTED,
    message: "unknown service teleport.users.v1.UsersService",
  });
  assert.deepEqual(await h.client.getUser("alice"), user);
  assert.equal(h.auth.callCount("GetUser"), 1);
  const missing = await teleportError(() => h.client.getUser("nobody"));
  assert.equal(missing.kind, "not_found");
});

Deno.test("listAccessMonitoringRules keeps the rules that notify this plugin about requests", async () => {
  await using h = await startHarness();
  const rule = (name: string, plugin: string, subjects = ["access_request"]) => ({
    name,
    subjects,
    states: [],
    condition: "true",
    notificationName: plugin,
    recipients: [`${name}-service`],
  });
  h.auth.putAccessMonitoringRule(rule("db", "pagerduty"));
  h.auth.putAccessMonitoringRule(rule("chat", "slack"));
  h.auth.putAccessMonitoringRule(rule("other", "pagerduty", ["access_list"]));
  const rules = await h.client.listAccessMonitoringRules("pagerduty");
  assert.deepEqual(rules.map((r) => [r.name, r.recipients]), [["db", ["db-service"]]]);
});

Deno.test("an address without a port fails at construction, naming teleport.addr", async () => {
  await using h = await startHarness();
  assert.throws(
    () => new TeleportClient({ addr: "localhost", credentials: h.credentials }),
    (error: unknown) =>
      error instanceof TeleportError && error.kind === "invalid_argument" &&
      /teleport\.addr "localhost" has no port/.test(error.message),
  );
});

Deno.test("a call after close fails as cancelled", async () => {
  await using h = await startHarness();
  h.client.close();
  const error = await teleportError(() => h.client.ping());
  assert.equal(error.kind, "cancelled");
});

Deno.test("a renewed identity file (IdentitySource) gives new calls a new channel", async () => {
  await using h = await startHarness();
  const path = await writeIdentityFile(h.dir, await h.auth.issueIdentity(PLUGIN_USER), "tbot");
  const source = await IdentitySource.open({ kind: "identity_file", path }, {
    refresh: true,
    intervalMs: 3_600_000,
  });
  const client = new TeleportClient({ addr: `localhost:${h.auth.port}`, credentials: source });
  try {
    const changes: number[] = [];
    client.onChannelChange((generation) => changes.push(generation));
    await client.ping();
    assert.equal(await source.refresh(), "unchanged");
    assert.equal(client.generation, 1);
    await writeIdentityFile(h.dir, await h.auth.issueIdentity(PLUGIN_USER), "tbot");
    assert.equal(await source.refresh(), "changed");
    assert.deepEqual(changes, [2]);
    assert.equal(client.generation, 2);
    assert.equal((await client.ping()).clusterName, "example.com");
  } finally {
    client.close();
    await source.close();
    await client.closed();
  }
});
