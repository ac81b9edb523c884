import assert from "node:assert/strict";
import { ROUTES } from "./handlers.ts";
import { SERVED_OPERATIONS } from "./openapi/extract.ts";
import { RequestValidator } from "./validation.ts";

const validator = new RequestValidator();

function incident(details: unknown) {
  return {
    incident: {
      type: "incident",
      title: "t",
      service: { id: "P1", type: "service_reference" },
      body: { type: "incident_body", details },
    },
  };
}

Deno.test("IncidentBody.details is patched to a string, as the API accepts", () => {
  assert.equal(validator.validateBody("createIncident", incident("text")).ok, true);
  assert.deepEqual(validator.validateBody("createIncident", incident({ a: 1 })), {
    ok: false,
    errors: ["incident.body.details must be string"],
  });
});

Deno.test("bodies are validated without coercion; errors name the field", () => {
  const result = validator.validateBody("updateIncident", {
    incident: { type: "incident_reference", status: "closed", escalation_level: "2" },
  });
  assert.equal(result.ok, false);
  assert.deepEqual([...(result.ok ? [] : result.errors)].sort(), [
    "incident.escalation_level must be integer",
    'incident.status must be one of "resolved", "acknowledged", "triggered"',
  ]);
  assert.deepEqual(validator.validateBody("createIncidentNote", {}), {
    ok: false,
    errors: ["body must have required property 'note'"],
  });
});

Deno.test("queries: x[] lists, comma-separated sort_by, typed numbers and booleans", () => {
  const result = validator.validateQuery(
    "listIncidents",
    new URLSearchParams(
      "statuses[]=triggered&statuses[]=resolved&limit=10&total=true&sort_by=created_at:desc,urgency",
    ),
  );
  assert.deepEqual(result, {
    ok: true,
    value: {
      "statuses[]": ["triggered", "resolved"],
      limit: 10,
      total: true,
      sort_by: ["created_at:desc", "urgency"],
    },
  });
});

Deno.test("queries: unknown names, repeated scalars and bad types are refused", () => {
  const result = validator.validateQuery(
    "listUsers",
    new URLSearchParams("email=a&limit=x&query=a&query=b"),
  );
  assert.equal(result.ok, false);
  assert.deepEqual([...(result.ok ? [] : result.errors)].sort(), [
    'Query parameter "query" may appear only once.',
    'Unknown query parameter "email".',
    "limit must be integer",
  ]);
});

Deno.test("every served operation is in the extract; an unknown one is a clear programming error", () => {
  assert.equal(validator.operationIds.length, SERVED_OPERATIONS.length);
  for (const route of ROUTES) assert.ok(validator.operationIds.includes(route.operationId));
  assert.throws(
    () => validator.validateBody("deleteService", {}),
    /no operation "deleteService".*extract\.ts/,
  );
});
