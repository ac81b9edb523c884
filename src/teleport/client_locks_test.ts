import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { ACCESS_PLUGIN_WITH_LOCKS_PERMISSIONS } from "../fakes/auth/rbac.ts";
import { PLUGIN_USER, startHarness } from "../testing/teleport_harness.ts";
import { TeleportError } from "./types.ts";

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

Deno.test("upsertLock locks the request until the expiry, as the plugin's user", async () => {
  await using h = await startHarness({ permissions: ACCESS_PLUGIN_WITH_LOCKS_PERMISSIONS });
  const { id } = h.auth.createAccessRequest({ user: "alice@example.com" });
  const expires = new Date(Date.now() + 3_600_000);
  assert.equal(h.auth.isRequestLocked(id), false);
  await h.client.upsertLock({
    name: `pagerduty-${id}`,
    message: "Your access ended.",
    expires,
    target: { accessRequest: id },
  });
  assert.equal(h.auth.isRequestLocked(id), true);
  const stored = h.auth.lock(`pagerduty-${id}`);
  assert.equal(stored?.createdBy, PLUGIN_USER, "the Auth Service records the caller");
  assert.equal(stored?.expires?.getTime(), Math.floor(expires.getTime()));
  const read = await h.client.getLock(`pagerduty-${id}`);
  assert.deepEqual(read && { ...read, createdAt: undefined }, {
    name: `pagerduty-${id}`,
    message: "Your access ended.",
    expires,
    target: { accessRequest: id },
    createdAt: undefined,
    createdBy: PLUGIN_USER,
  });
  assert.ok(read?.createdAt instanceof Date);
  // Writing it again replaces it: still one lock.
  await h.client.upsertLock({
    name: `pagerduty-${id}`,
    message: "Again.",
    expires,
    target: { accessRequest: id },
  });
  assert.deepEqual(h.auth.locks().map((l) => l.message), ["Again."]);
  assert.equal(await h.client.getLock("pagerduty-nothing"), undefined);
});

Deno.test("getLocks filters by access request and leaves out expired locks when asked", async () => {
  await using h = await startHarness({
    permissions: {
      ...ACCESS_PLUGIN_WITH_LOCKS_PERMISSIONS,
      rules: { ...ACCESS_PLUGIN_WITH_LOCKS_PERMISSIONS.rules, lock: ["list", "read"] },
    },
  });
  const now = Date.now();
  h.auth.putLock({ name: "a", target: { accessRequest: "r1" } });
  h.auth.putLock({ name: "b", target: { accessRequest: "r2" }, expires: new Date(now - 1000) });
  h.auth.putLock({ name: "c", target: { user: "mallory" } });
  const names = async (query: Parameters<typeof h.client.getLocks>[0]) =>
    (await h.client.getLocks(query)).map((l) => l.name);
  assert.deepEqual(await names({}), ["a", "c"], "b was deleted at its expiry");
  h.auth.putLock({
    name: "b",
    target: { accessRequest: "r2" },
    expires: new Date(now + 60_000),
  });
  assert.deepEqual(await names({ accessRequests: ["r1", "r2"] }), ["a", "b"]);
  assert.deepEqual(await names({ accessRequests: ["r1"], inForceOnly: true }), ["a"]);
  const c = (await h.client.getLocks({})).find((l) => l.name === "c");
  assert.equal(c?.target.accessRequest, "", "a lock on something else has no request");
});

Deno.test("lock calls without the lock rules fail with the rule to add", async () => {
  await using h = await startHarness();
  const upsert = await teleportError(() =>
    h.client.upsertLock({
      name: "pagerduty-x",
      message: "m",
      expires: undefined,
      target: { accessRequest: "x" },
    })
  );
  assert.equal(upsert.kind, "permission_denied");
  assert.equal(upsert.grpcCode, grpc.status.PERMISSION_DENIED);
  assert.match(upsert.message, /may not lock access request x \(lock pagerduty-x\)/);
  assert.match(upsert.message, /`lock: \[create, update\]`/);
  const read = await teleportError(() => h.client.getLock("pagerduty-x"));
  assert.match(read.message, /`lock: \[read\]`/);
  const list = await teleportError(() => h.client.getLocks({}));
  assert.match(list.message, /`lock: \[list, read\]`/);
  assert.equal(h.auth.locks().length, 0);
});

Deno.test("a lock without a target is refused as invalid", async () => {
  await using h = await startHarness({ permissions: ACCESS_PLUGIN_WITH_LOCKS_PERMISSIONS });
  const error = await teleportError(() =>
    h.client.upsertLock({
      name: "x",
      message: "",
      expires: undefined,
      target: { accessRequest: "" },
    })
  );
  assert.equal(error.kind, "invalid_argument");
  assert.match(error.message, /at least one target field must be set/);
});
