import assert from "node:assert/strict";
import { FakePagerDuty } from "./server.ts";
import { seedDemo } from "./seed.ts";

// JSON answers are inspected field by field; a precise type per route would only restate the asserts.
// deno-lint-ignore no-explicit-any
type Loose = any;

const ACCEPT = "application/vnd.pagerduty+json;version=2";
const DAY = 24 * 3600 * 1000;

async function get(pd: FakePagerDuty, path: string): Promise<{ status: number; body: Loose }> {
  const r = await fetch(`${pd.url}${path}`, {
    headers: { Accept: ACCEPT, Authorization: `Token token=${pd.apiKey}` },
  });
  const text = await r.text();
  return { status: r.status, body: text === "" ? undefined : JSON.parse(text) };
}

const ids = (items: Loose[]) => items.map((i) => i.id);

Deno.test("paging: default 25, max 100 (clamped), more/offset/total, offset+limit > 10000 → 400", async () => {
  await using pd = await FakePagerDuty.start();
  for (let i = 0; i < 130; i++) {
    pd.addUser({ name: `User ${String(i).padStart(3, "0")}`, email: `u${i}@example.com` });
  }
  const first = await get(pd, "/users");
  assert.equal(first.body.users.length, 25);
  assert.equal(first.body.limit, 25);
  assert.equal(first.body.offset, 0);
  assert.equal(first.body.more, true);
  assert.equal(first.body.total, null);
  const clamped = await get(pd, "/users?limit=500&total=true");
  assert.equal(clamped.body.limit, 100);
  assert.equal(clamped.body.users.length, 100);
  assert.equal(clamped.body.total, 130);
  const last = await get(pd, "/users?limit=100&offset=100");
  assert.equal(last.body.users.length, 30);
  assert.equal(last.body.more, false);
  assert.equal(last.body.users[0].name, "User 100");
  const all = new Set([...ids(clamped.body.users), ...ids(last.body.users)]);
  assert.equal(all.size, 130, "pages neither overlap nor skip");
  const tooFar = await get(pd, "/users?limit=100&offset=9950");
  assert.equal(tooFar.status, 400);
  assert.match(tooFar.body.error.errors[0], /Offset\+limit exceeds maximum allowed value of 10000/);
});

Deno.test("users?query matches name or email ignoring case; services by query substring or exact name", async () => {
  await using pd = await FakePagerDuty.start();
  const demo = seedDemo(pd);
  assert.deepEqual(ids((await get(pd, "/users?query=ALICE@EXAMPLE.com")).body.users), [
    demo.alice.id,
  ]);
  assert.deepEqual(ids((await get(pd, "/users?query=brown")).body.users), [demo.bob.id]);
  assert.deepEqual((await get(pd, "/users?query=nobody")).body.users, []);
  assert.equal((await get(pd, `/users/${demo.carol.id}`)).body.user.email, "carol@example.com");
  assert.equal((await get(pd, "/users/PNOPE00")).status, 404);

  const byQuery = await get(pd, "/services?query=a");
  assert.deepEqual(byQuery.body.services.map((s: Loose) => s.name), [
    "Databases",
    "Platform",
    "Teleport Access Requests",
  ]);
  const byName = await get(pd, "/services?name=platform");
  assert.deepEqual(ids(byName.body.services), [demo.platformService.id]);
  assert.deepEqual((await get(pd, "/services?name=Plat")).body.services, [], "name is exact");
  const service = await get(pd, `/services/${demo.platformService.id}`);
  assert.equal(service.body.service.escalation_policy.id, demo.platformPolicy.id);
  assert.equal(service.body.service.escalation_policy.type, "escalation_policy_reference");
  assert.equal((await get(pd, "/services/PNOPE00")).status, 404);
});

