import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import * as net from "node:net";
import { TeleportClient } from "./client.ts";
import { type EventSource, type ReadyInfo, Watcher, type WatcherOptions } from "./watcher.ts";
import type { AccessMonitoringRuleEvent, AccessRequestEvent, TeleportError } from "./types.ts";
import { type Harness, PLUGIN_USER, startHarness } from "../testing/teleport_harness.ts";

/** Everything a watcher delivered, with a way to wait for a condition on it. */
class Recorder {
  readonly requests: { event: AccessRequestEvent; source: EventSource }[] = [];
  readonly rules: AccessMonitoringRuleEvent[] = [];
  readonly ready: ReadyInfo[] = [];
  readonly disconnects: TeleportError[] = [];
  readonly resyncs: number[] = [];
  readonly #waiters = new Set<() => void>();

  /** Adds `item` to `list` and re-checks the waiting conditions. */
  push<T>(list: T[], item: T): void {
    list.push(item);
    for (const wake of this.#waiters) wake();
  }

  /** Watcher options that record into this recorder. */
  options(extra: Partial<WatcherOptions> = {}): WatcherOptions {
    const record = <T>(list: T[]) => (item: T) => this.push(list, item);
    return {
      initTimeoutMs: 2_000,
      backoff: { baseMs: 5, maxMs: 50 },
      onRequestEvent: (event, source) => record(this.requests)({ event, source }),
      onRuleEvent: record(this.rules),
      onReady: record(this.ready),
      onDisconnect: record(this.disconnects),
      onResync: record(this.resyncs),
      ...extra,
    };
  }

  /** IDs of the PUT events from `source`. */
  puts(source?: EventSource): string[] {
    return this.requests
      .filter((r) => r.event.type === "put" && (source === undefined || r.source === source))
      .map((r) => r.event.type === "put" ? r.event.request.id : "");
  }

  /** Resolves when `predicate` holds; fails the test after `timeoutMs`. */
  until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.#waiters.add(wake);
    });
  }
}

/** Runs a watcher for the duration of a test; disposing aborts it and awaits its end. */
function runWatcher(h: Harness, recorder: Recorder, extra: Partial<WatcherOptions> = {}) {
  const watcher = new Watcher(h.client, recorder.options(extra));
  const controller = new AbortController();
  const done = watcher.run(controller.signal);
  return {
    watcher,
    done,
    async [Symbol.asyncDispose]() {
      controller.abort();
      await done.catch(() => {});
    },
  };
}

Deno.test("delivers INIT, then PUT and DELETE of requests and rules, in order", async () => {
  await using h = await startHarness();
  const recorder = new Recorder();
  await using w = runWatcher(h, recorder);
  await recorder.until(() => recorder.ready.length === 1, "INIT");
  assert.deepEqual(recorder.ready[0], {
    kinds: ["access_request", "access_monitoring_rule"],
    reconnects: 0,
    reason: "start",
  });
  assert.equal(w.watcher.status.state, "ready");
  assert.ok(w.watcher.status.lastInitAt instanceof Date);

  const request = h.auth.createAccessRequest({ user: "alice@example.com", roles: ["db"] });
  h.auth.review(request.id, { author: "bob", decision: "APPROVED", reason: "ok" });
  h.auth.deleteRequest(request.id);
  await recorder.until(() => recorder.requests.length === 3, "three request events");
  const [created, approved, deleted] = recorder.requests;
  assert.equal(created.source, "watch");
  assert.ok(created.event.type === "put" && created.event.request.state === "PENDING");
  assert.ok(approved.event.type === "put" && approved.event.request.state === "APPROVED");
  assert.deepEqual(deleted, { event: { type: "delete", requestId: request.id }, source: "watch" });

  h.auth.putAccessMonitoringRule({
    name: "db",
    subjects: ["access_request"],
    states: [],
    condition: "true",
    notificationName: "pagerduty",
    recipients: ["DB"],
  });
  h.auth.deleteAccessMonitoringRule("db");
  await recorder.until(() => recorder.rules.length === 2, "two rule events");
  assert.ok(recorder.rules[0].type === "put" && recorder.rules[0].rule.recipients[0] === "DB");
  assert.deepEqual(recorder.rules[1], { type: "delete", name: "db" });
});

