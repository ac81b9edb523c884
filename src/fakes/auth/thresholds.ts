/**
 * Review-based resolution of an access request, after Teleport's
 * `calculateReviewBasedResolution`: reviews count towards the thresholds they match; any
 * threshold whose deny count is reached denies the request; it is approved once, for every
 * requested role, every threshold set of that role has one threshold whose approve count is
 * reached.
 *
 * @module
 */

/** One review threshold (`types.AccessReviewThreshold`). */
export interface Threshold {
  readonly name: string;
  /** Predicate over the review; the fake supports only "" (matches every review). */
  readonly filter: string;
  readonly approve: number;
  readonly deny: number;
}

/** The counting-relevant part of a review. */
export interface CountedReview {
  readonly decision: "APPROVED" | "DENIED";
  /** Indexes of the thresholds the review matched. */
  readonly thresholdIndexes: readonly number[];
}

/** Teleport's default threshold when the requester's roles define none. */
export const DEFAULT_THRESHOLD: Threshold = { name: "default", filter: "", approve: 1, deny: 1 };

/** Indexes of the thresholds a review counts towards (every threshold with an empty filter). */
export function matchingThresholds(thresholds: readonly Threshold[]): number[] {
  return thresholds.flatMap((t, i) => (t.filter === "" ? [i] : []));
}

/**
 * The role → threshold sets mapping Teleport would store when every requested role is allowed
 * by one requester role carrying all the thresholds: one set per role, holding every index.
 */
export function defaultRoleThresholdMapping(
  roles: readonly string[],
  thresholds: readonly Threshold[],
): Record<string, number[][]> {
  const all = thresholds.map((_, i) => i);
  return Object.fromEntries(roles.map((role) => [role, [all]]));
}

/** The state the reviews lead to: APPROVED, DENIED, or still PENDING. */
export function resolveByReviews(
  roles: readonly string[],
  thresholds: readonly Threshold[],
  mapping: Readonly<Record<string, readonly (readonly number[])[]>>,
  reviews: readonly CountedReview[],
): "APPROVED" | "DENIED" | "PENDING" {
  const approvals = new Array<number>(thresholds.length).fill(0);
  const denials = new Array<number>(thresholds.length).fill(0);
  for (const review of reviews) {
    const counts = review.decision === "APPROVED" ? approvals : denials;
    for (const index of review.thresholdIndexes) counts[index]++;
  }
  if (thresholds.some((t, i) => t.deny !== 0 && denials[i] >= t.deny)) return "DENIED";
  const met = (index: number) =>
    thresholds[index] !== undefined && thresholds[index].approve !== 0 &&
    approvals[index] >= thresholds[index].approve;
  const roleApproved = (role: string) => {
    const sets = mapping[role] ?? [];
    return sets.length > 0 && sets.every((set) => set.some(met));
  };
  return roles.length > 0 && roles.every(roleApproved) ? "APPROVED" : "PENDING";
}
