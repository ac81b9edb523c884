import assert from "node:assert/strict";
import { makeRequest } from "../../tests/fixtures.ts";
import type { AccessMonitoringRule } from "../teleport/types.ts";
import {
  namesFromAnnotation,
  namesOverCap,
  notifyRouting,
  rulesNeedUserTraits,
} from "./routing.ts";

const options = {
  notifyAnnotation: "pagerduty_notify_service",
  pluginName: "pagerduty",
  userTraits: {},
};

function rule(fields: Partial<AccessMonitoringRule>): AccessMonitoringRule {
  return {
    name: "r1",
    subjects: ["access_request"],
    states: [],
    condition: "true",
    notificationName: "pagerduty",
    recipients: ["Rule Service"],
    ...fields,
  };
}

Deno.test("annotation values are trimmed and de-duplicated ignoring case", () => {
  const request = makeRequest({
    systemAnnotations: { pagerduty_notify_service: [" DB ", "db", "", "Web", "WEB"] },
  });
  assert.deepEqual(namesFromAnnotation(request, "pagerduty_notify_service"), ["DB", "Web"]);
});

Deno.test("every listed service is notified when no rule applies", () => {
  const request = makeRequest({ systemAnnotations: { pagerduty_notify_service: ["A", "B"] } });
  const routing = notifyRouting(request, [rule({ condition: "false" })], options);
  assert.deepEqual(routing, {
    serviceNames: ["A", "B"],
    omitted: 0,
    source: "annotation",
    ruleErrors: [],
  });
});

Deno.test("recipients of rules whose condition holds take precedence over the annotation", () => {
  const request = makeRequest();
  const routing = notifyRouting(request, [
    rule({ name: "a", recipients: ["X", "Y"] }),
    rule({
      name: "b",
      recipients: ["y", "Z"],
      condition: 'access_request.spec.roles.contains("editor")',
    }),
    rule({ name: "other plugin", notificationName: "slack", recipients: ["Nope"] }),
    rule({ name: "other subject", subjects: ["access_list"], recipients: ["Nope"] }),
  ], options);
  assert.deepEqual(routing.serviceNames, ["X", "Y", "Z"]);
  assert.equal(routing.source, "access_monitoring_rule");
});

Deno.test("a rule's states do not limit notification routing, as in Teleport's plugins", () => {
  const routing = notifyRouting(makeRequest(), [
    rule({ name: "approved only", states: ["approved"], recipients: ["Approved"] }),
    rule({ name: "denied", states: ["denied"], recipients: ["Denied"] }),
  ], options);
  assert.deepEqual(routing.serviceNames, ["Approved", "Denied"]);
});

Deno.test("conditions read the requester's traits and the request's times", () => {
  const request = makeRequest({ created: new Date("2026-11-25T10:00:00Z") });
  const rules = [
    rule({ name: "sre", condition: 'user.traits["team"].contains("sre")', recipients: ["SRE"] }),
    rule({
      name: "late",
      condition: 'access_request.spec.creation_time.after(time.RFC3339("2026-11-25T09:00:00Z"))',
      recipients: ["Late"],
    }),
  ];
  assert.equal(rulesNeedUserTraits(rules, "pagerduty"), true);
  assert.equal(rulesNeedUserTraits(rules.slice(1), "pagerduty"), false);
  const sre = notifyRouting(request, rules, { ...options, userTraits: { team: ["sre"] } });
  assert.deepEqual(sre.serviceNames, ["SRE", "Late"]);
  const other = notifyRouting(request, rules, { ...options, userTraits: { team: ["dev"] } });
  assert.deepEqual(other.serviceNames, ["Late"]);
});

Deno.test("a rule that cannot be evaluated is named with the reason and routes nothing", () => {
  const broken = rule({ name: "broken", condition: "now()" });
  const routing = notifyRouting(makeRequest(), [broken, rule({ name: "empty", condition: "" })], {
    ...options,
  });
  assert.deepEqual(routing.serviceNames, ["Teleport Notifications"]);
  assert.deepEqual(routing.ruleErrors.map((e) => [e.rule.name, e.message]), [
    ["broken", "unsupported function now()"],
    ["empty", "the condition is empty"],
  ]);
});

Deno.test("no annotation and no rule means nobody to notify", () => {
  const routing = notifyRouting(makeRequest({ systemAnnotations: {} }), [], options);
  assert.deepEqual(routing.serviceNames, []);
  assert.equal(routing.source, "none");
});

Deno.test("a request names at most ten services per purpose; the rest are counted", () => {
  const names = Array.from({ length: 500 }, (_, i) => `Service ${i}`);
  const request = makeRequest({
    systemAnnotations: { pagerduty_notify_service: names, pagerduty_services: names },
  });
  assert.deepEqual(namesFromAnnotation(request, "pagerduty_services"), names.slice(0, 10));
  assert.equal(namesOverCap(request, "pagerduty_services"), 490);
  const routing = notifyRouting(request, [], options);
  assert.deepEqual(routing.serviceNames, names.slice(0, 10));
  assert.equal(routing.omitted, 490);
  const byRule = notifyRouting(request, [rule({ recipients: names })], options);
  assert.equal(byRule.serviceNames.length, 10);
  assert.equal(byRule.omitted, 490);
});
