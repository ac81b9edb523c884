/**
 * Approving and denying from PagerDuty, end to end: the real service with its listener against
 * the fake Auth Service and the fake PagerDuty, which sends signed V3 webhooks for notes and
 * workflows and legacy V2 posts for Custom Incident Actions. Every case ends with the request's
 * state in Teleport, the review's author and reason, and the note on the incident.
 */

import assert from "node:assert/strict";
import { decodeRecord, PLUGIN_NAME, type RequestRecord } from "../src/app/plugin_data.ts";
import { Secret } from "../src/config/types.ts";
import type { ReviewsConfig } from "../src/config/types.ts";
import {
  annotatedEvent,
  type DeliveryResult,
  signatureHeader,
  type WebhookEvent,
} from "../src/fakes/pagerduty/mod.ts";
import { PLUGIN_USER, type World } from "../src/fakes/world.ts";
import { ACTION_PATHS, WEBHOOK_PATH } from "../src/http/routes.ts";
import type { AccessRequest } from "../src/teleport/types.ts";
import { type ServiceHandle, startTestService, withService } from "./harness.ts";

const SECRET = "whsec-current-0123456789abcdef";
const OLD_SECRET = "whsec-previous-0123456789abcdef";
const ACTION_SECRET = "action-secret-0123456789abcdef";
const APPROVE_WORKFLOW = "PWFAPPROVE";
const DENY_WORKFLOW = "PWFDENY";
/** Generous: waits end as soon as the condition holds; only a broken service waits this long. */
const WAIT = { timeoutMs: 30_000 };

function reviews(overrides: Partial<ReviewsConfig> = {}): ReviewsConfig {
  return {
    webhookSecrets: [new Secret(OLD_SECRET), new Secret(SECRET)],
    actionSecret: new Secret(ACTION_SECRET),
    secretFiles: [],
    approveWorkflows: [APPROVE_WORKFLOW],
    denyWorkflows: [DENY_WORKFLOW],
    approverEscalationLevels: [],
    approverEmails: [],
    approverTeams: [],
    ...overrides,
  };
}

/** The service's listener, subscribed to the notify service's notes and workflows. */
function listen(world: World, handle: ServiceHandle): string {
  const base = `http://127.0.0.1:${handle.service.httpPort}`;
  world.pagerduty.subscribeWebhooks({
    url: `${base}${WEBHOOK_PATH}`,
    secret: SECRET,
    events: ["incident.annotated", "incident.workflow.started"],
    serviceIds: [world.account.notifyService.id],
    delivery: { retryDelaysMs: [50, 100, 200], maxAttempts: 8 },
  });
  return base;
}

/** Runs `body` with a service that has `[pagerduty.reviews]` on and its listener subscribed. */
function withResponders(
  body: (world: World, base: string, handle: ServiceHandle) => Promise<void>,
  config: Partial<ReviewsConfig> = {},
): Promise<void> {
  return withService(
    { config: { http: { listenAddr: "127.0.0.1:0" }, reviews: reviews(config) } },
    async (world, handle) => await body(world, listen(world, handle), handle),
  );
}

function record(world: World, id: string): RequestRecord {
  return decodeRecord(world.auth.pluginData(id, PLUGIN_NAME));
}

/** A pending request notified to "Teleport Access Requests", once its incident is recorded. */
async function paged(
  world: World,
  user = "erin@example.com",
  thresholds?: { approve: number; deny: number }[],
): Promise<{ request: AccessRequest; incidentId: string }> {
  const request = world.auth.createAccessRequest({
    user,
    roles: ["editor"],
    reason: "deploy hotfix",
    systemAnnotations: { pagerduty_notify_service: [world.account.notifyService.name] },
    thresholds,
  });
  await world.auth.waitFor(() => record(world, request.id).incidentId !== "", {
    ...WAIT,
    description: `an incident for ${request.id}`,
  });
  return { request, incidentId: record(world, request.id).incidentId };
}

