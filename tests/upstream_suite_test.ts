/**
 * The Go plugin's own test suite (Teleport 18, `integrations/access/pagerduty/testlib/suite.go`)
 * restated as facts against this project's fakes: the same set-up (services "Teleport
 * Notifications" and "Teleport Notifications Two", "Service 1/2/3" on escalation policies 1/2/3,
 * requesters annotated with the notify service and Services 1 and 2), the same 13 cases, with
 * the exact notes, note counts, plugin data keys and PagerDuty writes. Then the cases of the
 * drop-in items Go's suite does not cover: urgency, rule conditions, old configs, and answers
 * with fields left out.
 */

import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { outcomeNote, reviewNote } from "../src/app/messages.ts";
import { PLUGIN_NAME } from "../src/app/plugin_data.ts";
import { ConfigError } from "../src/config/errors.ts";
import { parseConfig } from "../src/config/parse.ts";
import { ACCESS_PLUGIN_PERMISSIONS } from "../src/fakes/auth/rbac.ts";
import type { ServiceRecord, UserRecord } from "../src/fakes/pagerduty/mod.ts";
import { PLUGIN_USER, World } from "../src/fakes/world.ts";
import type { AccessRequest } from "../src/teleport/types.ts";
import {
  incidentOf,
  notesOf,
  record,
  resolvedIncident,
  startTestService,
  withService,
} from "./harness.ts";

/** Waits here are for conditions, never timings; a loaded machine gets room. */
const WAIT = { timeoutMs: 30_000 };

/** The Go suite's PagerDuty account, added beside the demo account. */
interface Suite {
  readonly notifications: ServiceRecord;
  readonly notificationsTwo: ServiceRecord;
  /** "Service 1", "Service 2", "Service 3", on escalation_policy-1/2/3. */
  readonly services: readonly ServiceRecord[];
  readonly policyIds: readonly string[];
  /** `requester1@example.com`, a PagerDuty user (on call only where a test puts them). */
  readonly requester: UserRecord;
}

function suiteAccount(world: World): Suite {
  const pd = world.pagerduty;
  const policies = [1, 2, 3].map((n) => pd.addEscalationPolicy({ name: `escalation_policy-${n}` }));
  const notifyPolicy = world.account.approversPolicy.id;
  return {
    notifications: pd.addService({
      name: "Teleport Notifications",
      escalationPolicyId: notifyPolicy,
    }),
    notificationsTwo: pd.addService({
      name: "Teleport Notifications Two",
      escalationPolicyId: notifyPolicy,
    }),
    services: policies.map((p, i) =>
      pd.addService({ name: `Service ${i + 1}`, escalationPolicyId: p.id })
    ),
    policyIds: policies.map((p) => p.id),
    requester: pd.addUser({ name: "Requester One", email: "requester1@example.com" }),
  };
}

/** A request annotated as the Go suite's requester roles are. */
function request(
  world: World,
  fields: { user?: string; thresholds?: { approve: number; deny: number }[] } = {},
): AccessRequest {
  return world.auth.createAccessRequest({
    user: fields.user ?? "requester-oss@example.com",
    roles: ["editor"],
    reason: "deploy hotfix",
    systemAnnotations: {
      pagerduty_notify_service: ["Teleport Notifications"],
      pagerduty_services: ["Service 1", "Service 2"],
    },
    thresholds: fields.thresholds,
  });
}

/** The PagerDuty writes made for one incident: creates (by key), notes, resolving updates. */
function writesFor(world: World, requestId: string, incidentId: string) {
  const ok = world.pagerduty.calls.filter((c) => c.status >= 200 && c.status < 300);
  const body = (c: { body: unknown }) => c.body as { incident?: Record<string, unknown> };
  return {
    creates: ok.filter((c) =>
      c.operationId === "createIncident" &&
      body(c).incident?.incident_key === `teleport-access-request/${requestId}`
    ).length,
    notes:
      ok.filter((c) =>
        c.operationId === "createIncidentNote" && c.path === `/incidents/${incidentId}/notes`
      ).length,
    resolves:
      ok.filter((c) =>
        c.operationId === "updateIncident" && c.path === `/incidents/${incidentId}` &&
        body(c).incident?.status === "resolved"
      ).length,
  };
}

