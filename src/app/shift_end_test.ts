import assert from "node:assert/strict";
import type { OnCall } from "../pagerduty/types.ts";
import { autoApprovalConfig } from "../../tests/fixtures.ts";
import { judgeOnCalls, qualifyingOnCalls } from "./auto_approval.ts";
import { planAtApproval, planAtDue, shiftEnd, UNREADABLE_END_RECHECK_MS } from "./shift_end.ts";

const NOW = new Date("2026-11-25T10:00:00Z");
const at = (iso: string) => new Date(iso);
const EXPIRES = at("2026-11-25T22:00:00Z");

function onCall(end: OnCall["end"], fields: Partial<OnCall> = {}): OnCall {
  return {
    userId: "U1",
    escalationPolicyId: "EP1",
    escalationLevel: 1,
    scheduleId: "SCH1",
    start: at("2026-11-25T08:00:00Z"),
    end,
    ...fields,
  };
}

Deno.test("the shift ends with the latest end of the qualifying entries", () => {
  assert.deepEqual(
    shiftEnd([onCall(at("2026-11-25T12:00:00Z")), onCall(at("2026-11-25T16:00:00Z"))], NOW),
    { kind: "until", at: at("2026-11-25T16:00:00Z"), certain: true },
  );
  assert.deepEqual(planAtApproval([onCall(at("2026-11-25T16:00:00Z"))], EXPIRES, NOW), {
    kind: "check_at",
    due: at("2026-11-25T16:00:00Z"),
    shiftEnd: at("2026-11-25T16:00:00Z"),
  });
});

Deno.test("a permanent on-call (end null) never ends the access early", () => {
  const qualifying = [
    onCall(at("2026-11-25T12:00:00Z")),
    onCall(undefined, { scheduleId: undefined }),
  ];
  assert.deepEqual(shiftEnd(qualifying, NOW), { kind: "permanent" });
  assert.deepEqual(planAtApproval(qualifying, EXPIRES, NOW), { kind: "no_lock", why: "permanent" });
});

Deno.test("a shift that outlasts the access needs no lock", () => {
  assert.deepEqual(planAtApproval([onCall(EXPIRES)], EXPIRES, NOW), {
    kind: "no_lock",
    why: "outlasts_access",
  });
  assert.deepEqual(planAtApproval([onCall(at("2026-11-26T10:00:00Z"))], EXPIRES, NOW), {
    kind: "no_lock",
    why: "outlasts_access",
  });
  // Without a known access expiry the lock is still planned.
  assert.equal(
    planAtApproval([onCall(at("2026-11-26T10:00:00Z"))], undefined, NOW).kind,
    "check_at",
  );
});

Deno.test("an unreadable end is looked at again, never trusted nor ignored", () => {
  assert.deepEqual(planAtApproval([onCall("unreadable")], EXPIRES, NOW), {
    kind: "check_at",
    due: new Date(NOW.getTime() + UNREADABLE_END_RECHECK_MS),
    shiftEnd: undefined,
  });
  // A readable later end covers the time until then; the unreadable one is looked at there.
  assert.deepEqual(
    planAtApproval([onCall("unreadable"), onCall(at("2026-11-25T18:00:00Z"))], EXPIRES, NOW),
    { kind: "check_at", due: at("2026-11-25T18:00:00Z"), shiftEnd: undefined },
  );
});

Deno.test("a shift already over by this host's clock (skew) is not approved", () => {
  const plan = planAtApproval([onCall(at("2026-11-25T09:59:59Z"))], EXPIRES, NOW);
  assert.equal(plan.kind, "lock");
  assert.deepEqual(shiftEnd([], NOW), { kind: "over" });
});

Deno.test("at the due time: a back-to-back shift moves the end", () => {
  const due = at("2026-11-25T16:00:00Z");
  const next = [onCall(at("2026-11-26T00:00:00Z"), { start: due })];
  assert.deepEqual(
    planAtDue({ approve: true, matches: [] }, next, at("2027-01-01T00:00:00Z"), due),
    {
      kind: "check_at",
      due: at("2026-11-26T00:00:00Z"),
      shiftEnd: at("2026-11-26T00:00:00Z"),
    },
  );
  // An override that lasts past the access: no lock any more.
  assert.deepEqual(planAtDue({ approve: true, matches: [] }, next, EXPIRES, due), {
    kind: "no_lock",
    why: "outlasts_access",
  });
  assert.deepEqual(planAtDue({ approve: true, matches: [] }, [onCall(undefined)], EXPIRES, due), {
    kind: "no_lock",
    why: "permanent",
  });
});

Deno.test("at the due time: not on call any more, or only in ended entries, locks", () => {
  const due = at("2026-11-25T16:00:00Z");
  const refused = planAtDue(
    { approve: false, reason: "not_on_call", detail: "not on call in Checkout" },
    [],
    EXPIRES,
    due,
  );
  assert.deepEqual(refused, {
    kind: "lock",
    detail: "no longer on call (not on call in Checkout)",
  });
  // PagerDuty still lists the shift that ended exactly now: it no longer counts.
  assert.equal(planAtDue({ approve: true, matches: [] }, [onCall(due)], EXPIRES, due).kind, "lock");
});

Deno.test("the qualifying entries are those the approval rests on, filters applied", () => {
  const services = [{ id: "S1", name: "Checkout", escalationPolicyId: "EP1", htmlUrl: "" }];
  const config = autoApprovalConfig({ maxEscalationLevel: 1, scheduleIds: ["SCH1"] });
  const entries = [
    onCall(at("2026-11-25T12:00:00Z")),
    onCall(undefined, { escalationLevel: 2 }), // permanent, but at a level that does not count
    onCall(undefined, { scheduleId: "SCH2" }), // permanent, but from another schedule
    onCall(undefined, { userId: "U2" }),
    onCall(undefined, { escalationPolicyId: "EP9" }),
  ];
  assert.ok(judgeOnCalls("U1", services, entries, config).approve);
  const qualifying = qualifyingOnCalls("U1", services, entries, config);
  assert.deepEqual(qualifying, [entries[0]]);
  assert.deepEqual(planAtApproval(qualifying, EXPIRES, NOW), {
    kind: "check_at",
    due: at("2026-11-25T12:00:00Z"),
    shiftEnd: at("2026-11-25T12:00:00Z"),
  });
});
