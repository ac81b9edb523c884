/**
 * Resolving: when a request is decided or gone, notes its remaining reviews and its outcome
 * (each exactly once, see `notes.ts`), resolves every incident with the outcome as resolution
 * text, and records the resolution last, so nothing is marked done before PagerDuty confirmed it.
 *
 * @module
 */

import type { AccessReview } from "../teleport/types.ts";
import { incidentKey, outcomeText } from "./messages.ts";
import { noteOutcome, noteReviews } from "./notes.ts";
import { type RequestRecord, type Resolution, withIncident } from "./plugin_data.ts";
import { type Change, keep, type RequestRun, write } from "./run.ts";

/** How the request ended, and its reviews when Teleport still has it. */
export interface Ending {
  readonly resolution: Exclude<Resolution, "">;
  readonly reason: string;
  /** Every review of the request; empty when it was deleted. */
  readonly reviews: readonly AccessReview[];
}

/** The record gained incidents while they were being resolved; the retry resolves them too. */
export class RecordChangedError extends Error {
  /** Creates the error naming the services that gained incidents. */
  constructor(requestId: string, serviceIds: readonly string[]) {
    super(
      `Request ${requestId} gained incidents in service(s) ${
        serviceIds.join(", ")
      } while its incidents were being resolved (another instance?); resolving again.`,
    );
    this.name = "RecordChangedError";
  }
}

/**
 * The pure record change once every incident in `incidents` is resolved: records the
 * resolution, or reports services that gained an incident meanwhile.
 */
export function recordResolution(
  current: RequestRecord,
  incidents: Readonly<Record<string, string>>,
  ending: Ending,
): Change<{ kind: "recorded" | "already" } | { kind: "changed"; serviceIds: string[] }> {
  if (current.resolution !== "") return keep({ kind: "already" });
  const handled = new Set(Object.keys(incidents));
  const added = [...Object.keys(current.incidents), ...current.opening]
    .filter((serviceId) => !handled.has(serviceId));
  if (added.length > 0) return keep({ kind: "changed", serviceIds: added });
  let next = current;
  for (const [serviceId, incidentId] of Object.entries(incidents)) {
    if (!next.incidents[serviceId]) next = withIncident(next, serviceId, incidentId);
  }
  return write({
    ...next,
    opening: [],
    resolution: ending.resolution,
    resolveReason: ending.reason,
    reviewsCount: Math.max(current.reviewsCount, ending.reviews.length),
  }, { kind: "recorded" });
}

/** Notes and resolves every incident of the request, then records how it ended. */
export async function resolveIncidents(run: RequestRun, ending: Ending): Promise<void> {
  const byService = await incidentsToResolve(run);
  const incidentIds = [...new Set(Object.values(byService))];
  await noteReviews(run, ending.reviews, incidentIds);
  await noteOutcome(run, ending, incidentIds);
  for (const incidentId of incidentIds) {
    await run.sideEffect((signal) =>
      run.deps.pagerduty.resolveIncident(
        incidentId,
        outcomeText(ending.resolution, ending.reason),
        { signal },
      )
    );
    run.deps.observer.incidentResolved(ending.resolution);
    run.log.info("Resolved incident {incident_id}: request {resolution}", {
      incident_id: incidentId,
      resolution: ending.resolution,
    });
  }
  const outcome = await run.change((current) => recordResolution(current, byService, ending));
  if (outcome.kind === "changed") throw new RecordChangedError(run.requestId, outcome.serviceIds);
}

/**
 * The recorded incidents by service, plus those of `opening` services found in PagerDuty by
 * their key (opened before a crash, never recorded).
 */
async function incidentsToResolve(run: RequestRun): Promise<Record<string, string>> {
  const record = run.record;
  const incidents: Record<string, string> = { ...record.incidents };
  for (const serviceId of record.opening) {
    if (incidents[serviceId]) continue;
    const found = await run.deps.pagerduty.findIncidentByKey(
      incidentKey(run.requestId),
      serviceId,
    );
    if (found) incidents[serviceId] = found.id;
  }
  return incidents;
}