/** The Go plugin's nine keys, as they stand in the request's plugin data (missing = ""). */
function goKeys(world: World, id: string): Record<string, string> {
  const data = world.auth.pluginData(id, PLUGIN_NAME) ?? {};
  const keys = [
    "incident_id",
    "service_id",
    "user",
    "roles",
    "created",
    "request_reason",
    "reviews_count",
    "resolution",
    "resolve_reason",
  ];
  return Object.fromEntries(keys.map((k) => [k, data[k] ?? ""]));
}

/** The notes the Go plugin posts for the request's reviews, then for its outcome. */
function expectedNotes(world: World, id: string, outcome?: ["approved" | "denied", string]) {
  const reviews = world.auth.request(id)?.reviews ?? [];
  const notes = reviews.map(reviewNote);
  return outcome ? [...notes, outcomeNote(...outcome)] : notes;
}

async function settledApproval(world: World, id: string): Promise<AccessRequest> {
  await world.auth.waitFor(() => world.auth.request(id)?.state !== "PENDING", {
    ...WAIT,
    description: `request ${id} decided`,
  });
  return world.auth.request(id)!;
}

async function refusalRecorded(world: World, id: string): Promise<void> {
  await world.auth.waitFor(() => record(world, id).autoApproval === "not_eligible", {
    ...WAIT,
    description: `the auto-approval refusal recorded for ${id}`,
  });
}

// ---- the Go suite's 13 cases ---------------------------------------------------------------------

Deno.test("upstream TestIncidentCreation: the incident, its key and the plugin data", async () => {
  await withService({}, async (world) => {
    const suite = suiteAccount(world);
    const req = request(world);
    const incident = await incidentOf(world, req.id);
    assert.equal(incident.incidentKey, `teleport-access-request/${req.id}`);
    assert.equal(incident.serviceId, suite.notifications.id);
    assert.equal(incident.status, "triggered");
    assert.equal(incident.title.startsWith("Access request from requester-oss@example.com"), true);
    const keys = goKeys(world, req.id);
    assert.equal(keys.incident_id, incident.id);
    assert.equal(keys.service_id, suite.notifications.id);
    assert.equal(keys.user, "requester-oss@example.com");
    assert.equal(keys.roles, "editor");
    assert.equal(keys.created, String(Math.floor(req.created!.getTime() / 1000)));
    assert.equal(keys.request_reason, "deploy hotfix");
    assert.deepEqual([keys.reviews_count, keys.resolution, keys.resolve_reason], ["", "", ""]);
  });
});

Deno.test("upstream TestApproval: the outcome note with its reason, then resolved", async () => {
  await withService({}, async (world) => {
    suiteAccount(world);
    const req = request(world);
    const { id: incidentId } = await incidentOf(world, req.id);
    world.auth.setState(req.id, "APPROVED", "okay");
    const incident = await resolvedIncident(world, req.id);
    assert.deepEqual(notesOf(incident), [outcomeNote("approved", "okay")]);
    assert.match(notesOf(incident)[0], /^Access request has been approved\nReason: okay$/);
    assert.equal(incident.status, "resolved");
    const keys = goKeys(world, req.id);
    assert.deepEqual([keys.resolution, keys.resolve_reason], ["approved", "okay"]);
    assert.deepEqual(writesFor(world, req.id, incidentId), { creates: 1, notes: 1, resolves: 1 });
  });
});

Deno.test("upstream TestDenial: the outcome note with its reason, then resolved", async () => {
  await withService({}, async (world) => {
    suiteAccount(world);
    const req = request(world);
    await incidentOf(world, req.id);
    world.auth.setState(req.id, "DENIED", "not okay");
    const incident = await resolvedIncident(world, req.id);
    assert.deepEqual(notesOf(incident), [outcomeNote("denied", "not okay")]);
    assert.match(notesOf(incident)[0], /^Access request has been denied\nReason: not okay$/);
    assert.deepEqual(
      [goKeys(world, req.id).resolution, goKeys(world, req.id).resolve_reason],
      ["denied", "not okay"],
    );
  });
});

