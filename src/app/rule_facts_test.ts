import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { TeleportError, type TeleportUser } from "../teleport/types.ts";
import { RuleFacts, TRAITS_TTL_MS } from "./rule_facts.ts";

/** A `getUser` answering from `users`, or failing with `fail`, counting its calls. */
function auth(users: Record<string, TeleportUser["traits"]>, fail?: TeleportError) {
  const calls: string[] = [];
  return {
    calls,
    getUser(name: string): Promise<TeleportUser> {
      calls.push(name);
      if (fail) return Promise.reject(fail);
      const traits = users[name];
      if (traits === undefined) {
        return Promise.reject(new TeleportError("not_found", `user ${name} not found`));
      }
      return Promise.resolve({ name, roles: [], traits });
    },
  };
}

async function withLogs(body: (records: LogRecord[]) => Promise<void> | void): Promise<void> {
  const records: LogRecord[] = [];
  await configure({
    sinks: { memory: (record) => records.push(record) },
    loggers: [
      { category: ["teleport-pagerduty"], sinks: ["memory"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  try {
    await body(records);
  } finally {
    await reset();
  }
}

Deno.test("traits are read once per user while fresh, then again", async () => {
  let now = 1_000;
  const users = auth({ alice: { team: ["sre"] } });
  const facts = new RuleFacts(users, () => now);
  const [a, b] = await Promise.all([facts.userTraits("alice"), facts.userTraits("alice")]);
  assert.deepEqual(a, { team: ["sre"] });
  assert.equal(b, a);
  assert.deepEqual(users.calls, ["alice"]);
  now += TRAITS_TTL_MS;
  await facts.userTraits("alice");
  assert.deepEqual(users.calls, ["alice", "alice"]);
  assert.deepEqual(await facts.userTraits("ghost"), {}, "a user Teleport does not have");
});

Deno.test("a role that cannot read users sees no traits, and that is said once", async () => {
  await withLogs(async (records) => {
    const denied = new TeleportError("permission_denied", "access denied to perform action read");
    const facts = new RuleFacts(auth({}, denied), () => 0);
    assert.deepEqual(await facts.userTraits("alice"), {});
    assert.deepEqual(await facts.userTraits("bob"), {});
    const warnings = records.filter((r) => r.level === "warning");
    assert.equal(warnings.length, 1);
    assert.match(String(warnings[0].rawMessage), /cannot read users.*user: \[read\]/);
  });
});

Deno.test("any other failure to read the user throws and is not kept", async () => {
  const down = new TeleportError("unavailable", "connection refused");
  const users = auth({}, down);
  const facts = new RuleFacts(users, () => 0);
  await assert.rejects(() => facts.userTraits("alice"), TeleportError);
  await assert.rejects(() => facts.userTraits("alice"), TeleportError);
  assert.equal(users.calls.length, 2, "a failure is not cached");
});

Deno.test("a rule that cannot be evaluated is reported once per version of its condition", async () => {
  await withLogs((records) => {
    const facts = new RuleFacts(auth({}), () => 0);
    const rule = {
      name: "broken",
      subjects: ["access_request"],
      states: [],
      condition: "now()",
      notificationName: "pagerduty",
      recipients: ["X"],
    };
    facts.reportUnusable(rule, "unsupported function now()");
    facts.reportUnusable(rule, "unsupported function now()");
    facts.reportUnusable({ ...rule, condition: "later()" }, "unsupported function later()");
    const warnings = records.filter((r) => r.level === "warning");
    assert.equal(warnings.length, 2);
    assert.deepEqual(warnings.map((w) => w.properties.rule), ["broken", "broken"]);
  });
});
