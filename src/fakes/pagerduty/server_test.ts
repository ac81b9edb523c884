import assert from "node:assert/strict";
import { FakePagerDuty } from "./server.ts";
import { seedDemo } from "./seed.ts";

// JSON answers are inspected field by field; a precise type per route would only restate the asserts.
// deno-lint-ignore no-explicit-any
type Loose = any;

const ACCEPT = "application/vnd.pagerduty+json;version=2";

/** A minimal client: JSON in, status + JSON out; always consumes the body. */
async function call(
  pd: FakePagerDuty,
  method: string,
  path: string,
  options: {
    body?: unknown;
    from?: string;
    token?: string | null;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; body: Loose; headers: Headers }> {
  const headers: Record<string, string> = { Accept: ACCEPT, ...options.headers };
  if (options.token !== null) headers.Authorization = `Token token=${options.token ?? pd.apiKey}`;
  if (options.from !== undefined) headers.From = options.from;
  if (options.body !== undefined) headers["Content-Type"] ??= "application/json";
  const response = await fetch(`${pd.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === "" ? undefined : JSON.parse(text),
    headers: response.headers,
  };
}

function newIncident(serviceId: string, key: string, extra: Record<string, unknown> = {}) {
  return {
    incident: {
      type: "incident",
      title: `Access request ${key}`,
      service: { id: serviceId, type: "service_reference" },
      incident_key: key,
      body: { type: "incident_body", details: "Requested roles: editor" },
      ...extra,
    },
  };
}

Deno.test("auth: missing, malformed and unknown tokens get 401; Bearer and Token schemes work", async () => {
  await using pd = await FakePagerDuty.start();
  for (const token of [null, "nope"]) {
    const r = await call(pd, "GET", "/abilities", { token });
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, { error: { message: "Authentication failed", code: 2006 } });
  }
  const malformed = await fetch(`${pd.url}/abilities`, {
    headers: { Authorization: pd.apiKey, Accept: ACCEPT },
  });
  assert.equal(malformed.status, 401);
  await malformed.body?.cancel();
  const bearer = await fetch(`${pd.url}/abilities`, {
    headers: { Authorization: `Bearer ${pd.apiKey}`, Accept: ACCEPT },
  });
  assert.equal(bearer.status, 200);
  assert.ok((await bearer.json()).abilities.includes("teams"));
  const ok = await call(pd, "GET", "/abilities");
  assert.equal(ok.status, 200);
  // The Authorization value never lands in the call record.
  assert.ok(
    pd.calls.every((c) =>
      c.headers.authorization === undefined || c.headers.authorization === "[redacted]"
    ),
  );
  assert.ok(!JSON.stringify(pd.calls).includes(pd.apiKey));
});

Deno.test("headers: Accept is required, Content-Type must be JSON, From must name a user", async () => {
  await using pd = await FakePagerDuty.start();
  const demo = seedDemo(pd);
  const noAccept = await fetch(`${pd.url}/abilities`, {
    headers: { Authorization: `Token token=${pd.apiKey}` },
  });
  assert.equal(noAccept.status, 400);
  assert.equal((await noAccept.json()).error.code, 2001);

  const body = newIncident(demo.notifyService.id, "k1");
  const noFrom = await call(pd, "POST", "/incidents", { body });
  assert.equal(noFrom.status, 400);
  assert.deepEqual(noFrom.body.error.errors, [
    'You must specify a user\'s email address in the "From" header to perform this action',
  ]);
  const unknownFrom = await call(pd, "POST", "/incidents", { body, from: "ghost@example.com" });
  assert.equal(unknownFrom.status, 400);
  const textBody = await call(pd, "POST", "/incidents", {
    body,
    from: demo.bot.email,
    headers: { "Content-Type": "text/plain" },
  });
  assert.equal(textBody.status, 400);
  assert.equal(pd.incidents().length, 0);
  assert.deepEqual(pd.validationFailures.map((f) => f.part), [
    "header",
    "header",
    "header",
    "header",
  ]);
  assert.deepEqual(pd.validationFailures[1].errors, [
    'You must specify a user\'s email address in the "From" header to perform this action',
  ]);

  const malformed = await call(pd, "POST", "/incidents", { body, from: "not an email" });
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.error.code, 1028);
  // GETs have no actor: From is ignored there.
  assert.equal((await call(pd, "GET", "/services", { from: "ghost@example.com" })).status, 200);

  const created = await call(pd, "POST", "/incidents", {
    body,
    from: demo.bot.email.toUpperCase(),
  });
  assert.equal(created.status, 201);
});

Deno.test("read-only tokens may read but get 403 on writes", async () => {
  await using pd = await FakePagerDuty.start();
  const demo = seedDemo(pd);
  const token = pd.addToken({ readOnly: true });
  assert.equal((await call(pd, "GET", "/services", { token })).status, 200);
  const write = await call(pd, "POST", "/incidents", {
    token,
    from: demo.bot.email,
    body: newIncident(demo.notifyService.id, "k"),
  });
  assert.equal(write.status, 403);
  assert.equal(write.body.error.code, 2010);
  assert.equal(pd.incidents().length, 0);
});

Deno.test("users/me: 400 for account keys, the owner for user tokens (which need no From)", async () => {
  await using pd = await FakePagerDuty.start();
  const demo = seedDemo(pd);
  assert.equal((await call(pd, "GET", "/users/me")).status, 400);
  const token = pd.addToken({ userId: demo.bot.id });
  const me = await call(pd, "GET", "/users/me", { token });
  assert.equal(me.status, 200);
  assert.equal(me.body.user.email, "teleport-bot@example.com");
  const created = await call(pd, "POST", "/incidents", {
    token,
    body: newIncident(demo.notifyService.id, "k"),
  });
  assert.equal(created.status, 201);
  assert.equal(created.body.incident.last_status_change_by.id, demo.bot.id);
});

Deno.test("validation rejects bad bodies and queries with PagerDuty's 400 shape and records them", async () => {
  await using pd = await FakePagerDuty.start();
  const demo = seedDemo(pd);
  const from = demo.bot.email;
  const cases: Array<[unknown, string]> = [
    [
      { incident: { type: "incident", title: "t" } },
      "incident must have required property 'service'",
    ],
    [
      newIncident(demo.notifyService.id, "k", { urgency: "urgent" }),
      'incident.urgency must be one of "high", "low"',
    ],
    [
      newIncident(demo.notifyService.id, "k", {
        body: { type: "incident_body", details: { a: 1 } },
      }),
      "incident.body.details must be string",
    ],
  ];
  for (const [body, expected] of cases) {
    const r = await call(pd, "POST", "/incidents", { body, from });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.message, "Invalid Input Provided");
    assert.equal(r.body.error.code, 2001);
    assert.ok(r.body.error.errors.includes(expected), JSON.stringify(r.body.error.errors));
  }
  const badQuery = await call(pd, "GET", "/incidents?statuses[]=open&service_ids=X");
  assert.equal(badQuery.status, 400);
  assert.deepEqual(badQuery.body.error.errors.sort(), [
    'Unknown query parameter "service_ids".',
    'statuses[][0] must be one of "triggered", "acknowledged", "resolved"',
  ]);
  assert.equal(pd.validationFailures.length, 4);
  assert.equal(pd.incidents().length, 0);
});

Deno.test("create incident: 201 with number, summary, assignments from level-1 on-calls, defaults", async () => {
  await using pd = await FakePagerDuty.start({ subdomain: "acme" });
  const demo = seedDemo(pd);
  const first = await call(pd, "POST", "/incidents", {
    body: newIncident(demo.platformService.id, "req/1"),
    from: demo.bot.email,
  });
  assert.equal(first.status, 201);
  const incident = first.body.incident;
  assert.equal(incident.status, "triggered");
  assert.equal(incident.incident_number, 1);
  assert.equal(incident.summary, "[#1] Access request req/1");
  assert.equal(incident.urgency, "high");
  assert.equal(incident.html_url, `https://acme.pagerduty.com/incidents/${incident.id}`);
  assert.equal(incident.self, `${pd.url}/incidents/${incident.id}`);
  assert.deepEqual(incident.assignments.map((a: Loose) => a.assignee.id), [demo.alice.id]);
  assert.equal(incident.assigned_via, "escalation_policy");
  assert.equal(incident.resolved_at, null);
  assert.equal(incident.priority, null);

  const second = await call(pd, "POST", "/incidents", {
    body: newIncident(demo.databaseService.id, "req/2", {
      priority: { id: "P53ZZH5", type: "priority_reference" },
    }),
    from: demo.bot.email,
  });
  assert.equal(second.body.incident.incident_number, 2);
  assert.equal(second.body.incident.urgency, "low", "the Databases service's urgency rule is low");
  assert.equal(second.body.incident.priority.name, "P2");
  assert.equal(pd.incident(second.body.incident.id)?.details, "Requested roles: editor");

  const unknownService = await call(pd, "POST", "/incidents", {
    body: newIncident("PNOPE00", "k"),
    from: demo.bot.email,
  });
  assert.equal(unknownService.status, 400);
  assert.deepEqual(pd.validationFailures, []);
});

Deno.test("dedup: an open incident_key on the same service is refused; after resolve it can be reused", async () => {
  await using pd = await FakePagerDuty.start();
  const demo = seedDemo(pd);
  const from = demo.bot.email;
  const first = await call(pd, "POST", "/incidents", {
    body: newIncident(demo.notifyService.id, "req/1"),
    from,
  });
  assert.equal(first.status, 201);
  const duplicate = await call(pd, "POST", "/incidents", {
    body: newIncident(demo.notifyService.id, "req/1"),
    from,
  });
  assert.equal(duplicate.status, 400);
  assert.deepEqual(duplicate.body.error.errors, [
    "Open incident with matching dedup key already exists on this service",
  ]);
  const otherService = await call(pd, "POST", "/incidents", {
    body: newIncident(demo.platformService.id, "req/1"),
    from,
  });
  assert.equal(otherService.status, 201, "the key is scoped to the service");

  const resolved = await call(pd, "PUT", `/incidents/${first.body.incident.id}`, {
    body: { incident: { type: "incident_reference", status: "resolved" } },
    from,
  });
  assert.equal(resolved.status, 200);
  const again = await call(pd, "POST", "/incidents", {
    body: newIncident(demo.notifyService.id, "req/1"),
    from,
  });
  assert.equal(again.status, 201);
  assert.equal(pd.incidents().filter((i) => i.incidentKey === "req/1").length, 3);
});

Deno.test("resolve: sets resolved_at, clears assignments; twice → 1001; unknown → 404 2100", async () => {
  await using pd = await FakePagerDuty.start();
  const demo = seedDemo(pd);
  const from = demo.bot.email;
  const created = await call(pd, "POST", "/incidents", {
    body: newIncident(demo.platformService.id, "r"),
    from,
  });
  const id = created.body.incident.id;
  const body = {
    incident: { type: "incident_reference", status: "resolved", resolution: "Approved by bob" },
  };
  const resolved = await call(pd, "PUT", `/incidents/${id}`, { body, from });
  assert.equal(resolved.status, 200);
  assert.equal(resolved.body.incident.status, "resolved");
  assert.notEqual(resolved.body.incident.resolved_at, null);
  assert.deepEqual(resolved.body.incident.assignments, []);
  assert.equal(pd.incident(id)?.resolution, "Approved by bob");

  const twice = await call(pd, "PUT", `/incidents/${id}`, { body, from });
  assert.equal(twice.status, 400);
  assert.deepEqual(twice.body, { error: { message: "Incident Already Resolved", code: 1001 } });

  const unknown = await call(pd, "PUT", "/incidents/QNOPE", { body, from });
  assert.equal(unknown.status, 404);
  assert.deepEqual(unknown.body, { error: { message: "Not Found", code: 2100 } });
  assert.equal((await call(pd, "GET", "/incidents/QNOPE")).status, 404);
  const byNumber = await call(pd, "GET", "/incidents/1");
  assert.equal(byNumber.body.incident.id, id);
});

Deno.test("notes: 201 with the From user as author, listed in order, at most 2000 per incident", async () => {
  await using pd = await FakePagerDuty.start({ rules: { maxNotesPerIncident: 3 } });
  const demo = seedDemo(pd);
  const from = demo.bot.email;
  const created = await call(pd, "POST", "/incidents", {
    body: newIncident(demo.notifyService.id, "n"),
    from,
  });
  const id = created.body.incident.id;
  for (const content of ["one", "two", "three"]) {
    const note = await call(pd, "POST", `/incidents/${id}/notes`, {
      body: { note: { content } },
      from,
    });
    assert.equal(note.status, 201);
    assert.equal(note.body.note.content, content);
    assert.equal(note.body.note.user.id, demo.bot.id);
    assert.equal(note.body.note.user.type, "user_reference");
  }
  const over = await call(pd, "POST", `/incidents/${id}/notes`, {
    body: { note: { content: "four" } },
    from,
  });
  assert.equal(over.status, 400);
  const list = await call(pd, "GET", `/incidents/${id}/notes`);
  assert.deepEqual(list.body.notes.map((n: Loose) => n.content), ["one", "two", "three"]);
  assert.deepEqual(pd.notes(id).map((n) => n.content), ["one", "two", "three"]);
  const missing = await call(pd, "POST", `/incidents/${id}/notes`, { body: { note: {} }, from });
  assert.equal(missing.status, 400);
});

Deno.test("unknown routes answer 404 with PagerDuty's body", async () => {
  await using pd = await FakePagerDuty.start();
  const r = await call(pd, "GET", "/teams");
  assert.equal(r.status, 404);
  assert.equal(r.body.error.code, 2100);
});

Deno.test("bulk update: all-or-nothing, more than 250 incidents → 413", async () => {
  await using pd = await FakePagerDuty.start();
  const demo = seedDemo(pd);
  const from = demo.bot.email;
  const a = pd.account.createIncident(
    { title: "a", serviceId: demo.notifyService.id },
    demo.bot.id,
    new Date(),
  );
  const b = pd.account.createIncident(
    { title: "b", serviceId: demo.notifyService.id },
    demo.bot.id,
    new Date(),
  );
  const resolve = (id: string) => ({ id, type: "incident_reference", status: "resolved" });

  const partlyUnknown = await call(pd, "PUT", "/incidents", {
    body: { incidents: [resolve(a.id), resolve("QNOPE")] },
    from,
  });
  assert.equal(partlyUnknown.status, 404);
  assert.equal(pd.incident(a.id)?.status, "triggered", "nothing applied");

  const tooMany = await call(pd, "PUT", "/incidents", {
    body: { incidents: Array.from({ length: 251 }, () => resolve(a.id)) },
    from,
  });
  assert.equal(tooMany.status, 413);

  const ok = await call(pd, "PUT", "/incidents", {
    body: { incidents: [resolve(a.id), resolve(b.id)] },
    from,
  });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body.incidents.map((i: Loose) => i.status), ["resolved", "resolved"]);
});

Deno.test("waitFor resolves on the request that makes the condition true, and times out clearly", async () => {
  await using pd = await FakePagerDuty.start();
  const demo = seedDemo(pd);
  const waiting = pd.waitFor(() => pd.incidents().find((i) => i.incidentKey === "w"));
  const created = await call(pd, "POST", "/incidents", {
    body: newIncident(demo.notifyService.id, "w"),
    from: demo.bot.email,
  });
  assert.equal((await waiting).id, created.body.incident.id);
  await assert.rejects(
    pd.waitFor(() => false, { timeoutMs: 10, description: "a miracle" }),
    /Timed out after 10 ms waiting for a miracle/,
  );
});