Deno.test("resyncs pending requests after INIT and re-reads the rules", async () => {
  await using h = await startHarness();
  const pending = h.auth.createAccessRequest({ user: "a@example.com" });
  const decided = h.auth.createAccessRequest({ user: "b@example.com" });
  h.auth.setState(decided.id, "DENIED");
  h.auth.putAccessMonitoringRule({
    name: "db",
    subjects: ["access_request"],
    states: [],
    condition: "true",
    notificationName: "pagerduty",
    recipients: ["DB"],
  });
  const recorder = new Recorder();
  const snapshots: string[][] = [];
  await using _w = runWatcher(h, recorder, {
    pluginName: "pagerduty",
    onRules: (rules) => snapshots.push(rules.map((r) => r.name)),
  });
  await recorder.until(() => recorder.puts("resync").length === 1, "the resync");
  assert.deepEqual(recorder.puts("resync"), [pending.id]);
  assert.deepEqual(snapshots, [["db"]]);
});

Deno.test("reconnects after the Auth Service restarts and delivers what was created meanwhile", async () => {
  await using h = await startHarness();
  const recorder = new Recorder();
  await using w = runWatcher(h, recorder);
  await recorder.until(() => recorder.resyncs.length === 1, "INIT and the first resync");
  await h.auth.stop();
  const created = h.auth.createAccessRequest({ user: "during-outage@example.com" });
  await recorder.until(() => recorder.disconnects.length >= 1, "the disconnect");
  assert.equal(recorder.disconnects[0].kind, "unavailable");
  assert.equal(w.watcher.status.state, "connecting");
  await h.auth.restart();
  await recorder.until(() => recorder.puts("resync").includes(created.id), "the resync", 15_000);
  const last = recorder.ready.at(-1);
  assert.equal(last?.reason, "reconnect");
  assert.ok(w.watcher.status.reconnects >= 1);
  assert.equal(w.watcher.status.state, "ready");
});

Deno.test("an event fanout reset reconnects and resyncs", async () => {
  await using h = await startHarness();
  const recorder = new Recorder();
  await using w = runWatcher(h, recorder);
  await recorder.until(() => recorder.ready.length === 1, "INIT");
  assert.equal(h.auth.resetFanout(), 1);
  await recorder.until(() => recorder.ready.length === 2, "the second INIT");
  assert.equal(recorder.disconnects.length, 1);
  assert.equal(recorder.disconnects[0].kind, "unknown");
  assert.match(recorder.disconnects[0].message, /event fanout system reset/);
  assert.equal(w.watcher.status.reconnects, 1);
  const after = h.auth.createAccessRequest({ user: "after@example.com" });
  await recorder.until(() => recorder.puts("watch").includes(after.id), "a PUT on the new stream");
});

Deno.test("a missing INIT times out, is reported, and the watcher reconnects", async () => {
  await using h = await startHarness();
  h.auth.holdInit(true);
  const recorder = new Recorder();
  await using _w = runWatcher(h, recorder, { initTimeoutMs: 150 });
  await recorder.until(() => recorder.disconnects.length >= 1, "the INIT timeout");
  assert.equal(recorder.disconnects[0].kind, "deadline_exceeded");
  assert.match(recorder.disconnects[0].message, /no INIT event\) within 0\.15 s/);
  h.auth.holdInit(false);
  await recorder.until(() => recorder.ready.length === 1, "INIT after the hold");
  assert.equal(recorder.ready[0].reason, "reconnect");
});

Deno.test("a plugin that may not read access requests stops with an actionable error", async () => {
  await using h = await startHarness({ permissions: { rules: {} } });
  const recorder = new Recorder();
  const watcher = new Watcher(h.client, recorder.options());
  await assert.rejects(watcher.run(new AbortController().signal), (error: TeleportError) => {
    assert.ok(error.kind === "permission_denied" || error.kind === "invalid_argument", error.kind);
    assert.match(
      error.message,
      /^The Teleport user "pagerduty-plugin" may not watch access requests/,
    );
    assert.match(error.message, /give its role `access_request: \[list, read\]`/);
    return true;
  });
  assert.equal(watcher.status.state, "stopped");
  assert.equal(recorder.ready.length, 0);
});

