/**
 * Shared pieces of the reliability end-to-end tests: requests routed to the demo account's
 * notification service, the end-state invariants checked against both fakes (one incident per
 * request by `incident_key`, resolved exactly when the request finished, with the right notes),
 * waiting for them, and a seeded PRNG so a failing random run can be replayed.
 *
 * @module
 */

import { decodeRecord, PLUGIN_NAME, type RequestRecord } from "../src/app/plugin_data.ts";
import { incidentKey } from "../src/app/messages.ts";
import type { IncidentRecord } from "../src/fakes/pagerduty/mod.ts";
import type { World } from "../src/fakes/world.ts";
import type { AccessRequest } from "../src/teleport/types.ts";

/** The demo account's notification service. */
export const NOTIFY = "Teleport Access Requests";

/** A requester who is never on call, so auto-approval never decides for the test. */
export const REQUESTER = "erin@example.com";

/** How a request should end up. */
export type Outcome = "pending" | "approved" | "denied" | "expired";

/** Creates a pending request routed to {@linkcode NOTIFY}. */
export function createRequest(
  world: World,
  fields: Partial<Parameters<World["auth"]["createAccessRequest"]>[0]> = {},
): AccessRequest {
  return world.auth.createAccessRequest({
    user: REQUESTER,
    roles: ["editor"],
    reason: "reliability run",
    systemAnnotations: { pagerduty_notify_service: [NOTIFY] },
    ...fields,
  });
}

/** The service's record on a request (plugin data outlives an expired request). */
export function recordOf(world: World, id: string): RequestRecord {
  return decodeRecord(world.auth.pluginData(id, PLUGIN_NAME));
}

/** Every incident PagerDuty holds for a request, found by the Go plugin's incident key. */
export function incidentsOf(world: World, id: string): readonly IncidentRecord[] {
  return world.pagerduty.account.incidentsWithKey(incidentKey(id));
}

/** Counts non-overlapping occurrences of `needle` in `text`. */
function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/**
 * What is wrong with one request's end state, or undefined when nothing is: exactly one
 * incident in total (so none open twice either), recorded in the plugin data; open while the
 * request is pending; resolved, recorded as resolved, and noted exactly once with the outcome
 * (in the last note) when it finished; every review noted exactly once. With `notesOnce` false,
 * notes need only be there (at least once).
 */
export function problemOf(
  world: World,
  id: string,
  outcome: Outcome,
  reviewAuthors: readonly string[] = [],
  notesOnce = true,
): string | undefined {
  const incidents = incidentsOf(world, id);
  if (incidents.length !== 1) {
    const open = incidents.filter((i) => i.status !== "resolved").length;
    return `request ${id} has ${incidents.length} incident(s), ${open} open`;
  }
  const [incident] = incidents;
  const record = recordOf(world, id);
  if (record.incidentId !== incident.id) {
    return `request ${id} records incident "${record.incidentId}" but PagerDuty has ${incident.id}`;
  }
  if (outcome === "pending") {
    return incident.status === "resolved"
      ? `pending request ${id} has a resolved incident`
      : undefined;
  }
  if (incident.status !== "resolved") {
    return `${outcome} request ${id} has incident ${incident.id} still ${incident.status}`;
  }
  if (record.resolution !== outcome) {
    return `${outcome} request ${id} is recorded as "${record.resolution}"`;
  }
  const notes = incident.notes.map((n) => n.content);
  const all = notes.join("\n\n");
  const outcomeLine = `Access request has been ${outcome}`;
  const right = (n: number) => notesOnce ? n === 1 : n >= 1;
  if (!right(count(all, outcomeLine)) || !notes.at(-1)?.includes(outcomeLine)) {
    return `${outcome} request ${id} should have its outcome once, last, in notes ${
      JSON.stringify(notes)
    }`;
  }
  for (const author of reviewAuthors) {
    if (!right(count(all, `${author} reviewed the request`))) {
      return `request ${id} should note ${author}'s review once, in notes ${JSON.stringify(notes)}`;
    }
  }
  return undefined;
}

/** What a set of requests should look like in the end. */
export type Expectations = ReadonlyMap<
  string,
  { readonly outcome: Outcome; readonly reviewers?: readonly string[] }
>;

/** Every problem with the expected end states, at most `limit` of them. */
export function problemsOf(
  world: World,
  expected: Expectations,
  options: { limit?: number; notesOnce?: boolean } = {},
): string[] {
  const limit = options.limit ?? 5;
  const problems: string[] = [];
  for (const [id, { outcome, reviewers }] of expected) {
    const problem = problemOf(world, id, outcome, reviewers, options.notesOnce);
    if (problem !== undefined) problems.push(problem);
    if (problems.length >= limit) break;
  }
  return problems;
}

/**
 * Waits until every expectation holds (checked every `pollMs`), then returns; throws with the
 * remaining problems after `timeoutMs`, and with incidents nobody expected. `notesOnce` (true by
 * default) asks for every note exactly once, see {@linkcode problemOf}.
 */
export async function settle(
  world: World,
  expected: Expectations,
  options: { timeoutMs?: number; pollMs?: number; what?: string; notesOnce?: boolean } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let problems = problemsOf(world, expected, options);
  while (problems.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 50));
    problems = problemsOf(world, expected, options);
  }
  if (problems.length > 0) {
    throw new Error(
      `${options.what ?? "The requests"} did not settle:\n  ${problems.join("\n  ")}`,
    );
  }
  const strays = world.pagerduty.incidents().filter((i) => {
    const id = i.incidentKey?.replace(/^teleport-access-request\//, "");
    return id === undefined || !expected.has(id);
  });
  if (strays.length > 0) {
    throw new Error(`Incidents for no expected request: ${strays.map((i) => i.incidentKey)}`);
  }
}

/** Mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed from `RELIABILITY_SEED` when set (to replay a failure), else a fresh one. */
export function seedFromEnv(): number {
  const given = Deno.env.get("RELIABILITY_SEED");
  if (given !== undefined && given !== "") return Number(given) >>> 0;
  return crypto.getRandomValues(new Uint32Array(1))[0];
}
