import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { AuthError } from "./errors.ts";
import { AuthStore, type PluginDataChange, type StoreEvent } from "./store.ts";

function fixture(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  const store = new AuthStore({ now: () => now });
  const events: StoreEvent[] = [];
  store.onEvent((e) => events.push(e));
  return { store, events, advance: (ms: number) => (now += ms) };
}

function fails(fn: () => unknown, code: status, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AuthError, String(err));
    assert.equal(err.code, code, err.message);
    if (typeof message === "string") assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

Deno.test("a new request is PENDING with the default threshold and announced as PUT", () => {
  const { store, events } = fixture();
  const r = store.createRequest({ user: "alice", roles: ["db"], reason: "on call", ttlMs: 60_000 });
  assert.equal(r.state, "PENDING");
  assert.deepEqual(r.thresholds, [{ name: "default", filter: "", approve: 1, deny: 1 }]);
  assert.deepEqual(r.roleThresholdMapping, { db: [[0]] });
  assert.equal(r.accessExpires - r.created, 60_000);
  assert.deepEqual(events, [{ kind: "access_request", op: "put", request: r }]);
});

Deno.test("approve 2 / deny 2: the second approval resolves with its reason", () => {
  const { store, events } = fixture();
  const r = store.createRequest({ user: "alice", thresholds: [{ approve: 2, deny: 2 }] });
  store.applyReview(r.id, { author: "bob", decision: "APPROVED", reason: "fine" });
  assert.equal(r.state, "PENDING");
  store.applyReview(r.id, { author: "carol", decision: "DENIED", reason: "hmm" });
  assert.equal(r.state, "PENDING");
  store.applyReview(r.id, { author: "dave", decision: "APPROVED", reason: "second approval" });
  assert.equal(r.state, "APPROVED");
  assert.equal(r.resolveReason, "second approval");
  assert.deepEqual(r.reviews.map((x) => [x.author, x.decision, x.thresholdIndexes]), [
    ["bob", "APPROVED", [0]],
    ["carol", "DENIED", [0]],
    ["dave", "APPROVED", [0]],
  ]);
  // One PUT for the creation and one per review.
  assert.equal(events.length, 4);
  assert.ok(events.every((e) => e.op === "put"));
});

Deno.test("review state checks answer as Teleport does", () => {
  const { store } = fixture();
  fails(
    () => store.applyReview("nope", { author: "bob", decision: "APPROVED" }),
    status.NOT_FOUND,
    'cannot apply review to access request "nope" (not found)',
  );
  const r = store.createRequest({ user: "alice", thresholds: [{ approve: 2, deny: 2 }] });
  fails(
    () => store.applyReview(r.id, { author: "bob", decision: "PENDING" }),
    status.INVALID_ARGUMENT,
    "invalid state proposal: PENDING",
  );
  fails(
    () =>
      store.applyReview(r.id, { author: "bob", decision: "APPROVED", annotations: { k: ["v"] } }),
    status.UNIMPLEMENTED,
    /^annotations are not yet supported in reviews/,
  );
  fails(
    () => store.applyReview(r.id, { author: "bob", decision: "APPROVED", roles: ["a", "b"] }),
    status.UNIMPLEMENTED,
    /^role subselection is not yet supported/,
  );
  store.applyReview(r.id, { author: "bob", decision: "DENIED" });
  fails(
    () => store.applyReview(r.id, { author: "bob", decision: "APPROVED" }),
    status.ALREADY_EXISTS,
    'user "bob" has already reviewed this request',
  );
  store.applyReview(r.id, { author: "carol", decision: "DENIED", reason: "no" });
  assert.equal(r.state, "DENIED");
  fails(
    () => store.applyReview(r.id, { author: "dave", decision: "APPROVED" }),
    status.PERMISSION_DENIED,
    "the access request has been already denied",
  );
  const unreviewable = store.createRequest({ user: "alice", thresholds: [] });
  fails(
    () => store.applyReview(unreviewable.id, { author: "bob", decision: "APPROVED" }),
    status.INVALID_ARGUMENT,
    "request is uninitialized or does not support reviews",
  );
});

Deno.test("setState approves directly once, and refuses a resolved request", () => {
  const { store, events } = fixture();
  const r = store.createRequest({ user: "alice" });
  store.setState(r.id, "APPROVED", "tctl");
  assert.equal(r.state, "APPROVED");
  assert.equal(r.resolveReason, "tctl");
  assert.equal(events.length, 2);
  fails(
    () => store.setState(r.id, "DENIED"),
    status.PERMISSION_DENIED,
    "the access request has been already approved",
  );
  fails(() => store.setState(r.id, "PROMOTED"), status.INVALID_ARGUMENT, /promoted/);
});

