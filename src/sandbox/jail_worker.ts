/**
 * Worker entry: the jail a sandboxed task runs in (see `run_task.ts`). It starts the task's
 * worker with the task's permissions and passes the input, stop requests and the single answer
 * through. It holds read access to the program's code and the task's files only, so every module
 * its child loads, however it was asked for, is limited to those. No third-party imports.
 *
 * @module
 */

import { type JailInput, startWorker, TaskError } from "./run_task.ts";
import { serveTask } from "./task.ts";

serveTask(async (jail: JailInput<unknown>, { signal }) => {
  const task = startWorker<unknown, unknown>(
    new URL(jail.module),
    jail.name,
    jail.permissions,
    jail.input,
  );
  signal.addEventListener("abort", () => task.stop(String(signal.reason)), { once: true });
  try {
    return await task.result;
  } catch (error) {
    if (!(error instanceof TaskError)) throw error;
    // Keep the task's own error name and stack for the supervisor, not the jail's.
    const relayed = new Error(error.message);
    relayed.name = error.name;
    relayed.stack = error.workerStack;
    throw relayed;
  }
});
