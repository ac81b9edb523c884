import assert from "node:assert/strict";
import type { ResponderEvent } from "../pagerduty/webhook.ts";
import {
  interpretEvent,
  type InterpretOptions,
  MAX_EVENT_AGE_MS,
  parseNoteCommand,
} from "./responder_commands.ts";

const NOW = new Date("2026-03-01T12:00:00Z");
const ALICE = { id: "PALICE1", name: "Alice Example" };
const OPTIONS: InterpretOptions = {
  serviceUserId: "PBOT001",
  approveWorkflows: ["PWFAPP1"],
  denyWorkflows: ["PWFDEN1"],
  now: NOW,
};

function note(content: string, agent: ResponderEvent["agent"] = ALICE): ResponderEvent {
  return { kind: "note", incidentId: "Q1INC", noteId: "PNOTE01", content, agent, occurredAt: NOW };
}

Deno.test("note commands: /approve or /deny as the first word, any case; the rest is the reason", () => {
  const cases: Array<[string, ReturnType<typeof parseNoteCommand>]> = [
    ["/approve", { decision: "approve", reason: "" }],
    ["/approve checked the ticket", { decision: "approve", reason: "checked the ticket" }],
    ["  /APPROVE   on call, fine  ", { decision: "approve", reason: "on call, fine" }],
    ["/Deny\nnot during the freeze\nsee INC-1", {
      decision: "deny",
      reason: "not during the freeze\nsee INC-1",
    }],
    ["/deny\t", { decision: "deny", reason: "" }],
  ];
  for (const [content, expected] of cases) {
    assert.deepEqual(parseNoteCommand(content), expected, JSON.stringify(content));
  }
});

Deno.test("note commands: anything else is not a command", () => {
  for (
    const content of [
      "",
      "   ",
      "I approve of the plan",
      "approve",
      "/approved",
      "/approve:",
      "/deny-all",
      "please /approve",
      "//approve",
      "\u212A", // a look-alike letter alone
      "/\u0430pprove", // Cyrillic a
      "/toString",
      "/__proto__",
    ]
  ) {
    assert.equal(parseNoteCommand(content), undefined, JSON.stringify(content));
  }
});

Deno.test("interpret: a command note becomes a note command with its author and reason", () => {
  assert.deepEqual(interpretEvent(note("/approve looks right"), OPTIONS), {
    kind: "command",
    command: {
      path: "note",
      decision: "approve",
      reason: "looks right",
      incidentId: "Q1INC",
      agent: ALICE,
      via: "",
    },
  });
});

Deno.test("interpret: other notes, and notes by the service's own user, are ignored", () => {
  const other = interpretEvent(note("I approve of the plan"), OPTIONS);
  assert.equal(other.kind === "ignore" && other.reason, "not_a_command");
  const own = interpretEvent(note("/approve", { id: "PBOT001", name: "Bot" }), OPTIONS);
  assert.equal(own.kind === "ignore" && own.reason, "own_action");
});

Deno.test("interpret: a note without an agent is still a command (the policy refuses it)", () => {
  const result = interpretEvent({ ...note("/deny"), agent: undefined }, OPTIONS);
  assert.equal(result.kind, "command");
  assert.equal(result.kind === "command" && result.command.agent, undefined);
});

Deno.test("interpret: workflows map by ID to approve or deny; others are ignored", () => {
  const workflow = (workflowId: string): ResponderEvent => ({
    kind: "workflow",
    incidentId: "Q1INC",
    workflowId,
    workflowName: "Approve access request",
    instanceId: "PWI0001",
    serviceId: "PSVC001",
    agent: ALICE,
    occurredAt: NOW,
  });
  const approve = interpretEvent(workflow("PWFAPP1"), OPTIONS);
  assert.deepEqual(approve, {
    kind: "command",
    command: {
      path: "workflow",
      decision: "approve",
      reason: "",
      incidentId: "Q1INC",
      agent: ALICE,
      via: "Approve access request",
      workflowId: "PWFAPP1",
    },
  });
  const deny = interpretEvent(workflow("PWFDEN1"), OPTIONS);
  assert.equal(deny.kind === "command" && deny.command.decision, "deny");
  const other = interpretEvent(workflow("PWFOTHR"), OPTIONS);
  assert.equal(other.kind === "ignore" && other.reason, "other_workflow");
});

Deno.test("interpret: a Custom Incident Action decides by its route", () => {
  const result = interpretEvent({
    kind: "action",
    decision: "deny",
    actionName: "Deny request",
    incidentId: "Q1INC",
    incidentKey: "teleport-access-request/r1",
    serviceId: "PSVC001",
    agent: ALICE,
    occurredAt: NOW,
  }, OPTIONS);
  assert.deepEqual(result, {
    kind: "command",
    command: {
      path: "action",
      decision: "deny",
      reason: "",
      incidentId: "Q1INC",
      agent: ALICE,
      via: "Deny request",
    },
  });
});

Deno.test("interpret: a resolved incident is no decision, and events past the redelivery window are replays", () => {
  const resolved = interpretEvent({
    kind: "resolved",
    incidentId: "Q1INC",
    incidentKey: "",
    serviceId: "PSVC001",
    agent: ALICE,
    occurredAt: NOW,
  }, OPTIONS);
  assert.equal(resolved.kind === "ignore" && resolved.reason, "not_a_decision");
  const old = { ...note("/approve"), occurredAt: new Date(NOW.getTime() - MAX_EVENT_AGE_MS - 1) };
  const stale = interpretEvent(old, OPTIONS);
  assert.equal(stale.kind === "ignore" && stale.reason, "stale");
  const recent = { ...note("/approve"), occurredAt: new Date(NOW.getTime() - MAX_EVENT_AGE_MS) };
  assert.equal(interpretEvent(recent, OPTIONS).kind, "command");
});
