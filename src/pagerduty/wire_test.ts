import assert from "node:assert/strict";
import type { HttpResult } from "./http.ts";
import { PagerDutyError } from "./types.ts";
import {
  readAbilities,
  readIncident,
  readList,
  readNotes,
  readOnCalls,
  readService,
  readUsers,
} from "./wire.ts";

function result(body: unknown, operation = "GET /x"): HttpResult {
  return { status: 200, body, operation };
}

function rejectsWith(fn: () => unknown, problem: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof PagerDutyError);
    assert.equal(error.status, 200);
    assert.match(error.message, problem);
    assert.match(error.message, /pagerduty\.api_endpoint/);
    return true;
  });
}

Deno.test("readers name the field that is missing or of the wrong type", () => {
  rejectsWith(() => readService(result(undefined)), /the body is not an object/);
  rejectsWith(
    () => readService(result({ service: { id: "P1", name: "S", escalation_policy: "EP" } })),
    /service\.escalation_policy is not an object/,
  );
  rejectsWith(
    () =>
      readIncident(
        result({
          incident: {
            id: "Q1",
            incident_number: 1,
            title: "t",
            status: "snoozed",
            service: { id: "P" },
          },
        }),
      ),
    /incident\.status "snoozed" is not a known incident status/,
  );
  rejectsWith(() => readList(result({ services: "none" }), "services"), /services is not an array/);
  rejectsWith(
    () => readAbilities(result({ abilities: ["teams", 7] })),
    /abilities\[1\] is not a string/,
  );
  rejectsWith(
    () =>
      readIncident(result({
        incident: {
          id: "Q1",
          incident_number: 1,
          title: "t",
          status: "triggered",
          service: { id: "P" },
          assignments: [{ at: "2026-01-01T00:00:00Z", assignee: { type: "user_reference" } }],
        },
      })),
    /incident\.assignments\[0\]\.assignee\.id is not a string/,
  );
  rejectsWith(
    () =>
      readIncident(result({
        incident: {
          id: "Q1",
          incident_number: 1,
          title: "t",
          status: "triggered",
          service: { id: "P" },
          incidents_responders: [{ state: "joined", user: { id: 7 } }],
        },
      })),
    /incident\.incidents_responders\[0\]\.user\.id is not a string/,
  );
});

Deno.test("readers accept PagerDuty's optional and null fields", () => {
  const incident = readIncident(result({
    incident: {
      id: "Q1",
      incident_number: 3,
      title: "t",
      status: "acknowledged",
      incident_key: null,
      service: { id: "P1", type: "service_reference" },
    },
  }));
  assert.deepEqual(incident, {
    id: "Q1",
    number: 3,
    title: "t",
    status: "acknowledged",
    incidentKey: "",
    serviceId: "P1",
    serviceName: "",
    htmlUrl: "",
    assigneeIds: [],
    acceptedResponderIds: [],
  });
  const body = {
    oncalls: [{
      user: { id: "U", type: "user_reference" },
      escalation_policy: { id: "E" },
      escalation_level: 2,
      schedule: null,
      start: null,
      end: null,
    }],
  };
  assert.deepEqual(readOnCalls(result(body), readList(result(body), "oncalls")), [{
    userId: "U",
    escalationPolicyId: "E",
    escalationLevel: 2,
    scheduleId: undefined,
    start: undefined,
    end: undefined,
  }]);
  assert.deepEqual(readList(result({ users: [] }), "users"), { items: [], more: false });
});

Deno.test("an incident's notes are read with their content; a malformed one is named", () => {
  const notes = readNotes(result({
    notes: [
      { id: "N1", content: "first", user: { id: "U1" }, created_at: "2026-01-01T00:00:00Z" },
      { id: "N2", content: "second" },
    ],
  }));
  assert.deepEqual(notes, [{ id: "N1", content: "first" }, { id: "N2", content: "second" }]);
  rejectsWith(
    () => readNotes(result({ notes: [{ id: "N3" }] })),
    /notes\[0\]\.content is not a string/,
  );
  rejectsWith(() => readNotes(result({})), /notes is not an array/);
});

Deno.test("an incident's assignees and joined responders are read; other responders are not", () => {
  const incident = readIncident(result({
    incident: {
      id: "Q1",
      incident_number: 123,
      title: "Checkout DB latency",
      status: "acknowledged",
      service: { id: "P1", type: "service_reference", summary: "Checkout" },
      html_url: "https://acme.pagerduty.com/incidents/Q1",
      assignments: [{ at: "2026-01-01T00:00:00Z", assignee: { id: "U1", type: "user_reference" } }],
      incidents_responders: [
        { state: "joined", user: { id: "U2" } },
        { state: "pending", user: { id: "U3" } },
        { state: "declined", user: { id: "U4" } },
        { state: "something_new", user: { id: "U5" } },
        { state: "pending" },
      ],
    },
  }));
  assert.equal(incident.serviceName, "Checkout");
  assert.equal(incident.htmlUrl, "https://acme.pagerduty.com/incidents/Q1");
  assert.deepEqual(incident.assigneeIds, ["U1"]);
  assert.deepEqual(incident.acceptedResponderIds, ["U2"]);
});

