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
    () => readService(result({ service: { id: "P1", name: "S" } })),
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
  const badDate = {
    oncalls: [{
      user: { id: "U" },
      escalation_policy: { id: "E" },
      escalation_level: 1,
      start: "soon",
    }],
  };
  rejectsWith(
    () => readOnCalls(result(badDate), readList(result(badDate), "oncalls")),
    /oncalls\[0\]\.start is not a date/,
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
    htmlUrl: "",
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
