import assert from "node:assert/strict";
import type { FakePagerDuty } from "../fakes/pagerduty/mod.ts";
import { PagerDutyClient, type PagerDutyClientOptions } from "./client.ts";
import { PagerDutyConfigError } from "./errors.ts";
import {
  BOT,
  client,
  fakeClock,
  fakeTime,
  withFakePagerDuty,
} from "../testing/pagerduty_harness.ts";
import { PagerDutyError } from "./types.ts";

/** A small account: a bot user, Alice on call at level 1 of "Ops", service "Access Requests". */
function seed(pd: FakePagerDuty) {
  const bot = pd.addUser({ name: "Teleport Bot", email: BOT });
  const alice = pd.addUser({ name: "Alice", email: "alice@example.com" });
  const policy = pd.addEscalationPolicy({ name: "Ops", levels: [{ userIds: [alice.id] }] });
  const service = pd.addService({ name: "Access Requests", escalationPolicyId: policy.id });
  return { bot, alice, policy, service };
}

Deno.test("every call carries PagerDuty's headers; only writes carry From", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const { service } = seed(pd);
    const api = client(pd);
    assert.ok((await api.listAbilities()).includes("priorities"));
    const incident = await api.createIncident({
      title: "t",
      serviceId: service.id,
      incidentKey: "k",
      details: "d",
    });
    await api.addNote(incident.id, "n");
    await api.resolveIncident(incident.id);
    for (const call of pd.calls) {
      assert.equal(call.status < 300, true, `${call.method} ${call.path} → ${call.status}`);
      assert.equal(call.headers["accept"], "application/vnd.pagerduty+json;version=2");
      assert.equal(call.headers["content-type"], "application/json");
      assert.match(call.headers["user-agent"], /^teleport-pagerduty\//);
      assert.equal(call.headers["from"], call.method === "GET" ? undefined : BOT);
    }
    assert.deepEqual(pd.calls.map((c) => c.operationId), [
      "listAbilities",
      "createIncident",
      "createIncidentNote",
      "updateIncident",
    ]);
  });
});

Deno.test("a bearer token is sent as Authorization: Bearer", async () => {
  await withFakePagerDuty({}, async (pd) => {
    seed(pd);
    const token = pd.addToken({});
    const api = client(pd, { apiKey: token, authScheme: "bearer" });
    assert.ok(Array.isArray(await api.listAbilities()));
    // The same token in the Token scheme works too, so the scheme is what changed.
    assert.ok(Array.isArray(await client(pd, { apiKey: token }).listAbilities()));
  });
});

Deno.test("findServiceByName pages until an exact, case-insensitive match", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const { policy } = seed(pd);
    // 250 services whose names contain "ops" sort before "Ops", which lands on page 3.
    for (let i = 0; i < 250; i++) {
      pd.addService({ name: `a-ops-${String(i).padStart(3, "0")}`, escalationPolicyId: policy.id });
    }
    const ops = pd.addService({ name: "Ops", escalationPolicyId: policy.id });
    const api = client(pd);
    const found = await api.findServiceByName("OPS");
    assert.deepEqual(found && { ...found, htmlUrl: "" }, {
      id: ops.id,
      name: "Ops",
      escalationPolicyId: policy.id,
      htmlUrl: "",
    });
    assert.ok(found!.htmlUrl.startsWith("https://") && found!.htmlUrl.endsWith(`/${ops.id}`));
    const pages = pd.callsTo("listServices").map((c) => [c.query.offset, c.query.limit]);
    assert.deepEqual(pages, [[["0"], ["100"]], [["100"], ["100"]], [["200"], ["100"]]]);
    assert.deepEqual(pd.callsTo("listServices")[0].query.query, ["OPS"]);
    assert.equal(await api.findServiceByName("no such service"), undefined);
  });
});

Deno.test("findUsersByEmail pages and keeps exact, case-insensitive email matches", async () => {
  await withFakePagerDuty({}, async (pd) => {
    seed(pd);
    // Their emails contain Alice's, so the query matches them all; only Alice's is equal.
    for (let i = 0; i < 150; i++) {
      pd.addUser({ name: `Filler ${i}`, email: `${i}alice@example.com` });
    }
    const api = client(pd);
    const users = await api.findUsersByEmail("ALICE@Example.com");
    assert.deepEqual(users.map((u) => [u.name, u.email]), [["Alice", "alice@example.com"]]);
    assert.equal(pd.callsTo("listUsers").length, 2);
    assert.deepEqual(await api.findUsersByEmail("nobody@example.com"), []);
  });
});

