import assert from "node:assert/strict";
import { Waiters } from "./waiters.ts";

Deno.test("waitFor resolves at once with a condition that already holds", async () => {
  const waiters = new Waiters("the fake", "in the fake");
  assert.equal(await waiters.waitFor(() => 42), 42);
});

Deno.test("waitFor resolves with the value of the first change that meets the condition", async () => {
  const waiters = new Waiters("the fake", "in the fake");
  let state = 0;
  const waiting = waiters.waitFor(() => state >= 2 && `state ${state}`);
  state = 1;
  waiters.changed();
  state = 2;
  waiters.changed();
  assert.equal(await waiting, "state 2");
});

Deno.test("a condition that throws on an intermediate state is simply not met yet", async () => {
  const waiters = new Waiters("the fake", "in the fake");
  let items: string[] | undefined = [];
  const waiting = waiters.waitFor(() => items!.length > 0 && items![0]);
  items = undefined;
  waiters.changed();
  items = ["first"];
  waiters.changed();
  assert.equal(await waiting, "first");
});

Deno.test("waitFor rejects naming the condition and the fake after its timeout", async () => {
  const waiters = new Waiters("the fake Auth server", "on the fake Auth server");
  await assert.rejects(
    waiters.waitFor(() => false, { timeoutMs: 1, description: "a miracle" }),
    /Timed out after 1 ms waiting for a miracle on the fake Auth server\./,
  );
});

Deno.test("close rejects every pending wait, saying the fake stopped", async () => {
  const waiters = new Waiters("the fake PagerDuty", "in the fake PagerDuty");
  const waiting = waiters.waitFor(() => false, { description: "an incident" });
  waiters.close();
  await assert.rejects(waiting, /Stopped waiting for an incident: the fake PagerDuty stopped\./);
});
