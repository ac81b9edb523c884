/**
 * Converts the fake's stored state into the protobuf messages a real Auth Service sends,
 * including gogoproto's habit of always writing non-nullable message fields: zero times go out
 * as 0001-01-01 (-62135596800 s) and empty `LabelValues` are present, not absent.
 *
 * @module
 */

import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { timestampFromMs, type TimestampSchema } from "@bufbuild/protobuf/wkt";
import { Buffer } from "node:buffer";
import type { RequestState as DomainRequestState } from "../../teleport/types.ts";
import type { AccessMonitoringRuleSchema } from "../../teleport/gen/teleport/accessmonitoringrules/v1/access_monitoring_rules_pb.ts";
import {
  EventSchema,
  Operation,
} from "../../teleport/gen/teleport/legacy/client/proto/event_pb.ts";
import {
  AccessRequestV3Schema,
  type LockTargetSchema,
  type LockV2Schema,
  type PluginDataV3Schema,
  RequestState,
  type UserV2Schema,
  type WatchKindSchema,
} from "../../teleport/gen/teleport/legacy/types/types_pb.ts";
import type { LabelValuesSchema } from "../../teleport/gen/teleport/legacy/types/wrappers/wrappers_pb.ts";
import type { FakeUser, PluginDataRecord, StoredRequest, StoredRule } from "./store.ts";
import type { StoredLock, StoredLockTarget } from "./locks.ts";

/** Go's zero `time.Time` as gogo marshals it. */
export const GO_ZERO_TIME_SECONDS = -62135596800n;

/** Kind of access request resources. */
export const KIND_ACCESS_REQUEST = "access_request";
/** Kind of access monitoring rule resources. */
export const KIND_ACCESS_MONITORING_RULE = "access_monitoring_rule";

const STATE_TO_PROTO: Record<DomainRequestState, RequestState> = {
  NONE: RequestState.NONE,
  PENDING: RequestState.PENDING,
  APPROVED: RequestState.APPROVED,
  DENIED: RequestState.DENIED,
  PROMOTED: RequestState.PROMOTED,
};

/** The protobuf enum value of a domain request state. */
export function stateToProto(state: DomainRequestState): RequestState {
  return STATE_TO_PROTO[state];
}

/** The domain name of a protobuf request state; unknown numbers read as their number. */
export function stateFromProto(state: RequestState): DomainRequestState | `${number}` {
  return (RequestState[state] as DomainRequestState | undefined) ?? `${state}`;
}

function zeroTime(): MessageInitShape<typeof TimestampSchema> {
  return { seconds: GO_ZERO_TIME_SECONDS, nanos: 0 };
}

function time(ms: number | undefined): MessageInitShape<typeof TimestampSchema> {
  return ms === undefined ? zeroTime() : timestampFromMs(ms);
}

/** `wrappers.LabelValues` (Teleport's `Traits`) from a string-list map. */
export function labelValues(
  values: Readonly<Record<string, readonly string[]>>,
): MessageInitShape<typeof LabelValuesSchema> {
  return {
    Values: Object.fromEntries(
      Object.entries(values).map(([key, list]) => [key, { Values: [...list] }]),
    ),
  };
}

/** The full `types.AccessRequestV3` of a stored request. */
export function accessRequestMessage(
  request: StoredRequest,
): MessageInitShape<typeof AccessRequestV3Schema> {
  return {
    Kind: KIND_ACCESS_REQUEST,
    Version: "v3",
    Metadata: {
      Name: request.id,
      Namespace: "default",
      Expires: timestampFromMs(request.resourceExpires),
      Revision: String(request.revision),
    },
    Spec: {
      User: request.user,
      Roles: [...request.roles],
      State: stateToProto(request.state),
      Created: time(request.created),
      Expires: time(request.accessExpires),
      RequestReason: request.requestReason,
      ResolveReason: request.resolveReason,
      ResolveAnnotations: labelValues({}),
      SystemAnnotations: labelValues(request.systemAnnotations),
      Thresholds: request.thresholds.map((t) => ({
        Name: t.name,
        Filter: t.filter,
        Approve: t.approve,
        Deny: t.deny,
      })),
      RoleThresholdMapping: Object.fromEntries(
        Object.entries(request.roleThresholdMapping).map((
          [role, sets],
        ) => [role, { Sets: sets.map((indexes) => ({ Indexes: [...indexes] })) }]),
      ),
      Reviews: request.reviews.map((r) => ({
        Author: r.author,
        Roles: [...r.roles],
        ProposedState: stateToProto(r.decision),
        Reason: r.reason,
        Created: time(r.created),
        Annotations: labelValues({}),
        ThresholdIndexes: [...r.thresholdIndexes],
      })),
      SuggestedReviewers: [...request.suggestedReviewers],
      RequestedResourceIDs: request.resources.map((r) => ({
        ClusterName: r.clusterName,
        Kind: r.kind,
        Name: r.name,
        SubResourceName: r.subResourceName,
      })),
      LoginHint: request.loginHint,
      MaxDuration: time(request.maxDuration),
      SessionTTL: time(request.accessExpires),
    },
  };
}

/** The `teleport.accessmonitoringrules.v1.AccessMonitoringRule` of a stored rule. */
export function accessMonitoringRuleMessage(
  rule: StoredRule,
): MessageInitShape<typeof AccessMonitoringRuleSchema> {
  return {
    metadata: { name: rule.name, namespace: "default" },
    kind: KIND_ACCESS_MONITORING_RULE,
    version: "v1",
    spec: {
      subjects: [...rule.subjects],
      states: [...rule.states],
      condition: rule.condition,
      notification: { name: rule.notificationName, recipients: [...rule.recipients] },
      automaticReview: rule.automaticReview ? { ...rule.automaticReview } : undefined,
      desiredState: rule.desiredState ?? "",
    },
  };
}