function notes(world: World, incidentId: string): string[] {
  return world.pagerduty.notes(incidentId).map((n) => n.content);
}

/** Waits for a note matching `pattern` on the incident and returns it. */
async function noteMatching(world: World, incidentId: string, pattern: RegExp): Promise<string> {
  return await world.pagerduty.waitFor(
    () => notes(world, incidentId).find((n) => pattern.test(n)),
    { ...WAIT, description: `a note matching ${pattern} on ${incidentId}` },
  );
}

/** The fake's delivery of the webhook about note `noteId`, once it is finished. */
async function deliveryOfNote(world: World, noteId: string): Promise<DeliveryResult> {
  return await world.pagerduty.waitFor(
    () =>
      world.pagerduty.deliveries.find((d) =>
        (JSON.parse(d.body) as WebhookEvent).event.data.id === noteId
      ),
    { ...WAIT, description: `the delivery of note ${noteId}` },
  );
}

/** The service's notes about decisions from PagerDuty: not its review and outcome notes. */
function decisionNotes(world: World, incidentId: string): string[] {
  return world.pagerduty.notes(incidentId)
    .filter((n) => n.userId === world.account.bot.id)
    .map((n) => n.content)
    .filter((n) =>
      !/^\S+ reviewed the request at /.test(n) && !n.startsWith("Access request has been")
    );
}

