import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { casArguments, modifyPluginData } from "./plugin_data.ts";
import { TeleportError } from "./types.ts";
import { startHarness } from "../testing/teleport_harness.ts";

Deno.test("casArguments expects exactly what was read and blanks removed keys", () => {
  assert.deepEqual(casArguments(undefined, { a: "1" }), { set: { a: "1" }, expect: { a: "" } });
  assert.deepEqual(casArguments({ a: "1", b: "2" }, { a: "3", c: "4" }), {
    set: { a: "3", b: "", c: "4" },
    expect: { a: "1", b: "2", c: "" },
  });
});

Deno.test("concurrent read-modify-writes all land: conflicts are retried", async () => {
  await using h = await startHarness();
  const { id } = h.auth.createAccessRequest({ user: "alice@example.com" });
  const increment = (current: Readonly<Record<string, string>> | undefined) => ({
    ...current,
    count: String(Number(current?.count ?? "0") + 1),
  });
  const results = await Promise.all(
    Array.from(
      { length: 8 },
      () => modifyPluginData(h.client, id, "pagerduty", increment, { maxAttempts: 50 }),
    ),
  );
  assert.deepEqual(h.auth.pluginData(id, "pagerduty"), { count: "8" });
  assert.ok(results.every((r) => r.written));
  assert.ok(results.some((r) => r.attempts > 1), "at least one writer hit a conflict");
  assert.deepEqual(results.map((r) => r.data?.count).sort(), [
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
  ]);
});

Deno.test("an update returning undefined writes nothing; removed keys are deleted", async () => {
  await using h = await startHarness();
  const { id } = h.auth.createAccessRequest({ user: "alice@example.com" });
  await modifyPluginData(h.client, id, "pagerduty", () => ({ a: "1", b: "2" }));
  const noop = await modifyPluginData(h.client, id, "pagerduty", () => undefined);
  assert.deepEqual(noop, { data: { a: "1", b: "2" }, written: false, attempts: 1 });
  assert.equal(h.auth.callCount("UpdatePluginData"), 1);
  const result = await modifyPluginData(h.client, id, "pagerduty", () => ({ a: "1" }));
  assert.deepEqual(result.data, { a: "1" });
  assert.deepEqual(h.auth.pluginData(id, "pagerduty"), { a: "1" });
});

Deno.test("gives up after maxAttempts conflicts with a compare_failed naming the request", async () => {
  await using h = await startHarness();
  const { id } = h.auth.createAccessRequest({ user: "alice@example.com" });
  h.auth.failNext("UpdatePluginData", 3, {
    code: grpc.status.FAILED_PRECONDITION,
    message: 'expectations not met for field "count"',
  });
  await assert.rejects(
    modifyPluginData(h.client, id, "pagerduty", () => ({ count: "1" }), {
      maxAttempts: 3,
      backoff: { baseMs: 1, maxMs: 2 },
    }),
    (error: unknown) => {
      assert.ok(error instanceof TeleportError);
      assert.equal(error.kind, "compare_failed");
      assert.match(error.message, new RegExp(`access request ${id} after 3 attempt\\(s\\)`));
      return true;
    },
  );
  assert.equal(h.auth.callCount("UpdatePluginData"), 3);
  assert.equal(h.auth.pluginData(id, "pagerduty"), undefined);
});

Deno.test("errors other than conflicts are not retried", async () => {
  await using h = await startHarness();
  await assert.rejects(
    modifyPluginData(h.client, "no-such-request", "pagerduty", () => ({ a: "1" })),
    (error: unknown) => error instanceof TeleportError && error.kind === "not_found",
  );
  assert.equal(h.auth.callCount("UpdatePluginData"), 1);
});

Deno.test("known data saves the first read; a stale copy is caught and re-read", async () => {
  await using h = await startHarness();
  const { id } = h.auth.createAccessRequest({ user: "alice@example.com" });
  await modifyPluginData(h.client, id, "pagerduty", () => ({ count: "1" }));
  const reads = h.auth.callCount("GetPluginData");
  const fresh = await modifyPluginData(h.client, id, "pagerduty", () => ({ count: "2" }), {
    known: { count: "1" },
  });
  assert.equal(fresh.attempts, 1);
  assert.equal(h.auth.callCount("GetPluginData"), reads, "no read when the known data is current");
  const stale = await modifyPluginData(
    h.client,
    id,
    "pagerduty",
    (current) => ({ count: String(Number(current?.count) + 1) }),
    { known: { count: "1" } },
  );
  assert.equal(stale.attempts, 2);
  assert.deepEqual(h.auth.pluginData(id, "pagerduty"), { count: "3" });
});