Deno.test("oncalls: filters by user, policy and schedule; since/until overlap defaults to now; earliest", async () => {
  const now = Date.parse("2026-03-01T12:00:00Z");
  await using pd = await FakePagerDuty.start({ clock: () => now });
  const demo = seedDemo(pd, new Date(now));
  const nowEntries =
    (await get(pd, `/oncalls?escalation_policy_ids[]=${demo.platformPolicy.id}`)).body.oncalls;
  assert.deepEqual(
    nowEntries.map((e: Loose) => [e.user.id, e.escalation_level, e.schedule?.id ?? null]),
    [[demo.alice.id, 1, demo.platformSchedule.id], [demo.carol.id, 2, null]],
    "bob's shift starts later",
  );
  assert.equal(nowEntries[0].start, new Date(now - 4 * 3600_000).toISOString());
  assert.equal(nowEntries[1].start, null, "a user targeted directly is on call without bounds");

  const later = new Date(now + 10 * 3600_000).toISOString();
  const bobLater = await get(
    pd,
    `/oncalls?user_ids[]=${demo.bob.id}&since=${later}&until=${later}`,
  );
  assert.deepEqual(bobLater.body.oncalls.map((e: Loose) => e.user.id), [demo.bob.id]);
  const bobNow = await get(pd, `/oncalls?user_ids[]=${demo.bob.id}`);
  assert.deepEqual(bobNow.body.oncalls, []);

  const directOnly = await get(
    pd,
    `/oncalls?schedule_ids[]=null&escalation_policy_ids[]=${demo.platformPolicy.id}`,
  );
  assert.deepEqual(directOnly.body.oncalls.map((e: Loose) => e.user.id), [demo.carol.id]);

  // Two shifts of the same user in one window: earliest keeps the first.
  const nextDay = new Date(now + DAY);
  pd.putOnCall({
    userId: demo.dave.id,
    escalationPolicyId: demo.databasePolicy.id,
    scheduleId: demo.databaseSchedule.id,
    start: nextDay,
    end: new Date(nextDay.getTime() + 3600_000),
  });
  const week = `since=${new Date(now).toISOString()}&until=${
    new Date(now + 7 * DAY).toISOString()
  }`;
  const dave = `/oncalls?user_ids[]=${demo.dave.id}&${week}`;
  assert.equal((await get(pd, dave)).body.oncalls.length, 2);
  const earliest = (await get(pd, `${dave}&earliest=true`)).body.oncalls;
  assert.equal(earliest.length, 1);
  assert.equal(earliest[0].start, new Date(now - 2 * 3600_000).toISOString());
  const reversed = await get(pd, `/oncalls?since=${later}&until=${new Date(now).toISOString()}`);
  assert.equal(reversed.status, 400);
});

