/**
 * Runs the real service in-process against a {@linkcode World} for end-to-end tests, and reads
 * what it left in the fakes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { decodeRecord, PLUGIN_NAME, type RequestRecord } from "../src/app/plugin_data.ts";
import { type RunningService, startService } from "../src/app/service.ts";
import type { Config } from "../src/config/types.ts";
import type { IncidentRecord } from "../src/fakes/pagerduty/mod.ts";
import { type ConfigOverrides, World, type WorldOptions } from "../src/fakes/world.ts";

/** A started service and the means to stop it. */
export interface ServiceHandle {
  readonly service: RunningService;
  /** Stops the service gracefully and waits for it. */
  stop(): Promise<void>;
}

/**
 * Starts the service with fast retries and reconnects, suited to tests, on the world's config
 * with `overrides`, or on `config` when one is given.
 */
export async function startTestService(
  world: World,
  overrides: ConfigOverrides = {},
  config: Config = world.config(overrides),
): Promise<ServiceHandle> {
  const controller = new AbortController();
  const service = await startService(config, {
    signal: controller.signal,
    retryDelayMs: (attempt) => Math.min(20 * 2 ** attempt, 300),
    watch: { backoff: { baseMs: 10, maxMs: 200 } },
  });
  await world.auth.waitFor(() => world.auth.watcherCount > 0, {
    description: "the service watching",
  });
  let stopped: Promise<void> | undefined;
  return {
    service,
    stop: () => {
      controller.abort();
      return stopped ??= service.done;
    },
  };
}

/** Runs `body` with a fresh world and a running service; stops both afterwards. */
export async function withService(
  options: { world?: WorldOptions; config?: ConfigOverrides },
  body: (world: World, handle: ServiceHandle) => Promise<void>,
): Promise<void> {
  const world = await World.start(options.world);
  try {
    const handle = await startTestService(world, options.config);
    try {
      await body(world, handle);
    } finally {
      await handle.stop();
    }
  } finally {
    await world.stop();
  }
}

/** The service's record on the request, decoded from the fake Auth Service's plugin data. */
export function record(world: World, id: string): RequestRecord {
  return decodeRecord(world.auth.pluginData(id, PLUGIN_NAME));
}

/** Waits until the request has an incident recorded and returns it. */
export async function incidentOf(world: World, id: string): Promise<IncidentRecord> {
  await world.auth.waitFor(() => record(world, id).incidentId !== "", {
    description: `an incident recorded for ${id}`,
  });
  const incident = world.pagerduty.incident(record(world, id).incidentId);
  assert.ok(incident, "the recorded incident exists in PagerDuty");
  return incident;
}

/** Waits until the request's incident is resolved and the resolution recorded; returns it. */
export async function resolvedIncident(world: World, id: string): Promise<IncidentRecord> {
  const { id: incidentId } = await incidentOf(world, id);
  await world.pagerduty.waitFor(() => world.pagerduty.incident(incidentId)?.status === "resolved", {
    description: `incident ${incidentId} resolved`,
  });
  await world.auth.waitFor(() => record(world, id).resolution !== "", {
    description: "the resolution recorded",
  });
  return world.pagerduty.incident(incidentId)!;
}

/** The incident's notes' texts, oldest first. */
export function notesOf(incident: IncidentRecord): string[] {
  return incident.notes.map((n) => n.content);
}
