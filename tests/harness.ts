/**
 * Runs the real service in-process against a {@linkcode World} for end-to-end tests.
 *
 * @module
 */

import { type RunningService, startService } from "../src/app/service.ts";
import { type ConfigOverrides, World, type WorldOptions } from "../src/fakes/world.ts";

/** A started service and the means to stop it. */
export interface ServiceHandle {
  readonly service: RunningService;
  /** Stops the service gracefully and waits for it. */
  stop(): Promise<void>;
}

/** Starts the service with fast retries and reconnects, suited to tests. */
export async function startTestService(
  world: World,
  overrides: ConfigOverrides = {},
): Promise<ServiceHandle> {
  const controller = new AbortController();
  const service = await startService(world.config(overrides), {
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
