/**
 * Worker entry for the permission test: with only the net permission for its listen address,
 * it renders metrics, starts and stops the listener, and checks that env and file reads are
 * really denied, then posts the results.
 *
 * @module
 */

import { Metrics } from "../http/metrics.ts";
import { listenOnce, type ListenResult } from "./http_listen.ts";

/** What the worker posts back to its parent. */
export interface PermissionWorkerResult {
  readonly metricsText: string;
  readonly listen: ListenResult;
  readonly envDenied: boolean;
  readonly readDenied: boolean;
}

// The checker types `self` as a window; in a Worker it is the worker scope.
const scope = self as unknown as {
  postMessage(message: PermissionWorkerResult): void;
  onmessage: ((event: MessageEvent<string>) => void) | null;
};

function denied(attempt: () => unknown): boolean {
  try {
    attempt();
    return false;
  } catch (error) {
    return error instanceof Deno.errors.NotCapable;
  }
}

scope.onmessage = async (event) => {
  const metrics = new Metrics();
  metrics.incidentCreated();
  metrics.observeRequestToIncident(0.2);
  metrics.pagerDutyRequest("createIncident", 201);
  scope.postMessage({
    metricsText: await metrics.render(),
    listen: await listenOnce(event.data),
    envDenied: denied(() => Deno.env.get("HOME")),
    readDenied: denied(() => Deno.readTextFileSync("/proc/self/status")),
  });
};
