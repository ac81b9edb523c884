import assert from "node:assert/strict";
import { makeRequest } from "../../tests/fixtures.ts";
import {
  decodeRecord,
  EMPTY_RECORD,
  encodeRecord,
  mayHaveIncident,
  withIncident,
  withRequestFacts,
} from "./plugin_data.ts";

Deno.test("data written by the Go plugin decodes with its single incident", () => {
  const record = decodeRecord({
    incident_id: "PINC1",
    service_id: "PSVC1",
    user: "alice@example.com",
    roles: "editor,auditor",
    created: "1764064800",
    request_reason: "outage",
    reviews_count: "2",
    resolution: "approved",
    resolve_reason: "finally okay",
  });
  assert.deepEqual(record.incidents, { PSVC1: "PINC1" });
  assert.deepEqual(record.roles, ["editor", "auditor"]);
  assert.equal(record.created?.toISOString(), "2025-11-25T10:00:00.000Z");
  assert.equal(record.reviewsCount, 2);
  assert.equal(record.resolution, "approved");
  assert.equal(record.autoApproval, "");
});

Deno.test("encoding always writes the nine Go keys, empty values included", () => {
  const data = encodeRecord(EMPTY_RECORD);
  for (
    const key of [
      "incident_id",
      "service_id",
      "user",
      "roles",
      "created",
      "request_reason",
      "reviews_count",
      "resolution",
      "resolve_reason",
    ]
  ) {
    assert.equal(data[key], "", key);
  }
});

Deno.test("a record survives encoding and decoding", () => {
  let record = withRequestFacts(EMPTY_RECORD, makeRequest({ roles: ["a", "b"] }));
  record = withIncident(record, "PSVC1", "PINC1");
  record = withIncident(record, "PSVC2", "PINC2");
  record = {
    ...record,
    reviewsCount: 3,
    resolution: "denied",
    autoApproval: "not_eligible",
    opening: ["PSVC3"],
  };
  const decoded = decodeRecord(encodeRecord(record));
  assert.deepEqual(decoded, record);
  assert.equal(decoded.incidentId, "PINC1", "the first incident keeps the Go keys");
  assert.equal(decoded.serviceId, "PSVC1");
});

Deno.test("malformed values decode as empty instead of failing", () => {
  const record = decodeRecord({
    incidents: "{not json",
    reviews_count: "-4",
    created: "soon",
    resolution: "maybe",
    auto_approval: "yes",
  });
  assert.deepEqual(record.incidents, {});
  assert.equal(record.reviewsCount, 0);
  assert.equal(record.created, undefined);
  assert.equal(record.resolution, "");
  assert.equal(record.autoApproval, "");
});

Deno.test("services announced before an incident is opened leave `opening` once recorded", () => {
  const announced = { ...EMPTY_RECORD, opening: ["PSVC1", "PSVC2"] };
  assert.equal(encodeRecord(announced).opening, "PSVC1,PSVC2");
  assert.equal(mayHaveIncident(announced), true, "an announced incident may exist");
  const recorded = withIncident(announced, "PSVC1", "PINC1");
  assert.deepEqual(recorded.opening, ["PSVC2"]);
  assert.deepEqual(withIncident(recorded, "PSVC2", "PINC2").opening, []);
  assert.equal(mayHaveIncident(EMPTY_RECORD), false);
  assert.equal(mayHaveIncident(recorded), true);
});
