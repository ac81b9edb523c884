import assert from "node:assert/strict";
import type { Incident } from "../pagerduty/types.ts";
import {
  incidentApprovalReason,
  incidentLockMessage,
  incidentRefusalNote,
  lockNote,
  shiftLockMessage,
  shiftReasonSuffix,
} from "./access_end_messages.ts";
import { lockName, lockNeeded, requestLock } from "./locks.ts";
import { autoApprovalReason } from "./messages.ts";

const REQUEST = "0193a1b2-0000-7000-8000-000000000001";
const alice = { id: "UALICE", name: "Alice", email: "alice@example.com" };
const incident: Incident = {
  id: "Q1R2DLCB21K7NP",
  number: 123,
  title: "Checkout DB latency",
  status: "acknowledged",
  incidentKey: "",
  serviceId: "SCHK",
  serviceName: "Checkout",
  htmlUrl: "https://acme.pagerduty.com/incidents/Q1R2DLCB21K7NP",
  assigneeIds: ["UALICE"],
  acceptedResponderIds: [],
};

Deno.test("one lock per request, named after it, expiring with the access", () => {
  assert.equal(lockName(REQUEST), `pagerduty-${REQUEST}`);
  const accessExpires = new Date("2026-11-25T22:00:00Z");
  assert.deepEqual(requestLock({ id: REQUEST, accessExpires }, "Your access ended."), {
    name: `pagerduty-${REQUEST}`,
    message: "Your access ended.",
    expires: accessExpires,
    target: { accessRequest: REQUEST },
  });
});

Deno.test("a lock is needed only while the request's access can still be used", () => {
  const now = new Date("2026-11-25T16:00:00Z");
  assert.equal(lockNeeded({ accessExpires: new Date("2026-11-25T22:00:00Z") }, now), true);
  assert.equal(lockNeeded({ accessExpires: now }, now), false, "expired access");
  assert.equal(lockNeeded(undefined, now), false, "deleted request");
  assert.equal(lockNeeded({ accessExpires: undefined }, now), true, "unknown expiry: lock");
});

Deno.test("lock messages tell the locked-out user why, in one sentence", () => {
  assert.equal(
    shiftLockMessage(REQUEST, new Date("2026-11-25T16:00:00Z")),
    `Your access from request ${REQUEST} ended: your PagerDuty on-call shift ended at 2026-11-25T16:00:00Z.`,
  );
  assert.equal(
    shiftLockMessage(REQUEST, undefined),
    `Your access from request ${REQUEST} ended: your PagerDuty on-call shift has ended.`,
  );
  assert.equal(
    incidentLockMessage(REQUEST, incident, "incident_resolved"),
    `Your access from request ${REQUEST} ended: PagerDuty incident #123 "Checkout DB latency" was resolved.`,
  );
  assert.equal(
    incidentLockMessage(REQUEST, undefined, "incident_gone"),
    `Your access from request ${REQUEST} ended: the PagerDuty incident it depended on can no longer be found.`,
  );
  const long = incidentLockMessage(
    REQUEST,
    { ...incident, title: "x\n".repeat(1000) },
    "incident_resolved",
  );
  assert.ok(long.length <= 500 && !long.includes("\n"), long);
});

Deno.test("the note on the access-request incident records that access ended and why", () => {
  const lockedAt = new Date("2026-11-25T16:00:05Z");
  assert.equal(
    lockNote("shift_ended", {
      lockName: lockName(REQUEST),
      lockedAt,
      shiftEndedAt: new Date("2026-11-25T16:00:00Z"),
    }),
    "Access from this request was ended at 2026-11-25T16:00:05Z: the requester's on-call shift " +
      `ended at 2026-11-25T16:00:00Z.\nTeleport lock pagerduty-${REQUEST} now refuses every ` +
      "certificate issued from the request.",
  );
  assert.match(
    lockNote("incident_resolved", { lockName: "l", lockedAt, incident }),
    /: PagerDuty incident #123 "Checkout DB latency" \(https:\/\/acme\.pagerduty\.com\/incidents\/Q1R2DLCB21K7NP\) was resolved\./,
  );
});

Deno.test("the on-call approval reason says until when the access lasts", () => {
  const base = autoApprovalReason(alice, [{ serviceName: "Checkout", escalationLevel: 1 }]);
  const end = new Date("2026-11-25T16:00:00Z");
  assert.equal(
    base + shiftReasonSuffix({ kind: "check_at", due: end, shiftEnd: end }),
    "Access requested by user Alice (alice@example.com) who is on call in service(s) Checkout " +
      "(escalation level 1); the access ends when the on-call shift ends at 2026-11-25T16:00:00Z",
  );
  assert.match(
    shiftReasonSuffix({ kind: "check_at", due: end, shiftEnd: undefined }),
    /no readable end; checked again at 2026-11-25T16:00:00Z/,
  );
  assert.match(shiftReasonSuffix({ kind: "no_lock", why: "permanent" }), /on call permanently/);
  assert.match(shiftReasonSuffix({ kind: "no_lock", why: "outlasts_access" }), /outlasts/);
});

Deno.test("the incident approval reason names the incident with number, title and link", () => {
  const reason = incidentApprovalReason(alice, {
    approve: true,
    citation: { id: incident.id, host: undefined, text: incident.id },
    incident,
    role: "responder",
    passedOver: ["PT4KHLK does not exist in this PagerDuty account"],
  });
  assert.equal(
    reason,
    "Access requested by user Alice (alice@example.com) who is an accepted responder on " +
      'PagerDuty incident #123 "Checkout DB latency" ' +
      "(https://acme.pagerduty.com/incidents/Q1R2DLCB21K7NP) in service Checkout; the access " +
      "ends when the incident is resolved; it is the first cited incident that qualifies " +
      "(PT4KHLK does not exist in this PagerDuty account)",
  );
});

Deno.test("the refusal note lists every problem and leaves the request to a reviewer", () => {
  assert.equal(
    incidentRefusalNote({
      approve: false,
      reason: "incident_resolved",
      details: ['incident #123 "Checkout DB latency" is resolved', "PT4KHLK does not exist"],
    }),
    "Not approved automatically for the cited PagerDuty incident; the request is left for a " +
      'reviewer:\n- incident #123 "Checkout DB latency" is resolved\n- PT4KHLK does not exist',
  );
});
