/**
 * Byte-for-byte checks of a few encodings, so the field numbers of the proto subset cannot
 * silently drift from Teleport's. The expected bytes are written out by hand from the
 * protobuf wire format (tag = field number << 3 | wire type), independent of the codec.
 */

import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { EventSchema, Operation } from "./gen/teleport/legacy/client/proto/event_pb.ts";
import { WatchSchema } from "./gen/teleport/legacy/client/proto/authservice_pb.ts";
import {
  PluginDataUpdateParamsSchema,
  RequestState,
} from "./gen/teleport/legacy/types/types_pb.ts";

/** Hex of an ASCII string, so string payloads stay readable in the expectations. */
function ascii(text: string): string {
  return [...new TextEncoder().encode(text)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Hex of encoded bytes. */
function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Bytes from hex, ignoring spaces. */
function bytes(hexText: string): Uint8Array {
  const clean = hexText.replaceAll(" ", "");
  return Uint8Array.from(clean.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

Deno.test("the INIT event has no Type field and starts with field 43 (da 02)", () => {
  const init = create(EventSchema, {
    Type: Operation.INIT,
    Resource: {
      case: "WatchStatus",
      value: {
        Kind: "watch_status",
        Version: "v1",
        Metadata: { Name: "watch-status", Namespace: "default" },
        Spec: { Kinds: [{ Kind: "access_request" }] },
      },
    },
  });
  const expected = [
    "da02 3f", // Event.WatchStatus (43), 63 bytes
    "0a0c" + ascii("watch_status"), // WatchStatusV1.Kind (1)
    "1a02" + ascii("v1"), // WatchStatusV1.Version (3)
    "2217", // WatchStatusV1.Metadata (4), 23 bytes
    "0a0c" + ascii("watch-status"), // Metadata.Name (1)
    "1207" + ascii("default"), // Metadata.Namespace (2)
    "2a12 0a10", // WatchStatusV1.Spec (5) > WatchStatusSpecV1.Kinds (1)
    "0a0e" + ascii("access_request"), // WatchKind.Kind (1)
  ].join("").replaceAll(" ", "");
  assert.equal(hex(toBinary(EventSchema, init)), expected);
});

Deno.test("the Watch request a plugin sends encodes as Teleport expects", () => {
  const watch = create(WatchSchema, {
    Kinds: [{ Kind: "access_request" }, { Kind: "access_monitoring_rule" }],
    AllowPartialSuccess: true,
  });
  const expected = [
    "0a10 0a0e" + ascii("access_request"), // Watch.Kinds (1) > WatchKind.Kind (1)
    "0a18 0a16" + ascii("access_monitoring_rule"),
    "1001", // Watch.AllowPartialSuccess (2) = true
  ].join("").replaceAll(" ", "");
  assert.equal(hex(toBinary(WatchSchema, watch)), expected);
});

Deno.test("a DELETE event decodes to its ResourceHeader (field 2)", () => {
  const wire = bytes(
    "0802" + // Event.Type (1) = DELETE
      "1216" + // Event.ResourceHeader (2), 22 bytes
      "0a0e" + ascii("access_request") + // ResourceHeader.Kind (1)
      "1a02" + ascii("v3") + // ResourceHeader.Version (3)
      "2202 0a00", // ResourceHeader.Metadata (4) > Metadata.Name (1) = ""
  );
  const event = fromBinary(EventSchema, wire);
  assert.equal(event.Type, Operation.DELETE);
  assert.equal(event.Resource.case, "ResourceHeader");
  assert.equal(event.Resource.value?.Kind, "access_request");
  assert.equal(event.Resource.value?.Version, "v3");
});

Deno.test("an Event member outside the subset (User, field 8) is skipped on decode", () => {
  const wire = bytes("0801" + "4204 0a02" + ascii("hi")); // Type=PUT, Event.User (8) {Kind:"hi"}
  const event = fromBinary(EventSchema, wire);
  assert.equal(event.Type, Operation.PUT);
  assert.equal(event.Resource.case, undefined);
});

Deno.test("a PUT of an access request carries field 14 and the state enum at Spec field 3", () => {
  const wire = bytes(
    "0801" + // Event.Type (1) = PUT
      "720e" + // Event.AccessRequest (14, wire type 2 -> 0x72), 14 bytes
      "2204 0a02" + ascii("id") + // AccessRequestV3.Metadata (4) > Name (1)
      "2a06" + // AccessRequestV3.Spec (5), 6 bytes
      "0a02" + ascii("al") + // AccessRequestSpecV3.User (1)
      "1801", // AccessRequestSpecV3.State (3) = PENDING
  );
  const event = fromBinary(EventSchema, wire);
  assert.equal(event.Resource.case, "AccessRequest");
  assert.equal(event.Resource.value?.Metadata?.Name, "id");
  assert.equal(event.Resource.value?.Spec?.User, "al");
  assert.equal(event.Resource.value?.Spec?.State, RequestState.PENDING);
});

Deno.test("plugin data CAS maps are Set (field 4) and Expect (field 5)", () => {
  const params = create(PluginDataUpdateParamsSchema, {
    Kind: "access_request",
    Resource: "r",
    Plugin: "pagerduty",
    Set: { k: "v" },
    Expect: { k: "" },
  });
  const expected = [
    "0a0e" + ascii("access_request"), // Kind (1)
    "1201" + ascii("r"), // Resource (2)
    "1a09" + ascii("pagerduty"), // Plugin (3)
    "2206 0a01" + ascii("k") + "1201" + ascii("v"), // Set (4) entry {key 1, value 2}
    "2a05 0a01" + ascii("k") + "1200", // Expect (5) entry with an empty value
  ].join("").replaceAll(" ", "");
  assert.equal(hex(toBinary(PluginDataUpdateParamsSchema, params)), expected);
});
