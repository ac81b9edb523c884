import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { AuthError } from "./errors.ts";
import { inForce, LockStore, lockTarget, targetMatches } from "./locks.ts";

const T0 = Date.UTC(2026, 0, 1);

function store(now: { t: number }): LockStore {
  return new LockStore(() => now.t);
}

function lock(name: string, accessRequest: string, extra: { expires?: number } = {}) {
  return {
    name,
    target: lockTarget({ accessRequest }),
    message: `locked ${accessRequest}`,
    expires: extra.expires,
    deleteAt: extra.expires,
    createdBy: "plugin",
  };
}

Deno.test("an upsert replaces the lock of the same name and keeps one lock", () => {
  const now = { t: T0 };
  const locks = store(now);
  locks.upsert(lock("pagerduty-r1", "r1"));
  locks.upsert({ ...lock("pagerduty-r1", "r1"), message: "second" });
  const listed = locks.list([], false);
  assert.equal(listed.length, 1);
  assert.equal(listed[0].message, "second");
  assert.equal(listed[0].createdAt, T0);
});

Deno.test("a lock is in force until Spec.Expires and deleted at Metadata.Expires", () => {
  const now = { t: T0 };
  const locks = store(now);
  locks.upsert({ ...lock("a", "r1", { expires: T0 + 1000 }), deleteAt: T0 + 5000 });
  assert.equal(locks.isRequestLocked("r1"), true);
  now.t = T0 + 1000;
  assert.equal(locks.isRequestLocked("r1"), false, "not in force at its expiry");
  assert.equal(locks.list([], true).length, 0);
  assert.equal(locks.list([], false).length, 1, "still stored until its deletion time");
  assert.equal(inForce(locks.get("a"), now.t), false);
  now.t = T0 + 5000;
  assert.equal(locks.find("a"), undefined);
  assert.throws(() => locks.get("a"), (e: AuthError) => {
    assert.equal(e.code, status.NOT_FOUND);
    assert.equal(e.message, 'lock "a" is not found');
    return true;
  });
});

Deno.test("listing matches any target; a target matches when every field it sets is equal", () => {
  const now = { t: T0 };
  const locks = store(now);
  locks.upsert(lock("a", "r1"));
  locks.upsert(lock("b", "r2"));
  locks.upsert({ ...lock("c", "r1"), target: lockTarget({ accessRequest: "r1", user: "alice" }) });
  const names = (targets: ReturnType<typeof lockTarget>[]) =>
    locks.list(targets, false).map((l) => l.name);
  assert.deepEqual(names([lockTarget({ accessRequest: "r1" })]), ["a", "c"]);
  assert.deepEqual(names([lockTarget({ accessRequest: "r1", user: "alice" })]), ["c"]);
  assert.deepEqual(names([lockTarget({ accessRequest: "r2" }), lockTarget({ user: "alice" })]), [
    "b",
    "c",
  ]);
  assert.deepEqual(names([]), ["a", "b", "c"]);
  assert.equal(
    targetMatches(lockTarget({}), locks.get("a")),
    false,
    "an empty target matches nothing",
  );
});

Deno.test("a lock needs a name and a target, as Teleport requires", () => {
  const locks = store({ t: T0 });
  assert.throws(() => locks.upsert(lock("", "r1")), (e: AuthError) => {
    assert.equal(e.code, status.INVALID_ARGUMENT);
    assert.equal(e.message, "missing parameter Name");
    return true;
  });
  assert.throws(
    () => locks.upsert({ ...lock("x", "r1"), target: lockTarget({}) }),
    (e: AuthError) => {
      assert.equal(e.code, status.INVALID_ARGUMENT);
      assert.equal(e.message, "at least one target field must be set");
      return true;
    },
  );
});

Deno.test("upsert observers see every written lock", () => {
  const locks = store({ t: T0 });
  const seen: string[] = [];
  const stop = locks.onUpsert((l) => seen.push(l.name));
  locks.upsert(lock("a", "r1"));
  stop();
  locks.upsert(lock("b", "r2"));
  assert.deepEqual(seen, ["a"]);
});
