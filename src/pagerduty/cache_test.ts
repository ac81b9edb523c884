import assert from "node:assert/strict";
import { LookupCache } from "./cache.ts";
import { fakeClock } from "../testing/pagerduty_harness.ts";

/** A cache of "ids by name" whose loads are counted; `undefined` means not found. */
function setup(options: { ttlMs?: number; negativeTtlMs?: number; maxEntries?: number } = {}) {
  const { clock, fake } = fakeClock();
  const cache = new LookupCache<string | undefined>({
    ttlMs: options.ttlMs ?? 300_000,
    negativeTtlMs: options.negativeTtlMs ?? 60_000,
    maxEntries: options.maxEntries ?? 100,
    isNegative: (value) => value === undefined,
    clock,
  });
  const loads: string[] = [];
  const known = new Map([["web", "P1"], ["db", "P2"]]);
  const get = (key: string) =>
    cache.get(key, () => {
      loads.push(key);
      return Promise.resolve(known.get(key));
    });
  return { cache, fake, loads, known, get };
}

Deno.test("concurrent look-ups of one key share one load", async () => {
  const { cache } = setup();
  let loads = 0;
  let release!: (value: string) => void;
  const load = () => {
    loads++;
    return new Promise<string | undefined>((resolve) => release = resolve);
  };
  const all = Promise.all([cache.get("web", load), cache.get("web", load), cache.get("web", load)]);
  release("P1");
  assert.deepEqual(await all, ["P1", "P1", "P1"]);
  assert.equal(loads, 1);
});

Deno.test("found values live the TTL, then are loaded again", async () => {
  const { fake, loads, known, get } = setup();
  assert.equal(await get("web"), "P1");
  known.set("web", "P9");
  await fake.tickAsync(299_999);
  assert.equal(await get("web"), "P1");
  await fake.tickAsync(1);
  assert.equal(await get("web"), "P9");
  assert.deepEqual(loads, ["web", "web"]);
});

Deno.test("not-found answers live the shorter negative TTL", async () => {
  const { fake, loads, known, get } = setup();
  assert.equal(await get("new"), undefined);
  known.set("new", "P3");
  await fake.tickAsync(59_999);
  assert.equal(await get("new"), undefined, "still the cached miss");
  await fake.tickAsync(1);
  assert.equal(await get("new"), "P3", "the service created meanwhile is found");
  assert.deepEqual(loads, ["new", "new"]);
});

Deno.test("failed loads are not cached and reach every waiting caller", async () => {
  const { cache } = setup();
  let loads = 0;
  const failing = () => {
    loads++;
    return Promise.reject(new Error("PagerDuty is down"));
  };
  const results = await Promise.allSettled([cache.get("web", failing), cache.get("web", failing)]);
  assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
  assert.equal(await cache.get("web", () => Promise.resolve("P1")), "P1");
  assert.equal(loads, 1);
});

Deno.test("the cache keeps at most maxEntries keys, dropping the least recently used", async () => {
  const { loads, get } = setup({ maxEntries: 2 });
  await get("web");
  await get("db");
  await get("web"); // web is now the most recently used
  await get("mail"); // evicts db
  assert.deepEqual(loads, ["web", "db", "mail"]);
  await get("web");
  await get("db");
  assert.deepEqual(loads, ["web", "db", "mail", "db"]);
});

Deno.test("a zero TTL still shares concurrent loads but keeps nothing", async () => {
  const { loads, get } = setup({ ttlMs: 0, negativeTtlMs: 0 });
  await Promise.all([get("web"), get("web")]);
  await get("web");
  assert.deepEqual(loads, ["web", "web"]);
});
