/**
 * The supervisor side of a sandboxed task: start a worker with exactly the given permissions,
 * send the input, and turn its single answer into a promise. No third-party code: this runs on
 * the main thread, which holds the broad permissions the workers are carved from.
 *
 * A worker limited to a list of files is started inside a jail worker (`jail_worker.ts`). Deno
 * loads the modules a worker's code names (its imports, and every `import("…")` with a literal
 * specifier, fetched while it builds the module graph) with the worker's parent's read
 * permission, not the worker's own; with the supervisor as the parent that is the whole disk, so
 * `import("file:///any.json", { with: { type: "json" } })` returned any JSON file and a parse
 * error quoted any other. The jail, whose read permission is only the program's own code and the
 * task's files, is the parent instead.
 *
 * @module
 */

import { jailPermissions, type SandboxPermissions, workerOptions } from "./permissions.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";

/** What the jail worker is asked to run. */
export interface JailInput<I> {
  /** The task's worker entry, as a URL. */
  readonly module: string;
  readonly name: string;
  readonly permissions: SandboxPermissions;
  readonly input: I;
}

const JAIL_WORKER = new URL("./jail_worker.ts", import.meta.url);

/** A task that failed inside its worker; `message` is the worker's one-sentence message. */
export class TaskError extends Error {
  /** The stack inside the worker, for --debug. */
  readonly workerStack: string | undefined;

  /** Wraps a failure reported by (or about) a worker. */
  constructor(name: string, message: string, workerStack?: string) {
    super(message);
    this.name = name;
    this.workerStack = workerStack;
  }
}

/** A task running in its own worker. */
export interface RunningTask<O> {
  /** Settles once: the task's output, or a {@link TaskError}. The worker is gone by then. */
  readonly result: Promise<O>;
  /** Asks the task to stop gracefully (the worker logs `reason`). */
  stop(reason: string): void;
  /** Ends the worker at once; `result` rejects if it had not settled. */
  terminate(): void;
}

/**
 * Starts `module` (a worker entry calling `serveTask`) in a worker holding `permissions`, and
 * hands it `input`. Unless `permissions` grant reading every file, the worker runs inside a jail
 * (see the module comment); either way its result, errors and stops behave the same.
 *
 * @throws {Error} synchronously when the permissions exceed this thread's (Deno refuses to
 *   escalate), which means the process was started without the flags in `src/sandbox/flags.ts`.
 */
export function startTask<I, O>(
  module: URL,
  name: string,
  permissions: SandboxPermissions,
  input: I,
): RunningTask<O> {
  if (permissions.read === true) return startWorker(module, name, permissions, input);
  return startWorker<JailInput<I>, O>(JAIL_WORKER, name, jailPermissions(permissions), {
    module: module.href,
    name,
    permissions,
    input,
  });
}

/**
 * Starts `module` in a worker holding exactly `permissions`, without a jail: for the jail itself
 * and for workers that may read every file anyway.
 */
export function startWorker<I, O>(
  module: URL,
  name: string,
  permissions: SandboxPermissions,
  input: I,
): RunningTask<O> {
  const worker = new Worker(module, workerOptions(name, permissions));
  let settle: { resolve(o: O): void; reject(e: Error): void } | undefined;
  const result = new Promise<O>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const finish = (outcome: { output: O } | { error: Error }) => {
    if (settle === undefined) return;
    const { resolve, reject } = settle;
    settle = undefined;
    worker.terminate();
    if ("output" in outcome) resolve(outcome.output);
    else reject(outcome.error);
  };
  worker.onmessage = (event: MessageEvent<FromWorker<O>>) => {
    const message = event.data;
    if (message.type === "done") finish({ output: message.output });
    else finish({ error: new TaskError(message.name, message.message, message.stack) });
  };
  worker.onerror = (event: ErrorEvent) => {
    // An uncaught error in the worker: keep it from taking the supervisor down with it.
    event.preventDefault();
    finish({ error: new TaskError("WorkerError", event.message) });
  };
  worker.postMessage({ type: "start", input } satisfies ToWorker<I>);
  return {
    result,
    stop: (reason) => worker.postMessage({ type: "stop", reason } satisfies ToWorker<I>),
    terminate: () =>
      finish({ error: new TaskError("TerminatedError", `the ${name} worker was stopped`) }),
  };
}
