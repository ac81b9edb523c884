import assert from "node:assert/strict";
import type { FakePagerDuty } from "../fakes/pagerduty/mod.ts";
import { BOT, client, withFakePagerDuty } from "../testing/pagerduty_harness.ts";

const HOUR = 3_600_000;

/** A bot, responders Alice and Bob, services Checkout and Payments, one policy each. */
function seed(pd: FakePagerDuty) {
  const bot = pd.addUser({ name: "Teleport Bot", email: BOT });
  const alice = pd.addUser({ name: "Alice", email: "alice@example.com" });
  const bob = pd.addUser({ name: "Bob", email: "bob@example.com" });
  const checkoutPolicy = pd.addEscalationPolicy({ name: "Checkout", levels: [{ userIds: [] }] });
  const paymentsPolicy = pd.addEscalationPolicy({ name: "Payments" });
  const checkout = pd.addService({ name: "Checkout", escalationPolicyId: checkoutPolicy.id });
  const payments = pd.addService({ name: "Payments", escalationPolicyId: paymentsPolicy.id });
  return { bot, alice, bob, checkoutPolicy, checkout, payments };
}

Deno.test("getIncident reads the service name, the assignees and the joined responders", async () => {
  await withFakePagerDuty({ subdomain: "acme" }, async (pd) => {
    const { alice, bob, checkout } = seed(pd);
    const opened = pd.act((account, now) =>
      account.createIncident(
        { title: "Checkout DB latency", serviceId: checkout.id, assigneeIds: [alice.id] },
        alice.id,
        now,
      )
    );
    pd.act((account, now) => account.requestResponder(opened.id, bob.id, alice.id, now));
    const api = client(pd);
    const pending = await api.getIncident(opened.id);
    assert.deepEqual(pending.acceptedResponderIds, [], "asked is not accepted");
    pd.act((account, now) => account.answerResponder(opened.id, bob.id, "joined", now));
    const incident = await api.getIncident(opened.id);
    assert.equal(incident.number, opened.number);
    assert.equal(incident.title, "Checkout DB latency");
    assert.equal(incident.status, "acknowledged", "self-assigned incidents start acknowledged");
    assert.equal(incident.serviceId, checkout.id);
    assert.equal(incident.serviceName, "Checkout");
    assert.equal(incident.htmlUrl, `https://acme.pagerduty.com/incidents/${opened.id}`);
    assert.deepEqual(incident.assigneeIds, [alice.id]);
    assert.deepEqual(incident.acceptedResponderIds, [bob.id]);
    // Resolution empties the assignments, as PagerDuty does.
    pd.updateIncidentAs(opened.id, alice.id, { status: "resolved" });
    const resolved = await api.getIncident(opened.id);
    assert.equal(resolved.status, "resolved");
    assert.deepEqual(resolved.assigneeIds, []);
  });
});

Deno.test("listOpenIncidents lists the open incidents of the services, of any age, in one call", async () => {
  let now = Date.UTC(2026, 0, 1);
  await withFakePagerDuty({ clock: () => now }, async (pd) => {
    const { alice, checkout, payments } = seed(pd);
    const other = pd.addService({ name: "Other", escalationPolicyId: checkout.escalationPolicyId });
    const open = (serviceId: string, title: string) =>
      pd.act((account, at) => account.createIncident({ title, serviceId }, alice.id, at));
    const old = open(checkout.id, "old but open");
    now += 40 * 24 * HOUR; // older than PagerDuty's default one-month window
    const acked = open(payments.id, "acknowledged");
    pd.updateIncidentAs(acked.id, alice.id, { status: "acknowledged" });
    const resolved = open(checkout.id, "resolved");
    pd.updateIncidentAs(resolved.id, alice.id, { status: "resolved" });
    open(other.id, "elsewhere");
    const api = client(pd);
    const listed = await api.listOpenIncidents([checkout.id, payments.id, checkout.id]);
    assert.deepEqual(listed.map((i) => i.id).sort(), [old.id, acked.id].sort());
    const [call] = pd.callsTo("listIncidents");
    assert.deepEqual(call.query["statuses[]"], ["triggered", "acknowledged"]);
    assert.deepEqual(call.query["service_ids[]"], [checkout.id, payments.id]);
    assert.deepEqual(call.query.date_range, ["all"]);
    assert.equal(pd.callsTo("listIncidents").length, 1);
    assert.deepEqual(await api.listOpenIncidents([]), [], "no services, no call");
    assert.equal(pd.callsTo("listIncidents").length, 1);
  });
});

Deno.test("listOnCalls at an instant sends it as since and until, so a later shift is seen", async () => {
  const t0 = Date.UTC(2026, 0, 1, 8);
  await withFakePagerDuty({ clock: () => t0 }, async (pd) => {
    const { alice, checkoutPolicy } = seed(pd);
    const schedule = pd.addSchedule({ name: "Checkout primary" });
    const shift = (start: number, end: number) =>
      pd.putOnCall({
        userId: alice.id,
        escalationPolicyId: checkoutPolicy.id,
        scheduleId: schedule.id,
        start: new Date(start),
        end: new Date(end),
      });
    shift(t0 - HOUR, t0 + HOUR);
    shift(t0 + HOUR, t0 + 9 * HOUR); // back to back
    const api = client(pd);
    const query = { userId: alice.id, escalationPolicyIds: [checkoutPolicy.id] };
    const nowEntries = await api.listOnCalls(query);
    assert.deepEqual(nowEntries.map((e) => e.end), [new Date(t0 + HOUR)]);
    const later = await api.listOnCalls({ ...query, at: new Date(t0 + HOUR) });
    assert.deepEqual(later.map((e) => e.end), [new Date(t0 + 9 * HOUR)]);
    const calls = pd.callsTo("listOnCalls");
    assert.equal(calls[0].query.since, undefined);
    assert.deepEqual(calls[1].query.since, [new Date(t0 + HOUR).toISOString()]);
    assert.deepEqual(calls[1].query.until, [new Date(t0 + HOUR).toISOString()]);
  });
});

Deno.test("an on-call entry with an odd end is kept, its end unreadable", async () => {
  await withFakePagerDuty({}, async (pd) => {
    const { alice, checkoutPolicy } = seed(pd);
    pd.putOnCall({ userId: alice.id, escalationPolicyId: checkoutPolicy.id, endText: "soon" });
    const entries = await client(pd).listOnCalls({
      userId: alice.id,
      escalationPolicyIds: [checkoutPolicy.id],
    });
    assert.deepEqual(entries.map((e) => e.end), ["unreadable"]);
  });
});
