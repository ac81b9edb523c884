import assert from "node:assert/strict";
import type { Incident } from "../pagerduty/types.ts";
import {
  INCIDENT_LOCK_JOB,
  incidentLockFacts,
  incidentLockJob,
  SHIFT_END_JOB,
  shiftEndJob,
  shiftEndOf,
} from "./access_end_jobs.ts";

const incident: Incident = {
  id: "Q1R2DLCB21K7NP",
  number: 123,
  title: "Checkout DB latency",
  status: "resolved",
  incidentKey: "",
  serviceId: "SCHK",
  serviceName: "Checkout",
  htmlUrl: "https://acme.pagerduty.com/incidents/Q1R2DLCB21K7NP",
  assigneeIds: [],
  acceptedResponderIds: [],
};

Deno.test("a shift-end job is one per request, due at the shift's end, keeping the end when known", () => {
  const end = new Date("2026-11-25T16:00:00Z");
  const job = shiftEndJob(end, end);
  assert.deepEqual(job, {
    id: SHIFT_END_JOB,
    kind: SHIFT_END_JOB,
    dueAt: end.getTime(),
    data: { shift_end: "2026-11-25T16:00:00.000Z" },
  });
  assert.deepEqual(shiftEndOf(job), end);
  assert.equal(shiftEndOf(shiftEndJob(end, undefined)), undefined);
  assert.equal(shiftEndOf({ ...job, data: { shift_end: "soon" } }), undefined);
});

Deno.test("an incident lock job names the incident; odd data falls back to the recorded one", () => {
  const job = incidentLockJob("incident_resolved", { ...incident, title: "x".repeat(500) }, 7);
  assert.equal(job.id, INCIDENT_LOCK_JOB);
  assert.equal(job.dueAt, 7);
  assert.equal(job.data.title.length, 200, "titles are cut for plugin data");
  const facts = incidentLockFacts(incidentLockJob("incident_resolved", incident, 7), undefined);
  assert.deepEqual(facts, {
    reason: "incident_resolved",
    incident: {
      id: incident.id,
      number: 123,
      title: "Checkout DB latency",
      htmlUrl: incident.htmlUrl,
    },
  });
  const recorded = { id: "Q9", number: 9, title: "Recorded" };
  assert.deepEqual(incidentLockFacts(incidentLockJob("incident_gone", undefined, 7), recorded), {
    reason: "incident_gone",
    incident: recorded,
  });
  const odd = incidentLockFacts(
    { ...job, data: { reason: "other", incident_id: "Q1", number: "1e99", url: "http://x" } },
    recorded,
  );
  assert.equal(odd.reason, "incident_gone");
  assert.equal(odd.incident, recorded);
  const noLink = incidentLockFacts(
    { ...job, data: { ...job.data, url: "javascript:alert(1)" } },
    undefined,
  );
  assert.equal(noLink.incident?.htmlUrl, undefined);
});