Deno.test("plugin data: compare-and-swap with missing keys as empty, deletes, and entry removal", () => {
  const { store } = fixture();
  const r = store.createRequest({ user: "alice" });
  fails(
    () => store.updatePluginData("missing", "pd", { a: "1" }, {}),
    status.NOT_FOUND,
    'no access request matching "missing"',
  );
  // A missing key counts as "", so "must be empty" expectations pass on first write.
  store.updatePluginData(r.id, "pd", { incident: "P1", reviews: "0" }, { incident: "" });
  assert.deepEqual(Object.fromEntries(store.pluginData(r.id, "pd")[0].entries.get("pd")!), {
    incident: "P1",
    reviews: "0",
  });
  fails(
    () => store.updatePluginData(r.id, "pd", { incident: "P2" }, { incident: "" }),
    status.FAILED_PRECONDITION,
    'expectations not met for field "incident"',
  );
  fails(
    () => store.updatePluginData(r.id, "pd", { x: "1" }, { absent: "something" }),
    status.FAILED_PRECONDITION,
    'expectations not met for field "absent"',
  );
  store.updatePluginData(r.id, "pd", { reviews: "" }, { incident: "P1", reviews: "0" });
  assert.deepEqual([...store.pluginData(r.id, "pd")[0].entries.get("pd")!], [["incident", "P1"]]);
  // Another plugin's entry is separate; filtering by plugin returns only that one.
  store.updatePluginData(r.id, "slack", { ts: "1" }, {});
  assert.deepEqual([...store.pluginData(r.id)[0].entries.keys()], ["pd", "slack"]);
  assert.deepEqual([...store.pluginData(r.id, "slack")[0].entries.keys()], ["slack"]);
  // Emptying an entry removes it.
  store.updatePluginData(r.id, "pd", { incident: "" }, {});
  assert.deepEqual(store.pluginData(r.id, "pd"), []);
});

Deno.test("plugin data writes are reported to observers after they succeed, and only then", () => {
  const { store, events } = fixture();
  const r = store.createRequest({ user: "alice" });
  const changes: PluginDataChange[] = [];
  const stop = store.onPluginDataChange((c) => changes.push(c));
  store.updatePluginData(r.id, "pd", { incident: "P1", reviews: "1" }, {});
  store.updatePluginData(r.id, "pd", { reviews: "" }, { incident: "P1" });
  assert.throws(() => store.updatePluginData(r.id, "pd", { x: "1" }, { incident: "P9" }));
  stop();
  store.updatePluginData(r.id, "pd", { late: "1" }, {});
  assert.deepEqual(changes, [
    {
      resource: r.id,
      plugin: "pd",
      set: { incident: "P1", reviews: "1" },
      data: { incident: "P1", reviews: "1" },
    },
    { resource: r.id, plugin: "pd", set: { reviews: "" }, data: { incident: "P1" } },
  ]);
  // Teleport does not put plugin data on the watch, so the store's events stay untouched.
  assert.equal(events.length, 1);
});

Deno.test("expiry deletes due requests with DELETE; plugin data outlives them by an hour", () => {
  const { store, events, advance } = fixture();
  const short = store.createRequest({ user: "alice", ttlMs: 1000 });
  const long = store.createRequest({ user: "bob", ttlMs: 10_000 });
  store.updatePluginData(short.id, "pd", { incident: "P1" }, {});
  advance(1000);
  assert.equal(store.expireDue(), 1);
  assert.equal(store.request(short.id), undefined);
  assert.ok(store.request(long.id));
  assert.deepEqual(events.at(-1), { kind: "access_request", op: "delete", id: short.id });
  // Still readable and updatable after the request is gone.
  store.updatePluginData(short.id, "pd", { resolution: "EXPIRED" }, { incident: "P1" });
  assert.equal(store.pluginData(short.id, "pd").length, 1);
  advance(3_600_000);
  assert.deepEqual(store.pluginData(short.id, "pd"), []);
  fails(
    () => store.updatePluginData(short.id, "pd", { a: "1" }, {}),
    status.NOT_FOUND,
    /no access request matching/,
  );
});

Deno.test("rules are announced and listed by name", () => {
  const { store, events } = fixture();
  const rule = {
    name: "b-rule",
    subjects: ["access_request"],
    states: [],
    condition: "true",
    notificationName: "pagerduty",
    recipients: ["Ops"],
  };
  store.putRule(rule);
  store.putRule({ ...rule, name: "a-rule" });
  assert.deepEqual(store.rules().map((r) => r.name), ["a-rule", "b-rule"]);
  assert.equal(store.deleteRule("b-rule"), true);
  assert.equal(store.deleteRule("b-rule"), false);
  assert.deepEqual(events.map((e) => e.op), ["put", "put", "delete"]);
});

Deno.test("creating a request with an unsupported threshold filter names the field", () => {
  const { store } = fixture();
  assert.throws(
    () => store.createRequest({ user: "a", thresholds: [{ approve: 1, deny: 1, filter: "x" }] }),
    /thresholds\[0\]\.filter is not supported/,
  );
});
