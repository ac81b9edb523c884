import assert from "node:assert/strict";
import { makeRequest, makeReview } from "../../tests/fixtures.ts";
import {
  autoApprovalReason,
  incidentDetails,
  incidentKey,
  incidentTitle,
  outcomeNote,
  requestLink,
  reviewNote,
} from "./messages.ts";

Deno.test("the incident key is the Go plugin's", () => {
  assert.equal(incidentKey("abc"), "teleport-access-request/abc");
});

Deno.test("request links use https and drop the default port", () => {
  assert.equal(
    requestLink("teleport.example.com:443", "r1"),
    "https://teleport.example.com/web/requests/r1",
  );
  assert.equal(requestLink("proxy:3080", "r1"), "https://proxy:3080/web/requests/r1");
  assert.equal(
    requestLink("https://t.example.com/", "r1"),
    "https://t.example.com/web/requests/r1",
  );
  assert.equal(requestLink("", "r1"), undefined);
});

Deno.test("the title names the requester and roles on one line", () => {
  const title = incidentTitle(makeRequest({ user: "eve\nmallory", roles: ["db", "ssh"] }));
  assert.equal(title, "Access request from eve mallory for roles db, ssh");
});

Deno.test("the body carries every fact a responder needs", () => {
  const details = incidentDetails(
    makeRequest({
      suggestedReviewers: ["carol"],
      maxDuration: new Date("2026-11-26T10:00:00Z"),
      requestedResources: [{ clusterName: "c1", kind: "node", name: "db-1", subResourceName: "" }],
    }),
    "https://t.example.com/web/requests/r1",
  );
  for (
    const fact of [
      "alice@example.com requested permissions for roles editor on Teleport at 2026-11-25T10:00:00Z.",
      "Reason: fix the outage",
      "node db-1 (cluster c1)",
      "Access would expire: 2026-11-25T22:00:00Z",
      "Max duration: until 2026-11-26T10:00:00Z",
      "Suggested reviewers: carol",
      "Request ID: 0193a1b2-0000-7000-8000-000000000001",
      "To approve or deny the request, proceed to https://t.example.com/web/requests/r1",
    ]
  ) {
    assert.ok(details.includes(fact), `missing: ${fact}\n${details}`);
  }
});

Deno.test("a review and the outcome are separate notes, as the Go plugin posts them", () => {
  const review = reviewNote(makeReview({ reason: "finally okay" }));
  assert.match(review, /^bob@example.com reviewed the request at /);
  assert.match(review, /Resolution: APPROVED\./);
  assert.doesNotMatch(review, /Access request has been/);
  assert.match(
    outcomeNote("approved", "finally okay"),
    /^Access request has been approved\nReason: finally okay$/,
  );
});

Deno.test("hostile lengths are clipped", () => {
  const note = reviewNote(makeReview({ reason: "x".repeat(50_000) }));
  assert.ok(note.length <= 10_000);
  assert.ok(incidentTitle(makeRequest({ roles: Array(500).fill("role") })).length <= 255);
});

Deno.test("the auto-approval reason names the services and levels", () => {
  assert.equal(
    autoApprovalReason({ name: "Alice", email: "alice@example.com" }, [
      { serviceName: "DB", escalationLevel: 1 },
      { serviceName: "Web", escalationLevel: 2 },
    ]),
    "Access requested by user Alice (alice@example.com) who is on call in service(s) " +
      "DB (escalation level 1), Web (escalation level 2)",
  );
});

Deno.test("an on-call level PagerDuty left out is not printed as a number", () => {
  assert.equal(
    autoApprovalReason({ name: "Alice", email: "alice@example.com" }, [
      { serviceName: "DB", escalationLevel: Number.POSITIVE_INFINITY },
    ]),
    "Access requested by user Alice (alice@example.com) who is on call in service(s) DB",
  );
});