Deno.test("user and service look-ups fold ASCII case only, in the match and in the cache", async () => {
  await withFakePagerDuty({}, async (pd) => {
    pd.addUser({ name: "Kate", email: "kate@example.com" });
    pd.addService({
      name: "Kafka",
      escalationPolicyId: pd.addEscalationPolicy({ name: "Ops" }).id,
    });
    const api = client(pd);
    assert.equal((await api.findUsersByEmail("KATE@example.com")).length, 1);
    assert.ok(await api.findServiceByName("kafka"));
    // U+212A KELVIN SIGN: toLowerCase() would make these Kate's email and the Kafka service.
    assert.deepEqual(await api.findUsersByEmail("\u212Aate@example.com"), []);
    assert.equal(await api.findServiceByName("\u212Aafka"), undefined);
    assert.equal(
      pd.callsTo("listUsers").length,
      2,
      "the look-alike was asked, not served from cache",
    );
  });
});

Deno.test("listOnCalls filters by user and policies, pages, and maps every field", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const { alice, bot, policy } = seed(pd);
    const schedule = pd.addSchedule({ name: "Weekdays" });
    const start = new Date(Date.now() - 3_600_000);
    const end = new Date(Date.now() + 3_600_000);
    pd.putOnCall({
      userId: alice.id,
      escalationPolicyId: policy.id,
      level: 2,
      scheduleId: schedule.id,
      start,
      end,
    });
    pd.putOnCall({ userId: bot.id, escalationPolicyId: policy.id, level: 1 });
    const others = Array.from({ length: 120 }, (_, i) => {
      const p = pd.addEscalationPolicy({ name: `Team ${i}` });
      pd.putOnCall({ userId: alice.id, escalationPolicyId: p.id, level: 3 });
      return p.id;
    });
    pd.addEscalationPolicy({ name: "Unasked", levels: [{ userIds: [alice.id] }] });
    const api = client(pd);

    const onCalls = await api.listOnCalls({
      userId: alice.id,
      escalationPolicyIds: [policy.id, ...others],
    });
    assert.equal(onCalls.length, 122);
    assert.ok(onCalls.every((o) => o.userId === alice.id));
    const inOps = onCalls.filter((o) => o.escalationPolicyId === policy.id)
      .sort((a, b) => a.escalationLevel - b.escalationLevel);
    assert.deepEqual(inOps, [
      {
        userId: alice.id,
        escalationPolicyId: policy.id,
        escalationLevel: 1,
        scheduleId: undefined,
        start: undefined,
        end: undefined,
      },
      {
        userId: alice.id,
        escalationPolicyId: policy.id,
        escalationLevel: 2,
        scheduleId: schedule.id,
        start,
        end,
      },
    ]);
    const calls = pd.callsTo("listOnCalls");
    assert.equal(calls.length, 2, "two pages");
    assert.deepEqual(calls[0].query["user_ids[]"], [alice.id]);
    assert.equal(calls[0].query["escalation_policy_ids[]"].length, 121);

    assert.deepEqual(await api.listOnCalls({ userId: alice.id, escalationPolicyIds: [] }), []);
    assert.equal(pd.callsTo("listOnCalls").length, 2, "no policies, no call");
  });
});

