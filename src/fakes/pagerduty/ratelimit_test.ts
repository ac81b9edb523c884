import assert from "node:assert/strict";
import { RateLimiter } from "./ratelimit.ts";
import { FakePagerDuty } from "./server.ts";

Deno.test("sliding window: counts per token, refuses at the limit, frees slots as they age out", () => {
  const limiter = new RateLimiter(3);
  const t0 = 1_000_000;
  assert.deepEqual(limiter.evaluate("a", "listUsers", t0), {
    allowed: true,
    limit: 3,
    remaining: 2,
    resetSeconds: 60,
  });
  assert.equal(limiter.evaluate("a", "listUsers", t0 + 10_000)?.remaining, 1);
  assert.equal(limiter.evaluate("a", "listUsers", t0 + 20_000)?.remaining, 0);
  const refused = limiter.evaluate("a", "listUsers", t0 + 30_000);
  assert.deepEqual(refused, { allowed: false, limit: 3, remaining: 0, resetSeconds: 30 });
  assert.equal(
    limiter.evaluate("b", "listUsers", t0 + 30_000)?.allowed,
    true,
    "another token has its own window",
  );
  // Refused requests do not count: the first slot frees exactly 60 s after the first request.
  assert.equal(limiter.evaluate("a", "listUsers", t0 + 59_999)?.allowed, false);
  assert.equal(limiter.evaluate("a", "listUsers", t0 + 60_000)?.allowed, true);
});

Deno.test("an operation limit is stricter than the general one and its headers win when tighter", () => {
  const limiter = new RateLimiter(100, { createIncident: 2 });
  assert.deepEqual(limiter.evaluate("a", "createIncident", 0), {
    allowed: true,
    limit: 2,
    remaining: 1,
    resetSeconds: 60,
  });
  assert.equal(limiter.evaluate("a", "createIncident", 1)?.remaining, 0);
  assert.equal(limiter.evaluate("a", "createIncident", 2)?.allowed, false);
  assert.deepEqual(limiter.evaluate("a", "listUsers", 3), {
    allowed: true,
    limit: 100,
    remaining: 97,
    resetSeconds: 60,
  });
  assert.equal(
    new RateLimiter(undefined).evaluate("a", "listUsers", 0),
    undefined,
    "no limit, no headers",
  );
});

Deno.test("the server sends ratelimit-* headers on evaluated requests and a 429 past the limit", async () => {
  let now = Date.parse("2026-01-01T00:00:00Z");
  await using pd = await FakePagerDuty.start({ rateLimitPerMinute: 2, clock: () => now });
  const get = async (token = pd.apiKey) => {
    const r = await fetch(`${pd.url}/abilities`, {
      headers: {
        Accept: "application/vnd.pagerduty+json;version=2",
        Authorization: `Token token=${token}`,
      },
    });
    const body = await r.text();
    return { status: r.status, body, headers: r.headers };
  };
  const first = await get();
  assert.equal(first.status, 200);
  assert.equal(first.headers.get("ratelimit-limit"), "2");
  assert.equal(first.headers.get("ratelimit-remaining"), "1");
  assert.equal(first.headers.get("ratelimit-reset"), "60");
  now += 15_000;
  assert.equal((await get()).headers.get("ratelimit-remaining"), "0");
  const limited = await get();
  assert.equal(limited.status, 429);
  assert.deepEqual(JSON.parse(limited.body), {
    error: { message: "Rate Limit Exceeded", code: 2020 },
  });
  assert.equal(limited.headers.get("ratelimit-reset"), "45");
  // Unauthenticated requests are not evaluated, so they carry no headers.
  const anonymous = await get("wrong");
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers.get("ratelimit-limit"), null);
  now += 45_000;
  assert.equal((await get()).status, 200);
});
