import assert from "node:assert/strict";
import { FakePagerDuty } from "./server.ts";
import { seedDemo } from "./seed.ts";

const ACCEPT = "application/vnd.pagerduty+json;version=2";

function get(pd: FakePagerDuty, path: string): Promise<Response> {
  return fetch(`${pd.url}${path}`, {
    headers: { Accept: ACCEPT, Authorization: `Token token=${pd.apiKey}` },
  });
}

function createIncident(
  pd: FakePagerDuty,
  serviceId: string,
  key: string,
  from: string,
): Promise<Response> {
  return fetch(`${pd.url}/incidents`, {
    method: "POST",
    headers: {
      Accept: ACCEPT,
      Authorization: `Token token=${pd.apiKey}`,
      "Content-Type": "application/json",
      From: from,
    },
    body: JSON.stringify({
      incident: {
        type: "incident",
        title: key,
        service: { id: serviceId, type: "service_reference" },
        incident_key: key,
      },
    }),
  });
}

Deno.test("failNext: the next N requests of one operation fail with the given status, others pass", async () => {
  await using pd = await FakePagerDuty.start();
  const demo = seedDemo(pd);
  pd.failNext(2, { status: 503, operation: "createIncident" });
  const services = await get(pd, "/services");
  assert.equal(services.status, 200, "another operation is not affected");
  await services.body?.cancel();
  for (let i = 0; i < 2; i++) {
    const r = await createIncident(pd, demo.notifyService.id, "k", demo.bot.email);
    assert.equal(r.status, 503);
    assert.equal((await r.json()).error.code, 2000);
  }
  assert.equal(pd.incidents().length, 0, "a failed request changes nothing");
  const r = await createIncident(pd, demo.notifyService.id, "k", demo.bot.email);
  assert.equal(r.status, 201);
  await r.body?.cancel();
  assert.deepEqual(pd.callsTo("createIncident").map((c) => c.status), [503, 503, 201]);
  assert.equal(pd.faults.pending, 0);
});

Deno.test("failNext 429: with the documented headers and body, or bare", async () => {
  await using pd = await FakePagerDuty.start();
  pd.failNext(1, { status: 429 });
  pd.failNext(1, { status: 429, rateLimitHeaders: false });
  const withHeaders = await get(pd, "/abilities");
  assert.equal(withHeaders.status, 429);
  assert.deepEqual(await withHeaders.json(), {
    error: { message: "Rate Limit Exceeded", code: 2020 },
  });
  assert.equal(withHeaders.headers.get("ratelimit-remaining"), "0");
  assert.ok(Number(withHeaders.headers.get("ratelimit-reset")) >= 1);
  const bare = await get(pd, "/abilities");
  assert.equal(bare.status, 429);
  assert.equal(bare.headers.get("ratelimit-reset"), null);
  assert.equal(await bare.text(), "");
});

Deno.test("dropNext before: the connection closes with no answer and nothing happens", async () => {
  await using pd = await FakePagerDuty.start();
  const demo = seedDemo(pd);
  pd.dropNext(1, { operation: "createIncident" });
  await assert.rejects(createIncident(pd, demo.notifyService.id, "k", demo.bot.email), TypeError);
  assert.equal(pd.incidents().length, 0);
  assert.equal(pd.callsTo("createIncident")[0].status, 0);
  // The next request works (a new connection).
  const r = await createIncident(pd, demo.notifyService.id, "k", demo.bot.email);
  assert.equal(r.status, 201);
  await r.body?.cancel();
});

Deno.test("dropNext after: the incident is created but the client never gets the answer", async () => {
  await using pd = await FakePagerDuty.start();
  const demo = seedDemo(pd);
  pd.dropNext(1, { operation: "createIncident", when: "after" });
  await assert.rejects(createIncident(pd, demo.notifyService.id, "k", demo.bot.email), TypeError);
  assert.equal(pd.incidents().length, 1, "the operation ran");
  // A retry then meets the dedup rule, as it would against PagerDuty.
  const retry = await createIncident(pd, demo.notifyService.id, "k", demo.bot.email);
  assert.equal(retry.status, 400);
  assert.match(JSON.stringify(await retry.json()), /matching dedup key/);
});

Deno.test("setLatency delays answers of one operation until removed", async () => {
  await using pd = await FakePagerDuty.start();
  pd.setLatency(60_000, { operation: "listAbilities" });
  const services = await get(pd, "/services");
  assert.equal(services.status, 200);
  await services.body?.cancel();
  const controller = new AbortController();
  const slow = fetch(`${pd.url}/abilities`, {
    headers: { Accept: ACCEPT, Authorization: `Token token=${pd.apiKey}` },
    signal: controller.signal,
  });
  await pd.waitFor(() => pd.callsTo("listAbilities").length === 1);
  assert.equal(pd.callsTo("listAbilities")[0].status, 0, "still waiting");
  controller.abort();
  await assert.rejects(slow);
  pd.setLatency(0, { operation: "listAbilities" });
  const fast = await get(pd, "/abilities");
  assert.equal(fast.status, 200);
  await fast.body?.cancel();
});

Deno.test("stop does not wait for a delayed request (a 60-s latency would time the test out)", async () => {
  const pd = await FakePagerDuty.start();
  pd.setLatency(60_000);
  const slow = get(pd, "/abilities").then((r) => r.body?.cancel(), () => undefined);
  await pd.waitFor(() => pd.calls.length === 1);
  await pd.stop();
  await slow;
  await assert.rejects(get(pd, "/abilities"), TypeError, "the port is closed");
});