Deno.test("on-call times that are not times are kept as unreadable, not fatal", () => {
  const body = {
    oncalls: [
      {
        user: { id: "U" },
        escalation_policy: { id: "E" },
        escalation_level: 1,
        start: "soon",
        end: "later",
      },
      { user: { id: "U" }, escalation_policy: { id: "E" }, escalation_level: 1, end: 42 },
      {
        user: { id: "U" },
        escalation_policy: { id: "E" },
        escalation_level: 1,
        start: "2026-01-01T08:00:00Z",
        end: "2026-01-01T16:00:00Z",
      },
      { user: { id: "U" }, escalation_policy: { id: "E" }, escalation_level: 1 },
    ],
  };
  const entries = readOnCalls(result(body), readList(result(body), "oncalls"));
  assert.deepEqual(
    entries.map((
      e,
    ) => [e.start?.toISOString(), e.end instanceof Date ? e.end.toISOString() : e.end]),
    [
      [undefined, "unreadable"],
      [undefined, "unreadable"],
      ["2026-01-01T08:00:00.000Z", "2026-01-01T16:00:00.000Z"],
      [undefined, undefined],
    ],
  );
});

Deno.test("a missing or null number, title, level, policy or list does not stop the answer", () => {
  for (const missing of [{}, { incident_number: null, title: null }]) {
    const incident = readIncident(result({
      incident: { id: "Q1", status: "triggered", service: { id: "P1" }, ...missing },
    }));
    assert.equal(incident.id, "Q1");
    assert.equal(incident.number, undefined);
    assert.equal(incident.title, "");
  }
  for (const policy of [{}, { escalation_policy: null }]) {
    const service = readService(result({ service: { id: "P1", name: "S", ...policy } }));
    assert.deepEqual(service, { id: "P1", name: "S", escalationPolicyId: undefined, htmlUrl: "" });
  }
  const body = {
    oncalls: [
      { user: { id: "U" }, escalation_policy: { id: "E1" } },
      { user: { id: "U" }, escalation_policy: { id: "E2" }, escalation_level: null },
      { user: { id: "U" }, escalation_policy: null, escalation_level: 1 },
      { user: null, escalation_policy: { id: "E1" }, escalation_level: 1 },
      { escalation_level: 1 },
    ],
  };
  const onCalls = readOnCalls(result(body), readList(result(body), "oncalls"));
  // An entry without a user or policy is nobody's on-call in a policy; the others count.
  assert.deepEqual(onCalls.map((o) => [o.escalationPolicyId, o.escalationLevel]), [
    ["E1", Number.POSITIVE_INFINITY],
    ["E2", Number.POSITIVE_INFINITY],
  ]);
  for (const key of ["services", "users", "oncalls", "incidents"]) {
    assert.deepEqual(readList(result({ [key]: null, more: null }), key), {
      items: [],
      more: false,
    });
  }
  assert.deepEqual(readNotes(result({ notes: null })), []);
  assert.deepEqual(readAbilities(result({ abilities: null })), []);
});

Deno.test("IDs, emails and statuses stay strict: a wrong one is an error, never a guess", () => {
  rejectsWith(
    () => readIncident(result({ incident: { status: "triggered", service: { id: "P" } } })),
    /incident\.id is not a string/,
  );
  rejectsWith(
    () => readIncident(result({ incident: { id: "Q", status: null, service: { id: "P" } } })),
    /incident\.status is not a string/,
  );
  rejectsWith(
    () => readIncident(result({ incident: { id: "Q", status: "triggered", service: null } })),
    /incident\.service is not an object/,
  );
  rejectsWith(
    () =>
      readIncident(
        result({
          incident: { id: "Q", status: "resolved", incident_number: "7", service: { id: "P" } },
        }),
      ),
    /incident\.incident_number is not a number/,
  );
  const users = { users: [{ id: "U1", name: "A", email: null }] };
  rejectsWith(
    () => readUsers(result(users), readList(result(users), "users")),
    /users\[0\]\.email is not a string/,
  );
  const wrongId = { oncalls: [{ user: { id: 7 }, escalation_policy: { id: "E" } }] };
  rejectsWith(
    () => readOnCalls(result(wrongId), readList(result(wrongId), "oncalls")),
    /oncalls\[0\]\.user\.id is not a string/,
  );
  const wrongLevel = {
    oncalls: [{ user: { id: "U" }, escalation_policy: { id: "E" }, escalation_level: "1" }],
  };
  rejectsWith(
    () => readOnCalls(result(wrongLevel), readList(result(wrongLevel), "oncalls")),
    /oncalls\[0\]\.escalation_level is not a number/,
  );
  rejectsWith(() => readList(result({}), "oncalls"), /oncalls is not an array/);
});
