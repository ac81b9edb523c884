/**
 * The demo's closing figures, read back from the fakes' state after the last step (not counted
 * along the way, and nothing assumed from the script).
 *
 * @module
 */

import { PLUGIN_NAME } from "../app/plugin_data.ts";
import { PLUGIN_USER, type World } from "../fakes/world.ts";
import { approvedForIncident, decidedInPagerDuty } from "./timeline.ts";

/** What the fakes hold at the end. */
export interface DemoSummary {
  readonly incidentsOpened: number;
  readonly incidentsResolved: number;
  readonly notes: number;
  readonly requests: number;
  /** Requests by final Teleport state; deleted requests (expired) count as "deleted". */
  readonly requestStates: Readonly<Record<string, number>>;
  /** Reviews the service's own Teleport user submitted by auto-approval. */
  readonly autoApprovals: number;
  /** Reviews it submitted for responders of a cited incident. */
  readonly incidentApprovals: number;
  /** Reviews it submitted for responders who decided in PagerDuty. */
  readonly responderDecisions: number;
  /** The service's `resolution` plugin data key, by value, over the demo's requests. */
  readonly resolutions: Readonly<Record<string, number>>;
  /** Requests whose access a lock in the fake Auth Service ended, by the service's `locked` key. */
  readonly locks: Readonly<Record<string, number>>;
}

/** Reads the summary of the demo's `requestIds` from `world`. */
export function summarize(world: World, requestIds: readonly string[]): DemoSummary {
  const incidents = world.pagerduty.incidents();
  const requestStates: Record<string, number> = {};
  const resolutions: Record<string, number> = {};
  const locks: Record<string, number> = {};
  let autoApprovals = 0;
  let incidentApprovals = 0;
  let responderDecisions = 0;
  for (const id of requestIds) {
    const request = world.auth.request(id);
    const state = request?.state ?? "deleted";
    requestStates[state] = (requestStates[state] ?? 0) + 1;
    for (const review of request?.reviews ?? []) {
      if (review.author !== PLUGIN_USER) continue;
      if (decidedInPagerDuty(review.reason)) responderDecisions++;
      else if (approvedForIncident(review.reason)) incidentApprovals++;
      else autoApprovals++;
    }
    const resolution = world.auth.pluginData(id, PLUGIN_NAME)?.resolution ?? "none";
    resolutions[resolution] = (resolutions[resolution] ?? 0) + 1;
    if (world.auth.isRequestLocked(id)) {
      const reason = world.auth.pluginData(id, PLUGIN_NAME)?.locked ?? "unrecorded";
      locks[reason] = (locks[reason] ?? 0) + 1;
    }
  }
  return {
    incidentsOpened: incidents.length,
    incidentsResolved: incidents.filter((i) => i.status === "resolved").length,
    notes: incidents.reduce((sum, i) => sum + i.notes.length, 0),
    requests: requestIds.length,
    requestStates,
    autoApprovals,
    incidentApprovals,
    responderDecisions,
    resolutions,
    locks,
  };
}

/** The summary as label/value rows. */
export function summaryRows(summary: DemoSummary): Array<[string, string]> {
  const open = summary.incidentsOpened - summary.incidentsResolved;
  return [
    [
      "PagerDuty incidents",
      `${summary.incidentsOpened} opened, ${summary.incidentsResolved} resolved, ${open} open; ` +
      `${plural(summary.notes, "note")}`,
    ],
    ["Teleport requests", `${summary.requests} created: ${counts(summary.requestStates)}`],
    ["Auto-approvals", `${summary.autoApprovals} (reviews submitted by ${PLUGIN_USER})`],
    [
      "Incident access",
      `${summary.incidentApprovals} (reviews submitted by ${PLUGIN_USER} for incident responders)`,
    ],
    [
      "Decided in PagerDuty",
      `${summary.responderDecisions} (reviews submitted by ${PLUGIN_USER} for on-call responders)`,
    ],
    ["Plugin data", `resolution ${counts(summary.resolutions)}`],
    [
      "Locks",
      Object.keys(summary.locks).length === 0
        ? "none"
        : `${Object.values(summary.locks).reduce((a, b) => a + b, 0)} requests locked: ${
          counts(summary.locks)
        }`,
    ],
  ];
}

function counts(map: Readonly<Record<string, number>>): string {
  return Object.entries(map)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `${key.toLowerCase()} ${n}`)
    .join(", ");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