Deno.test("upstream TestReviewNotes: two reviews back to back, one note each, in order", async () => {
  await withService({}, async (world) => {
    suiteAccount(world);
    const req = request(world, { thresholds: [{ approve: 2, deny: 2 }] });
    const { id: incidentId } = await incidentOf(world, req.id);
    // Submitted without waiting: the service may see them in one event.
    world.auth.review(req.id, {
      author: "reviewer1@example.com",
      decision: "APPROVED",
      reason: "okay",
    });
    world.auth.review(req.id, {
      author: "reviewer2@example.com",
      decision: "DENIED",
      reason: "not okay",
    });
    await world.auth.waitFor(() => record(world, req.id).reviewsCount === 2, {
      ...WAIT,
      description: "both reviews noted",
    });
    const notes = notesOf(world.pagerduty.incident(incidentId)!);
    assert.deepEqual(notes, expectedNotes(world, req.id));
    assert.equal(notes.length, 2);
    assert.match(notes[0], /^reviewer1@example\.com reviewed the request/);
    assert.match(notes[0], /\nResolution: APPROVED\.\nReason: okay\.$/);
    assert.match(notes[1], /^reviewer2@example\.com reviewed the request/);
    assert.match(notes[1], /\nResolution: DENIED\.\nReason: not okay\.$/);
    assert.equal(goKeys(world, req.id).reviews_count, "2");
    assert.equal(world.auth.request(req.id)?.state, "PENDING");
  });
});

for (
  const [name, decision, word] of [["Approval", "APPROVED", "approved"], [
    "Denial",
    "DENIED",
    "denied",
  ]] as const
) {
  Deno.test(`upstream Test${name}ByReview: a note per review, then the outcome's, then resolved`, async () => {
    await withService({}, async (world) => {
      suiteAccount(world);
      const req = request(world, { thresholds: [{ approve: 2, deny: 2 }] });
      const { id: incidentId } = await incidentOf(world, req.id);
      const first = decision === "APPROVED" ? "okay" : "not okay";
      const last = decision === "APPROVED" ? "finally okay" : "finally not okay";
      world.auth.review(req.id, { author: "reviewer1@example.com", decision, reason: first });
      await world.auth.waitFor(() => record(world, req.id).reviewsCount === 1, {
        ...WAIT,
        description: "the first review noted",
      });
      assert.equal(notesOf(world.pagerduty.incident(incidentId)!).length, 1);
      world.auth.review(req.id, { author: "reviewer2@example.com", decision, reason: last });
      const incident = await resolvedIncident(world, req.id);
      const notes = notesOf(incident);
      assert.deepEqual(notes, expectedNotes(world, req.id, [word, last]));
      assert.equal(notes.length, 3, "review 1, review 2, outcome");
      assert.equal(notes[2], `Access request has been ${word}\nReason: ${last}`);
      const keys = goKeys(world, req.id);
      assert.deepEqual([keys.reviews_count, keys.resolution, keys.resolve_reason], [
        "2",
        word,
        last,
      ]);
      // The Go plugin's four writes: create, one note per review and the outcome's, resolve.
      assert.deepEqual(writesFor(world, req.id, incidentId), { creates: 1, notes: 3, resolves: 1 });
    });
  });
}

Deno.test("upstream TestAutoApprovalWhenNotOnCall: pending, no review, the refusal recorded", async () => {
  await withService({}, async (world) => {
    suiteAccount(world);
    const req = request(world, { user: "requester1@example.com" });
    await incidentOf(world, req.id);
    await refusalRecorded(world, req.id);
    const current = world.auth.request(req.id)!;
    assert.equal(current.state, "PENDING");
    assert.equal(current.reviews.length, 0);
  });
});

for (
  const [name, policy, approve] of [
    ["WhenOnCall", 0, true],
    ["WhenOnCallInSecondPolicy", 1, true],
    ["WhenOnCallInSomeOtherPolicy", 2, false],
  ] as const
) {
  Deno.test(`upstream TestAutoApproval${name}: ${approve ? "approved by one review of the plugin" : "not approved"}`, async () => {
    await withService({}, async (world) => {
      const suite = suiteAccount(world);
      world.pagerduty.putOnCall({
        userId: suite.requester.id,
        escalationPolicyId: suite.policyIds[policy],
        level: 1,
      });
      const req = request(world, { user: "requester1@example.com" });
      if (!approve) {
        await refusalRecorded(world, req.id);
        assert.equal(world.auth.request(req.id)?.state, "PENDING");
        assert.equal(world.auth.request(req.id)?.reviews.length, 0);
        return;
      }
      const decided = await settledApproval(world, req.id);
      assert.equal(decided.state, "APPROVED");
      assert.equal(decided.reviews.length, 1);
      assert.equal(decided.reviews[0].author, PLUGIN_USER);
      assert.match(
        decided.reviews[0].reason,
        new RegExp(
          `^Access requested by user Requester One \\(requester1@example\\.com\\) who is on call in service\\(s\\) Service ${
            policy + 1
          }`,
        ),
      );
      const incident = await resolvedIncident(world, req.id);
      assert.deepEqual(
        notesOf(incident),
        expectedNotes(world, req.id, ["approved", decided.resolveReason]),
      );
      assert.equal(record(world, req.id).autoApproval, "approved");
    });
  });
}