/** Posts a raw body to the webhook route with the given headers. */
async function post(url: string, body: string, headers: Record<string, string>) {
  const response = await fetch(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
  return { status: response.status, text: await response.text() };
}

function noteEvent(world: World, incidentId: string, content: string, agentId: string | null) {
  const incident = world.pagerduty.incident(incidentId)!;
  return annotatedEvent({
    incident: world.pagerduty.reference("incident", "incidents", incident.id, incident.title),
    noteId: `PN${crypto.randomUUID().slice(0, 6).toUpperCase().replaceAll("-", "")}`,
    content,
    agent: agentId === null
      ? null
      : { id: agentId, type: "user_reference", summary: "Someone", self: null, html_url: null },
  });
}

function assertNothingWritten(world: World, id: string): void {
  const r = record(world, id);
  assert.deepEqual(r.scheduled, [], "no decision stored");
  assert.deepEqual(r.jobsDone, [], "no decision carried out");
  assert.equal(world.auth.request(id)?.reviews.length, 0, "no review");
}

Deno.test("note command: an on-call responder's /approve is a review by the service, noted on the incident", async () => {
  await withResponders(async (world) => {
    const { carol } = world.account;
    const { request, incidentId } = await paged(world);
    const note = world.pagerduty.addNoteAs(incidentId, carol.id, "/approve restoring the replica");
    const delivery = await deliveryOfNote(world, note.id);
    assert.equal(delivery.outcome, "delivered");
    assert.equal(delivery.attempts.at(-1)?.status, 202);
    const decided = await noteMatching(world, incidentId, /^Carol Chen/);
    assert.equal(
      decided,
      `Carol Chen (carol@example.com) approved the access request with a /approve note on incident ${incidentId}. Teleport granted the request.`,
    );
    const approved = world.auth.request(request.id)!;
    assert.equal(approved.state, "APPROVED");
    assert.equal(approved.reviews.length, 1);
    assert.equal(approved.reviews[0].author, PLUGIN_USER);
    assert.equal(
      approved.reviews[0].reason,
      `Approved in PagerDuty by Carol Chen (carol@example.com) with a /approve note on incident ${incidentId}, who is on call at escalation level 1 in service Teleport Access Requests. Reason: restoring the replica`,
    );
    await world.pagerduty.waitFor(
      () => world.pagerduty.incident(incidentId)?.status === "resolved",
      { ...WAIT, description: "the incident resolved" },
    );
    assert.deepEqual(decisionNotes(world, incidentId), [decided], "said once");
  });
});

Deno.test("workflow: the deny workflow run by an on-call responder denies the request", async () => {
  await withResponders(async (world) => {
    const { carol } = world.account;
    const { request, incidentId } = await paged(world);
    world.pagerduty.startWorkflowAs(incidentId, carol.id, {
      id: DENY_WORKFLOW,
      name: "Deny access request",
    });
    const decided = await noteMatching(world, incidentId, /^Carol Chen/);
    assert.equal(
      decided,
      `Carol Chen (carol@example.com) denied the access request by running the workflow "Deny access request" on incident ${incidentId}. Teleport denied the request.`,
    );
    const denied = world.auth.request(request.id)!;
    assert.equal(denied.state, "DENIED");
    assert.equal(denied.reviews[0].author, PLUGIN_USER);
    assert.equal(
      denied.reviews[0].reason,
      `Denied in PagerDuty by Carol Chen (carol@example.com) by running the workflow "Deny access request" on incident ${incidentId}, who is on call at escalation level 1 in service Teleport Access Requests.`,
    );
    // Another workflow on the same incident is not a decision.
    world.pagerduty.startWorkflowAs(incidentId, carol.id, { id: "PWFOTHER", name: "Page DBAs" });
    await world.pagerduty.waitFor(
      () => world.pagerduty.deliveries.some((d) => d.body.includes("PWFOTHER")),
      WAIT,
    );
    assert.equal(world.auth.request(request.id)!.reviews.length, 1);
  });
});

Deno.test("Custom Incident Action: an on-call responder's click approves; a wrong or missing secret is refused", async () => {
  await withResponders(async (world, base) => {
    const { carol } = world.account;
    const { request, incidentId } = await paged(world);
    const action = (secret?: string) => ({
      name: "Approve request",
      url: `${base}${ACTION_PATHS.approve}`,
      headers: secret === undefined ? undefined : { "X-Teleport-Action-Secret": secret },
    });
    const forged = await world.pagerduty.runCustomActionAs(
      incidentId,
      carol.id,
      action("not-the-secret-at-all"),
    );
    assert.equal(forged.attempt.status, 403);
    const unsigned = await world.pagerduty.runCustomActionAs(incidentId, carol.id, action());
    assert.equal(unsigned.attempt.status, 400);
    assertNothingWritten(world, request.id);

    const click = await world.pagerduty.runCustomActionAs(
      incidentId,
      carol.id,
      action(ACTION_SECRET),
    );
    assert.equal(click.attempt.status, 202);
    const decided = await noteMatching(world, incidentId, /^Carol Chen/);
    assert.equal(
      decided,
      `Carol Chen (carol@example.com) approved the access request with the Custom Incident Action "Approve request" on incident ${incidentId}. Teleport granted the request.`,
    );
    const approved = world.auth.request(request.id)!;
    assert.equal(approved.state, "APPROVED");
    assert.equal(approved.reviews[0].author, PLUGIN_USER);
    assert.match(
      approved.reviews[0].reason,
      /^Approved in PagerDuty by Carol Chen \(carol@example\.com\) with the Custom Incident Action "Approve request" on incident \w+, who is on call at escalation level 1 in service Teleport Access Requests\.$/,
    );
    // PagerDuty does not retry actions, but a replayed post is still acted on once.
    const replay = await post(click.url, click.body, { "X-Teleport-Action-Secret": ACTION_SECRET });
    assert.equal(replay.status, 200);
    assert.equal(world.auth.request(request.id)!.reviews.length, 1);
  });
});

Deno.test("deliveries: forged, unsigned, tampered, oversized, empty, non-JSON and misshapen ones are refused; replays and rotated secrets handled", async () => {
  await withResponders(async (world, base) => {
    const { carol } = world.account;
    const { request, incidentId } = await paged(world);
    const url = `${base}${WEBHOOK_PATH}`;
    const event = noteEvent(world, incidentId, "/approve ok", carol.id);
    const body = JSON.stringify(event);
    const signed = async (secrets: string[], text = body) => ({
      "x-pagerduty-signature": await signatureHeader(secrets, text),
    });

    const refusals: Array<[string, Promise<{ status: number; text: string }>, number]> = [
      ["forged", post(url, body, await signed(["someone-elses-secret"])), 403],
      ["unsigned", post(url, body, {}), 400],
      ["malformed signature", post(url, body, { "x-pagerduty-signature": "sha256=abc" }), 400],
      [
        "tampered",
        post(url, body.replace("/approve ok", "/approve ok!"), await signed([SECRET])),
        403,
      ],
      ["oversized", post(url, "x".repeat(300 * 1024), await signed([SECRET], "x")), 413],
      ["empty", post(url, "", await signed([SECRET], "")), 400],
      ["not JSON", post(url, "{not json", await signed([SECRET], "{not json")), 400],
      [
        "misshapen",
        post(url, '{"event":{"id":1}}', await signed([SECRET], '{"event":{"id":1}}')),
        400,
      ],
    ];
    for (const [name, response, status] of refusals) {
      const answer = await response;
      assert.equal(answer.status, status, `${name}: ${answer.text}`);
      assert.ok(!answer.text.includes(SECRET), `${name}: the answer names no secret`);
    }
    assertNothingWritten(world, request.id);

    // Signed with the old secret during a rotation (both listed in the header, as PagerDuty does).
    const rotated = await post(url, body, await signed(["retired-secret", OLD_SECRET]));
    assert.equal(rotated.status, 202, rotated.text);
    await noteMatching(world, incidentId, /^Carol Chen \(carol@example\.com\) approved/);
    // The same event again, as a redelivery with a fresh X-Webhook-Id: acknowledged, not redone.
    const replayed = await post(url, body, {
      ...(await signed([SECRET])),
      "x-webhook-id": crypto.randomUUID(),
    });
    assert.equal(replayed.status, 200, replayed.text);
    assert.equal(world.auth.request(request.id)!.reviews.length, 1);
    assert.equal(decisionNotes(world, incidentId).length, 1);
  });
});

Deno.test("refusals: not on call, own request, no agent, unknown agent, decided, deleted, second decision — each a note, nothing decided", async () => {
  await withResponders(async (world, base) => {
    const { bob, carol, bot } = world.account;
    const url = `${base}${WEBHOOK_PATH}`;

    const notOnCall = await paged(world);
    world.pagerduty.addNoteAs(notOnCall.incidentId, bob.id, "/approve I can cover it");
    assert.match(
      await noteMatching(world, notOnCall.incidentId, /^The \/approve note was not carried out/),
      /Bob Brown \(bob@example\.com\) is not on call now in the escalation policy of service Teleport Access Requests\. Rule: only responders on call for the incident's service may decide\.$/,
    );

    const own = await paged(world, "carol@example.com");
    world.pagerduty.addNoteAs(own.incidentId, carol.id, "/approve it is me");
    assert.match(
      await noteMatching(world, own.incidentId, /^The \/approve note was not carried out/),
      /Carol Chen \(carol@example\.com\) made this access request\. Rule: nobody decides their own request; another responder must\.$/,
    );

    const noAgent = await paged(world);
    const click = await world.pagerduty.runCustomActionAs(noAgent.incidentId, null, {
      name: "Approve request",
      url: `${base}${ACTION_PATHS.approve}`,
      headers: { "X-Teleport-Action-Secret": ACTION_SECRET },
    });
    assert.equal(click.attempt.status, 202);
    assert.match(
      await noteMatching(world, noAgent.incidentId, /was not carried out/),
      /PagerDuty did not say which user did it .* Rule: a PagerDuty user must act\.$/,
    );

    const unknownAgent = await paged(world);
    const ghost = noteEvent(world, unknownAgent.incidentId, "/deny", "PGHOST1");
    const sent = await world.pagerduty.sendWebhook(url, ghost, { secret: SECRET, maxAttempts: 1 });
    assert.equal(sent.attempts[0].status, 202);
    assert.match(
      await noteMatching(world, unknownAgent.incidentId, /^The \/deny note was not carried out/),
      /PagerDuty user PGHOST1 could not be looked up/,
    );

    const decided = await paged(world);
    world.auth.review(decided.request.id, { author: "dave@example.com", decision: "DENIED" });
    await world.auth.waitFor(() => record(world, decided.request.id).resolution === "denied", WAIT);
    world.pagerduty.addNoteAs(decided.incidentId, carol.id, "/approve please");
    assert.match(
      await noteMatching(world, decided.incidentId, /^The \/approve note was not carried out/),
      /the access request is already denied\. Rule: only pending requests can be decided\.$/,
    );

    const deleted = await paged(world);
    world.auth.deleteRequest(deleted.request.id);
    await world.auth.waitFor(
      () => record(world, deleted.request.id).resolution === "expired",
      WAIT,
    );
    world.pagerduty.addNoteAs(deleted.incidentId, carol.id, "/approve still needed");
    assert.match(
      await noteMatching(world, deleted.incidentId, /^The \/approve note was not carried out/),
      new RegExp(`access request ${deleted.request.id} does not exist in Teleport any more`),
    );

    const twice = await paged(world, "erin@example.com", [{ approve: 2, deny: 1 }]);
    world.pagerduty.addNoteAs(twice.incidentId, carol.id, "/approve first");
    await noteMatching(world, twice.incidentId, /needs more approvals in Teleport/);
    world.pagerduty.addNoteAs(twice.incidentId, carol.id, "/approve second");
    assert.equal(
      await noteMatching(world, twice.incidentId, /^The \/approve note was not carried out/),
      "The /approve note was not carried out: this service has already submitted a review of the request, and Teleport counts one review per author. Another reviewer must decide in Teleport: " +
        `https://teleport.example.com/web/requests/${twice.request.id}`,
    );

    for (const { request } of [notOnCall, own, noAgent, unknownAgent]) {
      assert.equal(world.auth.request(request.id)!.state, "PENDING");
      assert.equal(world.auth.request(request.id)!.reviews.length, 0);
    }
    assert.equal(world.auth.request(twice.request.id)!.reviews.length, 1);
    assert.equal(world.auth.request(twice.request.id)!.state, "PENDING");

    // The service's own user and incidents it did not open: 2xx, nothing written, no note.
    const selfNote = world.pagerduty.addNoteAs(notOnCall.incidentId, bot.id, "/approve by the bot");
    assert.equal((await deliveryOfNote(world, selfNote.id)).attempts.at(-1)?.status, 200);
    const foreign = (incidentKey: string | undefined) =>
      world.pagerduty.act((account, now) =>
        account.createIncident(
          {
            title: "Disk full",
            serviceId: world.account.notifyService.id,
            incidentKey,
            details: "",
          },
          carol.id,
          now,
        )
      );
    // No key; a request's key, but not the incident recorded for it; a request nobody has.
    for (
      const incident of [
        foreign(undefined),
        foreign(`teleport-access-request/${deleted.request.id}`),
        foreign("teleport-access-request/0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee"),
      ]
    ) {
      const sneaky = world.pagerduty.addNoteAs(incident.id, carol.id, "/approve sneaky");
      assert.equal((await deliveryOfNote(world, sneaky.id)).attempts.at(-1)?.status, 200);
      assert.deepEqual(notes(world, incident.id), ["/approve sneaky"]);
    }
    assert.equal(record(world, deleted.request.id).jobsDone.length, 1, "only Carol's note");
    assert.equal(record(world, notOnCall.request.id).jobsDone.length, 1, "only Bob's note");
    assert.equal(world.auth.request(notOnCall.request.id)!.state, "PENDING");
  });
});

Deno.test("failures mid-decision: PagerDuty and Teleport failing are retried, and the decision happens once", async () => {
  await withResponders(async (world) => {
    const { carol } = world.account;
    const { request, incidentId } = await paged(world);
    world.pagerduty.failNext(3, { operation: "getUser", status: 503 });
    world.auth.failNext("SubmitAccessReview", 2, {
      code: 14,
      message: "the Auth Service is restarting",
    });
    const note = world.pagerduty.addNoteAs(incidentId, carol.id, "/approve despite the weather");
    assert.equal((await deliveryOfNote(world, note.id)).attempts.at(-1)?.status, 202);
    await noteMatching(world, incidentId, /^Carol Chen \(carol@example\.com\) approved/);
    const approved = world.auth.request(request.id)!;
    assert.equal(approved.state, "APPROVED");
    assert.equal(approved.reviews.length, 1);
    assert.equal(approved.reviews[0].author, PLUGIN_USER);
    assert.ok(world.auth.callCount("SubmitAccessReview") >= 3, "the review was retried");
    assert.equal(decisionNotes(world, incidentId).length, 1);
  });
});

Deno.test("two replicas behind one URL: a decision delivered to both is carried out once", async () => {
  await withService(
    { config: { http: { listenAddr: "127.0.0.1:0" }, reviews: reviews() } },
    async (world, first) => {
      const second = await startTestService(world, {
        http: { listenAddr: "127.0.0.1:0" },
        reviews: reviews(),
      });
      try {
        const { carol } = world.account;
        const { request, incidentId } = await paged(world);
        const event = noteEvent(world, incidentId, "/approve from both", carol.id);
        const urls = [first, second].map((h) =>
          `http://127.0.0.1:${h.service.httpPort}${WEBHOOK_PATH}`
        );
        const results = await Promise.all(
          urls.map((url) => world.pagerduty.sendWebhook(url, event, { secret: SECRET })),
        );
        assert.deepEqual(results.map((r) => r.outcome), ["delivered", "delivered"]);
        await noteMatching(world, incidentId, /^Carol Chen \(carol@example\.com\) approved/);
        await world.auth.waitFor(() => record(world, request.id).resolution === "approved", WAIT);
        await Promise.all([first.service.lifecycle.idle(), second.service.lifecycle.idle()]);
        const approved = world.auth.request(request.id)!;
        assert.equal(approved.reviews.length, 1);
        assert.equal(world.auth.callCount("SubmitAccessReview"), 1);
        assert.equal(decisionNotes(world, incidentId).length, 1);
      } finally {
        await second.stop();
      }
    },
  );
});

Deno.test("metrics count decisions by path and outcome, and deliveries by route and result", async () => {
  await withResponders(async (world, base, handle) => {
    const { carol, bob } = world.account;
    const { incidentId } = await paged(world);
    world.pagerduty.addNoteAs(incidentId, bob.id, "/approve");
    await noteMatching(world, incidentId, /not carried out/);
    world.pagerduty.addNoteAs(incidentId, carol.id, "/approve");
    await noteMatching(world, incidentId, /^Carol Chen/);
    await post(`${base}${WEBHOOK_PATH}`, "{}", { "x-pagerduty-signature": "v1=" + "0".repeat(64) });
    const text = await handle.service.metrics.render();
    assert.match(
      text,
      /teleport_pagerduty_responder_decisions_total\{path="note",outcome="not_on_call"\} 1/,
    );
    assert.match(
      text,
      /teleport_pagerduty_responder_decisions_total\{path="note",outcome="approved"\} 1/,
    );
    assert.match(
      text,
      /teleport_pagerduty_responder_webhooks_total\{route="v3",result="forbidden"\} 1/,
    );
    assert.match(
      text,
      /teleport_pagerduty_responder_webhooks_total\{route="v3",result="accepted"\} 2/,
    );
  });
});