/** `types.UserV2` of a fake user. */
export function userMessage(user: FakeUser): MessageInitShape<typeof UserV2Schema> {
  return {
    Kind: "user",
    Version: "v2",
    Metadata: { Name: user.name, Namespace: "default" },
    Spec: { Roles: [...user.roles], Traits: labelValues(user.traits), Expires: zeroTime() },
  };
}

/** `types.PluginDataV3` of one resource's plugin data. */
export function pluginDataMessage(
  record: PluginDataRecord,
): MessageInitShape<typeof PluginDataV3Schema> {
  return {
    Kind: "plugin_data",
    SubKind: KIND_ACCESS_REQUEST,
    Version: "v3",
    Metadata: {
      Name: record.resource,
      Namespace: "default",
      Expires: timestampFromMs(record.expires),
    },
    Spec: {
      Entries: Object.fromEntries(
        [...record.entries].map(([plugin, data]) => [plugin, { Data: Object.fromEntries(data) }]),
      ),
    },
  };
}

/** `types.LockTarget` of a stored target (unset fields are "", which proto3 leaves out). */
export function lockTargetMessage(
  target: StoredLockTarget,
): MessageInitShape<typeof LockTargetSchema> {
  return {
    User: target.user,
    Role: target.role,
    Login: target.login,
    MFADevice: target.mfaDevice,
    WindowsDesktop: target.windowsDesktop,
    AccessRequest: target.accessRequest,
    Device: target.device,
    ServerID: target.serverId,
  };
}

/** `types.LockV2` of a stored lock; gogo always writes the non-nullable `CreatedAt`. */
export function lockMessage(lock: StoredLock): MessageInitShape<typeof LockV2Schema> {
  return {
    Kind: "lock",
    Version: "v2",
    Metadata: {
      Name: lock.name,
      Namespace: "default",
      Expires: lock.deleteAt === undefined ? undefined : timestampFromMs(lock.deleteAt),
    },
    Spec: {
      Target: lockTargetMessage(lock.target),
      Message: lock.message,
      Expires: lock.expires === undefined ? undefined : timestampFromMs(lock.expires),
      CreatedAt: time(lock.createdAt),
      CreatedBy: lock.createdBy,
    },
  };
}

function encodeEvent(event: MessageInitShape<typeof EventSchema>): Buffer {
  return Buffer.from(toBinary(EventSchema, create(EventSchema, event)));
}

/** The encoded INIT event confirming `kinds`. */
export function initEventBytes(kinds: MessageInitShape<typeof WatchKindSchema>[]): Buffer {
  return encodeEvent({
    Type: Operation.INIT,
    Resource: {
      case: "WatchStatus",
      value: {
        Kind: "watch_status",
        Version: "v1",
        Metadata: { Name: "watch-status", Namespace: "default" },
        Spec: { Kinds: kinds },
      },
    },
  });
}

// Encodings of each request revision, so listings and fan-out reuse them instead of
// re-encoding (protobuf-es encoding is the fake's main cost at benchmark scale).
const encodedRequests = new WeakMap<StoredRequest, { revision: number; bytes: Uint8Array }>();

/** The encoded `types.AccessRequestV3` of a stored request, cached per revision. */
export function accessRequestBytes(request: StoredRequest): Uint8Array {
  const cached = encodedRequests.get(request);
  if (cached?.revision === request.revision) return cached.bytes;
  const bytes = toBinary(
    AccessRequestV3Schema,
    create(AccessRequestV3Schema, accessRequestMessage(request)),
  );
  encodedRequests.set(request, { revision: request.revision, bytes });
  return bytes;
}

/** The encoded PUT event of an access request (`Event{Type: PUT, AccessRequest: 14}`). */
export function accessRequestPutBytes(request: StoredRequest): Buffer {
  const writer = new BinaryWriter()
    .tag(1, WireType.Varint).int32(Operation.PUT)
    .tag(14, WireType.LengthDelimited).bytes(accessRequestBytes(request));
  return Buffer.from(writer.finish());
}

/** The encoded `proto.ListAccessRequestsResponse` of a page. */
export function listAccessRequestsResponseBytes(
  page: readonly StoredRequest[],
  nextKey: string,
): Buffer {
  const writer = new BinaryWriter();
  for (const request of page) {
    writer.tag(1, WireType.LengthDelimited).bytes(accessRequestBytes(request));
  }
  if (nextKey !== "") writer.tag(2, WireType.LengthDelimited).string(nextKey);
  return Buffer.from(writer.finish());
}

/** The encoded PUT event of an access monitoring rule. */
export function accessMonitoringRulePutBytes(rule: StoredRule): Buffer {
  return encodeEvent({
    Type: Operation.PUT,
    Resource: { case: "AccessMonitoringRule", value: accessMonitoringRuleMessage(rule) },
  });
}

/** The encoded DELETE event of a resource: a `ResourceHeader` with its kind and name. */
export function deleteEventBytes(kind: string, version: string, name: string): Buffer {
  return encodeEvent({
    Type: Operation.DELETE,
    Resource: {
      case: "ResourceHeader",
      value: { Kind: kind, Version: version, Metadata: { Name: name, Namespace: "default" } },
    },
  });
}
