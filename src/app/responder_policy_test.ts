import assert from "node:assert/strict";
import type { OnCall, Service, User } from "../pagerduty/types.ts";
import type { AccessRequest } from "../teleport/types.ts";
import { EMPTY_RECORD, type RequestRecord, withIncident } from "./plugin_data.ts";
import type { ResponderCommand } from "./responder_commands.ts";
import {
  authorizeDecision,
  type DecisionFacts,
  type DecisionPolicy,
  type DecisionVerdict,
  incidentBelongsToRecord,
  requesterEmails,
  requestIdFromIncidentKey,
} from "./responder_policy.ts";

const NOW = new Date("2026-03-01T12:00:00Z");

const COMMAND: ResponderCommand = {
  path: "note",
  decision: "approve",
  reason: "checked the ticket",
  incidentId: "Q1INC",
  agent: { id: "PALICE1", name: "Alice" },
  via: "",
};

const REQUEST: AccessRequest = {
  id: "req-1",
  user: "bob@example.com",
  roles: ["admin"],
  state: "PENDING",
  created: NOW,
  accessExpires: undefined,
  requestExpires: undefined,
  maxDuration: undefined,
  requestReason: "deploy",
  resolveReason: "",
  systemAnnotations: {},
  reviews: [],
  suggestedReviewers: [],
  requestedResources: [],
  promotedAccessListTitle: "",
};

const SERVICE: Service = {
  id: "PSVC001",
  name: "Access Requests",
  escalationPolicyId: "PPOL001",
  htmlUrl: "",
};

const ALICE: User = {
  id: "PALICE1",
  name: "Alice Example",
  email: "alice@example.com",
  teamIds: ["PTEAM01"],
};

function onCall(overrides: Partial<OnCall> = {}): OnCall {
  return {
    userId: "PALICE1",
    escalationPolicyId: "PPOL001",
    escalationLevel: 1,
    scheduleId: undefined,
    start: undefined,
    end: undefined,
    ...overrides,
  };
}

const RECORD: RequestRecord = withIncident(EMPTY_RECORD, "PSVC001", "Q1INC");

function facts(overrides: Partial<DecisionFacts> = {}): DecisionFacts {
  return {
    command: COMMAND,
    incident: { id: "Q1INC", serviceId: "PSVC001", incidentKey: "teleport-access-request/req-1" },
    request: REQUEST,
    record: RECORD,
    agentUser: ALICE,
    service: SERVICE,
    agentOnCalls: [onCall()],
    requesterTraits: undefined,
    now: NOW,
    ...overrides,
  };
}

const POLICY: DecisionPolicy = {
  reviews: { approverEscalationLevels: [], approverEmails: [], approverTeams: [] },
  emailTrait: undefined,
  teleportUser: "teleport-pagerduty",
  serviceUser: { id: "PBOT001", email: "bot@example.com" },
};

function policy(reviews: Partial<DecisionPolicy["reviews"]>, rest: Partial<DecisionPolicy> = {}) {
  return { ...POLICY, ...rest, reviews: { ...POLICY.reviews, ...reviews } };
}

/** The refusal reason and note, or fails. */
function refusal(verdict: DecisionVerdict): [string, string] {
  assert.equal(verdict.kind, "refuse", JSON.stringify(verdict));
  return verdict.kind === "refuse" ? [verdict.reason, verdict.note] : ["", ""];
}

Deno.test("policy: an on-call responder's /approve note becomes an approving review naming them", () => {
  assert.deepEqual(authorizeDecision(facts(), POLICY), {
    kind: "decide",
    requestId: "req-1",
    proposedState: "APPROVED",
    reviewReason:
      "Approved in PagerDuty by Alice Example (alice@example.com) with a /approve note " +
      "on incident Q1INC, who is on call at escalation level 1 in service Access Requests. " +
      "Reason: checked the ticket",
    approver: { name: "Alice Example", email: "alice@example.com" },
    grounds: { kind: "on_call", serviceName: "Access Requests", escalationLevel: 1 },
  });
});

