import assert from "node:assert/strict";
import {
  type AccessEndRecord,
  decodeAccessEnd,
  encodeAccessEnd,
  NO_ACCESS_END,
  unreadableIncidentPlans,
  watchedIncidents,
} from "./access_end_record.ts";

const PLAN: AccessEndRecord = {
  incident: { id: "Q1", serviceId: "SCHK", number: 123, title: "Checkout DB latency" },
  incidentApproval: "approved",
  locked: "",
};

Deno.test("a plan survives encoding; clearing a field deletes its key", () => {
  const encoded = encodeAccessEnd(PLAN);
  assert.deepEqual(encoded, {
    access_incident: '{"id":"Q1","service":"SCHK","number":123,"title":"Checkout DB latency"}',
    incident_approval: "approved",
    locked: "",
  });
  assert.deepEqual(decodeAccessEnd(encoded), PLAN);
  assert.deepEqual(encodeAccessEnd({ ...NO_ACCESS_END, locked: "shift_ended" }), {
    access_incident: "",
    incident_approval: "",
    locked: "shift_ended",
  });
  assert.deepEqual(decodeAccessEnd(undefined), NO_ACCESS_END);
  assert.deepEqual(decodeAccessEnd({ incident_id: "P1" }), NO_ACCESS_END, "lifecycle keys only");
});

Deno.test("odd stored values never drop a plan silently", () => {
  const odd = decodeAccessEnd({
    access_incident: "{not json",
    incident_approval: "maybe",
    locked: "because",
  });
  assert.equal(odd.incident, "unreadable");
  assert.equal(odd.incidentApproval, "");
  assert.equal(odd.locked, "");
  assert.equal(decodeAccessEnd({ access_incident: '{"id":""}' }).incident, "unreadable");
  assert.equal(decodeAccessEnd({ access_incident: "[]" }).incident, "unreadable");
});

Deno.test("the watched incidents and the unreadable plans come from all records", () => {
  const records = [
    { requestId: "locked", data: encodeAccessEnd({ ...PLAN, locked: "incident_resolved" }) },
    { requestId: "watching", data: encodeAccessEnd({ ...NO_ACCESS_END, incident: PLAN.incident }) },
    { requestId: "broken", data: { access_incident: "{" } },
    { requestId: "plain", data: { incident_id: "P1" } },
  ];
  assert.deepEqual(watchedIncidents(records), [
    { requestId: "watching", incidentId: "Q1", serviceId: "SCHK" },
  ]);
  assert.deepEqual(unreadableIncidentPlans(records), ["broken"]);
});
