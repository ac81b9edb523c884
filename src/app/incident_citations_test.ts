import assert from "node:assert/strict";
import { citedIncidents, citesAnything, MAX_CITED_INCIDENTS } from "./incident_citations.ts";

const ids = (reason: string) => citedIncidents(reason).incidents.map((c) => c.id);

Deno.test("incident links and bare IDs are cited in the order they appear", () => {
  const citations = citedIncidents(
    "Fixing PT4KHLK, see https://acme.pagerduty.com/incidents/Q1R2DLCB21K7NP. Also Q0ABCDEFGHIJK1",
  );
  assert.deepEqual(citations.incidents, [
    { id: "PT4KHLK", host: undefined, text: "PT4KHLK" },
    {
      id: "Q1R2DLCB21K7NP",
      host: "acme.pagerduty.com",
      text: "https://acme.pagerduty.com/incidents/Q1R2DLCB21K7NP",
    },
    { id: "Q0ABCDEFGHIJK1", host: undefined, text: "Q0ABCDEFGHIJK1" },
  ]);
  assert.deepEqual(citations.rejected, []);
  assert.equal(citations.ignored, 0);
});

Deno.test("links may be EU, end in a sub-page, a query, or sentence punctuation", () => {
  assert.deepEqual(citedIncidents("(https://acme.eu.pagerduty.com/incidents/PT4KHLK)").incidents, [
    {
      id: "PT4KHLK",
      host: "acme.eu.pagerduty.com",
      text: "https://acme.eu.pagerduty.com/incidents/PT4KHLK",
    },
  ]);
  assert.deepEqual(ids("https://ACME.PagerDuty.com/incidents/PT4KHLK/timeline?x=1#log,"), [
    "PT4KHLK",
  ]);
  assert.equal(
    citedIncidents("https://ACME.PagerDuty.com/incidents/PT4KHLK").incidents[0].host,
    "acme.pagerduty.com",
  );
});

Deno.test("a bare ID may end a sentence or sit in brackets", () => {
  assert.deepEqual(ids("Working on PT4KHLK."), ["PT4KHLK"]);
  assert.deepEqual(ids("incident (#PT4KHLK): db"), ["PT4KHLK"]);
});

Deno.test("the same incident cited twice counts once", () => {
  assert.deepEqual(ids("PT4KHLK https://acme.pagerduty.com/incidents/PT4KHLK PT4KHLK"), [
    "PT4KHLK",
  ]);
});

Deno.test("words, emails, paths and hosts that look like IDs are not citations", () => {
  assert.deepEqual(
    ids(
      "PRODUCT PAYMENTS deploy to PROD123X, mail P123456@example.com, path /v1/P123456, " +
        "host P123456.example.com, key=P123456, P123456abc, lowercase p123456",
    ),
    [],
  );
  assert.equal(citesAnything(citedIncidents("nothing to see")), false);
});

Deno.test("PagerDuty links that cannot be citations are reported, other links ignored", () => {
  const citations = citedIncidents([
    "http://acme.pagerduty.com/incidents/PT4KHLK",
    "https://acme.pagerduty.com/service-directory/PSVC123",
    "https://www.pagerduty.com/incidents/PT4KHLK",
    "https://api.pagerduty.com/incidents/PT4KHLK",
    "https://acme.pagerduty.com:8443/incidents/PT4KHLK",
    "https://acme.pagerduty.com/incidents/",
    "https://acme.pagerduty.com/incidents/PT4%2FKHLK",
    "https://example.com/incidents/PT4KHLK",
    "https://acme.pagerduty.com.evil.example/incidents/PT4KHLK",
    "https://evil.example/?u=https://acme.pagerduty.com/incidents/PT4KHLK",
  ].join(" "));
  assert.deepEqual(citations.incidents, [], "nothing smuggled in through a foreign link");
  assert.deepEqual(citations.rejected.map((r) => r.problem), [
    "is not an https:// link",
    "does not point at an incident (…/incidents/<ID>)",
    "is not a link into a PagerDuty account (https://<subdomain>.pagerduty.com)",
    "is not a link into a PagerDuty account (https://<subdomain>.pagerduty.com)",
    "is not a plain PagerDuty link",
    "does not point at an incident (…/incidents/<ID>)",
    "does not end in an incident ID",
  ]);
  assert.equal(citesAnything(citations), true);
});

Deno.test("only the first few citations are taken; the rest are counted", () => {
  const many = Array.from({ length: 12 }, (_, i) => `P${String(i).padStart(6, "0")}`);
  const citations = citedIncidents(many.join(" "));
  assert.equal(citations.incidents.length, MAX_CITED_INCIDENTS);
  assert.deepEqual(citations.incidents.map((c) => c.id), many.slice(0, MAX_CITED_INCIDENTS));
  assert.equal(citations.ignored, 12 - MAX_CITED_INCIDENTS);
});

Deno.test("a huge reason is read only in part, quickly", () => {
  const reason = "x".repeat(1_000_000) + " PT4KHLK";
  assert.deepEqual(ids(reason), []);
  assert.deepEqual(ids("PT4KHLK " + "https://".repeat(100_000)), ["PT4KHLK"]);
});
