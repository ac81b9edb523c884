/**
 * Reliability of the request lifecycle end to end: the real service (in-process) against the
 * fake Auth Service and the fake PagerDuty, under load, restarts, PagerDuty faults, a second
 * instance and Teleport faults. Every test ends with the same invariants (see
 * `reliability_support.ts`): one incident per request, open while pending, resolved with the
 * outcome noted once when finished.
 */

import assert from "node:assert/strict";
import { World } from "../src/fakes/world.ts";
import { startTestService, withService } from "./harness.ts";
import {
  createRequest,
  type Expectations,
  incidentsOf,
  NOTIFY,
  type Outcome,
  settle,
} from "./reliability_support.ts";
import { sleep } from "../src/util/sleep.ts";

type Expected = { outcome: Outcome; reviewers?: string[] };

const REVIEWERS = ["carol@example.com", "dave@example.com"];

/**
 * Requests of one test and how each should end. Request number `i` is decided one of five ways,
 * cycling with `i`: approved by a review, denied by a review, expired, approved by two reviews
 * under a threshold of two (set at creation), or approved directly as `tctl` does.
 */
class Scenario {
  readonly world: World;
  readonly plan = new Map<string, Expected>();
  readonly #index = new Map<string, number>();

  constructor(world: World) {
    this.world = world;
  }

  /** Creates `n` pending requests and expects each to get an open incident. */
  create(n: number): string[] {
    return Array.from({ length: n }, () => {
      const i = this.#index.size;
      const { id } = createRequest(this.world, {
        thresholds: i % 5 === 3 ? [{ approve: 2, deny: 2 }] : undefined,
      });
      this.#index.set(id, i);
      this.plan.set(id, { outcome: "pending" });
      return id;
    });
  }

  /** Decides a request the way its number says and expects that end. */
  decide(id: string): void {
    const world = this.world;
    const i = this.#index.get(id)!;
    let expected: Expected;
    switch (i % 5) {
      case 0:
        world.auth.review(id, { author: REVIEWERS[0], decision: "APPROVED", reason: "go" });
        expected = { outcome: "approved", reviewers: [REVIEWERS[0]] };
        break;
      case 1:
        world.auth.review(id, { author: REVIEWERS[0], decision: "DENIED", reason: "no" });
        expected = { outcome: "denied", reviewers: [REVIEWERS[0]] };
        break;
      case 2:
        world.auth.expire(id);
        expected = { outcome: "expired" };
        break;
      case 3:
        world.auth.review(id, { author: REVIEWERS[0], decision: "APPROVED", reason: "one" });
        world.auth.review(id, { author: REVIEWERS[1], decision: "APPROVED", reason: "two" });
        expected = { outcome: "approved", reviewers: REVIEWERS };
        break;
      default:
        world.auth.setState(id, "APPROVED", "tctl approve");
        expected = { outcome: "approved" };
    }
    this.plan.set(id, expected);
  }

  /** Pending requests, oldest first. */
  pending(): string[] {
    return [...this.plan].filter(([, e]) => e.outcome === "pending").map(([id]) => id);
  }

  /** Waits until every request is as expected (see `settle`). */
  settle(what: string, options: { timeoutMs?: number; notesOnce?: boolean } = {}): Promise<void> {
    return settle(this.world, this.plan as Expectations, { what, ...options });
  }
}

Deno.test("50 concurrent requests, reviewed and decided at once: one incident each, all resolved with the right notes", async () => {
  await withService({}, async (world) => {
    const run = new Scenario(world);
    const ids = run.create(50);
    await run.settle("50 new requests");
    for (const id of ids) run.decide(id);
    await run.settle("50 decided requests");
    assert.equal(world.pagerduty.validationFailures.length, 0);
  });
});

Deno.test("restart with 200 requests created while down: each gets one incident; those decided while down are resolved", async () => {
  const world = await World.start();
  try {
    const run = new Scenario(world);
    let handle = await startTestService(world);
    const earlier = run.create(15);
    await run.settle("requests before the stop");
    await handle.stop();

    run.create(200);
    for (const id of earlier) run.decide(id);
    // Reviewed once but still pending under its threshold of two.
    const halfway = createRequest(world, { thresholds: [{ approve: 2, deny: 2 }] }).id;
    world.auth.review(halfway, { author: REVIEWERS[0], decision: "DENIED", reason: "no" });
    run.plan.set(halfway, { outcome: "pending" });

    handle = await startTestService(world);
    try {
      await run.settle("requests after the restart", { timeoutMs: 30_000 });
      world.auth.review(halfway, { author: REVIEWERS[1], decision: "DENIED", reason: "never" });
      run.plan.set(halfway, { outcome: "denied", reviewers: REVIEWERS });
      await run.settle("the late denial");
    } finally {
      await handle.stop();
    }
  } finally {
    await world.stop();
  }
});

