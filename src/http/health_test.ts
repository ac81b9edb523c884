import assert from "node:assert/strict";
import { Health, type HealthOptions } from "./health.ts";

/** A clock the test moves by hand. */
class Clock {
  ms = Date.UTC(2026, 0, 1);
  readonly now = () => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A probe the test answers by hand, counting its calls and recording their signals. */
class ManualProbe {
  readonly signals: AbortSignal[] = [];
  #pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  readonly probe = (signal: AbortSignal): Promise<void> => {
    this.signals.push(signal);
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  };
  get calls(): number {
    return this.signals.length;
  }
  succeed(): void {
    this.#pending.shift()?.resolve();
  }
  fail(message: string): void {
    this.#pending.shift()?.reject(new Error(message));
  }
}

function healthWith(clock: Clock, options: HealthOptions = {}): Health {
  return new Health({ now: clock.now, ...options });
}

Deno.test("health: a fresh start is not ready and says why", async () => {
  const r = await healthWith(new Clock()).readiness();
  assert.equal(r.ready, false);
  assert.equal(r.checks.teleport_watch.ok, false);
  assert.match(r.checks.teleport_watch.detail, /not been established/);
  assert.equal(r.checks.pagerduty.ok, false);
  assert.match(r.checks.pagerduty.detail, /No successful PagerDuty call yet/);
});

Deno.test("health: ready once the watch is established and PagerDuty answered", async () => {
  const clock = new Clock();
  const health = healthWith(clock);
  health.watchEstablished();
  assert.equal((await health.readiness()).ready, false, "PagerDuty not seen yet");
  clock.advance(1_000);
  health.pagerDutySucceeded();
  clock.advance(5_000);
  const r = await health.readiness();
  assert.equal(r.ready, true);
  assert.equal(r.checks.teleport_watch.since, new Date(clock.ms - 6_000).toISOString());
  assert.equal(r.checks.pagerduty.since, new Date(clock.ms - 5_000).toISOString());
  assert.match(r.checks.pagerduty.detail, /5 s ago, within the 120 s window/);
});

Deno.test("health: a lost watch makes it unready until re-established", async () => {
  const clock = new Clock();
  const health = healthWith(clock);
  health.watchEstablished();
  health.pagerDutySucceeded();
  health.watchLost("the stream closed with UNAVAILABLE");
  let r = await health.readiness();
  assert.equal(r.ready, false);
  assert.equal(r.checks.pagerduty.ok, true);
  assert.equal(
    r.checks.teleport_watch.detail,
    "The Teleport watch was lost: the stream closed with UNAVAILABLE.",
  );
  health.watchEstablished();
  r = await health.readiness();
  assert.equal(r.ready, true);
});

Deno.test("health: PagerDuty older than the window is unready, with the last failure", async () => {
  const clock = new Clock();
  const health = healthWith(clock, { pagerDutyWindowMs: 60_000 });
  health.watchEstablished();
  health.pagerDutySucceeded();
  clock.advance(60_000);
  assert.equal((await health.readiness()).ready, true, "exactly at the window edge still counts");
  health.pagerDutyFailed("GET /abilities answered 503");
  assert.equal((await health.readiness()).ready, true, "one failure alone does not unready");
  clock.advance(1);
  const r = await health.readiness();
  assert.equal(r.ready, false);
  assert.match(r.checks.pagerduty.detail, /60 s ago, older than the 60 s window/);
  assert.match(r.checks.pagerduty.detail, /Last failure: GET \/abilities answered 503\./);
  health.pagerDutySucceeded();
  const after = await health.readiness();
  assert.equal(after.ready, true);
  assert.doesNotMatch(after.checks.pagerduty.detail, /failure/);
});

Deno.test("health: a fresh start waits for the probe, and concurrent calls share it", async () => {
  const probe = new ManualProbe();
  const health = healthWith(new Clock(), { probe: probe.probe });
  health.watchEstablished();
  const first = health.readiness();
  const second = health.readiness();
  assert.equal(probe.calls, 1);
  probe.succeed();
  const [a, b] = await Promise.all([first, second]);
  assert.equal(a.ready, true);
  assert.equal(b.ready, true);
  assert.equal(probe.calls, 1);
});

Deno.test("health: a failed probe is reported and not retried before the interval", async () => {
  const clock = new Clock();
  const probe = new ManualProbe();
  const health = healthWith(clock, { probe: probe.probe, probeIntervalMs: 10_000 });
  health.watchEstablished();
  const pending = health.readiness();
  probe.fail("401 Unauthorized: check pagerduty.api_key");
  const r = await pending;
  assert.equal(r.ready, false);
  assert.match(
    r.checks.pagerduty.detail,
    /Last failure: health probe failed: 401 Unauthorized: check pagerduty.api_key\./,
  );
  clock.advance(9_999);
  assert.equal((await health.readiness()).ready, false);
  assert.equal(probe.calls, 1, "no second probe within the interval");
  clock.advance(1);
  const retry = health.readiness();
  assert.equal(probe.calls, 2);
  probe.succeed();
  assert.equal((await retry).ready, true);
});

Deno.test("health: past half the window the probe runs in the background", async () => {
  const clock = new Clock();
  const probe = new ManualProbe();
  const health = healthWith(clock, { probe: probe.probe, pagerDutyWindowMs: 100_000 });
  health.watchEstablished();
  health.pagerDutySucceeded();
  clock.advance(50_000);
  assert.equal((await health.readiness()).ready, true);
  assert.equal(probe.calls, 0, "no probe before half the window");
  clock.advance(40_000);
  const r = await health.readiness();
  assert.equal(r.ready, true, "answered without waiting for the probe");
  assert.equal(probe.calls, 1);
  probe.succeed();
  await health.settled();
  clock.advance(20_000);
  assert.equal((await health.readiness()).ready, true, "the background probe refreshed it");
  assert.equal(probe.calls, 1);
});

Deno.test("health: a probe that does not answer in time fails and is aborted", async () => {
  const health = new Health({
    probeTimeoutMs: 10,
    probe: (signal) =>
      new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
  });
  health.watchEstablished();
  const r = await health.readiness();
  assert.equal(r.ready, false);
  assert.match(r.checks.pagerduty.detail, /health probe failed: no answer within 10 ms/);
  await health.settled();
});
