import assert from "node:assert/strict";
import {
  type ConditionEnv,
  ConditionError,
  evaluateCondition,
  parseCondition,
} from "./condition.ts";

const env: ConditionEnv = {
  user: "alice@example.com",
  roles: ["editor", "dba"],
  suggestedReviewers: ["bob"],
  systemAnnotations: { pagerduty_services: ["DB"], team: ["payments"] },
  requestReason: "outage",
  creationTime: new Date("2026-11-25T10:00:00Z"),
  expiry: new Date("2026-11-26T10:00:00Z"),
  userTraits: { team: ["payments", "sre"], level: ["senior"] },
  pluginName: "pagerduty",
};

Deno.test("conditions evaluate over the request's facts as Teleport's plugins evaluate them", () => {
  const cases: Array<[string, boolean]> = [
    ["true", true],
    ["!is_empty(access_request.spec.roles)", true],
    ["is_empty(access_request.spec.suggested_reviewers)", false],
    ['contains_any(access_request.spec.roles, set("dba", "ops"))', true],
    ['contains_any(access_request.spec.roles, set("ops"))', false],
    ['contains_all(access_request.spec.roles, set("dba", "editor"))', true],
    ['contains_all(access_request.spec.roles, set("dba", "ops"))', false],
    ['access_request.spec.user == "alice@example.com"', true],
    ['access_request.spec.user != "alice@example.com"', false],
    ['access_request.spec.request_reason == "outage"', true],
    ['access_request.spec.roles.contains("dba")', true],
    ['access_request.spec.system_annotations["team"].contains("payments")', true],
    ['access_request.spec.system_annotations.team.contains("payments")', true],
    ['is_empty(access_request.spec.system_annotations["missing"])', true],
    ['set("a").add("b").contains("b")', true],
    ['access_request.spec.roles.remove("dba").contains("dba")', false],
    ['access_request.spec.roles.contains_any(set("dba"))', true],
    ['access_request.spec.suggested_reviewers.remove("bob").isempty()', true],
    ['contains_any(union(set("x"), access_request.spec.roles), set("x"))', true],
    ['strings.lower("ALICE@example.com") == access_request.spec.user', true],
    ['strings.upper(access_request.spec.roles).contains("DBA")', true],
    [
      'plugin.spec.name == "pagerduty" && (false || access_request.spec.roles.contains("editor"))',
      true,
    ],
    ["!(true && false)", true],
    ["access_request.spec.user == `alice@example.com`", true],
    ['"a\\tb" == "a\\u0009b"', true],
  ];
  for (const [condition, expected] of cases) {
    assert.equal(evaluateCondition(condition, env), expected, condition);
  }
});

Deno.test("user.traits are the requester's traits", () => {
  const cases: Array<[string, boolean]> = [
    ['contains_any(user.traits["team"], set("sre"))', true],
    ['user.traits["team"].contains("payments")', true],
    ['user.traits.level.contains("senior")', true],
    ['is_empty(user.traits["missing"])', true],
  ];
  for (const [condition, expected] of cases) {
    assert.equal(evaluateCondition(condition, env), expected, condition);
    assert.equal(parseCondition(condition).usesUserTraits, true, condition);
  }
  assert.equal(
    evaluateCondition('user.traits["team"].contains("sre")', { ...env, userTraits: {} }),
    false,
  );
  assert.equal(parseCondition("!is_empty(access_request.spec.roles)").usesUserTraits, false);
});

Deno.test("creation_time and expiry compare with before, after and between", () => {
  const cases: Array<[string, boolean]> = [
    ['access_request.spec.creation_time.after(time.RFC3339("2026-11-25T09:59:59Z"))', true],
    ['access_request.spec.creation_time.after(time.RFC3339("2026-11-25T10:00:00Z"))', false],
    ['before(access_request.spec.creation_time, time.RFC3339("2026-11-25T11:00:00+01:00"))', false],
    [
      'before(access_request.spec.creation_time, time.RFC3339("2026-11-25T11:00:00.5+01:00"))',
      true,
    ],
    [
      'access_request.spec.expiry.between(time.RFC3339("2026-11-27T00:00:00Z"), time.RFC3339("2026-11-26T00:00:00Z"))',
      true,
    ],
    [
      "between(access_request.spec.creation_time, access_request.spec.creation_time, access_request.spec.expiry)",
      false,
    ],
  ];
  for (const [condition, expected] of cases) {
    assert.equal(evaluateCondition(condition, env), expected, condition);
  }
  // Teleport reads a missing time as Go's zero time, before anything.
  assert.equal(
    evaluateCondition(
      'access_request.spec.creation_time.before(time.RFC3339("1970-01-01T00:00:00Z"))',
      { ...env, creationTime: undefined },
    ),
    true,
  );
});

Deno.test("Teleport's edge rules: empty wanted set, non-boolean result", () => {
  // contains_all with nothing to look for is false in Teleport, not vacuously true.
  assert.equal(evaluateCondition("contains_all(access_request.spec.roles, set())", env), false);
  // A condition that is not true/false does not match, and is no error.
  assert.equal(evaluateCondition("access_request.spec.roles", env), false);
  assert.equal(evaluateCondition("access_request.spec.user", env), false);
});

Deno.test("what Teleport's parser refuses, or this service does not build, is an error", () => {
  for (
    const condition of [
      "",
      "   ",
      "contains(",
      '"unterminated',
      "true false",
      // == compares strings only, and types are checked even where && would skip the side.
      'access_request.spec.system_annotations["missing"] == set()',
      'false && access_request.spec.roles == set("a")',
      "access_request.spec.creation_time == access_request.spec.expiry",
      "true == true",
      // Wrong argument types and counts.
      'contains_any(access_request.spec.user, set("a"))',
      'is_empty("x")',
      'set(access_request.spec.roles).contains("a")',
      'access_request.spec.expiry.between(time.RFC3339("2026-01-01T00:00:00Z"))',
      "!access_request.spec.roles",
      'access_request.spec.roles["x"]',
      // Unknown or unsupported names.
      "access_request.spec.nope",
      "now() > 1",
      "access_request.spec.requested_resources.length == 1",
      'has_labels(access_request.spec.requested_resources, "env", "prod")',
      'regexp.match(access_request.spec.roles, "^db")',
      'email.local(set(access_request.spec.user)).contains("alice")',
      'access_request.spec.roles.frobnicate("x")',
      'access_request.spec.creation_time.after(time.RFC3339("2026-13-01T00:00:00Z"))',
      'access_request.spec.creation_time.after(time.RFC3339("2026-11-25 10:00:00Z"))',
      '"\\q" == "q"',
    ]
  ) {
    assert.throws(() => evaluateCondition(condition, env), ConditionError, condition);
  }
});
