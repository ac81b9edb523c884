import assert from "node:assert/strict";
import { parse, problemsOf } from "../testing/config_parse.ts";
import { DEFAULT_ACCESS_END, needsLocks } from "./access_end.ts";

const MINIMAL = `
[teleport]
addr = "auth.example.com:3025"
identity = "/var/lib/tp/auth_id"
[pagerduty]
api_key = "u+SeCrEtKeY1234567890"
user_email = "bot@example.com"
`;

Deno.test("both ways of ending access early are off by default, polling every 30 s", async () => {
  const { config, warnings } = await parse(MINIMAL);
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.pagerduty.accessEnd, {
    endWithShift: false,
    incidentAccess: false,
    incidentServicesAnnotation: "pagerduty_incident_services",
    incidentPollIntervalMs: 30_000,
  });
  assert.equal(needsLocks(config.pagerduty.accessEnd), false);
});

Deno.test("end_with_shift, the incident annotation and [pagerduty.incident_access] are read", async () => {
  const { config, warnings } = await parse(`${MINIMAL}
incident_services_annotation = "pd_incident_services"
[pagerduty.auto_approval]
end_with_shift = true
[pagerduty.incident_access]
enabled = true
poll_interval = "1m"
`);
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.pagerduty.accessEnd, {
    endWithShift: true,
    incidentAccess: true,
    incidentServicesAnnotation: "pd_incident_services",
    incidentPollIntervalMs: 60_000,
  });
  assert.equal(needsLocks(config.pagerduty.accessEnd), true);
  assert.equal(needsLocks({ ...DEFAULT_ACCESS_END, incidentAccess: true }), true);
  assert.equal(needsLocks({ ...DEFAULT_ACCESS_END, endWithShift: true }), true);
});

Deno.test("a polling interval outside 5s..15m and wrong types are refused, naming the key", async () => {
  assert.deepEqual(
    await problemsOf(`${MINIMAL}
[pagerduty.incident_access]
poll_interval = "1s"
`),
    ['pagerduty.incident_access.poll_interval "1s" is too short: use from "5s" to "15m0s".'],
  );
  assert.deepEqual(
    await problemsOf(`${MINIMAL}
[pagerduty.incident_access]
poll_interval = "1h"
`),
    ['pagerduty.incident_access.poll_interval "1h" is too long: use from "5s" to "15m0s".'],
  );
  const problems = await problemsOf(`${MINIMAL}
incident_services_annotation = " spaced "
[pagerduty.auto_approval]
end_with_shift = "yes"
[pagerduty.incident_access]
enabled = 1
`);
  assert.equal(problems.length, 3);
  assert.match(problems.join("\n"), /pagerduty\.incident_services_annotation " spaced " must be/);
  assert.match(
    problems.join("\n"),
    /pagerduty\.auto_approval\.end_with_shift must be true or false/,
  );
  assert.match(problems.join("\n"), /pagerduty\.incident_access\.enabled must be true or false/);
});

Deno.test("end_with_shift without auto-approval is a warning, not an error", async () => {
  const { config, warnings } = await parse(`${MINIMAL}
[pagerduty.auto_approval]
enabled = false
end_with_shift = true
`);
  assert.equal(config.pagerduty.accessEnd.endWithShift, true);
  assert.deepEqual(warnings.map((w) => w.key), ["pagerduty.auto_approval.end_with_shift"]);
  assert.match(
    warnings[0].message,
    /has no effect because pagerduty\.auto_approval\.enabled = false/,
  );
});

Deno.test("a misspelt key is pointed at its right spelling", async () => {
  const { warnings } = await parse(`${MINIMAL}
[pagerduty.incident_access]
poll_intervall = "30s"
`);
  assert.deepEqual(warnings.map((w) => w.message), [
    "pagerduty.incident_access.poll_intervall is not a known key and is ignored: did you mean pagerduty.incident_access.poll_interval?",
  ]);
});