Deno.test("policy: workflows and Custom Incident Actions name their path; deny proposes DENIED", () => {
  const workflow: ResponderCommand = {
    ...COMMAND,
    path: "workflow",
    decision: "deny",
    reason: "",
    via: "Deny access request",
    workflowId: "PWFDEN1",
  };
  const denied = authorizeDecision(facts({ command: workflow }), POLICY);
  assert.equal(denied.kind === "decide" && denied.proposedState, "DENIED");
  assert.equal(
    denied.kind === "decide" && denied.reviewReason,
    'Denied in PagerDuty by Alice Example (alice@example.com) by running the workflow "Deny ' +
      'access request" on incident Q1INC, who is on call at escalation level 1 in service ' +
      "Access Requests.",
  );
  const action: ResponderCommand = {
    ...COMMAND,
    path: "action",
    reason: "",
    via: "Approve request",
  };
  const approved = authorizeDecision(facts({ command: action }), POLICY);
  assert.match(
    approved.kind === "decide" ? approved.reviewReason : "",
    /with the Custom Incident Action "Approve request" on incident Q1INC/,
  );
});

Deno.test("policy: incidents the service did not open for the request are ignored silently", () => {
  for (
    const [what, f] of [
      ["no key", facts({ incident: { id: "Q1INC", serviceId: "PSVC001", incidentKey: "" } })],
      [
        "foreign key",
        facts({ incident: { id: "Q1INC", serviceId: "PSVC001", incidentKey: "db/42" } }),
      ],
      ["not recorded", facts({ record: EMPTY_RECORD })],
      ["another incident", facts({ record: withIncident(EMPTY_RECORD, "PSVC001", "Q2OTHER") })],
    ] as const
  ) {
    const verdict = authorizeDecision(f, POLICY);
    assert.equal(verdict.kind === "ignore" && verdict.reason, "not_our_incident", what);
  }
  // Opened just before a crash: not recorded yet, but asked for in this service.
  const opening = { ...EMPTY_RECORD, opening: ["PSVC001"] };
  assert.equal(authorizeDecision(facts({ record: opening }), POLICY).kind, "decide");
});

Deno.test("policy: a request Teleport no longer has is refused with a note", () => {
  const [reason, note] = refusal(authorizeDecision(facts({ request: undefined }), POLICY));
  assert.equal(reason, "unknown_request");
  assert.equal(
    note,
    "The /approve note was not carried out: access request req-1 does not exist in Teleport " +
      "any more (it expired or was deleted).",
  );
});

Deno.test("policy: no user agent, or a user PagerDuty does not know, is refused", () => {
  const noAgent = refusal(
    authorizeDecision(facts({ command: { ...COMMAND, agent: undefined } }), POLICY),
  );
  assert.deepEqual(noAgent, [
    "no_agent",
    "The /approve note was not carried out: PagerDuty did not say which user did it (it came " +
    "from automation or an API key), so nobody could be checked. Rule: a PagerDuty user must act.",
  ]);
  const unknown = refusal(authorizeDecision(facts({ agentUser: undefined }), POLICY));
  assert.equal(unknown[0], "unknown_agent");
  assert.match(unknown[1], /PagerDuty user PALICE1 could not be looked up/);
  const mismatch = refusal(
    authorizeDecision(facts({ agentUser: { ...ALICE, id: "POTHER1" } }), POLICY),
  );
  assert.equal(mismatch[0], "unknown_agent", "the looked-up user must be the agent");
});

Deno.test("policy: the service's own PagerDuty user is ignored, by ID or by email", () => {
  const byId = authorizeDecision(
    facts({ command: { ...COMMAND, agent: { id: "PBOT001", name: "Bot" } } }),
    POLICY,
  );
  assert.equal(byId.kind === "ignore" && byId.reason, "own_action");
  const byEmail = authorizeDecision(
    facts({ agentUser: { ...ALICE, email: "BOT@example.com" } }),
    policy({}, { serviceUser: { id: undefined, email: "bot@example.com" } }),
  );
  assert.equal(byEmail.kind === "ignore" && byEmail.reason, "own_action");
});

