/**
 * Converts generated protobuf messages to the domain types of `types.ts` (and back, for the
 * few requests that carry domain values), so generated types never leave `src/teleport/`.
 *
 * Teleport's gogo marshaler always writes non-nullable timestamps, so an unset time arrives as
 * Go's zero time, 0001-01-01T00:00:00Z (seconds == -62135596800): that reads as `undefined`.
 *
 * @module
 */

import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { PingResponse } from "./gen/teleport/legacy/client/proto/authservice_pb.ts";
import type { AccessMonitoringRule as RuleMessage } from "./gen/teleport/accessmonitoringrules/v1/access_monitoring_rules_pb.ts";
import {
  type AccessRequestV3,
  type AccessReview as ReviewMessage,
  type LockV2,
  type LockV2Schema,
  RequestState as RequestStateEnum,
  type UserV2,
} from "./gen/teleport/legacy/types/types_pb.ts";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { LabelValues } from "./gen/teleport/legacy/types/wrappers/wrappers_pb.ts";
import type {
  AccessMonitoringRule,
  AccessRequest,
  AccessReview,
  ClusterInfo,
  Lock,
  NewLock,
  RequestState,
  ReviewDecision,
  TeleportUser,
} from "./types.ts";

/** Go's zero `time.Time` in Unix seconds, which Teleport sends for "unset". */
export const GO_ZERO_TIME_SECONDS = -62135596800n;

/** A timestamp as a Date; absent and Go-zero timestamps are `undefined`. */
export function dateOf(timestamp: Timestamp | undefined): Date | undefined {
  if (timestamp === undefined || timestamp.seconds === GO_ZERO_TIME_SECONDS) return undefined;
  return new Date(Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1_000_000));
}

/** A Date as the init shape of a protobuf timestamp. */
export function timestampOf(date: Date): { seconds: bigint; nanos: number } {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

const STATES: Readonly<Record<number, RequestState>> = {
  [RequestStateEnum.NONE]: "NONE",
  [RequestStateEnum.PENDING]: "PENDING",
  [RequestStateEnum.APPROVED]: "APPROVED",
  [RequestStateEnum.DENIED]: "DENIED",
  [RequestStateEnum.PROMOTED]: "PROMOTED",
};

/** The state's Teleport name; a value newer than this code knows reads as `NONE`. */
export function requestStateName(state: RequestStateEnum): RequestState {
  return STATES[state] ?? "NONE";
}

/** The enum value of a state name. */
export function requestStateValue(state: RequestState): RequestStateEnum {
  return RequestStateEnum[state];
}

/** A `wrappers.LabelValues` (Teleport's Traits) as a plain map; absent reads as empty. */
export function labelValuesOf(
  values: LabelValues | undefined,
): Readonly<Record<string, readonly string[]>> {
  const result: Record<string, readonly string[]> = {};
  for (const [key, list] of Object.entries(values?.Values ?? {})) result[key] = [...list.Values];
  return result;
}

/** A review, or undefined for one that is neither an approval nor a denial (a promotion). */
function reviewOf(review: ReviewMessage): AccessReview | undefined {
  let decision: ReviewDecision;
  if (review.ProposedState === RequestStateEnum.APPROVED) decision = "APPROVED";
  else if (review.ProposedState === RequestStateEnum.DENIED) decision = "DENIED";
  else return undefined;
  return {
    author: review.Author,
    decision,
    reason: review.Reason,
    created: dateOf(review.Created),
  };
}

/**
 * An access request as the service sees it. Reviews that propose neither APPROVED nor DENIED
 * (access-list promotions) are left out: the domain models approvals and denials only.
 */
export function accessRequestOf(message: AccessRequestV3): AccessRequest {
  const spec = message.Spec;
  return {
    id: message.Metadata?.Name ?? "",
    user: spec?.User ?? "",
    roles: [...(spec?.Roles ?? [])],
    state: requestStateName(spec?.State ?? RequestStateEnum.NONE),
    created: dateOf(spec?.Created),
    accessExpires: dateOf(spec?.Expires),
    requestExpires: dateOf(message.Metadata?.Expires),
    maxDuration: dateOf(spec?.MaxDuration),
    requestReason: spec?.RequestReason ?? "",
    resolveReason: spec?.ResolveReason ?? "",
    systemAnnotations: labelValuesOf(spec?.SystemAnnotations),
    reviews: (spec?.Reviews ?? []).map(reviewOf).filter((r) => r !== undefined),
    suggestedReviewers: [...(spec?.SuggestedReviewers ?? [])],
    requestedResources: (spec?.RequestedResourceIDs ?? []).map((r) => ({
      clusterName: r.ClusterName,
      kind: r.Kind,
      name: r.Name,
      subResourceName: r.SubResourceName,
    })),
    promotedAccessListTitle: spec?.accessList?.Title ?? "",
  };
}

/** The routing part of an Access Monitoring Rule. */
export function accessMonitoringRuleOf(message: RuleMessage): AccessMonitoringRule {
  const spec = message.spec;
  return {
    name: message.metadata?.name ?? "",
    subjects: [...(spec?.subjects ?? [])],
    states: [...(spec?.states ?? [])],
    condition: spec?.condition ?? "",
    notificationName: spec?.notification?.name ?? "",
    recipients: [...(spec?.notification?.recipients ?? [])],
  };
}

/** What Ping tells about the cluster. */
export function clusterInfoOf(message: PingResponse): ClusterInfo {
  return {
    clusterName: message.ClusterName,
    serverVersion: message.ServerVersion,
    proxyPublicAddr: message.ProxyPublicAddr,
    advancedAccessWorkflows: message.ServerFeatures?.AdvancedAccessWorkflows ?? false,
  };
}

/** A user with roles and traits. */
export function teleportUserOf(message: UserV2): TeleportUser {
  return {
    name: message.Metadata?.Name ?? "",
    roles: [...(message.Spec?.Roles ?? [])],
    traits: labelValuesOf(message.Spec?.Traits),
  };
}

/** Kind and version Teleport requires of a lock. */
const LOCK_KIND = "lock";
const LOCK_VERSION = "v2";

/**
 * The `types.LockV2` to upsert. `expires` goes into both `Spec.Expires` (when the lock stops
 * being in force) and `Metadata.Expires` (when the Auth Service deletes it), so expired locks do
 * not pile up. `CreatedAt` and `CreatedBy` are left to the server.
 */
export function lockMessage(lock: NewLock): MessageInitShape<typeof LockV2Schema> {
  const expires = lock.expires === undefined ? undefined : timestampOf(lock.expires);
  return {
    Kind: LOCK_KIND,
    Version: LOCK_VERSION,
    Metadata: { Name: lock.name, Namespace: "default", Expires: expires },
    Spec: {
      Target: { AccessRequest: lock.target.accessRequest },
      Message: lock.message,
      Expires: expires,
    },
  };
}

/** A lock as the domain sees it; `expires` is the in-force end (`Spec.Expires`). */
export function lockOf(message: LockV2): Lock {
  const spec = message.Spec;
  return {
    name: message.Metadata?.Name ?? "",
    message: spec?.Message ?? "",
    expires: dateOf(spec?.Expires),
    target: { accessRequest: spec?.Target?.AccessRequest ?? "" },
    createdAt: dateOf(spec?.CreatedAt),
    createdBy: spec?.CreatedBy ?? "",
  };
}
