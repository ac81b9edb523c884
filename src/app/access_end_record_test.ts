import assert from "node:assert/strict";
import {
  type AccessEndRecord,
  decodeAccessEnd,
  dueShiftChecks,
  encodeAccessEnd,
  nextShiftCheck,
  NO_ACCESS_END,
  unreadableIncidentPlans,
  watchedIncidents,
} from "./access_end_record.ts";

const PLAN: AccessEndRecord = {
  shiftCheckAt: new Date("2026-11-25T16:00:00Z"),
  shiftEnd: new Date("2026-11-25T16:00:00Z"),
  incident: { id: "Q1", serviceId: "SCHK", number: 123, title: "Checkout DB latency" },
  locked: "",
};

Deno.test("a plan survives encoding; clearing a field deletes its key", () => {
  const encoded = encodeAccessEnd(PLAN);
  assert.deepEqual(encoded, {
    shift_check_at: "2026-11-25T16:00:00.000Z",
    shift_end: "2026-11-25T16:00:00.000Z",
    access_incident: '{"id":"Q1","service":"SCHK","number":123,"title":"Checkout DB latency"}',
    locked: "",
  });
  assert.deepEqual(decodeAccessEnd(encoded), PLAN);
  assert.deepEqual(encodeAccessEnd({ ...NO_ACCESS_END, locked: "shift_ended" }), {
    shift_check_at: "",
    shift_end: "",
    access_incident: "",
    locked: "shift_ended",
  });
  assert.deepEqual(decodeAccessEnd(undefined), NO_ACCESS_END);
  assert.deepEqual(decodeAccessEnd({ incident_id: "P1" }), NO_ACCESS_END, "lifecycle keys only");
});

Deno.test("odd stored values never drop a plan silently", () => {
  const odd = decodeAccessEnd({
    shift_check_at: "tomorrow",
    shift_end: "whenever",
    access_incident: "{not json",
    locked: "because",
  });
  assert.deepEqual(odd.shiftCheckAt, new Date(0), "an unreadable check time is due at once");
  assert.equal(odd.shiftEnd, undefined);
  assert.equal(odd.incident, "unreadable");
  assert.equal(odd.locked, "");
  assert.equal(decodeAccessEnd({ access_incident: '{"id":""}' }).incident, "unreadable");
  assert.equal(decodeAccessEnd({ access_incident: "[]" }).incident, "unreadable");
});

Deno.test("the due shift checks, the next one and the watched incidents come from all records", () => {
  const now = new Date("2026-11-25T16:00:00Z");
  const records = [
    { requestId: "due", data: encodeAccessEnd({ ...NO_ACCESS_END, shiftCheckAt: now }) },
    {
      requestId: "overdue",
      data: encodeAccessEnd({ ...NO_ACCESS_END, shiftCheckAt: new Date("2026-11-25T15:00:00Z") }),
    },
    {
      requestId: "later",
      data: encodeAccessEnd({ ...NO_ACCESS_END, shiftCheckAt: new Date("2026-11-25T18:00:00Z") }),
    },
    {
      requestId: "locked",
      data: encodeAccessEnd({ ...PLAN, shiftCheckAt: new Date(0), locked: "shift_ended" }),
    },
    { requestId: "watching", data: encodeAccessEnd({ ...NO_ACCESS_END, incident: PLAN.incident }) },
    { requestId: "broken", data: { access_incident: "{" } },
    { requestId: "plain", data: { incident_id: "P1" } },
  ];
  assert.deepEqual(dueShiftChecks(records, now).map((d) => d.requestId), ["overdue", "due"]);
  assert.deepEqual(nextShiftCheck(records, now), new Date("2026-11-25T18:00:00Z"));
  assert.equal(nextShiftCheck([], now), undefined);
  assert.deepEqual(watchedIncidents(records), [
    { requestId: "watching", incidentId: "Q1", serviceId: "SCHK" },
  ]);
  assert.deepEqual(unreadableIncidentPlans(records), ["broken"]);
});
