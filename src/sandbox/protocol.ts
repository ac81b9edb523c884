/**
 * Messages between the supervisor (main thread) and a sandboxed worker running one task: the
 * supervisor sends the input once and may ask for a graceful stop; the worker answers once with
 * the result or a failure.
 *
 * @module
 */

/** Supervisor → worker. */
export type ToWorker<I> =
  | { readonly type: "start"; readonly input: I }
  /** Stop gracefully; `reason` (e.g. "SIGTERM") is logged by the worker. */
  | { readonly type: "stop"; readonly reason: string };

/** Worker → supervisor, sent exactly once. */
export type FromWorker<O> =
  | { readonly type: "done"; readonly output: O }
  | {
    readonly type: "failed";
    /** One operator-readable sentence. */
    readonly message: string;
    /** Shown only with --debug. */
    readonly stack?: string;
    /** The error's class name, e.g. `ConfigError`. */
    readonly name: string;
  };
