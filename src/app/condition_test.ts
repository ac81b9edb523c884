import assert from "node:assert/strict";
import { type ConditionEnv, ConditionError, evaluateCondition } from "./condition.ts";

const env: ConditionEnv = {
  user: "alice@example.com",
  roles: ["editor", "dba"],
  suggestedReviewers: ["bob"],
  systemAnnotations: { pagerduty_services: ["DB"], team: ["payments"] },
  requestReason: "outage",
  pluginName: "pagerduty",
};

Deno.test("conditions used by routing rules evaluate like Teleport's", () => {
  const cases: Array<[string, boolean]> = [
    ["", true],
    ["!is_empty(access_request.spec.roles)", true],
    ["is_empty(access_request.spec.suggested_reviewers)", false],
    ['contains_any(access_request.spec.roles, set("dba", "ops"))', true],
    ['contains_all(access_request.spec.roles, set("dba", "ops"))', false],
    ['access_request.spec.user == "alice@example.com"', true],
    ['access_request.spec.user != "alice@example.com"', false],
    ['contains(access_request.spec.system_annotations["team"], "payments")', true],
    ['access_request.spec.system_annotations["missing"] == set()', true],
    [
      'plugin.spec.name == "pagerduty" && (false || contains(access_request.spec.roles, "editor"))',
      true,
    ],
    ["!(true && false)", true],
  ];
  for (const [condition, expected] of cases) {
    assert.equal(evaluateCondition(condition, env), expected, condition);
  }
});

Deno.test("unsupported or malformed conditions are errors, never guesses", () => {
  for (
    const condition of [
      "access_request.spec.creation_time > now()",
      "contains(",
      '"unterminated',
      "access_request.spec.roles",
      "regexp.match(access_request.spec.user, '.*')",
      "true false",
    ]
  ) {
    assert.throws(() => evaluateCondition(condition, env), ConditionError, condition);
  }
});
