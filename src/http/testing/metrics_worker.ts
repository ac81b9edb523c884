/**
 * Worker entry for the permission test: records a few metrics and posts back the rendered
 * text, plus whether env and file reads are really denied in this worker.
 *
 * @module
 */

import { Metrics } from "../metrics.ts";

/** What the worker posts back to its parent. */
export interface MetricsWorkerResult {
  readonly text: string;
  readonly envDenied: boolean;
  readonly readDenied: boolean;
}

function denied(attempt: () => unknown): boolean {
  try {
    attempt();
    return false;
  } catch (error) {
    return error instanceof Deno.errors.NotCapable;
  }
}

const metrics = new Metrics();
metrics.incidentCreated();
metrics.observeRequestToIncident(0.2);
metrics.pagerDutyRequest("createIncident", 201);
const result: MetricsWorkerResult = {
  text: await metrics.render(),
  envDenied: denied(() => Deno.env.get("HOME")),
  readDenied: denied(() => Deno.readTextFileSync("/proc/self/status")),
};
// The checker types `self` as a window; in a Worker it is the worker scope.
(self as unknown as { postMessage(message: MetricsWorkerResult): void }).postMessage(result);