Deno.test("PagerDuty answering 5xx, 429 and dropping responses for a while: everything completes, no duplicate incident", async () => {
  await withService({}, async (world) => {
    const pd = world.pagerduty;
    const run = new Scenario(world);
    // Look-ups are shared by all requests, so only a few global failures; creates fail per call.
    pd.failNext(2, { status: 503 });
    // Creates whose response is lost after PagerDuty acted: the retry must find, not duplicate.
    const create = { operation: "createIncident" };
    pd.dropNext(4, { ...create, when: "after" });
    pd.failNext(12, { ...create, status: 503 });
    pd.failNext(3, { ...create, status: 429 });
    pd.failNext(2, { ...create, status: 429, rateLimitHeaders: false });
    pd.failNext(6, { ...create, status: 500 });
    const ids = run.create(30);
    await run.settle("requests under PagerDuty faults", { timeoutMs: 40_000 });
    // Resolutions under faults too: lost responses must not double anything.
    pd.dropNext(3, { operation: "createIncidentNote", when: "after" });
    pd.dropNext(3, { operation: "updateIncident", when: "after" });
    pd.failNext(8, { operation: "createIncidentNote", status: 502 });
    pd.failNext(8, { operation: "updateIncident", status: 503 });
    for (const id of ids) run.decide(id);
    await run.settle("decisions under PagerDuty faults", { timeoutMs: 40_000 });
    const creates = pd.callsTo("createIncident").length;
    assert.ok(creates > ids.length, `creates were retried (${creates} calls)`);
  });
});

Deno.test("two instances against the same world: exactly one incident per request", async () => {
  const world = await World.start();
  try {
    // Slow creates widen the window in which both instances work on the same request.
    world.pagerduty.setLatency(15, { operation: "createIncident" });
    const first = await startTestService(world);
    try {
      const second = await startTestService(world);
      try {
        await world.auth.waitFor(() => world.auth.watcherCount === 2, {
          description: "both instances watching",
        });
        const run = new Scenario(world);
        const ids = run.create(40);
        await run.settle("requests seen by two instances");
        for (const id of ids) run.decide(id);
        // Both instances see the same watch event; the per-request lease lets one act at a time,
        // so every note is still posted exactly once.
        await run.settle("requests decided under two instances");
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
    }
  } finally {
    await world.stop();
  }
});

Deno.test("Teleport faults mid-run (watch dropped, fanout reset, Auth stopped and restarted, failed calls): nothing lost", async () => {
  await withService({}, async (world) => {
    const run = new Scenario(world);
    const auth = world.auth;
    /** Creates a batch, and decides up to five older requests whose incident exists. */
    const step = () => {
      const older = run.pending().filter((id) => incidentsOf(world, id).length > 0);
      run.create(8);
      for (const id of older.slice(0, 5)) run.decide(id);
    };

    step();
    auth.dropWatchStreams();
    step();
    await run.settle("requests around a dropped watch");

    step();
    auth.resetFanout();
    step();
    await run.settle("requests around a fanout reset");

    await auth.stop();
    step();
    step();
    await auth.restart();
    await run.settle("requests changed while Auth was down");

    auth.failNext("UpdatePluginData", 6, { code: 14, message: "connection reset" });
    auth.failNext("GetPluginData", 4, { code: 14, message: "connection reset" });
    // The listings after the reconnect below fail at first: the reconciliation must retry.
    auth.failNext("ListAccessRequests", 3, { code: 14, message: "connection reset" });
    step();
    auth.dropWatchStreams();
    step();
    await run.settle("requests under failing plugin data calls");
    // The run decided requests across the faults, not only created them.
    const decided = run.plan.size - run.pending().length;
    assert.ok(decided >= 15, `only ${decided} of ${run.plan.size} requests were decided`);
  });
});

Deno.test("work for a request deleted after it was listed (its DELETE unseen) ends instead of retrying forever", async () => {
  await withService({}, async (world, handle) => {
    const lifecycle = handle.service.lifecycle;
    // Routed nowhere (no such service), so it leaves no record; then it expires.
    const listed = createRequest(world, { systemAnnotations: { pagerduty_notify_service: ["-"] } });
    world.auth.expire(listed.id);
    const deletion = /events_received_total\{kind="access_request",type="delete"\} 1/;
    for (let i = 0; i < 100 && !deletion.test(await handle.service.metrics.render()); i++) {
      await sleep(20);
    }
    await lifecycle.idle();
    // What a listing taken just before the deletion hands over: a pending request, here routed
    // to a real service, so the service tries to write a record for a request that is gone.
    const stale = { ...listed, systemAnnotations: { pagerduty_notify_service: [NOTIFY] } };
    lifecycle.handleRequestEvent({ type: "put", request: stale }, "resync");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      lifecycle.idle().then(() => "idle"),
      new Promise((resolve) => timer = setTimeout(resolve, 5_000, "still retrying")),
    ]);
    clearTimeout(timer);
    assert.equal(outcome, "idle");
    assert.ok(world.auth.callCount("UpdatePluginData") > 0, "the write was tried");
    assert.equal(world.pagerduty.incidents().length, 0);
  });
});