Deno.test("createIncident sends PagerDuty's shape and resolves a priority name once", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const { service } = seed(pd);
    const api = client(pd);
    const incident = await api.createIncident({
      title: "Access request from alice",
      serviceId: service.id,
      incidentKey: "teleport-access-request/r1",
      details: "alice wants admin",
      urgency: "low",
      priority: "p2",
    });
    const p2 = pd.account.priorities().find((p) => p.name === "P2")!;
    assert.deepEqual(pd.callsTo("createIncident")[0].body, {
      incident: {
        type: "incident",
        title: "Access request from alice",
        service: { id: service.id, type: "service_reference" },
        incident_key: "teleport-access-request/r1",
        body: { type: "incident_body", details: "alice wants admin" },
        urgency: "low",
        priority: { id: p2.id, type: "priority_reference" },
      },
    });
    assert.equal(incident.status, "triggered");
    assert.equal(incident.title, "Access request from alice");
    assert.equal(incident.incidentKey, "teleport-access-request/r1");
    assert.equal(incident.serviceId, service.id);
    assert.ok((incident.number ?? 0) >= 1);
    assert.match(incident.htmlUrl, /^https:\/\//);
    const stored = pd.incident(incident.id)!;
    assert.equal(stored.priorityId, p2.id);
    assert.equal(stored.details, "alice wants admin");

    await api.createIncident({
      title: "second",
      serviceId: service.id,
      incidentKey: "teleport-access-request/r2",
      details: "d",
      priority: p2.id,
    });
    assert.equal(pd.callsTo("listPriorities").length, 1, "priorities are listed once");
    assert.equal(pd.incidents().at(-1)!.priorityId, p2.id, "an ID works as well as a name");
  });
});

Deno.test("an unknown priority opens the incident without one", async () => {
  await withFakePagerDuty({ priorities: false }, async (pd) => {
    const { service } = seed(pd);
    const incident = await client(pd).createIncident({
      title: "t",
      serviceId: service.id,
      incidentKey: "k",
      details: "d",
      priority: "P1",
    });
    assert.equal(pd.incident(incident.id)!.priorityId, undefined);
    assert.equal(
      (pd.callsTo("createIncident")[0].body as { incident: Record<string, unknown> }).incident
        .priority,
      undefined,
    );
  });
});

Deno.test("creating twice with one key opens one incident and returns it both times", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const { service } = seed(pd);
    const api = client(pd);
    const request = {
      title: "Access request",
      serviceId: service.id,
      incidentKey: "teleport-access-request/dup",
      details: "d",
    };
    const first = await api.createIncident(request);
    const second = await api.createIncident(request);
    assert.equal(second.id, first.id);
    assert.equal(pd.incidents().length, 1);
    assert.deepEqual(pd.callsTo("createIncident").map((c) => c.status), [201, 400]);
    const lookup = pd.callsTo("listIncidents")[0].query;
    assert.deepEqual(lookup.incident_key, ["teleport-access-request/dup"]);
    assert.deepEqual(lookup["service_ids[]"], [service.id]);
    assert.deepEqual(lookup.date_range, ["all"]);

    // After resolution the key may open a new incident.
    await api.resolveIncident(first.id);
    const third = await api.createIncident(request);
    assert.notEqual(third.id, first.id);
  });
});

Deno.test("a create whose answer was lost is repeated and finds the incident it made", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const { service } = seed(pd);
    // The fake opens the incident, then breaks the connection before answering.
    pd.dropNext(1, { operation: "createIncident", when: "after" });
    const incident = await client(pd).createIncident({
      title: "t",
      serviceId: service.id,
      incidentKey: "teleport-access-request/lost",
      details: "d",
    });
    assert.equal(pd.incidents().length, 1);
    assert.equal(incident.id, pd.incidents()[0].id);
  });
});

Deno.test("getIncident, findIncidentByKey, addNote and resolveIncident", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const { service, bot } = seed(pd);
    const api = client(pd);
    const key = "teleport-access-request/r9";
    assert.equal(await api.findIncidentByKey(key, service.id), undefined);
    const created = await api.createIncident({
      title: "t",
      serviceId: service.id,
      incidentKey: key,
      details: "d",
    });
    assert.deepEqual(await api.getIncident(created.id), created);
    assert.deepEqual(await api.findIncidentByKey(key, service.id), created);

    const note = await api.addNote(created.id, "alice approved: on call");
    assert.equal(note.content, "alice approved: on call");
    const stored = pd.notes(created.id);
    assert.deepEqual(stored.map((n) => [n.id, n.content, n.userId]), [[
      note.id,
      note.content,
      bot.id,
    ]]);

    const resolved = await api.resolveIncident(created.id, "Access request approved");
    assert.equal(resolved.status, "resolved");
    assert.equal(pd.incident(created.id)!.resolution, "Access request approved");
    assert.deepEqual(pd.callsTo("updateIncident")[0].body, {
      incident: {
        type: "incident_reference",
        status: "resolved",
        resolution: "Access request approved",
      },
    });

    // Resolving again: PagerDuty answers 1001, which counts as success.
    const again = await api.resolveIncident(created.id);
    assert.equal(again.status, "resolved");
    assert.deepEqual(pd.callsTo("updateIncident").map((c) => c.status), [200, 400]);

    // A resolved incident is still found by key, at any age.
    assert.equal((await api.findIncidentByKey(key, service.id))!.status, "resolved");
    const reopened = await api.createIncident({
      title: "t2",
      serviceId: service.id,
      incidentKey: key,
      details: "d",
    });
    assert.equal((await api.findIncidentByKey(key, service.id))!.id, reopened.id, "open first");
  });
});