Deno.test("upstream TestExpiration: the expired outcome noted, then resolved", async () => {
  await withService({}, async (world) => {
    suiteAccount(world);
    const req = request(world);
    const { id: incidentId } = await incidentOf(world, req.id);
    world.auth.expire(req.id);
    const incident = await resolvedIncident(world, req.id);
    assert.deepEqual(notesOf(incident), [outcomeNote("expired", "")]);
    assert.equal(notesOf(incident)[0], "Access request has been expired");
    assert.equal(record(world, req.id).resolution, "expired");
    assert.deepEqual(writesFor(world, req.id, incidentId), { creates: 1, notes: 1, resolves: 1 });
  });
});

Deno.test("upstream TestRace: auto-approval plus one human approval: one incident, one resolve, three notes", async () => {
  await withService({}, async (world) => {
    const suite = suiteAccount(world);
    world.pagerduty.putOnCall({
      userId: suite.requester.id,
      escalationPolicyId: suite.policyIds[0],
      level: 1,
    });
    const requests = Array.from(
      { length: 4 },
      () =>
        request(world, { user: "requester1@example.com", thresholds: [{ approve: 2, deny: 2 }] }),
    );
    await Promise.all(requests.map(async (req) => {
      await world.auth.waitFor(() => world.auth.request(req.id)?.reviews.length === 1, {
        ...WAIT,
        description: `the plugin's review on ${req.id}`,
      });
      world.auth.review(req.id, {
        author: "reviewer1@example.com",
        decision: "APPROVED",
        reason: "fine",
      });
    }));
    for (const req of requests) {
      const incident = await resolvedIncident(world, req.id);
      const decided = world.auth.request(req.id)!;
      assert.equal(decided.state, "APPROVED");
      assert.deepEqual(decided.reviews.map((r) => r.author), [
        PLUGIN_USER,
        "reviewer1@example.com",
      ]);
      assert.deepEqual(notesOf(incident), expectedNotes(world, req.id, ["approved", "fine"]));
      assert.deepEqual(writesFor(world, req.id, incident.id), {
        creates: 1,
        notes: 3,
        resolves: 1,
      });
      assert.equal(
        world.pagerduty.incidents().filter((i) =>
          i.incidentKey === `teleport-access-request/${req.id}`
        ).length,
        1,
      );
    }
  });
});

Deno.test("upstream TestRecipientsFromAccessMonitoringRule: the rule's service, not the annotation's", async () => {
  await withService({}, async (world) => {
    const suite = suiteAccount(world);
    world.auth.putAccessMonitoringRule({
      name: "pagerduty-amr",
      subjects: ["access_request"],
      states: [],
      condition: "!is_empty(access_request.spec.roles)",
      notificationName: "pagerduty",
      recipients: ["Teleport Notifications Two"],
    });
    const req = request(world);
    const incident = await incidentOf(world, req.id);
    assert.equal(incident.serviceId, suite.notificationsTwo.id);
    assert.equal(goKeys(world, req.id).service_id, suite.notificationsTwo.id);
    assert.equal(
      world.pagerduty.incidents().filter((i) => i.serviceId === suite.notifications.id).length,
      0,
    );
  });
});

// ---- urgency (issue 10, item 2) -------------------------------------------------------------------

Deno.test("no urgency is sent unless configured, so the service's own rules decide", async () => {
  for (const urgency of [undefined, "high"] as const) {
    await withService({ config: { urgency } }, async (world) => {
      const req = world.auth.createAccessRequest({
        user: "erin@example.com",
        systemAnnotations: { pagerduty_notify_service: ["Databases"] },
      });
      const incident = await incidentOf(world, req.id);
      const create = world.pagerduty.calls.find((c) => c.operationId === "createIncident")!;
      const sent = (create.body as { incident: Record<string, unknown> }).incident;
      if (urgency === undefined) {
        assert.equal("urgency" in sent, false, "like the Go plugin, no urgency field");
        assert.equal(incident.urgency, "low", "the low-urgency service's rule applies");
      } else {
        assert.equal(sent.urgency, "high");
        assert.equal(incident.urgency, "high");
      }
    });
  }
});

