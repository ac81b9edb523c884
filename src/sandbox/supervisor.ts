/**
 * Runs the service in its sandboxed worker and handles SIGTERM / SIGINT on the main thread: the
 * first signal asks the worker to stop gracefully (in-flight work finishes or is safely
 * abandoned), a second one, or the grace period running out, ends it at once.
 *
 * @module
 */

import type { SandboxPermissions } from "./permissions.ts";
import { startTask, type TaskError } from "./run_task.ts";
import type { ServiceInput } from "./service_input.ts";
import { boundedDelay } from "../timers.ts";

/**
 * How long a graceful stop may take before the service is ended anyway. The service itself
 * abandons running work after 15 s (the Go plugin's bound; `SHUTDOWN_GRACE_MS` in
 * `src/app/service.ts`) and then closes its connections; this is the backstop beyond that.
 */
export const DEFAULT_GRACE_MS = 20_000;

/** The signals that stop the service. */
export const STOP_SIGNALS = ["SIGTERM", "SIGINT"] as const;

/** One of {@link STOP_SIGNALS}. */
export type StopSignal = typeof STOP_SIGNALS[number];

/** How the service ended. */
export type ServiceOutcome =
  /** It returned: after a graceful stop (`signal` set) or on its own. */
  | { readonly kind: "stopped"; readonly signal?: StopSignal }
  /** It failed; the error's message is one operator-readable sentence. */
  | { readonly kind: "failed"; readonly error: TaskError }
  /** It was ended without waiting, by a second signal or after the grace period. */
  | {
    readonly kind: "forced";
    readonly signal: StopSignal;
    readonly why: "second-signal" | "timeout";
  };

/** What {@link superviseService} runs and how. */
export interface SuperviseOptions {
  readonly input: ServiceInput;
  readonly permissions: SandboxPermissions;
  /** The worker entry; the real service unless a test substitutes a stand-in. */
  readonly module?: URL;
  readonly graceMs?: number;
  /** Told about each stop signal, e.g. to print a line. */
  readonly onSignal?: (signal: StopSignal, phase: "graceful" | "forced") => void;
}

/**
 * Starts the service worker and resolves when it has ended, however it ended.
 *
 * @throws {Error} when the worker cannot be created (the process lacks the permissions to grant).
 */
export async function superviseService(options: SuperviseOptions): Promise<ServiceOutcome> {
  const task = startTask<ServiceInput, void>(
    options.module ?? new URL("./service_worker.ts", import.meta.url),
    "service",
    options.permissions,
    options.input,
  );
  // The worker's permissions were fixed when it was created; this thread needs no network or
  // write access from now on, so it gives them up. Read stays: under `deno run` the worker's
  // modules are loaded with this thread's read permission.
  Deno.permissions.revokeSync({ name: "net" });
  Deno.permissions.revokeSync({ name: "write" });
  let stopping: StopSignal | undefined;
  let forced: Extract<ServiceOutcome, { kind: "forced" }> | undefined;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const force = (signal: StopSignal, why: "second-signal" | "timeout") => {
    forced ??= { kind: "forced", signal, why };
    task.terminate();
  };
  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = () => {
      if (stopping === undefined) {
        stopping = signal;
        options.onSignal?.(signal, "graceful");
        task.stop(signal);
        graceTimer = setTimeout(
          () => force(signal, "timeout"),
          boundedDelay(options.graceMs ?? DEFAULT_GRACE_MS),
        );
      } else {
        options.onSignal?.(signal, "forced");
        force(signal, "second-signal");
      }
    };
    Deno.addSignalListener(signal, listener);
    return () => Deno.removeSignalListener(signal, listener);
  });
  try {
    await task.result;
    return { kind: "stopped", signal: stopping };
  } catch (error) {
    if (forced !== undefined) return forced;
    return { kind: "failed", error: error as TaskError };
  } finally {
    clearTimeout(graceTimer);
    for (const remove of listeners) remove();
  }
}
