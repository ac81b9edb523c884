import assert from "node:assert/strict";
import type { Incident, Service, User } from "../pagerduty/types.ts";
import {
  type CandidateVerdict,
  incidentName,
  incidentVerdict,
  judgeCitedIncident,
  missingFromPoll,
  refuseRequest,
  servicesToPoll,
  type WatchedIncident,
  watchersOf,
  watchOutcome,
} from "./incident_access.ts";
import { citedIncidents, type IncidentCitation } from "./incident_citations.ts";

const alice: User = { id: "UALICE", name: "Alice", email: "alice@example.com" };
const checkout: Service = { id: "SCHK", name: "Checkout", escalationPolicyId: "EP1", htmlUrl: "" };
const orders: Service = { id: "SORD", name: "Orders", escalationPolicyId: "EP2", htmlUrl: "" };
const context = {
  requester: alice,
  services: [checkout, orders],
  annotation: "pagerduty_incident_services",
};

function incident(fields: Partial<Incident> = {}): Incident {
  return {
    id: "Q1R2DLCB21K7NP",
    number: 123,
    title: "Checkout DB latency",
    status: "acknowledged",
    incidentKey: "",
    serviceId: "SCHK",
    serviceName: "Checkout",
    htmlUrl: "https://acme.pagerduty.com/incidents/Q1R2DLCB21K7NP",
    assigneeIds: ["UALICE"],
    acceptedResponderIds: [],
    ...fields,
  };
}

const byLink: IncidentCitation = {
  id: "Q1R2DLCB21K7NP",
  host: "acme.pagerduty.com",
  text: "https://acme.pagerduty.com/incidents/Q1R2DLCB21K7NP",
};
const bare: IncidentCitation = { id: "Q1R2DLCB21K7NP", host: undefined, text: "Q1R2DLCB21K7NP" };

function refusal(verdict: CandidateVerdict): [string, string] {
  assert.ok(!verdict.qualifies, "expected a refusal");
  return [verdict.reason, verdict.detail];
}

Deno.test("an open incident of a listed service qualifies its assignee and joined responders", () => {
  for (const status of ["triggered", "acknowledged"] as const) {
    const judged = judgeCitedIncident(byLink, incident({ status }), context);
    assert.ok(judged.qualifies && judged.role === "assigned", status);
  }
  const responder = judgeCitedIncident(
    bare,
    incident({ serviceId: "SORD", assigneeIds: ["UBOB"], acceptedResponderIds: ["UALICE"] }),
    context,
  );
  assert.ok(responder.qualifies && responder.role === "responder");
});

Deno.test("each refusal says why, in a sentence for the note", () => {
  assert.deepEqual(refusal(judgeCitedIncident(byLink, undefined, context)), [
    "incident_not_found",
    "https://acme.pagerduty.com/incidents/Q1R2DLCB21K7NP does not exist in this PagerDuty account",
  ]);
  assert.deepEqual(
    refusal(
      judgeCitedIncident(
        {
          ...byLink,
          host: "other.pagerduty.com",
          text: "https://other.pagerduty.com/incidents/Q1",
        },
        incident(),
        context,
      ),
    ),
    [
      "other_account",
      "https://other.pagerduty.com/incidents/Q1 is a link into another PagerDuty account (other.pagerduty.com, not acme.pagerduty.com)",
    ],
  );
  assert.deepEqual(refusal(judgeCitedIncident(bare, incident({ status: "resolved" }), context)), [
    "incident_resolved",
    'incident #123 "Checkout DB latency" is resolved',
  ]);
  assert.deepEqual(
    refusal(
      judgeCitedIncident(bare, incident({ serviceId: "SPAY", serviceName: "Payments" }), context),
    ),
    [
      "other_service",
      'incident #123 "Checkout DB latency" is in service Payments, not in Checkout, Orders (annotation pagerduty_incident_services)',
    ],
  );
  assert.deepEqual(
    refusal(
      judgeCitedIncident(
        bare,
        incident({ assigneeIds: ["UBOB"], acceptedResponderIds: ["UCAROL"] }),
        context,
      ),
    ),
    [
      "not_responder",
      'Alice (alice@example.com) is neither assigned to incident #123 "Checkout DB latency" nor an accepted responder',
    ],
  );
});

