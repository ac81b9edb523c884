import assert from "node:assert/strict";
import { autoApprovalConfig } from "../../tests/fixtures.ts";
import type { OnCall, Service } from "../pagerduty/types.ts";
import {
  emailIdentityProblem,
  isEmail,
  judgeOnCalls,
  requesterEmail,
  rolesAllowed,
  singleUser,
} from "./auto_approval.ts";

const db: Service = { id: "S1", name: "DB", escalationPolicyId: "EP1", htmlUrl: "" };
const web: Service = { id: "S2", name: "Web", escalationPolicyId: "EP2", htmlUrl: "" };

function onCall(fields: Partial<OnCall>): OnCall {
  return {
    userId: "U1",
    escalationPolicyId: "EP1",
    escalationLevel: 1,
    scheduleId: "SCH1",
    start: undefined,
    end: undefined,
    ...fields,
  };
}

Deno.test("only bare addresses count as emails", () => {
  for (const text of ["alice@example.com", "alice@localhost", "jörg@bücher.example"]) {
    assert.ok(isEmail(text), text);
  }
  for (const text of ["alice", "Alice <alice@example.com>", "a b@example.com", '"a"@b.io']) {
    assert.ok(!isEmail(text), text);
  }
});

Deno.test("the email comes from the username, else from exactly one trait value", () => {
  assert.deepEqual(requesterEmail("alice@example.com", undefined, undefined), {
    email: "alice@example.com",
  });
  assert.deepEqual(requesterEmail("alice", { email: ["Alice@Example.com"] }, "email"), {
    email: "Alice@Example.com",
  });
  assert.deepEqual(
    requesterEmail("alice", { email: ["Alice@Example.com", "alice@example.com"] }, "email"),
    { email: "Alice@Example.com" },
    "spellings differing only in ASCII case are one email",
  );
  const none = requesterEmail("alice", { email: [] }, "email");
  assert.ok("refusal" in none && none.refusal.reason === "no_email");
  const two = requesterEmail("alice", { email: ["a@x.io", "b@x.io"] }, "email");
  assert.ok("refusal" in two && /2 different emails/.test(two.refusal.detail));
  const unset = requesterEmail("alice", { email: ["a@x.io"] }, undefined);
  assert.ok("refusal" in unset && /email_trait is not set/.test(unset.refusal.detail));
});

Deno.test("the role allow-list must cover every requested role", () => {
  assert.ok(rolesAllowed(["a", "b"], autoApprovalConfig()).approve);
  assert.ok(rolesAllowed(["a"], autoApprovalConfig({ roles: ["a", "c"] })).approve);
  const refused = rolesAllowed(["a", "b"], autoApprovalConfig({ roles: ["a"] }));
  assert.ok(!refused.approve && refused.reason === "role_not_allowed" && /b/.test(refused.detail));
});

Deno.test("exactly one PagerDuty user must match the email", () => {
  const alice = { id: "U1", name: "Alice", email: "Alice@example.com" };
  assert.equal(singleUser("alice@example.com", [alice]), alice);
  assert.deepEqual(
    (singleUser("alice@example.com", []) as { reason: string }).reason,
    "no_user",
  );
  assert.deepEqual(
    (singleUser("alice@example.com", [alice, { ...alice, id: "U2" }]) as { reason: string }).reason,
    "ambiguous_user",
  );
  const other = { id: "U3", name: "Al", email: "al@example.com" };
  assert.equal((singleUser("alice@example.com", [other]) as { reason: string }).reason, "no_user");
});

Deno.test("on call in any listed service's policy approves, naming services and levels", () => {
  const verdict = judgeOnCalls("U1", [db, web], [
    onCall({ escalationPolicyId: "EP2", escalationLevel: 2 }),
  ], autoApprovalConfig());
  assert.deepEqual(verdict, {
    approve: true,
    matches: [{ serviceName: "Web", escalationLevel: 2, scheduleId: "SCH1" }],
  });
});

Deno.test("on-calls of other users or other policies do not count", () => {
  const verdict = judgeOnCalls("U1", [db], [
    onCall({ userId: "U2" }),
    onCall({ escalationPolicyId: "EP3" }),
  ], autoApprovalConfig());
  assert.ok(!verdict.approve && verdict.reason === "not_on_call");
});

Deno.test("the level filter refuses on-calls above the configured level", () => {
  const config = autoApprovalConfig({ maxEscalationLevel: 1 });
  const above = judgeOnCalls("U1", [db], [onCall({ escalationLevel: 3 })], config);
  assert.ok(!above.approve && above.reason === "filtered_level");
  assert.ok(judgeOnCalls("U1", [db], [onCall({ escalationLevel: 3 }), onCall({})], config).approve);
});

Deno.test("the schedule filter refuses other schedules and direct targets", () => {
  const config = autoApprovalConfig({ scheduleIds: ["SCH9"] });
  const direct = judgeOnCalls("U1", [db], [onCall({ scheduleId: undefined }), onCall({})], config);
  assert.ok(!direct.approve && direct.reason === "filtered_schedule");
  assert.ok(judgeOnCalls("U1", [db], [onCall({ scheduleId: "SCH9" })], config).approve);
});

Deno.test("no known service means no approval", () => {
  const verdict = judgeOnCalls("U1", [], [onCall({})], autoApprovalConfig());
  assert.ok(!verdict.approve && verdict.reason === "unknown_services");
});

Deno.test("identities fold ASCII case only: a Unicode look-alike is nobody", () => {
  const kate = { id: "U1", name: "Kate", email: "kate@example.com" };
  // U+212A KELVIN SIGN lower-cases to "k" with toLowerCase().
  const kelvin = "\u212Aate@example.com";
  const refused = requesterEmail(kelvin, undefined, undefined);
  assert.ok("refusal" in refused && refused.refusal.reason === "no_email");
  assert.match(refused.refusal.detail, /outside ASCII before the @/);
  assert.equal((singleUser(kelvin, [kate]) as { reason: string }).reason, "no_user");
  assert.equal(singleUser("KATE@EXAMPLE.COM", [kate]), kate);
  const viaTrait = requesterEmail("kate", { email: [kelvin] }, "email");
  assert.ok(
    "refusal" in viaTrait && /trait "email": .*outside ASCII/.test(viaTrait.refusal.detail),
  );
});

Deno.test("a domain must be in normalized form; a normalized international one is fine", () => {
  assert.equal(emailIdentityProblem("kate@example.com"), undefined);
  assert.equal(emailIdentityProblem("kate@b\u00fccher.example"), undefined);
  // Fullwidth letters and a decomposed ü are other spellings of the same domains.
  assert.match(emailIdentityProblem("kate@\uff45xample.com")!, /not in normalized form/);
  assert.match(emailIdentityProblem("kate@bu\u0308cher.example")!, /not in normalized form/);
  assert.match(emailIdentityProblem("k\u00e4te@example.com")!, /outside ASCII/);
});
