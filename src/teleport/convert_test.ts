import assert from "node:assert/strict";
import { create, fromBinary } from "@bufbuild/protobuf";
import {
  accessMonitoringRuleOf,
  accessRequestOf,
  clusterInfoOf,
  dateOf,
  GO_ZERO_TIME_SECONDS,
  teleportUserOf,
  timestampOf,
} from "./convert.ts";
import {
  AccessRequestV3Schema,
  RequestState,
  UserV2Schema,
} from "./gen/teleport/legacy/types/types_pb.ts";
import { PingResponseSchema } from "./gen/teleport/legacy/client/proto/authservice_pb.ts";
import { AccessMonitoringRuleSchema } from "./gen/teleport/accessmonitoringrules/v1/access_monitoring_rules_pb.ts";

const zero = { seconds: GO_ZERO_TIME_SECONDS, nanos: 0 };

Deno.test("Go's zero time and absent timestamps read as undefined", () => {
  assert.equal(dateOf(undefined), undefined);
  assert.equal(dateOf(create(AccessRequestV3Schema, {}).Spec?.Created), undefined);
  assert.equal(dateOf({ ...zero, $typeName: "google.protobuf.Timestamp" }), undefined);
  assert.equal(
    dateOf({ seconds: 1_700_000_000n, nanos: 250_000_000, $typeName: "google.protobuf.Timestamp" })
      ?.toISOString(),
    "2023-11-14T22:13:20.250Z",
  );
  assert.deepEqual(timestampOf(new Date("2023-11-14T22:13:20.250Z")), {
    seconds: 1_700_000_000n,
    nanos: 250_000_000,
  });
});

Deno.test("an access request converts with states, annotations, reviews and resources", () => {
  const message = create(AccessRequestV3Schema, {
    Kind: "access_request",
    Version: "v3",
    Metadata: { Name: "req-1", Expires: { seconds: 1_700_003_600n } },
    Spec: {
      User: "alice@example.com",
      Roles: ["db-admin"],
      State: RequestState.PENDING,
      Created: { seconds: 1_700_000_000n },
      Expires: { seconds: 1_700_007_200n },
      MaxDuration: zero,
      SessionTTL: zero,
      RequestReason: "incident 42",
      SystemAnnotations: { Values: { pagerduty_services: { Values: ["DB", "Ops"] } } },
      ResolveAnnotations: {},
      Reviews: [
        { Author: "bob", ProposedState: RequestState.APPROVED, Reason: "ok", Created: zero },
        {
          Author: "carol",
          ProposedState: RequestState.DENIED,
          Created: { seconds: 1_700_000_060n },
        },
        { Author: "dave", ProposedState: RequestState.PROMOTED },
      ],
      SuggestedReviewers: ["bob"],
      RequestedResourceIDs: [{ ClusterName: "c", Kind: "node", Name: "n1" }],
      accessList: { Name: "al", Title: "On-call" },
    },
  });
  const request = accessRequestOf(message);
  assert.equal(request.id, "req-1");
  assert.equal(request.state, "PENDING");
  assert.equal(request.created?.getTime(), 1_700_000_000_000);
  assert.equal(request.accessExpires?.getTime(), 1_700_007_200_000);
  assert.equal(request.requestExpires?.getTime(), 1_700_003_600_000);
  assert.equal(request.maxDuration, undefined);
  assert.deepEqual(request.systemAnnotations, { pagerduty_services: ["DB", "Ops"] });
  assert.deepEqual(request.reviews, [
    { author: "bob", decision: "APPROVED", reason: "ok", created: undefined },
    { author: "carol", decision: "DENIED", reason: "", created: new Date(1_700_000_060_000) },
  ]);
  assert.deepEqual(request.requestedResources, [
    { clusterName: "c", kind: "node", name: "n1", subResourceName: "" },
  ]);
  assert.equal(request.promotedAccessListTitle, "On-call");
  // A state newer than this code (value 9, Spec field 5 > State field 3) reads as NONE.
  const future = fromBinary(AccessRequestV3Schema, Uint8Array.of(0x2a, 0x02, 0x18, 0x09));
  assert.equal(accessRequestOf(future).state, "NONE");
});

Deno.test("rules, ping and users convert to their domain shapes", () => {
  assert.deepEqual(
    accessMonitoringRuleOf(create(AccessMonitoringRuleSchema, {
      metadata: { name: "db" },
      spec: {
        subjects: ["access_request"],
        condition: "true",
        notification: { name: "pagerduty", recipients: ["DB"] },
      },
    })),
    {
      name: "db",
      subjects: ["access_request"],
      states: [],
      condition: "true",
      notificationName: "pagerduty",
      recipients: ["DB"],
    },
  );
  assert.deepEqual(
    clusterInfoOf(create(PingResponseSchema, {
      ClusterName: "example.com",
      ServerVersion: "18.0.0",
      ProxyPublicAddr: "example.com:443",
      ServerFeatures: { AdvancedAccessWorkflows: true },
    })),
    {
      clusterName: "example.com",
      serverVersion: "18.0.0",
      proxyPublicAddr: "example.com:443",
      advancedAccessWorkflows: true,
    },
  );
  assert.deepEqual(
    teleportUserOf(create(UserV2Schema, {
      Metadata: { Name: "alice" },
      Spec: { Roles: ["dev"], Traits: { Values: { email: { Values: ["a@example.com"] } } } },
    })),
    { name: "alice", roles: ["dev"], traits: { email: ["a@example.com"] } },
  );
});
