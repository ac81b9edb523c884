import assert from "node:assert/strict";
import {
  type CountedReview,
  DEFAULT_THRESHOLD,
  defaultRoleThresholdMapping,
  matchingThresholds,
  resolveByReviews,
  type Threshold,
} from "./thresholds.ts";

const approve = (indexes: number[]): CountedReview => ({
  decision: "APPROVED",
  thresholdIndexes: indexes,
});
const deny = (indexes: number[]): CountedReview => ({
  decision: "DENIED",
  thresholdIndexes: indexes,
});

Deno.test("the default threshold resolves on the first approval or denial", () => {
  const t = [DEFAULT_THRESHOLD];
  const mapping = defaultRoleThresholdMapping(["editor"], t);
  assert.equal(resolveByReviews(["editor"], t, mapping, []), "PENDING");
  assert.equal(resolveByReviews(["editor"], t, mapping, [approve([0])]), "APPROVED");
  assert.equal(resolveByReviews(["editor"], t, mapping, [deny([0])]), "DENIED");
});

Deno.test("approve 2 / deny 2 needs two matching reviews either way", () => {
  const t: Threshold[] = [{ name: "two", filter: "", approve: 2, deny: 2 }];
  const mapping = defaultRoleThresholdMapping(["db"], t);
  assert.equal(resolveByReviews(["db"], t, mapping, [approve([0])]), "PENDING");
  assert.equal(resolveByReviews(["db"], t, mapping, [approve([0]), deny([0])]), "PENDING");
  assert.equal(resolveByReviews(["db"], t, mapping, [approve([0]), approve([0])]), "APPROVED");
  assert.equal(
    resolveByReviews(["db"], t, mapping, [deny([0]), approve([0]), deny([0])]),
    "DENIED",
  );
});

Deno.test("every set of every role must have one met threshold to approve", () => {
  const t: Threshold[] = [
    { name: "a", filter: "", approve: 1, deny: 0 },
    { name: "b", filter: "", approve: 2, deny: 0 },
  ];
  // Role x needs threshold a; role y needs b (two sets would need both).
  const mapping = { x: [[0]], y: [[1]] };
  assert.equal(resolveByReviews(["x", "y"], t, mapping, [approve([0, 1])]), "PENDING");
  assert.equal(
    resolveByReviews(["x", "y"], t, mapping, [approve([0, 1]), approve([1])]),
    "APPROVED",
  );
  // Deny 0 means the threshold never denies.
  assert.equal(resolveByReviews(["x"], t, mapping, [deny([0, 1]), deny([0, 1])]), "PENDING");
  // A role without sets can never be approved.
  assert.equal(resolveByReviews(["z"], t, mapping, [approve([0]), approve([1])]), "PENDING");
});

Deno.test("reviews count towards every threshold with an empty filter", () => {
  const t: Threshold[] = [
    { name: "a", filter: "", approve: 1, deny: 1 },
    { name: "b", filter: "", approve: 1, deny: 1 },
  ];
  assert.deepEqual(matchingThresholds(t), [0, 1]);
  assert.deepEqual(defaultRoleThresholdMapping(["r1", "r2"], t), { r1: [[0, 1]], r2: [[0, 1]] });
});