// ---- Access Monitoring Rules (item 4) -------------------------------------------------------------

Deno.test("rules read the requester's traits and the request's times; states do not limit them", async () => {
  await withService({}, async (world) => {
    const suite = suiteAccount(world);
    world.auth.addUser({
      name: "sre@example.com",
      roles: ["requester"],
      traits: { team: ["sre"] },
    });
    world.auth.addUser({
      name: "dev@example.com",
      roles: ["requester"],
      traits: { team: ["dev"] },
    });
    world.auth.putAccessMonitoringRule({
      name: "sre-team",
      subjects: ["access_request"],
      states: ["approved"],
      condition: 'user.traits["team"].contains("sre") && ' +
        'access_request.spec.creation_time.after(time.RFC3339("2000-01-01T00:00:00Z")) && ' +
        "access_request.spec.expiry.after(access_request.spec.creation_time)",
      notificationName: "pagerduty",
      recipients: ["Teleport Notifications Two"],
    });
    const sre = request(world, { user: "sre@example.com" });
    const dev = request(world, { user: "dev@example.com" });
    assert.equal((await incidentOf(world, sre.id)).serviceId, suite.notificationsTwo.id);
    assert.equal((await incidentOf(world, dev.id)).serviceId, suite.notifications.id);
  });
});

