import assert from "node:assert/strict";
import { makeRequest, makeReview } from "../../tests/fixtures.ts";
import { clip } from "../text.ts";
import {
  autoApprovalReason,
  incidentDetails,
  incidentKey,
  incidentTitle,
  MAX_DETAILS,
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
  assert.equal(title, "Access request from eve\\u000amallory for roles db, ssh");
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
  assert.match(review, /^bob@example.com reviewed the request at 25 Nov 26 10:05 UTC\./);
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

Deno.test("review and outcome notes are the Go plugin's, byte for byte", () => {
  assert.equal(
    reviewNote(makeReview({ decision: "DENIED", reason: "not now" })),
    "bob@example.com reviewed the request at 25 Nov 26 10:05 UTC.\nResolution: DENIED.\n" +
      "Reason: not now.",
  );
  assert.equal(
    reviewNote(makeReview({ reason: "", created: new Date("2026-01-02T03:04:59Z") })),
    "bob@example.com reviewed the request at 02 Jan 26 03:04 UTC.\nResolution: APPROVED.",
  );
  assert.equal(
    reviewNote(makeReview({ reason: "", created: undefined })),
    "bob@example.com reviewed the request at 01 Jan 01 00:00 UTC.\nResolution: APPROVED.",
    "Go prints its zero time",
  );
  assert.equal(outcomeNote("approved", "okay"), "Access request has been approved\nReason: okay");
  assert.equal(outcomeNote("expired", ""), "Access request has been expired");
  assert.equal(outcomeNote("promoted", ""), "Access request has been promoted");
  assert.equal(
    outcomeNote("denied", "tabs\tare fine"),
    "Access request has been denied\nReason: tabs\tare fine",
  );
});

/** Texts that try to pass for the service's own lines. */
const FORGERIES = [
  "no.\n\nAccess request has been approved\nReason: approved by security team",
  "need it\n\nAccess request has been approved\nRequest ID: 0000-fake\n" +
  "To approve or deny the request, proceed to https://evil.example/approve",
  "x\rAccess request has been approved",
  "x\u2028Access request has been approved\u2029Resolution: APPROVED.",
  "x\u000bResolution: APPROVED.\u000cReason: ok.\u0085Request ID: 0000-fake",
  "x\u202eevorppa neeb sah tseuqer sseccA",
  "\u001b[2K\rAccess request has been approved",
];

/** The lines of `text` that are not quoted outside text. */
function ownLines(text: string): string[] {
  return text.split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/).filter((line) => !line.startsWith(">"));
}

Deno.test("a forged line in a review reason cannot pass for the service's own", () => {
  for (const reason of FORGERIES) {
    const note = reviewNote(makeReview({ decision: "DENIED", reason }));
    assert.deepEqual(ownLines(note), [
      "bob@example.com reviewed the request at 25 Nov 26 10:05 UTC.",
      "Resolution: DENIED.",
      "Reason, as written by bob@example.com (quoted):",
    ], JSON.stringify(note));
    // Nothing unsafe survives inside the quote either: each quoted line is one visible line.
    for (const c of ["\r", "\v", "\f", "\u0085", "\u2028", "\u2029", "\u202e", "\u001b"]) {
      assert.ok(!note.includes(c), `${JSON.stringify(c)} in ${JSON.stringify(note)}`);
    }
  }
  const outcome = outcomeNote("denied", FORGERIES[0]);
  assert.deepEqual(ownLines(outcome), [
    "Access request has been denied",
    "Reason given in Teleport (quoted):",
  ]);
});

Deno.test("a forged author name cannot add lines to a review note", () => {
  const note = reviewNote(
    makeReview({ author: "mallory\nAccess request has been approved\nx", reason: "" }),
  );
  assert.equal(note.split("\n").length, 2);
  assert.match(note, /^mallory\\u000aAccess request has been approved\\u000ax reviewed/);
});

Deno.test("a forged line in the request cannot pass for the body's facts, which come first", () => {
  const link = "https://teleport.example.com/web/requests/r1";
  for (const reason of FORGERIES) {
    const request = makeRequest({
      requestReason: reason,
      user: "eve\nRequest ID: 0000-fake",
      suggestedReviewers: ["carol\nTo approve or deny the request, proceed to https://evil"],
      requestedResources: [{
        clusterName: "c1\nRequest ID: 0000-fake",
        kind: "node",
        name: "db",
        subResourceName: "",
      }],
    });
    const details = incidentDetails(request, link);
    const own = ownLines(details);
    assert.deepEqual(own.filter((l) => l.startsWith("Request ID:")), [`Request ID: ${request.id}`]);
    assert.deepEqual(own.filter((l) => l.startsWith("To approve or deny")), [
      `To approve or deny the request, proceed to ${link}`,
    ]);
    assert.deepEqual(own.filter((l) => l.startsWith("Access request has been")), []);
    assert.ok(details.indexOf("Request ID:") < details.indexOf("Reason, as written by"));
    assert.ok(own.includes("Reason, as written by the requester (quoted):"), details);
  }
  // An ordinary one-line reason reads as the Go plugin wrote it.
  assert.match(incidentDetails(makeRequest(), link), /\nReason: fix the outage$/);
});

Deno.test("the incident body stays within its cap and keeps every fact", () => {
  const many = (prefix: string) => Array.from({ length: 1_000 }, (_, i) => `${prefix}-${i}`);
  const request = makeRequest({
    roles: many("role"),
    suggestedReviewers: many("reviewer"),
    requestedResources: many("db").map((name) => ({
      clusterName: "c1",
      kind: "db",
      name,
      subResourceName: "",
    })),
    requestReason: "r".repeat(50_000),
  });
  const link = "https://teleport.example.com/web/requests/r1";
  const details = incidentDetails(request, link, { omittedServices: 490 });
  assert.ok(details.length <= MAX_DETAILS, `${details.length} characters`);
  for (
    const fact of [
      `Request ID: ${request.id}`,
      `To approve or deny the request, proceed to ${link}`,
      "role-19 (and 980 more)",
      "490 more service(s) named for this request were not notified",
      "  - … and 980 more",
      "reviewer-19 (and 980 more)",
    ]
  ) {
    assert.ok(details.includes(fact), fact);
  }
});

Deno.test("clipping never splits a character, an emoji or a grapheme cluster", () => {
  const title = incidentTitle(makeRequest({ roles: ["\u{1F600}".repeat(200)] }));
  assert.ok(title.length <= 255);
  assert.ok(title.isWellFormed(), "no lone surrogate");
  assert.ok(title.endsWith("\u{1F600}…"), title.slice(-4));
  const family = "\u{1F468}\u200D\u{1F469}\u200D\u{1F467}";
  assert.equal(clip(`ab${family}`, 4), "ab…");
  assert.equal(clip(`ab${family}cd`, family.length + 3), `ab${family}…`);
  assert.equal(clip("e\u0301e\u0301e\u0301", 4), "e\u0301…");
});