Deno.test("incidents: filters by key, services, statuses, assignee, urgency; 30-day window unless date_range=all; sort_by", async () => {
  let now = Date.parse("2026-03-01T00:00:00Z");
  await using pd = await FakePagerDuty.start({ clock: () => now });
  const demo = seedDemo(pd, new Date(now));
  const from = demo.bot.id;
  const old = pd.account.createIncident(
    { title: "old", serviceId: demo.platformService.id, incidentKey: "k/old" },
    from,
    new Date(now),
  );
  now += 40 * DAY;
  // Alice's seeded shift has ended by now; keep her on call so the assignee filter has someone.
  pd.putOnCall({ userId: demo.alice.id, escalationPolicyId: demo.platformPolicy.id });
  const a = pd.account.createIncident(
    { title: "a", serviceId: demo.platformService.id, incidentKey: "k/a" },
    from,
    new Date(now),
  );
  now += 1000;
  const b = pd.account.createIncident(
    { title: "b", serviceId: demo.notifyService.id, incidentKey: "k/b", urgency: "low" },
    from,
    new Date(now),
  );
  now += 1000;
  pd.account.updateIncident(b.id, { status: "resolved" }, from, new Date(now));

  assert.deepEqual(
    ids((await get(pd, "/incidents")).body.incidents),
    [a.id, b.id],
    "the old one is outside 30 days",
  );
  assert.deepEqual(ids((await get(pd, "/incidents?date_range=all")).body.incidents), [
    old.id,
    a.id,
    b.id,
  ]);
  assert.deepEqual(ids((await get(pd, "/incidents?incident_key=k/old")).body.incidents), []);
  assert.deepEqual(
    ids((await get(pd, "/incidents?incident_key=k/old&date_range=all")).body.incidents),
    [old.id],
  );
  const since = new Date(now - 50 * DAY).toISOString();
  assert.deepEqual(ids((await get(pd, `/incidents?since=${since}`)).body.incidents), [
    old.id,
    a.id,
    b.id,
  ]);
  assert.deepEqual(
    ids(
      (await get(pd, `/incidents?service_ids[]=${demo.notifyService.id}&service_ids[]=PX`)).body
        .incidents,
    ),
    [b.id],
  );
  assert.deepEqual(
    ids(
      (await get(pd, "/incidents?statuses[]=triggered&statuses[]=acknowledged&date_range=all")).body
        .incidents,
    ),
    [old.id, a.id],
  );
  assert.deepEqual(ids((await get(pd, `/incidents?user_ids[]=${demo.alice.id}`)).body.incidents), [
    a.id,
  ]);
  assert.deepEqual(ids((await get(pd, "/incidents?urgencies[]=low")).body.incidents), [b.id]);
  assert.deepEqual(
    ids((await get(pd, "/incidents?date_range=all&sort_by=incident_number:desc")).body.incidents),
    [b.id, a.id, old.id],
  );
  assert.deepEqual(
    ids((await get(pd, "/incidents?sort_by=urgency:asc,created_at:desc")).body.incidents),
    [b.id, a.id],
  );
  assert.equal((await get(pd, "/incidents?sort_by=title")).status, 400);
});

Deno.test("abilities, priorities, schedules and escalation policies", async () => {
  await using pd = await FakePagerDuty.start({ abilities: ["teams"] });
  const demo = seedDemo(pd);
  assert.deepEqual((await get(pd, "/abilities")).body, { abilities: ["teams"] });
  assert.equal((await get(pd, "/abilities/teams")).status, 204);
  assert.equal((await get(pd, "/abilities/sso")).status, 402);
  assert.equal((await get(pd, "/abilities/flying")).status, 404);
  const priorities = await get(pd, "/priorities");
  assert.deepEqual(priorities.body.priorities.map((p: Loose) => p.name), [
    "P1",
    "P2",
    "P3",
    "P4",
    "P5",
  ]);
  assert.deepEqual(
    (await get(pd, "/schedules?query=database")).body.schedules.map((s: Loose) => s.id),
    [
      demo.databaseSchedule.id,
    ],
  );
  const policy =
    (await get(pd, `/escalation_policies/${demo.platformPolicy.id}`)).body.escalation_policy;
  assert.deepEqual(policy.escalation_rules.map((r: Loose) => r.targets.map((t: Loose) => t.id)), [
    [demo.platformSchedule.id],
    [demo.carol.id],
  ]);
  assert.deepEqual(policy.services.map((s: Loose) => s.id), [demo.platformService.id]);
  assert.equal((await get(pd, "/escalation_policies/PNOPE00")).status, 404);
});

Deno.test("an account without priorities lists none and refuses a priority on create", async () => {
  await using pd = await FakePagerDuty.start({ priorities: false });
  const demo = seedDemo(pd);
  assert.deepEqual((await get(pd, "/priorities")).body.priorities, []);
  assert.throws(
    () =>
      pd.account.createIncident(
        { title: "t", serviceId: demo.notifyService.id, priorityId: "P53ZZH5" },
        demo.bot.id,
        new Date(),
      ),
    (e: Loose) => e.status === 400 && e.body.error.code === 1020,
  );
});
