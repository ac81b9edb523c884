import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { KeyedQueue, mergeWork, type Work } from "./queue.ts";
import { makeRequest } from "../../tests/fixtures.ts";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

Deno.test("work for one key runs in order, never concurrently, newest state winning", async () => {
  const seen: string[] = [];
  const gate = deferred();
  let active = 0;
  const queue = new KeyedQueue<string>({
    concurrency: 4,
    handle: async (key, item) => {
      active++;
      assert.equal(active, 1, "one key never runs twice at once");
      seen.push(`${key}:${item}`);
      if (item === "v1") await gate.promise;
      active--;
    },
  });
  queue.submit("r", "v1");
  queue.submit("r", "v2");
  queue.submit("r", "v3");
  gate.resolve();
  await queue.idle();
  assert.deepEqual(seen, ["r:v1", "r:v3"]);
});

Deno.test("different keys run in parallel up to the bound", async () => {
  let active = 0;
  let peak = 0;
  const gates = Array.from({ length: 6 }, deferred);
  const queue = new KeyedQueue<number>({
    concurrency: 3,
    handle: async (_key, item) => {
      active++;
      peak = Math.max(peak, active);
      await gates[item].promise;
      active--;
    },
  });
  for (let i = 0; i < 6; i++) queue.submit(`k${i}`, i);
  assert.equal(queue.running, 3);
  assert.equal(queue.waiting, 3);
  for (const g of gates) g.resolve();
  await queue.idle();
  assert.equal(peak, 3);
  assert.equal(queue.waiting + queue.running, 0);
});

Deno.test("failed work is retried with backoff until it succeeds", async () => {
  const clock = FakeTimers.withGlobal(globalThis).install({
    toFake: ["setTimeout", "clearTimeout"],
  });
  try {
    const attempts: number[] = [];
    const failures: number[] = [];
    const queue = new KeyedQueue<string>({
      concurrency: 1,
      handle: (_key, _item, attempt) => {
        attempts.push(attempt);
        return attempt < 3 ? Promise.reject(new Error("pagerduty down")) : Promise.resolve();
      },
      retryDelayMs: (attempt) => attempt * 1000,
      onFailure: (_key, _error, _attempt, delay) => failures.push(delay),
    });
    queue.submit("r", "x");
    const idle = queue.idle();
    await clock.runAllAsync();
    await idle;
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.deepEqual(failures, [1000, 2000]);
  } finally {
    clock.uninstall();
  }
});

Deno.test("newer work replaces a failed item instead of retrying the stale one", async () => {
  const seen: string[] = [];
  const gate = deferred();
  const queue = new KeyedQueue<string>({
    concurrency: 1,
    handle: async (_key, item) => {
      seen.push(item);
      if (item === "old") {
        await gate.promise;
        throw new Error("failed");
      }
    },
    retryDelayMs: () => 0,
  });
  queue.submit("r", "old");
  queue.submit("r", "new");
  gate.resolve();
  await queue.idle();
  assert.deepEqual(seen, ["old", "new"]);
});

Deno.test("close cancels pending retries and waits for running work", async () => {
  const gate = deferred();
  let finished = false;
  const queue = new KeyedQueue<string>({
    concurrency: 1,
    handle: async (key) => {
      if (key === "slow") {
        await gate.promise;
        finished = true;
        return;
      }
      throw new Error("always fails");
    },
    retryDelayMs: () => 60_000,
  });
  queue.submit("fails", "x");
  await new Promise((r) => setTimeout(r, 0));
  queue.submit("slow", "y");
  const closed = queue.close();
  gate.resolve();
  await closed;
  assert.ok(finished);
  queue.submit("late", "z");
  assert.equal(queue.waiting + queue.running, 0);
});

Deno.test("close abandons newer work for a running key instead of waiting for it forever", async () => {
  const gate = deferred();
  const seen: string[] = [];
  const queue = new KeyedQueue<string>({
    concurrency: 1,
    handle: async (_key, item) => {
      seen.push(item);
      await gate.promise;
    },
  });
  queue.submit("r", "first");
  queue.submit("r", "newer");
  const closed = queue.close();
  gate.resolve();
  await closed;
  assert.deepEqual(seen, ["first"]);
  assert.equal(queue.waiting + queue.running, 0);
});

Deno.test("a failure retrying cannot fix is reported once and not retried", async () => {
  const given: string[] = [];
  let calls = 0;
  const queue = new KeyedQueue<string>({
    concurrency: 1,
    handle: () => {
      calls++;
      return Promise.reject(new Error("permission denied"));
    },
    retryDelayMs: () => 1,
    isPermanent: (error) => error instanceof Error && /permission/.test(error.message),
    onGiveUp: (key) => given.push(key),
  });
  queue.submit("r", "x");
  await queue.idle();
  assert.equal(calls, 1);
  assert.deepEqual(given, ["r"]);
  queue.submit("r", "newer work runs again");
  await queue.idle();
  assert.equal(calls, 2);
});

Deno.test("a wake-up merged into waiting work keeps that work's state; a deletion stays final", () => {
  const request = makeRequest();
  const put: Work = { kind: "put", request, firstSeen: 5, source: "watch" };
  const wake: Work = { kind: "wake", firstSeen: 3, source: "schedule" };
  const del: Work = { kind: "delete", firstSeen: 9, source: "watch" };
  assert.deepEqual(mergeWork(put, wake), { ...put, firstSeen: 3 });
  assert.deepEqual(mergeWork(wake, put), { ...put, firstSeen: 3 });
  assert.deepEqual(mergeWork(del, put), { ...del, firstSeen: 5 });
  assert.deepEqual(mergeWork(put, del), { ...del, firstSeen: 5 });
});
