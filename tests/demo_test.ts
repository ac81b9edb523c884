/**
 * The embedded demo end to end: in-process (output checked against the fakes' final state),
 * its failure and interrupt paths, and `teleport-pagerduty demo` as a process under the
 * shipped permission flags.
 */

import assert from "node:assert/strict";
import { runCliProcess } from "../src/testing/deno_process.ts";
import { demoExitCode } from "../src/cli/demo.ts";
import { type DemoOptions, nextSteps, runDemo } from "../src/demo/demo.ts";
import type { World } from "../src/fakes/world.ts";
import { runArgs } from "../src/sandbox/flags.ts";

interface DemoRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  /** The demo's world; stopped, but its fakes' state is still readable. */
  readonly world: World;
}

async function demo(options: Partial<DemoOptions> = {}): Promise<DemoRun> {
  let out = "";
  let err = "";
  let world: World | undefined;
  const outcome = await runDemo({
    color: false,
    ...options,
    output: (text) => {
      out += text;
      options.output?.(text);
    },
    errorOutput: (text) => (err += text),
    beforeStart: (w) => {
      world = w;
      options.beforeStart?.(w);
    },
  });
  assert.ok(world, "the demo started its world");
  return { code: demoExitCode(outcome), out, err, world };
}

/** How many steps the scenario has. */
const STEPS = 15;

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The lines of one step's section, from its heading to the blank line after it. */
function section(out: string, step: number): string {
  const start = out.indexOf(`\n[${step}/${STEPS}] `);
  assert.ok(start >= 0, `step ${step} is printed`);
  const end = out.indexOf("\n\n", start + 1);
  return out.slice(start, end);
}