Deno.test("policy: nobody decides their own request, matched by username or email trait", () => {
  const own = refusal(
    authorizeDecision(facts({ request: { ...REQUEST, user: "ALICE@example.com" } }), POLICY),
  );
  assert.deepEqual(own, [
    "own_request",
    "The /approve note was not carried out: Alice Example (alice@example.com) made this access " +
    "request. Rule: nobody decides their own request; another responder must.",
  ]);
  const byTrait = authorizeDecision(
    facts({
      request: { ...REQUEST, user: "alice" },
      requesterTraits: { pagerduty_email: ["other@example.com", " Alice@Example.com "] },
    }),
    policy({}, { emailTrait: "pagerduty_email" }),
  );
  assert.equal(refusal(byTrait)[0], "own_request");
  // Even a denial: the rule is about who decides, not what.
  const deny = { ...COMMAND, decision: "deny" as const };
  const ownDeny = authorizeDecision(
    facts({ command: deny, request: { ...REQUEST, user: "alice@example.com" } }),
    POLICY,
  );
  assert.equal(refusal(ownDeny)[0], "own_request");
});

Deno.test("policy: a requester with no known email is refused, not assumed to be someone else", () => {
  const [reason, note] = refusal(
    authorizeDecision(facts({ request: { ...REQUEST, user: "bob" } }), POLICY),
  );
  assert.equal(reason, "requester_email_unknown");
  assert.match(
    note,
    /the requester bob has no known email .*pagerduty\.auto_approval\.email_trait/,
  );
  const withTrait = authorizeDecision(
    facts({ request: { ...REQUEST, user: "bob" }, requesterTraits: { mail: ["bob@example.com"] } }),
    policy({}, { emailTrait: "mail" }),
  );
  assert.equal(withTrait.kind, "decide");
});

Deno.test("policy: not on call now in the incident service's escalation policy is refused", () => {
  const cases: Array<[string, Partial<DecisionFacts>]> = [
    ["no entries", { agentOnCalls: [] }],
    ["another policy", { agentOnCalls: [onCall({ escalationPolicyId: "PPOL999" })] }],
    ["another user", { agentOnCalls: [onCall({ userId: "PBOB001" })] }],
    ["shift ended", { agentOnCalls: [onCall({ end: NOW })] }],
    ["shift not started", { agentOnCalls: [onCall({ start: new Date(NOW.getTime() + 1) })] }],
    ["service unknown", { service: undefined }],
    ["another service", { service: { ...SERVICE, id: "PSVC999" } }],
  ];
  for (const [what, overrides] of cases) {
    const [reason] = refusal(authorizeDecision(facts(overrides), POLICY));
    assert.equal(reason, "not_on_call", what);
  }
  const [, note] = refusal(authorizeDecision(facts({ agentOnCalls: [] }), POLICY));
  assert.equal(
    note,
    "The /approve note was not carried out: Alice Example (alice@example.com) is not on call " +
      "now in the escalation policy of service Access Requests. Rule: only responders on call " +
      "for the incident's service may decide.",
  );
  const current = onCall({ start: new Date(NOW.getTime() - 1), end: new Date(NOW.getTime() + 1) });
  assert.equal(authorizeDecision(facts({ agentOnCalls: [current] }), POLICY).kind, "decide");
});

Deno.test("policy: approver_escalation_levels limits which on-call levels may decide", () => {
  const second = facts({ agentOnCalls: [onCall({ escalationLevel: 2 })] });
  const [reason, note] = refusal(
    authorizeDecision(second, policy({ approverEscalationLevels: [1] })),
  );
  assert.equal(reason, "level_not_allowed");
  assert.match(
    note,
    /is on call only at escalation level 2\. Rule: pagerduty\.reviews\.approver_escalation_levels allows level 1\.$/,
  );
  const allowed = authorizeDecision(second, policy({ approverEscalationLevels: [1, 2] }));
  assert.equal(allowed.kind === "decide" && allowed.grounds.kind, "on_call");
  const both = facts({
    agentOnCalls: [onCall({ escalationLevel: 3 }), onCall({ escalationLevel: 2 })],
  });
  const lowest = authorizeDecision(both, policy({ approverEscalationLevels: [2, 3] }));
  assert.deepEqual(lowest.kind === "decide" && lowest.grounds, {
    kind: "on_call",
    serviceName: "Access Requests",
    escalationLevel: 2,
  });
});