Deno.test("resolving an already resolved incident also succeeds when PagerDuty answers 200", async () => {
  await withFakePagerDuty({ rules: { resolveResolved: "ok" } }, async (pd) => {
    const { service } = seed(pd);
    const api = client(pd);
    const incident = await api.createIncident({
      title: "t",
      serviceId: service.id,
      incidentKey: "k",
      details: "d",
    });
    await api.resolveIncident(incident.id);
    assert.equal((await api.resolveIncident(incident.id)).status, "resolved");
  });
});

Deno.test("getService and getUser map the objects (with the user's teams); unknown IDs are typed 404s", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const { service, policy, alice } = seed(pd);
    pd.account.addTeamMember(alice.id, "PTEAM01");
    const api = client(pd);
    const got = await api.getService(service.id);
    assert.deepEqual([got.id, got.name, got.escalationPolicyId], [
      service.id,
      "Access Requests",
      policy.id,
    ]);
    assert.deepEqual(await api.getUser(alice.id), {
      id: alice.id,
      name: "Alice",
      email: "alice@example.com",
      teamIds: ["PTEAM01"],
    });
    for (const call of [() => api.getService("PNOPE00"), () => api.getIncident("Q0NOPE")]) {
      await assert.rejects(call, (error: unknown) => {
        assert.ok(error instanceof PagerDutyError);
        assert.equal(error.status, 404);
        assert.match(error.operation, /^GET \/(services|incidents)\/\{id\}$/);
        assert.match(error.message, /found nothing/);
        return true;
      });
    }
    assert.equal(pd.callsTo("getService").length, 2, "a 404 is not repeated");
  });
});

Deno.test("a rejected request is not repeated and says what to fix", async () => {
  await withFakePagerDuty({}, async (pd) => {
    seed(pd);
    const api = client(pd);
    await assert.rejects(
      () =>
        api.createIncident({ title: "t", serviceId: "PNOSUCH", incidentKey: "k", details: "d" }),
      (error: unknown) =>
        error instanceof PagerDutyError && error.status === 400 &&
        error.operation === "POST /incidents" && /rejected POST \/incidents/.test(error.message),
    );
    assert.equal(pd.callsTo("createIncident").length, 1);

    const stranger = client(pd, { userEmail: "stranger@example.com" });
    const service = pd.account.services()[0];
    await assert.rejects(
      () =>
        stranger.createIncident({
          title: "t",
          serviceId: service.id,
          incidentKey: "k",
          details: "d",
        }),
      (error: unknown) =>
        error instanceof PagerDutyError && error.status === 400 &&
        /pagerduty\.user_email/.test(error.message),
    );
    // The fake counts an unknown From as a refused header; that is the point of this call.
    assert.deepEqual(pd.validationFailures.map((f) => f.part), ["header"]);
    pd.validationFailures.length = 0;
  });
});

Deno.test("a wrong key or a read-only key gives a typed error naming pagerduty.api_key", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const { service } = seed(pd);
    await assert.rejects(
      () => client(pd, { apiKey: "not-the-key" }).listAbilities(),
      (error: unknown) =>
        error instanceof PagerDutyError && error.status === 401 &&
        /pagerduty\.api_key/.test(error.message),
    );
    const readOnly = client(pd, { apiKey: pd.addToken({ readOnly: true }) });
    await assert.rejects(
      () =>
        readOnly.createIncident({
          title: "t",
          serviceId: service.id,
          incidentKey: "k",
          details: "d",
        }),
      (error: unknown) =>
        error instanceof PagerDutyError && error.status === 403 &&
        /write access in pagerduty\.api_key/.test(error.message),
    );
  });
});

