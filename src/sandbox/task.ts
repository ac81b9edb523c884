/**
 * The worker side of a sandboxed task: wait for the input, run, answer once. A stop request
 * aborts the task's signal; the task decides how to finish.
 *
 * @module
 */

import type { FromWorker, ToWorker } from "./protocol.ts";

/** What a task gets besides its input. */
export interface TaskContext {
  /** Aborted when the supervisor asks for a graceful stop; `reason` is e.g. "SIGTERM". */
  readonly signal: AbortSignal;
}

/**
 * Serves one task in this worker: runs `task` on the supervisor's input and posts its result,
 * or its error as one message.
 */
export function serveTask<I, O>(task: (input: I, context: TaskContext) => Promise<O>): void {
  const scope = self as unknown as {
    onmessage: ((event: MessageEvent<ToWorker<I>>) => void) | null;
    postMessage(message: FromWorker<O>): void;
  };
  const stop = new AbortController();
  let started = false;
  scope.onmessage = (event) => {
    const message = event.data;
    if (message.type === "stop") {
      stop.abort(message.reason);
      return;
    }
    if (started) return;
    started = true;
    task(message.input, { signal: stop.signal }).then(
      (output) => scope.postMessage({ type: "done", output }),
      (error: unknown) =>
        scope.postMessage({
          type: "failed",
          message: error instanceof Error ? error.message : String(error),
          stack: error instanceof Error ? error.stack : undefined,
          name: error instanceof Error ? error.name : "Error",
        }),
    );
  };
}
