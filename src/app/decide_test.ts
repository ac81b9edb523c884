import assert from "node:assert/strict";
import { makeRequest, makeReview } from "../../tests/fixtures.ts";
import { decideForDeleted, decideForRequest, servicesWithoutIncident } from "./decide.ts";
import { EMPTY_RECORD, type RequestRecord, withIncident } from "./plugin_data.ts";

const context = {
  selfUser: "teleport-plugin",
  autoApprovalEnabled: true,
  approvalServiceNames: ["DB"],
};
const withOne: RequestRecord = withIncident(EMPTY_RECORD, "S1", "I1");

Deno.test("a new pending request needs incidents and an auto-approval check", () => {
  assert.deepEqual(decideForRequest(makeRequest(), EMPTY_RECORD, context), {
    type: "pending",
    newReviews: [],
    autoApprove: true,
  });
});

Deno.test("auto-approval is not tried when off, without services, once recorded, or after our own review", () => {
  const request = makeRequest();
  const cases: Array<[Partial<typeof context>, RequestRecord, ReturnType<typeof makeRequest>]> = [
    [{ autoApprovalEnabled: false }, EMPTY_RECORD, request],
    [{ approvalServiceNames: [] }, EMPTY_RECORD, request],
    [{}, { ...EMPTY_RECORD, autoApproval: "not_eligible" }, request],
    [{}, EMPTY_RECORD, makeRequest({ reviews: [makeReview({ author: "teleport-plugin" })] })],
  ];
  for (const [override, record, req] of cases) {
    const action = decideForRequest(req, record, { ...context, ...override });
    assert.equal(action.type, "pending");
    assert.equal(action.type === "pending" && action.autoApprove, false, JSON.stringify(override));
  }
});

Deno.test("only reviews beyond the recorded count are new", () => {
  const reviews = [makeReview({ author: "a" }), makeReview({ author: "b" })];
  const action = decideForRequest(
    makeRequest({ reviews }),
    { ...withOne, reviewsCount: 1 },
    context,
  );
  assert.equal(action.type, "pending");
  assert.deepEqual(action.type === "pending" && action.newReviews, [reviews[1]]);
});

Deno.test("a decided request with incidents is resolved with its reason and new reviews", () => {
  const reviews = [makeReview({ reason: "fine" })];
  for (
    const [state, resolution] of [["APPROVED", "approved"], ["DENIED", "denied"], [
      "PROMOTED",
      "promoted",
    ]] as const
  ) {
    const action = decideForRequest(
      makeRequest({ state, resolveReason: "fine", reviews }),
      withOne,
      context,
    );
    assert.deepEqual(action, { type: "resolve", resolution, reason: "fine", newReviews: reviews });
  }
});

Deno.test("nothing to do once resolved, without incidents, or in state NONE", () => {
  const approved = makeRequest({ state: "APPROVED" });
  assert.equal(decideForRequest(approved, EMPTY_RECORD, context).type, "none");
  assert.equal(
    decideForRequest(approved, { ...withOne, resolution: "approved" }, context).type,
    "none",
  );
  assert.equal(decideForRequest(makeRequest({ state: "NONE" }), withOne, context).type, "none");
  assert.equal(
    decideForRequest(makeRequest(), { ...withOne, resolution: "expired" }, context).type,
    "none",
  );
});

Deno.test("a deleted request with an open incident is resolved as expired", () => {
  assert.deepEqual(decideForDeleted(withOne), {
    type: "resolve",
    resolution: "expired",
    reason: "",
    newReviews: [],
  });
  assert.equal(decideForDeleted(EMPTY_RECORD).type, "none");
  assert.equal(decideForDeleted({ ...withOne, resolution: "approved" }).type, "none");
});

Deno.test("incidents are opened only in services that have none", () => {
  const services = [
    { id: "S1", name: "A", escalationPolicyId: "E", htmlUrl: "" },
    { id: "S2", name: "B", escalationPolicyId: "E", htmlUrl: "" },
  ];
  assert.deepEqual(servicesWithoutIncident(services, withOne).map((s) => s.id), ["S2"]);
});

Deno.test("an incident asked for but never recorded (a crash in between) is still resolved", () => {
  const opening = { ...EMPTY_RECORD, opening: ["S1"] };
  assert.deepEqual(decideForDeleted(opening), {
    type: "resolve",
    resolution: "expired",
    reason: "",
    newReviews: [],
  });
  const action = decideForRequest(
    makeRequest({ state: "DENIED", resolveReason: "no" }),
    opening,
    context,
  );
  assert.equal(action.type, "resolve");
  assert.equal(action.type === "resolve" && action.resolution, "denied");
  assert.equal(decideForDeleted({ ...opening, resolution: "expired" }).type, "none");
});