Deno.test("policy: allow-lists replace the on-call rule when set", () => {
  const offCall = facts({ agentOnCalls: [] });
  const byEmail = authorizeDecision(offCall, policy({ approverEmails: ["Alice@Example.com"] }));
  assert.equal(byEmail.kind === "decide" && byEmail.grounds.kind, "approver_email");
  assert.match(
    byEmail.kind === "decide" ? byEmail.reviewReason : "",
    /, who is listed in pagerduty\.reviews\.approver_emails\./,
  );
  const byTeam = authorizeDecision(offCall, policy({ approverTeams: ["PTEAM09", "PTEAM01"] }));
  assert.deepEqual(byTeam.kind === "decide" && byTeam.grounds, {
    kind: "approver_team",
    teamId: "PTEAM01",
  });
  // On call, but not listed: the lists replace the rule, they do not add to it.
  const [reason, note] = refusal(
    authorizeDecision(facts(), policy({ approverEmails: ["lead@example.com"] })),
  );
  assert.equal(reason, "not_allowed");
  assert.match(note, /is neither listed in pagerduty\.reviews\.approver_emails nor a member/);
  // No Unicode case folding: the Kelvin sign is not a K.
  const kelvin = facts({ agentUser: { ...ALICE, email: "\u212Aate@example.com", teamIds: [] } });
  assert.equal(
    refusal(authorizeDecision(kelvin, policy({ approverEmails: ["kate@example.com"] })))[0],
    "not_allowed",
  );
  const noTeams = facts({
    agentUser: { id: "PALICE1", name: "Alice", email: "alice@example.com" },
  });
  assert.equal(
    refusal(authorizeDecision(noTeams, policy({ approverTeams: ["PTEAM01"] })))[0],
    "not_allowed",
  );
});

Deno.test("policy: only pending requests; authorization is judged first", () => {
  const approved = { ...REQUEST, state: "APPROVED" as const };
  const [reason, note] = refusal(authorizeDecision(facts({ request: approved }), POLICY));
  assert.equal(reason, "not_pending");
  assert.equal(
    note,
    "The /approve note was not carried out: the access request is already approved. Rule: " +
      "only pending requests can be decided.",
  );
  const notOnCall = authorizeDecision(facts({ request: approved, agentOnCalls: [] }), POLICY);
  assert.equal(refusal(notOnCall)[0], "not_on_call");
});

Deno.test("policy: a request the service already reviewed needs another reviewer in Teleport", () => {
  const reviewed = {
    ...REQUEST,
    reviews: [{
      author: "teleport-pagerduty",
      decision: "APPROVED" as const,
      reason: "auto-approved",
      created: NOW,
    }],
  };
  const [reason, note] = refusal(
    authorizeDecision(
      facts({ request: reviewed }),
      policy({}, { proxyAddr: "teleport.example.com:443" }),
    ),
  );
  assert.equal(reason, "already_reviewed");
  assert.equal(
    note,
    "The /approve note was not carried out: this service has already submitted a review of the " +
      "request, and Teleport counts one review per author. Another reviewer must decide in " +
      "Teleport: https://teleport.example.com/web/requests/req-1",
  );
  const byOthers = { ...reviewed, reviews: [{ ...reviewed.reviews[0], author: "carol" }] };
  assert.equal(authorizeDecision(facts({ request: byOthers }), POLICY).kind, "decide");
});

Deno.test("policy helpers: incident keys, recorded incidents and requester emails", () => {
  assert.equal(requestIdFromIncidentKey("teleport-access-request/0b0c-11"), "0b0c-11");
  for (const key of ["", "teleport-access-request/", "teleport-access-request/../x", "x/0b0c"]) {
    assert.equal(requestIdFromIncidentKey(key), undefined, key);
  }
  assert.equal(incidentBelongsToRecord(RECORD, { id: "Q1INC", serviceId: "PSVC001" }), true);
  assert.equal(incidentBelongsToRecord(RECORD, { id: "Q1INC", serviceId: "PSVC002" }), true);
  assert.equal(incidentBelongsToRecord(EMPTY_RECORD, { id: "Q1INC", serviceId: "PSVC001" }), false);
  assert.deepEqual(requesterEmails("bob@example.com", { m: ["b@x.io"] }, undefined), [
    "bob@example.com",
  ]);
  assert.deepEqual(requesterEmails("bob", { m: ["b@x.io", "not an email"] }, "m"), ["b@x.io"]);
  assert.deepEqual(requesterEmails("bob", undefined, "m"), []);
});