Deno.test("INIT without access_request (partial success) is a permission error", async () => {
  await using h = await startHarness({
    permissions: { rules: { access_monitoring_rule: ["list", "read"] } },
  });
  const watcher = new Watcher(h.client, new Recorder().options());
  await assert.rejects(
    watcher.run(new AbortController().signal),
    /confirmed only access_monitoring_rule\): give its role `access_request: \[list, read\]`/,
  );
});

Deno.test("PERMISSION_DENIED from WatchEvents stops the watcher", async () => {
  await using h = await startHarness();
  h.auth.failNext("WatchEvents", 1, {
    code: grpc.status.PERMISSION_DENIED,
    message: 'access denied to perform action "read" on "access_request"',
  });
  const watcher = new Watcher(h.client, new Recorder().options());
  await assert.rejects(
    watcher.run(new AbortController().signal),
    /may not watch access requests \(access denied to perform action "read" on "access_request"\)/,
  );
  assert.equal(h.auth.callCount("WatchEvents"), 1);
});

Deno.test("a new identity moves the stream to a new channel without losing events", async () => {
  await using h = await startHarness();
  const recorder = new Recorder();
  await using w = runWatcher(h, recorder);
  await recorder.until(() => recorder.ready.length === 1, "INIT");
  const ids: string[] = [];
  const create = (n: number) => {
    for (let i = 0; i < n; i++) ids.push(h.auth.createAccessRequest({ user: `u${ids.length}` }).id);
  };
  create(5);
  const renewed = await h.load(await h.auth.issueIdentity(PLUGIN_USER), "renewed");
  h.credentials.change(renewed);
  create(5); // while the new stream is being set up
  await recorder.until(() => recorder.ready.length === 2, "INIT on the new channel");
  assert.equal(recorder.ready[1].reason, "identity_change");
  create(5);
  await recorder.until(
    () => ids.every((id) => recorder.puts().includes(id)),
    "every request created around the switch",
  );
  assert.equal(h.client.generation, 2);
  assert.equal(recorder.disconnects.length, 0);
  assert.equal(w.watcher.status.reconnects, 0);
  await h.auth.waitFor(() => h.auth.watcherCount === 1, { description: "the old stream closing" });
});

Deno.test("a handler that throws does not break the stream", async () => {
  await using h = await startHarness();
  const recorder = new Recorder();
  let calls = 0;
  await using _w = runWatcher(h, recorder, {
    onRequestEvent: (event, source) => {
      if (++calls === 1) throw new Error("handler bug");
      recorder.push(recorder.requests, { event, source });
    },
  });
  await recorder.until(() => recorder.ready.length === 1, "INIT");
  h.auth.createAccessRequest({ user: "a@example.com" });
  const second = h.auth.createAccessRequest({ user: "b@example.com" });
  await recorder.until(() => recorder.puts("watch").includes(second.id), "the second event");
  assert.equal(calls, 2);
  assert.equal(recorder.disconnects.length, 0);
});

Deno.test({
  name: "a peer that never speaks HTTP/2 cannot hang the watcher: INIT deadline, then retries",
  // grpc-js (1.14.7) leaves its subchannel's BackoffTimeout timer running after a failed
  // connect, and Deno's sanitizers report it.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using h = await startHarness();
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const client = new TeleportClient({
      addr: `127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
      credentials: h.credentials,
    });
    const recorder = new Recorder();
    const controller = new AbortController();
    const watcher = new Watcher(client, recorder.options({ initTimeoutMs: 100 }));
    const done = watcher.run(controller.signal);
    try {
      await recorder.until(() => recorder.disconnects.length >= 2, "two INIT timeouts");
      assert.ok(recorder.disconnects.every((e) => e.kind === "deadline_exceeded"));
      assert.equal(watcher.status.state, "connecting");
      assert.equal(recorder.ready.length, 0);
    } finally {
      controller.abort();
      await done;
      client.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
    assert.equal(watcher.status.state, "stopped");
  },
});