Deno.test("the demo plays every step and prints only what happened on the fakes", async () => {
  const { code, out, err, world } = await demo();
  assert.equal(code, 0, err + out);
  assert.equal(err, "");

  const incidents = world.pagerduty.incidents();
  assert.equal(incidents.length, 8);
  // Every incident the fake PagerDuty holds is in the timeline, opened and resolved, with its
  // notes' text; every note in the timeline is one the fake holds.
  for (const incident of incidents) {
    const service = world.pagerduty.account.service(incident.serviceId)!.name;
    assert.match(out, new RegExp(`opened incident #${incident.number} in "${service}"`));
    assert.equal(incident.status, "resolved");
    // The service resolves with the outcome; a responder (step 15) without a resolution text.
    const resolution = incident.resolution?.split("\n")[0];
    const resolved = `resolved incident #${incident.number}`;
    assert.ok(out.includes(resolution ? `${resolved}: "${resolution}"` : resolved), resolved);
    for (const note of incident.notes) {
      const quoted = note.content.split("\n").map((line) => `│ ${escape(line)}`).join("\n +");
      assert.match(out, new RegExp(quoted), `note on #${incident.number} printed`);
    }
  }
  const printedNotes = out.match(/added a note to incident #\d+:/g) ?? [];
  assert.equal(printedNotes.length, incidents.reduce((n, i) => n + i.notes.length, 0));

  // 1: notified to the service, on-call checked, no auto-approval.
  const first = section(out, 1);
  assert.match(first, /erin@example\.com +created request …[0-9a-f]{8} for roles editor/);
  assert.match(first, /pagerduty_notify_service=Teleport Access Requests/);
  assert.match(first, /service +asked who is on call: GET \/oncalls for Erin Evans in Platform/);
  assert.doesNotMatch(first, /auto-approval/);
  // 2: auto-approved by the service, naming the service and the level; then resolved.
  const second = section(out, 2);
  assert.match(
    second,
    /service +auto-approval: reviewed request …[0-9a-f]{8}: APPROVED "Access requested by user Alice Anderson \(alice@example\.com\) who is on call in service\(s\) Platform \(escalation level 1\); the on-call shift outlasts the access"/,
  );
  assert.match(second, /Teleport +request …[0-9a-f]{8} is now APPROVED/);
  assert.match(second, /wrote plugin data on request …[0-9a-f]{8}: auto_approval=approved/);
  assert.ok(
    second.indexOf("auto-approval:") < second.indexOf("resolved incident #2"),
    "the incident is resolved after the auto-approval",
  );
  // 3: a review is a note, the incident stays open.
  const third = section(out, 3);
  assert.match(
    third,
    /│ carol@example\.com reviewed the request at .*\n.*│ Resolution: APPROVED\./,
  );
  assert.match(third, /reviews_count=1/);
  assert.doesNotMatch(third, /resolved incident/);
  // 4–8: approved, denied, expired, each resolving its incident.
  assert.match(
    section(out, 4),
    /│ Access request has been approved\n(.*\n)*.*resolved incident #1/,
  );
  assert.match(section(out, 6), /│ Access request has been denied\n(.*\n)*.*resolved incident #3/);
  assert.match(section(out, 7), /opened incident #4/);
  assert.match(section(out, 8), /Teleport +deleted request …[0-9a-f]{8}/);
  assert.match(section(out, 8), /│ Access request has been expired/);
  assert.match(section(out, 8), /resolution=expired/);

  // 9–11: decided in PagerDuty. A signed webhook for each person's note; someone not on call
  // is refused with a note naming the rule; the on-call responder's /approve becomes the
  // service's review, said on the incident, and the request is approved.
  assert.match(section(out, 9), /opened incident #5/);
  const refused = section(out, 10);
  assert.match(refused, /Erin Evans +added a note to incident #5:\n.*│ \/approve Looks fine/);
  assert.match(
    refused,
    /PagerDuty +sent incident\.annotated to the service as a signed webhook \(answered 202\)/,
  );
  assert.match(
    refused,
    /service +added a note to incident #5:\n.*│ The \/approve note was not carried out: Erin Evans \(erin@example\.com\) is not on call now in the escalation policy of service Teleport Access Requests\. Rule: only responders on call for the incident's service may decide\./,
  );
  assert.doesNotMatch(refused, /reviewed request/);
  const approved = section(out, 11);
  assert.match(
    approved,
    /service +for the responder: reviewed request …[0-9a-f]{8}: APPROVED "Approved in PagerDuty by Carol Chen \(carol@example\.com\) with a \/approve note on incident \w+, who is on call at escalation level 1 in service Teleport Access Requests\. Reason: Audit is due this week"/,
  );
  assert.match(approved, /Teleport +request …[0-9a-f]{8} is now APPROVED/);
  assert.match(
    approved,
    /│ Carol Chen \(carol@example\.com\) approved the access request with a \/approve note on incident \w+\. Teleport granted the request\./,
  );
  assert.match(approved, /resolved incident #5: "Access request has been approved"/);
  const [dave] = world.auth.requests().filter((r) =>
    r.roles.includes("auditor") && r.user === "dave@example.com"
  );
  assert.equal(dave.state, "APPROVED");
  assert.deepEqual(dave.reviews.map((r) => r.author), ["teleport-plugin"]);
  // 12–13: Dave is approved until his (shortened) shift ends, and locked when it has.
  assert.match(
    section(out, 12),
    /APPROVED "Access requested by user Dave Davis .* the access ends when the on-call shift ends at [0-9T:-]+Z"/,
  );
  assert.doesNotMatch(section(out, 12), /locked request/);
  assert.match(
    section(out, 13),
    /service +locked request …[0-9a-f]{8}: every certificate issued from it stops working\n.*│ lock pagerduty-[0-9a-f-]+: "Your access from request [0-9a-f-]+ ended: your PagerDuty on-call shift ended at [0-9T:-]+Z\."/,
  );
  assert.match(section(out, 13), /│ Access from this request was ended at /);
  const daveShift = world.pagerduty.account.onCalls()
    .find((o) => o.userId === world.account.dave.id)!;
  const [shiftLock, incidentLock] = world.auth.locks()
    .sort((a, b) => a.createdAt!.getTime() - b.createdAt!.getTime());
  assert.ok(shiftLock.createdAt!.getTime() >= daveShift.end!.getTime(), "not before the end");
  // 14–15: Erin is approved as a responder, and locked once Dave resolves the incident.
  assert.match(
    section(out, 14),
    /service +incident access: reviewed request …[0-9a-f]{8}: APPROVED "Access requested by user Erin Evans \(erin@example\.com\) who is an accepted responder on PagerDuty incident #7 "Checkout DB latency"/,
  );
  assert.match(section(out, 15), /Dave Davis +resolved incident #7/);
  assert.match(
    section(out, 15),
    /locked request …[0-9a-f]{8}: .*\n.*"Your access from request [0-9a-f-]+ ended: PagerDuty incident #7 "Checkout DB latency" was resolved\."/,
  );
  assert.match(incidentLock.message, /incident #7 "Checkout DB latency" was resolved/);

  // The summary is what the fakes hold.
  assert.match(out, /PagerDuty incidents +8 opened, 8 resolved, 0 open; 20 notes/);
  assert.match(out, /Teleport requests +7 created: approved 5, deleted 1, denied 1/);
  assert.match(out, /Auto-approvals +2 /);
  assert.match(out, /Incident access +1 /);
  assert.match(out, /Decided in PagerDuty +1 /);
  assert.match(out, /Locks +2 requests locked: incident_resolved 1, shift_ended 1/);
  assert.match(out, /✓ All 15 steps happened as expected/);
  // The closing hints, spelled for a checkout here (tests/hints_test.ts runs them).
  assert.ok(out.endsWith(`${nextSteps(false).join("\n")}\n`), out);
  // Plain text without colour, and the PagerDuty key never shows.
  assert.ok(!out.includes("\x1b["));
  assert.ok(!out.includes(world.pagerduty.apiKey));
});

Deno.test("with colour the timeline has ANSI styles, and the service log can be shown live", async () => {
  let log = "";
  const { code, out } = await demo({ color: true, serviceLog: (text) => (log += text) });
  assert.equal(code, 0, out);
  assert.ok(out.includes(`\x1b[1m[1/${STEPS}]`), "bold headings");
  assert.ok(out.includes("\x1b[1;36mservice"), "the service stands out");
  assert.match(log, /Opened incident \S+ in service Teleport Access Requests/);
  assert.match(log, /Auto-approved: Access requested by user Alice Anderson/);
});

Deno.test("a step whose effect does not happen fails within its timeout and says which", async () => {
  const { code, out, err } = await demo({
    stepTimeoutMs: 600,
    beforeStart: (world) => world.pagerduty.failNext(10_000, { operation: "createIncident" }),
  });
  assert.equal(code, 1);
  assert.match(
    err,
    /✗ Step 1 of 15 failed: the service did not open an incident for Erin Evans's request within 0\.6 s\./,
  );
  // The quiet service log is shown on failure: it says why.
  assert.match(err, /The service's last log lines:\n(.*\n)*.*POST \/incidents failed \(500\)/);
  assert.match(err, /demo --verbose/);
  assert.match(out, /erin@example\.com +created request/);
  assert.doesNotMatch(out, /\[2\/15\]/);
});

Deno.test("aborting the demo stops it between steps with the interrupt exit code", async () => {
  const interrupt = new AbortController();
  const { code, out, err } = await demo({
    signal: interrupt.signal,
    output: (text) => {
      if (text.startsWith(`[2/${STEPS}]`)) interrupt.abort();
    },
  });
  assert.equal(code, 130);
  assert.match(err, /Interrupted/);
  assert.doesNotMatch(out, /\[3\/12\]/);
});

Deno.test("a Ctrl-C while the fakes start, before any step, still stops the demo", async () => {
  const interrupt = new AbortController();
  const { code, out, err } = await demo({
    signal: interrupt.signal,
    beforeStart: () => interrupt.abort(),
  });
  assert.equal(code, 130);
  assert.match(err, /Interrupted/);
  assert.doesNotMatch(out, /\[1\/8\]/);
});

Deno.test("`demo` runs as a process under the shipped flags, and deno task demo uses them", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assert.equal(denoJson.tasks.demo, `deno ${runArgs().join(" ")} demo`);
  const [run, badColor] = await Promise.all([
    runCliProcess(["demo"]),
    runCliProcess(["demo", "--color", "sometimes"]),
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, "");
  assert.match(run.stdout, /opened incident #1 in "Teleport Access Requests"/);
  assert.match(run.stdout, /✓ All 15 steps happened as expected/);
  // Not a terminal: no colour.
  assert.ok(!run.stdout.includes("\x1b["));
  assert.equal(badColor.code, 2);
  assert.match(badColor.stderr, /--color must be one of auto, always, never, not "sometimes"/);
});