async function withLogs(body: (records: LogRecord[]) => Promise<void>): Promise<void> {
  const records: LogRecord[] = [];
  await configure({
    sinks: { memory: (record) => records.push(record) },
    loggers: [
      { category: ["teleport-pagerduty"], sinks: ["memory"], lowestLevel: "warning" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  try {
    await body(records);
  } finally {
    await reset();
  }
}

Deno.test("a rule the service cannot evaluate is reported once by name; requests follow their annotation", async () => {
  await withLogs(async (records) => {
    await withService({}, async (world) => {
      const suite = suiteAccount(world);
      world.auth.putAccessMonitoringRule({
        name: "by-resource-labels",
        subjects: ["access_request"],
        states: [],
        condition: 'has_labels(access_request.spec.requested_resources, "env", "prod")',
        notificationName: "pagerduty",
        recipients: ["Teleport Notifications Two"],
      });
      const requests = [request(world), request(world), request(world)];
      for (const req of requests) {
        assert.equal((await incidentOf(world, req.id)).serviceId, suite.notifications.id);
      }
    });
    const reports = records.filter((r) => r.properties.rule === "by-resource-labels");
    assert.equal(reports.length, 1, "said once, not on every request");
    assert.match(
      String(reports[0].properties.message),
      /has_labels\(\) is not supported by this service/,
    );
  });
});

Deno.test("a role that cannot read users: rules see no traits, said once, nothing else stops", async () => {
  const { user: _user, ...rules } = ACCESS_PLUGIN_PERMISSIONS.rules!;
  await withLogs(async (records) => {
    await withService(
      { world: { pluginPermissions: { ...ACCESS_PLUGIN_PERMISSIONS, rules } } },
      async (world) => {
        const suite = suiteAccount(world);
        world.auth.addUser({ name: "sre@example.com", traits: { team: ["sre"] } });
        world.auth.putAccessMonitoringRule({
          name: "sre-team",
          subjects: ["access_request"],
          states: [],
          condition: 'user.traits["team"].contains("sre")',
          notificationName: "pagerduty",
          recipients: ["Teleport Notifications Two"],
        });
        for (const req of [request(world, { user: "sre@example.com" }), request(world)]) {
          assert.equal((await incidentOf(world, req.id)).serviceId, suite.notifications.id);
        }
      },
    );
    const said = records.filter((r) => /cannot read users/.test(String(r.rawMessage)));
    assert.equal(said.length, 1);
  });
});

// ---- old configs (item 5) -------------------------------------------------------------------------

Deno.test("a Go plugin config with empty strings and removed keys starts and works", async () => {
  const world = await World.start();
  try {
    suiteAccount(world);
    const text = `
[teleport]
addr = ""
auth_server = "${world.auth.addr}"
identity = "${world.identityPath}"
client_key = ""
client_crt = ""
root_cas = ""

[pagerduty]
api_key = "${world.pagerduty.apiKey}"
user_email = "${world.account.bot.email}"
api_endpoint = "${world.pagerduty.url}"
service_id = "PXXXXXX"
auto_approve = true

[pagerduty.requestannotations]
notify_service = ""
services = ""

[http]
listen_addr = ""
public_addr = ""

[log]
output = ""
severity = ""
`;
    const { config, warnings } = await parseConfig(text, {
      path: "go.toml",
      readFile: () => Promise.reject(new Deno.errors.NotFound()),
    });
    assert.deepEqual(warnings.map((w) => w.key), [
      "pagerduty.service_id",
      "pagerduty.auto_approve",
      "teleport.auth_server",
    ]);
    assert.equal(config.pagerduty.notifyServiceAnnotation, "pagerduty_notify_service");
    const handle = await startTestService(world, {}, config);
    try {
      const req = request(world);
      world.auth.setState(req.id, "APPROVED", "okay");
      const incident = await resolvedIncident(world, req.id);
      assert.deepEqual(notesOf(incident), [outcomeNote("approved", "okay")]);
    } finally {
      await handle.stop();
    }
  } finally {
    await world.stop();
  }
});

Deno.test("auto_approve = false is refused with the fix rather than ignored into approving", async () => {
  const text = `[pagerduty]\napi_key = "k"\nuser_email = "bot@example.com"\nauto_approve = false\n`;
  await assert.rejects(
    () => parseConfig(text, { path: "go.toml", readFile: () => Promise.reject(new Error()) }),
    (error: unknown) =>
      error instanceof ConfigError &&
      /replace it with \[pagerduty\.auto_approval\] enabled = false/.test(error.message),
  );
});

Deno.test("a requester whose email has a dotless domain is approved, as Go's net/mail allows", async () => {
  await withService({}, async (world) => {
    const suite = suiteAccount(world);
    const lee = world.pagerduty.addUser({ name: "Lee", email: "lee@localhost" });
    world.pagerduty.putOnCall({ userId: lee.id, escalationPolicyId: suite.policyIds[0], level: 1 });
    const req = request(world, { user: "lee@localhost" });
    const decided = await settledApproval(world, req.id);
    assert.equal(decided.state, "APPROVED");
    assert.equal(decided.reviews[0].author, PLUGIN_USER);
  });
});

// ---- tolerant readers (item 6) --------------------------------------------------------------------

/** Makes the fake PagerDuty leave out what the issue names: numbers, titles, levels, policies. */
function sparseAnswers(world: World, notifyServiceName: string): void {
  const pd = world.pagerduty;
  pd.reshapeAnswers("createIncident", (body) => {
    const incident = body.incident as Record<string, unknown>;
    delete incident.incident_number;
    incident.title = null;
    return body;
  });
  pd.reshapeAnswers("listServices", (body) => {
    for (const service of body.services as Record<string, unknown>[]) {
      if (service.name === notifyServiceName) service.escalation_policy = null;
    }
    return body;
  });
  pd.reshapeAnswers("listOnCalls", (body) => {
    for (const entry of body.oncalls as Record<string, unknown>[]) {
      delete entry.escalation_level;
      entry.schedule = null;
    }
    return body;
  });
}

Deno.test("answers without incident_number, title, escalation_level or policy are still used", async () => {
  await withService({}, async (world) => {
    const suite = suiteAccount(world);
    sparseAnswers(world, "Teleport Notifications");
    world.pagerduty.putOnCall({
      userId: suite.requester.id,
      escalationPolicyId: suite.policyIds[0],
      level: 1,
    });
    const req = request(world, { user: "requester1@example.com" });
    const decided = await settledApproval(world, req.id);
    assert.equal(decided.state, "APPROVED", "an on-call entry without its level still counts");
    const incident = await resolvedIncident(world, req.id);
    assert.equal(incident.serviceId, suite.notifications.id);
    assert.equal(goKeys(world, req.id).incident_id, incident.id);
  });
});

Deno.test("an on-call entry whose level is unknown never passes a level limit", async () => {
  await withService({ config: { autoApproval: { maxEscalationLevel: 1 } } }, async (world) => {
    const suite = suiteAccount(world);
    sparseAnswers(world, "Teleport Notifications");
    world.pagerduty.putOnCall({
      userId: suite.requester.id,
      escalationPolicyId: suite.policyIds[0],
      level: 1,
    });
    const req = request(world, { user: "requester1@example.com" });
    await refusalRecorded(world, req.id);
    assert.equal(world.auth.request(req.id)?.state, "PENDING");
  });
});
