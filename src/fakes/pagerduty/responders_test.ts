import assert from "node:assert/strict";
import { Account, type AccountEvent } from "./state.ts";

const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

function setup() {
  const account = new Account();
  const alice = account.addUser({ name: "Alice", email: "alice@example.com" });
  const bob = account.addUser({ name: "Bob", email: "bob@example.com" });
  const policy = account.addEscalationPolicy({ name: "Ops" });
  account.putOnCall({ userId: alice.id, escalationPolicyId: policy.id, level: 1 });
  const service = account.addService({ name: "Ops", escalationPolicyId: policy.id }, t(0));
  const incident = account.createIncident({ title: "t", serviceId: service.id }, alice.id, t(0));
  return { account, alice, bob, incident };
}

Deno.test("a responder request is pending until answered; asking twice keeps one request", () => {
  const { account, alice, bob, incident } = setup();
  const events: AccountEvent["type"][] = [];
  account.subscribe((event) => events.push(event.type));
  account.requestResponder(incident.id, bob.id, alice.id, t(1));
  account.requestResponder(incident.id, bob.id, alice.id, t(2));
  assert.deepEqual(account.incident(incident.id)!.responders.map((r) => [r.userId, r.state]), [
    [bob.id, "pending"],
  ]);
  account.answerResponder(incident.id, bob.id, "joined", t(3));
  const answered = account.incident(incident.id)!.responders[0];
  assert.equal(answered.state, "joined");
  assert.deepEqual(answered.requestedAt, t(1));
  assert.deepEqual(answered.updatedAt, t(3));
  assert.deepEqual(events, ["incident.responder.added", "incident.responder.replied"]);
});

Deno.test("answering without a request is a driver mistake, said plainly", () => {
  const { account, bob, incident } = setup();
  assert.throws(
    () => account.answerResponder(incident.id, bob.id, "joined", t(1)),
    /was not asked to respond .* call requestResponder first/,
  );
});
