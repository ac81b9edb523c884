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
const STEPS = 12;

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
  assert.equal(incidents.length, 7);
  // Every incident the fake PagerDuty holds is in the timeline, opened and resolved, with its
  // notes' text; every note in the timeline is one the fake holds.
  for (const incident of incidents) {
    const service = world.pagerduty.account.service(incident.serviceId)!.name;
    assert.match(out, new RegExp(`opened incident #${incident.number} in "${service}"`));
    assert.equal(incident.status, "resolved");
    // The service resolves with the outcome; a responder (step 12) without a resolution text.
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

  // 9–10: Dave is approved until his (shortened) shift ends, and locked when it has.
  assert.match(
    section(out, 9),
    /APPROVED "Access requested by user Dave Davis .* the access ends when the on-call shift ends at [0-9T:-]+Z"/,
  );
  assert.doesNotMatch(section(out, 9), /locked request/);
  assert.match(
    section(out, 10),
    /service +locked request …[0-9a-f]{8}: every certificate issued from it stops working\n.*│ lock pagerduty-[0-9a-f-]+: "Your access from request [0-9a-f-]+ ended: your PagerDuty on-call shift ended at [0-9T:-]+Z\."/,
  );
  assert.match(section(out, 10), /│ Access from this request was ended at /);
  const daveShift = world.pagerduty.account.onCalls()
    .find((o) => o.userId === world.account.dave.id)!;
  const [shiftLock, incidentLock] = world.auth.locks()
    .sort((a, b) => a.createdAt!.getTime() - b.createdAt!.getTime());
  assert.ok(shiftLock.createdAt!.getTime() >= daveShift.end!.getTime(), "not before the end");
  // 11–12: Erin is approved as a responder, and locked once Dave resolves the incident.
  assert.match(
    section(out, 11),
    /APPROVED "Access requested by user Erin Evans \(erin@example\.com\) who is an accepted responder on PagerDuty incident #6 "Checkout DB latency"/,
  );
  assert.match(section(out, 12), /Dave Davis +resolved incident #6/);
  assert.match(
    section(out, 12),
    /locked request …[0-9a-f]{8}: .*\n.*"Your access from request [0-9a-f-]+ ended: PagerDuty incident #6 "Checkout DB latency" was resolved\."/,
  );
  assert.match(incidentLock.message, /incident #6 "Checkout DB latency" was resolved/);

  // The summary is what the fakes hold.
  assert.match(out, /PagerDuty incidents +7 opened, 7 resolved, 0 open; 14 notes/);
  assert.match(out, /Teleport requests +6 created: approved 4, deleted 1, denied 1/);
  assert.match(out, /Auto-approvals +3 /);
  assert.match(out, /Locks +2 requests locked: incident_resolved 1, shift_ended 1/);
  assert.match(out, /✓ All 12 steps happened as expected/);
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
    /✗ Step 1 of 12 failed: the service did not open an incident for Erin Evans's request within 0\.6 s\./,
  );
  // The quiet service log is shown on failure: it says why.
  assert.match(err, /The service's last log lines:\n(.*\n)*.*POST \/incidents failed \(500\)/);
  assert.match(err, /demo --verbose/);
  assert.match(out, /erin@example\.com +created request/);
  assert.doesNotMatch(out, /\[2\/12\]/);
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
  assert.match(run.stdout, /✓ All 12 steps happened as expected/);
  // Not a terminal: no colour.
  assert.ok(!run.stdout.includes("\x1b["));
  assert.equal(badColor.code, 2);
  assert.match(badColor.stderr, /--color must be one of auto, always, never, not "sometimes"/);
});
