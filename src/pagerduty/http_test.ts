import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import type { FakePagerDuty, RecordedCall } from "../fakes/pagerduty/mod.ts";
import { PagerDutyClient, RATE_WINDOW_MS } from "./client.ts";
import { sleep } from "../util/sleep.ts";
import type { ResponseEvent, RetryEvent } from "./http.ts";
import { BOT, client, fakeTime, withFakePagerDuty } from "../testing/pagerduty_harness.ts";
import { PagerDutyError } from "./types.ts";

function seed(pd: FakePagerDuty) {
  pd.addUser({ name: "Teleport Bot", email: BOT });
  const policy = pd.addEscalationPolicy({ name: "Ops" });
  return pd.addService({ name: "Access Requests", escalationPolicyId: policy.id });
}

/** The largest number of calls inside any window of `windowMs`. */
function maxInAnyWindow(calls: readonly RecordedCall[], windowMs: number): number {
  const times = calls.map((c) => c.at.getTime()).sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/** A port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

Deno.test("a 429 is repeated after PagerDuty's ratelimit-reset", async () => {
  const time = fakeTime();
  const { clock, fake } = time;
  await withFakePagerDuty({ clock: () => fake.now }, async (pd) => {
    seed(pd);
    const waits: number[] = [];
    const api = client(pd, { clock, fetch: time.fetch, onRateLimitWait: (ms) => waits.push(ms) });
    pd.failNext(1, { status: 429 }); // the fake's scripted 429 says ratelimit-reset: 1
    assert.ok((await time.drive(api.listAbilities())).length > 0);
    const calls = pd.callsTo("listAbilities");
    assert.deepEqual(calls.map((c) => c.status), [429, 200]);
    assert.deepEqual(waits, [1_000]);
    assert.ok(calls[1].at.getTime() - calls[0].at.getTime() >= 1_000, "after the reset");
  });
});

Deno.test("a 429 without headers falls back to a doubling wait", async () => {
  const time = fakeTime();
  const { clock, fake } = time;
  await withFakePagerDuty({ clock: () => fake.now }, async (pd) => {
    seed(pd);
    const waits: number[] = [];
    const api = client(pd, { clock, fetch: time.fetch, onRateLimitWait: (ms) => waits.push(ms) });
    pd.failNext(2, { status: 429, rateLimitHeaders: false });
    await time.drive(api.listAbilities());
    assert.deepEqual(waits, [1_000, 2_000]);
    assert.deepEqual(pd.callsTo("listAbilities").map((c) => c.status), [429, 429, 200]);
  });
});

Deno.test("PagerDuty's own limit pauses every caller until its reset", async () => {
  const time = fakeTime();
  const { clock, fake } = time;
  await withFakePagerDuty({ clock: () => fake.now, rateLimitPerMinute: 3 }, async (pd) => {
    seed(pd);
    // The client believes it may send 100 a minute; PagerDuty allows 3.
    const api = client(pd, {
      clock,
      fetch: time.fetch,
      maxRequestsPerMinute: 100,
      retry: { maxTotalMs: 300_000 },
    });
    const results = await time.drive(
      Promise.all(Array.from({ length: 7 }, () => api.listAbilities())),
    );
    assert.equal(results.length, 7);
    const calls = pd.callsTo("listAbilities");
    const ok = calls.filter((c) => c.status === 200);
    assert.equal(ok.length, 7);
    assert.ok(maxInAnyWindow(ok, 60_000) <= 3);
    // Calls already in flight when a 429 came may be refused too, but no call was SENT within a
    // 429's reset (60 s here) after it was answered: the limiter paused every caller.
    const refused = calls.filter((c) => c.status === 429);
    assert.ok(refused.length > 0);
    for (const r of refused) {
      const t = r.at.getTime();
      const early = calls.filter((c) => c.at.getTime() > t && c.at.getTime() < t + 60_000);
      assert.deepEqual(early, [], "nothing was sent during a pause");
    }
  });
});

Deno.test("the client-side limit holds a burst under the configured rate", async () => {
  const time = fakeTime();
  const { clock, fake } = time;
  await withFakePagerDuty({ clock: () => fake.now, rateLimitPerMinute: 5 }, async (pd) => {
    seed(pd);
    const waits: number[] = [];
    const api = client(pd, {
      clock,
      fetch: time.fetch,
      maxRequestsPerMinute: 5,
      onRateLimitWait: (ms) => waits.push(ms),
    });
    const started = fake.now;
    await time.drive(Promise.all(Array.from({ length: 12 }, () => api.listAbilities())));
    const calls = pd.callsTo("listAbilities");
    assert.equal(calls.length, 12);
    assert.ok(calls.every((c) => c.status === 200), "PagerDuty never had to refuse one");
    assert.equal(maxInAnyWindow(calls, 60_000), 5);
    // The client's window is PagerDuty's minute plus a margin for transit time.
    assert.equal(
      fake.now - started,
      2 * RATE_WINDOW_MS,
      "12 calls at 5 a minute take two more windows",
    );
    assert.deepEqual(waits.sort((a, b) => a - b), [
      ...Array(5).fill(RATE_WINDOW_MS),
      ...Array(2).fill(2 * RATE_WINDOW_MS),
    ]);
  });
});

Deno.test("a slow trip of an earlier call does not turn a call at the configured rate into a 429", async () => {
  const time = fakeTime();
  const { clock, fake } = time;
  await withFakePagerDuty({ clock: () => fake.now, rateLimitPerMinute: 1 }, async (pd) => {
    seed(pd);
    // The first call reaches PagerDuty half a second after the limiter let it go (a cold
    // connection's handshake); later ones go straight through.
    let first = true;
    const slowFirstTrip: typeof fetch = async (input, init) => {
      if (first) {
        first = false;
        await sleep(500, undefined, clock);
      }
      return await time.fetch(input, init);
    };
    const api = client(pd, { clock, fetch: slowFirstTrip, maxRequestsPerMinute: 1 });
    await time.drive(Promise.all([api.listAbilities(), api.listAbilities()]));
    assert.deepEqual(pd.callsTo("listAbilities").map((c) => c.status), [200, 200]);
  });
});

Deno.test("rate limiting through every attempt ends in a typed 429 error", async () => {
  const time = fakeTime();
  const { clock, fake } = time;
  await withFakePagerDuty({ clock: () => fake.now }, async (pd) => {
    seed(pd);
    pd.failNext(10, { status: 429 });
    const waits: number[] = [];
    const api = client(pd, {
      clock,
      fetch: time.fetch,
      retry: { maxAttempts: 3 },
      onRateLimitWait: (ms) => waits.push(ms),
    });
    await assert.rejects(() => time.drive(api.listAbilities()), (error: unknown) => {
      assert.ok(error instanceof PagerDutyError);
      assert.equal(error.status, 429);
      assert.equal(error.code, 2020);
      assert.match(error.message, /through 3 attempts.*pagerduty\.rate_limit_per_minute/);
      return true;
    });
    assert.equal(pd.callsTo("listAbilities").length, 3);
    // The last 429's reset still holds the next caller, although that call gave up.
    pd.faults.clear();
    await time.drive(api.listAbilities());
    assert.deepEqual(waits, [1_000, 1_000, 1_000]);
  });
});

Deno.test("5xx answers are repeated with back-off until one succeeds", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const service = seed(pd);
    const retries: RetryEvent[] = [];
    const api = client(pd, { onRetry: (e) => retries.push(e) });
    pd.failNext(2, { status: 503 });
    assert.equal((await api.getService(service.id)).id, service.id);
    assert.deepEqual(pd.callsTo("getService").map((c) => c.status), [503, 503, 200]);
    assert.deepEqual(retries.map((r) => [r.operation, r.attempt, r.reason]), [
      ["GET /services/{id}", 1, 503],
      ["GET /services/{id}", 2, 503],
    ]);
    assert.ok(retries.every((r) => r.delayMs >= 0 && r.delayMs < 2), "full jitter under the step");
  });
});

Deno.test("exhausted retries end in a typed error naming the attempts", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const service = seed(pd);
    pd.failNext(10, { status: 500 });
    await assert.rejects(
      () => client(pd, { retry: { maxAttempts: 3, baseDelayMs: 1 } }).getService(service.id),
      (error: unknown) =>
        error instanceof PagerDutyError && error.status === 500 && error.code === 2000 &&
        error.operation === "GET /services/{id}" && /through 3 attempts/.test(error.message),
    );
    assert.equal(pd.callsTo("getService").length, 3);
  });
});

Deno.test("retries stop when waiting would pass the total time budget", async () => {
  const time = fakeTime();
  const { clock } = time;
  await withFakePagerDuty({}, async (pd) => {
    const service = seed(pd);
    pd.failNext(10, { status: 502 });
    const api = client(pd, {
      clock,
      fetch: time.fetch,
      random: () => 0.999,
      retry: { maxAttempts: 10, baseDelayMs: 1_000, maxTotalMs: 1_500 },
    });
    // Back-off steps of ~999 ms then ~1 998 ms: the second would end past 1 500 ms.
    await assert.rejects(() => time.drive(api.getService(service.id)), PagerDutyError);
    assert.equal(pd.callsTo("getService").length, 2);
  });
});

Deno.test("aborting the signal during a retry back-off cancels the call with its reason", async () => {
  const time = fakeTime();
  const { clock, fake } = time;
  await withFakePagerDuty({}, async (pd) => {
    const service = seed(pd);
    pd.failNext(1, { status: 502 });
    const controller = new AbortController();
    const retries: RetryEvent[] = [];
    const api = client(pd, {
      clock,
      fetch: time.fetch,
      signal: controller.signal,
      random: () => 0.999,
      retry: { maxAttempts: 3, baseDelayMs: 10_000 },
      onRetry: (e) => {
        retries.push(e);
        // Once the back-off has started waiting (it starts right after this event).
        queueMicrotask(() => controller.abort(new Error("shutting down")));
      },
    });
    const start = fake.now;
    await assert.rejects(() => time.drive(api.getService(service.id)), (error: unknown) => {
      assert.ok(error instanceof PagerDutyError);
      assert.equal(error.status, 0);
      assert.match(error.message, /was cancelled before it finished/);
      assert.match(String((error.cause as Error).message), /shutting down/);
      return true;
    });
    assert.equal(retries.length, 1);
    assert.equal(pd.callsTo("getService").length, 1);
    assert.ok(
      fake.now - start < retries[0].delayMs,
      "the back-off ended at the abort, not after its delay",
    );
    assert.equal(fake.countTimers(), 0, "the back-off's timer is cleared");
  });
});

Deno.test("a slow answer times out into a typed error, and is repeated first", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const service = seed(pd);
    pd.setLatency(1_000, { operation: "getService" });
    const events: ResponseEvent[] = [];
    const api = client(pd, {
      timeoutMs: 50,
      retry: { maxAttempts: 2, baseDelayMs: 1 },
      onResponse: (e) => events.push(e),
    });
    await assert.rejects(() => api.getService(service.id), (error: unknown) => {
      assert.ok(error instanceof PagerDutyError);
      assert.equal(error.status, 0);
      assert.match(
        error.message,
        /did not answer GET \/services\/\{id\} within 50 ms through 2 attempts/,
      );
      assert.match(error.message, /pagerduty\.request_timeout/);
      return true;
    });
    assert.deepEqual(events.map((e) => [e.status, e.attempt]), [[0, 1], [0, 2]]);
    assert.equal(pd.callsTo("getService").length, 2);
  });
});

Deno.test("a dropped connection is repeated for reads", async () => {
  await withFakePagerDuty({}, async (pd) => {
    seed(pd);
    const retries: RetryEvent[] = [];
    pd.dropNext(1, { when: "before" });
    assert.ok((await client(pd, { onRetry: (e) => retries.push(e) }).listAbilities()).length > 0);
    assert.equal(pd.callsTo("listAbilities").length, 2);
    assert.deepEqual(retries.map((r) => r.reason), ["network"]);
  });
});

Deno.test("a note is not repeated when PagerDuty may have stored it", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const service = seed(pd);
    const api = client(pd);
    const incident = await api.createIncident({
      title: "t",
      serviceId: service.id,
      incidentKey: "k",
      details: "d",
    });

    // The create left a keep-alive connection in the pool; on such a connection Deno's fetch
    // would silently send the note again after this drop, so the client must not reuse it.
    pd.dropNext(1, { operation: "createIncidentNote", when: "after" });
    await assert.rejects(
      () => api.addNote(incident.id, "once"),
      (e: unknown) => e instanceof PagerDutyError && e.status === 0,
    );
    assert.deepEqual(
      pd.notes(incident.id).map((n) => n.content),
      ["once"],
      "stored once, not twice",
    );

    pd.failNext(1, { operation: "createIncidentNote", status: 500 });
    await assert.rejects(
      () => api.addNote(incident.id, "five hundred"),
      (e: unknown) => e instanceof PagerDutyError && e.status === 500,
    );

    pd.setLatency(1_000, { operation: "createIncidentNote" });
    const impatient = client(pd, { timeoutMs: 50 });
    await assert.rejects(
      () => impatient.addNote(incident.id, "slow"),
      (e: unknown) => e instanceof PagerDutyError && e.status === 0,
    );
    pd.setLatency(0, { operation: "createIncidentNote" });
    assert.equal(pd.callsTo("createIncidentNote").length, 3, "each tried exactly once");
  });
});

Deno.test("a note is repeated after a 429 or a refused connection", async () => {
  const time = fakeTime();
  const { clock, fake } = time;
  await withFakePagerDuty({ clock: () => fake.now }, async (pd) => {
    const service = seed(pd);
    const api = client(pd, { clock, fetch: time.fetch });
    const incident = await api.createIncident({
      title: "t",
      serviceId: service.id,
      incidentKey: "k",
      details: "d",
    });
    pd.failNext(1, { operation: "createIncidentNote", status: 429 });
    await time.drive(api.addNote(incident.id, "after the reset"));
    assert.deepEqual(pd.notes(incident.id).map((n) => n.content), ["after the reset"]);
    assert.deepEqual(pd.callsTo("createIncidentNote").map((c) => c.status), [429, 201]);
  });

  const events: ResponseEvent[] = [];
  const nowhere = new PagerDutyClient({
    apiKey: "k",
    userEmail: BOT,
    baseUrl: `http://127.0.0.1:${closedPort()}`,
    retry: { maxAttempts: 3, baseDelayMs: 1 },
    onResponse: (e) => events.push(e),
  });
  await assert.rejects(() => nowhere.addNote("Q1", "n"), (error: unknown) => {
    assert.ok(error instanceof PagerDutyError);
    assert.equal(error.status, 0);
    assert.match(
      error.message,
      /Could not reach PagerDuty at 127\.0\.0\.1:\d+ for POST \/incidents\/\{id\}\/notes through 3 attempts/,
    );
    return true;
  });
  assert.equal(events.length, 3, "nothing reached PagerDuty, so the note was tried again");
});

Deno.test("a throwing observer does not break the call", async () => {
  await withFakePagerDuty({}, async (pd) => {
    seed(pd);
    const api = client(pd, {
      onResponse: () => {
        throw new Error("metrics broke");
      },
    });
    assert.ok((await api.listAbilities()).length > 0);
  });
});

Deno.test("the API key appears in no error, log line or inspection on any failure path", async () => {
  const records: LogRecord[] = [];
  await configure({
    sinks: { memory: (record) => records.push(record) },
    loggers: [
      { category: ["teleport-pagerduty"], sinks: ["memory"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  try {
    const errors: unknown[] = [];
    const secrets: string[] = [];
    const capture = async (secret: string, call: () => Promise<unknown>) => {
      secrets.push(secret);
      try {
        await call();
        assert.fail("the call was expected to fail");
      } catch (error) {
        errors.push(error);
      }
    };
    const clients: PagerDutyClient[] = [];
    await withFakePagerDuty({}, async (pd) => {
      const service = seed(pd);
      const api = client(pd, { timeoutMs: 50, retry: { maxAttempts: 2, baseDelayMs: 1 } });
      clients.push(api);
      const wrongKey = "u+wrongkey_5ecr3t";
      await capture(wrongKey, () => client(pd, { apiKey: wrongKey }).listAbilities());
      const readOnlyKey = pd.addToken({ readOnly: true });
      await capture(readOnlyKey, () =>
        client(pd, { apiKey: readOnlyKey }).createIncident({
          title: "t",
          serviceId: service.id,
          incidentKey: "k",
          details: "d",
        }));
      await capture(pd.apiKey, () => api.getService("PNOPE"));
      await capture(
        pd.apiKey,
        () =>
          api.createIncident({ title: "t", serviceId: "PNOPE", incidentKey: "k", details: "d" }),
      );
      pd.failNext(1, { status: 429 });
      await capture(pd.apiKey, () => client(pd, { retry: { maxAttempts: 1 } }).listAbilities());
      pd.failNext(10, { status: 500 });
      await capture(pd.apiKey, () => api.listAbilities());
      pd.faults.clear();
      pd.dropNext(10, { when: "before" });
      await capture(pd.apiKey, () => api.listAbilities());
      pd.faults.clear();
      pd.setLatency(1_000);
      await capture(pd.apiKey, () => api.listAbilities());
      pd.setLatency(0);
    });
    const key = "k3y_that_must_not_leak";
    const echo = new PagerDutyClient({
      apiKey: key,
      userEmail: BOT,
      baseUrl: "http://127.0.0.1:1",
      // A misbehaving proxy that echoes the Authorization header back in its error.
      fetch: (_input, init) =>
        Promise.resolve(
          new Response(
            JSON.stringify({
              error: {
                message: `bad header ${new Headers(init?.headers).get("authorization")}`,
                errors: [new Headers(init?.headers).get("authorization")],
              },
            }),
            { status: 400 },
          ),
        ),
    });
    clients.push(echo);
    await capture(key, () => echo.listAbilities());
    const html = new PagerDutyClient({
      apiKey: key,
      userEmail: BOT,
      baseUrl: "http://127.0.0.1:1",
      fetch: () => Promise.resolve(new Response(`<html>${key}</html>`, { status: 200 })),
    });
    await capture(key, () => html.listAbilities());
    await capture(key, () =>
      new PagerDutyClient({
        apiKey: key,
        userEmail: BOT,
        baseUrl: `http://127.0.0.1:${closedPort()}`,
        retry: { maxAttempts: 1 },
      }).listAbilities());

    assert.equal(errors.length, secrets.length);
    assert.ok(errors.every((e) => e instanceof PagerDutyError), "every failure is typed");
    assert.ok(records.length > 0, "the failures were logged");
    errors.forEach((error, i) => {
      const secret = secrets[i];
      const e = error as PagerDutyError;
      for (
        const text of [
          String(e),
          e.stack ?? "",
          JSON.stringify(e),
          Deno.inspect(e, { depth: 10 }),
          String(e.cause),
          JSON.stringify(e.errors),
        ]
      ) {
        assert.ok(!text.includes(secret), `error ${i} (${e.message}) leaks the key`);
      }
    });
    const logged = JSON.stringify(records) +
      records.map((r) => Deno.inspect(r, { depth: 10 })).join();
    for (const secret of secrets) assert.ok(!logged.includes(secret), "a log record leaks the key");
    for (const c of clients) {
      assert.ok(
        !Deno.inspect(c, { depth: 10 }).includes(secrets[2]) && !JSON.stringify(c).includes(key),
      );
    }
  } finally {
    await reset();
  }
});

/** A `fetch` answering 200 with an endless JSON-looking body; counts the bytes it produced. */
function endlessAnswer(): { fetch: typeof fetch; produced: () => number } {
  let produced = 0;
  const chunk = new TextEncoder().encode(`{"pad":"${"x".repeat(64 * 1024)}",`);
  const fetch = () =>
    Promise.resolve(
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            produced += chunk.length;
            controller.enqueue(chunk);
          },
        }),
        { status: 200, headers: { "content-type": "application/json" } },
      ),
    );
  return { fetch, produced: () => produced };
}

Deno.test("a PagerDuty answer past the size cap is refused without being read whole", async () => {
  const endless = endlessAnswer();
  const api = new PagerDutyClient({
    apiKey: "k",
    userEmail: BOT,
    fetch: endless.fetch,
    retry: { maxAttempts: 1 },
  });
  await assert.rejects(api.listAbilities(), (error: unknown) => {
    assert.ok(error instanceof PagerDutyError);
    assert.match(error.message, /but an unexpected body \(larger than 4 MiB\)/);
    return true;
  });
  assert.ok(endless.produced() < 4 * 1024 * 1024 + 256 * 1024, `${endless.produced()} bytes`);
});
