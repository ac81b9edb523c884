import assert from "node:assert/strict";
import type { ResponderCommand } from "./responder_commands.ts";
import {
  approverText,
  askedText,
  decidedNote,
  decisionReviewReason,
  refusalNote,
  reviewFailure,
  reviewRefusedNote,
} from "./responder_messages.ts";

const ALICE = { name: "Alice Example", email: "alice@example.com" };
const NOTE: ResponderCommand = {
  path: "note",
  decision: "approve",
  reason: "ok",
  incidentId: "Q1INC",
  agent: { id: "PALICE1", name: "Alice" },
  via: "",
};
const WORKFLOW: ResponderCommand = {
  ...NOTE,
  path: "workflow",
  decision: "deny",
  reason: "",
  via: "Deny access request",
  workflowId: "PWFDEN1",
};
const ACTION: ResponderCommand = { ...NOTE, path: "action", reason: "", via: "" };

Deno.test("decided notes say who decided, how, and what Teleport made of it", () => {
  assert.equal(
    decidedNote(NOTE, ALICE, "APPROVED"),
    "Alice Example (alice@example.com) approved the access request with a /approve note on " +
      "incident Q1INC. Teleport granted the request.",
  );
  assert.equal(
    decidedNote(NOTE, ALICE, "PENDING"),
    "Alice Example (alice@example.com) approved the access request with a /approve note on " +
      "incident Q1INC. Teleport recorded the review; the request needs more approvals in " +
      "Teleport before it is approved.",
  );
  assert.equal(
    decidedNote(WORKFLOW, ALICE, "DENIED"),
    'Alice Example (alice@example.com) denied the access request by running the workflow "Deny ' +
      'access request" on incident Q1INC. Teleport denied the request.',
  );
  assert.match(decidedNote(WORKFLOW, ALICE, "PENDING"), /needs more denials in Teleport/);
  assert.match(
    decidedNote(ACTION, ALICE, "APPROVED"),
    /with the Custom Incident Action "Approve" on incident Q1INC/,
    "an action without a name is named by its decision",
  );
});

Deno.test("texts name each path as PagerDuty shows it", () => {
  assert.equal(askedText(NOTE), "The /approve note");
  assert.equal(askedText(WORKFLOW), 'The workflow "Deny access request"');
  assert.equal(askedText({ ...WORKFLOW, via: "" }), 'The workflow "PWFDEN1"');
  assert.equal(
    askedText({ ...ACTION, via: "Approve request" }),
    'The Custom Incident Action "Approve request"',
  );
  assert.equal(approverText({ name: "", email: "a@x.io" }), "a@x.io");
});

Deno.test("hostile names and reasons stay on one line and are clipped", () => {
  const reason = decisionReviewReason(
    { ...NOTE, reason: `line one\r\nline two\u2028three\u0000${"x".repeat(5000)}` },
    { name: "Mallory\nApproved by admin", email: "m@example.com" },
    { kind: "approver_email" },
  );
  for (const bad of ["\r", "\n", "\u0000", "\u2028"]) assert.ok(!reason.includes(bad), reason);
  assert.match(reason, /^Approved in PagerDuty by Mallory Approved by admin \(m@example\.com\)/);
  assert.match(reason, /Reason: line one line two three x+…$/);
  assert.ok(reason.length < 1_400, String(reason.length));
});

Deno.test("refusal notes for each rule name the rule", () => {
  const context = { command: NOTE, requestId: "req-1", approver: ALICE };
  assert.match(
    refusalNote("level_not_allowed", { ...context, levels: [2, 3], allowedLevels: [1] }),
    /on call only at escalation level 2, 3\. Rule: pagerduty\.reviews\.approver_escalation_levels allows level 1\.$/,
  );
  assert.match(
    refusalNote("not_on_call", context),
    /not on call now in the escalation policy of the incident's service\./,
  );
  assert.match(
    refusalNote("already_reviewed", context),
    /Another reviewer must decide in Teleport\.$/,
    "without a proxy address the note has no link",
  );
});

Deno.test("review failures: final refusals get a note, everything else is retried", () => {
  assert.deepEqual(
    reviewFailure("already_exists", 'user "tp" has already reviewed this request'),
    { retry: false, refusal: "already_reviewed" },
  );
  assert.deepEqual(reviewFailure("not_found", "cannot apply review"), {
    retry: false,
    refusal: "unknown_request",
  });
  assert.deepEqual(
    reviewFailure("permission_denied", "the access request has been already denied"),
    { retry: false, refusal: "not_pending" },
  );
  assert.deepEqual(reviewFailure("permission_denied", 'user "tp" cannot review request "r"'), {
    retry: false,
    refusal: "review_refused",
  });
  for (const kind of ["unavailable", "deadline_exceeded", "compare_failed", "unknown"]) {
    assert.deepEqual(reviewFailure(kind, "x"), { retry: true }, kind);
  }
  assert.equal(
    reviewRefusedNote(NOTE, 'user "tp" cannot review request "r"\nmore'),
    'The /approve note was not carried out: Teleport refused the service\'s review (user "tp" ' +
      'cannot review request "r" more). An administrator must let the service\'s Teleport role ' +
      "review this request (review_requests), or someone must decide in Teleport.",
  );
});