Deno.test("look-ups share one request, cache hits and misses, and expire", async () => {
  const { clock, fake } = fakeClock();
  await withFakePagerDuty({}, async (pd) => {
    const { policy } = seed(pd);
    const api = client(pd, { clock, cacheTtlMs: 300_000, negativeCacheTtlMs: 60_000 });

    const concurrent = await Promise.all([
      api.findServiceByName("Access Requests"),
      api.findServiceByName("access requests"),
      api.findServiceByName("ACCESS REQUESTS"),
    ]);
    assert.ok(concurrent.every((s) => s?.name === "Access Requests"));
    assert.equal(pd.callsTo("listServices").length, 1, "single flight");

    assert.equal(await api.findServiceByName("New"), undefined);
    pd.addService({ name: "New", escalationPolicyId: policy.id });
    assert.equal(await api.findServiceByName("New"), undefined, "the miss is cached");
    assert.equal(pd.callsTo("listServices").length, 2);
    await fake.tickAsync(60_000);
    assert.equal((await api.findServiceByName("New"))?.name, "New", "the miss expired");
    assert.equal(pd.callsTo("listServices").length, 3);

    await api.findUsersByEmail("alice@example.com");
    await fake.tickAsync(299_999);
    await api.findUsersByEmail("Alice@example.com");
    assert.equal(pd.callsTo("listUsers").length, 1, "a hit lives the TTL");
    await fake.tickAsync(1);
    await api.findUsersByEmail("alice@example.com");
    assert.equal(pd.callsTo("listUsers").length, 2, "then it is loaded again");
  });
});

Deno.test("aborting the client's signal cancels a call waiting for the limiter", async () => {
  const time = fakeTime();
  const { clock, fake } = time;
  await withFakePagerDuty({}, async (pd) => {
    seed(pd);
    const controller = new AbortController();
    const api = client(pd, {
      clock,
      fetch: time.fetch,
      maxRequestsPerMinute: 1,
      signal: controller.signal,
    });
    await api.listAbilities();
    const waiting = api.listAbilities();
    await fake.tickAsync(1_000);
    controller.abort(new Error("shutting down"));
    await assert.rejects(
      () => time.drive(waiting),
      (error: unknown) =>
        error instanceof PagerDutyError && error.status === 0 && /cancelled/.test(error.message),
    );
    assert.equal(pd.callsTo("listAbilities").length, 1);
  });
});

Deno.test("the client refuses options that cannot work", () => {
  const base = { apiKey: "k", userEmail: BOT };
  const cases: Array<[Partial<PagerDutyClientOptions>, string]> = [
    [{ baseUrl: "http://pagerduty.internal" }, "pagerduty.api_endpoint"],
    [{ apiKey: "" }, "pagerduty.api_key"],
    [{ maxRequestsPerMinute: 0 }, "pagerduty.rate_limit_per_minute"],
    [{ timeoutMs: -5 }, "pagerduty.request_timeout"],
  ];
  for (const [options, key] of cases) {
    assert.throws(
      () => new PagerDutyClient({ ...base, ...options }),
      (error: unknown) => error instanceof PagerDutyConfigError && error.key === key,
      key,
    );
  }
});

Deno.test("a duplicate key whose open incident is not listed yet is a typed, retryable error", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const { service } = seed(pd);
    // A PagerDuty whose incident list lags behind its writes, as an eventually consistent
    // index would: listing incidents by key finds nothing.
    const lagging: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.pathname === "/incidents" && (init?.method ?? "GET") === "GET") {
        return Promise.resolve(
          new Response(JSON.stringify({ incidents: [], limit: 100, offset: 0, more: false }), {
            status: 200,
          }),
        );
      }
      return fetch(input, init);
    };
    const api = client(pd, { fetch: lagging });
    const request = { title: "t", serviceId: service.id, incidentKey: "k", details: "d" };
    await api.createIncident(request);
    await assert.rejects(() => api.createIncident(request), (error: unknown) => {
      assert.ok(error instanceof PagerDutyError);
      assert.equal(error.status, 400);
      assert.match(error.message, /no open incident with that key was listed/);
      assert.ok(error.errors.some((e) => /matching dedup key/.test(e)));
      return true;
    });
    assert.equal(pd.incidents().length, 1);
  });
});
