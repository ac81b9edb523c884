import assert from "node:assert/strict";
import { makeRequest } from "../../tests/fixtures.ts";
import type { AccessMonitoringRule } from "../teleport/types.ts";
import { namesFromAnnotation, namesOverCap, notifyRouting } from "./routing.ts";

const options = { notifyAnnotation: "pagerduty_notify_service", pluginName: "pagerduty" };

function rule(fields: Partial<AccessMonitoringRule>): AccessMonitoringRule {
  return {
    name: "r1",
    subjects: ["access_request"],
    states: [],
    condition: "",
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

Deno.test("recipients of applying rules take precedence over the annotation", () => {
  const request = makeRequest();
  const routing = notifyRouting(request, [
    rule({ name: "a", recipients: ["X", "Y"] }),
    rule({
      name: "b",
      recipients: ["y", "Z"],
      condition: 'contains(access_request.spec.roles, "editor")',
    }),
    rule({ name: "other plugin", notificationName: "slack", recipients: ["Nope"] }),
    rule({ name: "other subject", subjects: ["access_list"], recipients: ["Nope"] }),
    rule({ name: "denied only", states: ["denied"], recipients: ["Nope"] }),
  ], options);
  assert.deepEqual(routing.serviceNames, ["X", "Y", "Z"]);
  assert.equal(routing.source, "access_monitoring_rule");
});

Deno.test("a rule whose condition is not understood is reported and skipped", () => {
  const routing = notifyRouting(makeRequest(), [rule({ condition: "now() > 1" })], options);
  assert.deepEqual(routing.serviceNames, ["Teleport Notifications"]);
  assert.equal(routing.ruleErrors.length, 1);
  assert.equal(routing.ruleErrors[0].rule, "r1");
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