Deno.test("a bare ID is not checked against an account; a link whose account is unknown passes", () => {
  assert.ok(judgeCitedIncident(bare, incident(), context).qualifies);
  assert.ok(judgeCitedIncident(byLink, incident({ htmlUrl: "" }), context).qualifies);
});

Deno.test("the first cited incident that qualifies is taken, naming those passed over", () => {
  const citations = citedIncidents("PT4KHLK then Q1R2DLCB21K7NP then P0THER1");
  const [missing, good] = citations.incidents;
  const judged = [
    judgeCitedIncident(missing, undefined, context),
    judgeCitedIncident(good, incident(), context),
  ];
  const verdict = incidentVerdict(judged, citations);
  assert.ok(verdict.approve);
  assert.equal(verdict.incident.number, 123);
  assert.equal(verdict.citation.id, "Q1R2DLCB21K7NP");
  assert.deepEqual(verdict.passedOver, ["PT4KHLK does not exist in this PagerDuty account"]);
});

Deno.test("no qualifying incident: every problem is listed; the first one names the reason", () => {
  const citations = citedIncidents(
    "Q1R2DLCB21K7NP https://acme.pagerduty.com/schedules/PSCHED1 " +
      Array.from({ length: 7 }, (_, i) => `P${String(i).padStart(6, "0")}`).join(" "),
  );
  const judged = [
    judgeCitedIncident(citations.incidents[0], incident({ status: "resolved" }), context),
  ];
  const verdict = incidentVerdict(judged, citations);
  assert.deepEqual(verdict, {
    approve: false,
    reason: "incident_resolved",
    details: [
      'incident #123 "Checkout DB latency" is resolved',
      "https://acme.pagerduty.com/schedules/PSCHED1 does not point at an incident (…/incidents/<ID>)",
      "3 more cited incident(s) were not looked at (at most 5 are)",
    ],
  });
  const onlyMalformed = incidentVerdict(
    [],
    citedIncidents("http://acme.pagerduty.com/incidents/PT4KHLK"),
  );
  assert.ok(!onlyMalformed.approve && onlyMalformed.reason === "malformed_citation");
  assert.deepEqual(refuseRequest("no_annotation", "the role has no pagerduty_incident_services"), {
    approve: false,
    reason: "no_annotation",
    details: ["the role has no pagerduty_incident_services"],
  });
});

Deno.test("titles are quoted on one line, whatever they contain", () => {
  assert.equal(
    incidentName({ number: 7, title: 'DB "slow"\nreally' }),
    'incident #7 "DB \\"slow\\" really"',
  );
});

Deno.test("one poll covers every watched incident; those not listed open are looked up", () => {
  const watched: WatchedIncident[] = [
    { requestId: "r1", incidentId: "Q1", serviceId: "SCHK" },
    { requestId: "r2", incidentId: "Q2", serviceId: "SORD" },
    { requestId: "r3", incidentId: "Q1", serviceId: "SCHK" },
  ];
  assert.deepEqual(servicesToPoll(watched), ["SCHK", "SORD"]);
  assert.deepEqual(missingFromPoll(watched, [{ id: "Q2" }]).map((w) => w.requestId), ["r1", "r3"]);
  assert.deepEqual(watchersOf(watched, "Q1").map((w) => w.requestId), ["r1", "r3"]);
  assert.deepEqual(watchOutcome(undefined), { kind: "gone" });
  const resolved = incident({ status: "resolved" });
  assert.deepEqual(watchOutcome(resolved), { kind: "resolved", incident: resolved });
  assert.deepEqual(watchOutcome(incident({ serviceId: "SNEW" })), {
    kind: "open",
    serviceId: "SNEW",
  });
});
