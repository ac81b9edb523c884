/**
 * Runs a test worker module with narrow permissions and returns the first message it posts.
 *
 * @module
 */

/** Permissions for the worker; everything not given is denied. */
export interface WorkerPermissions {
  readonly net?: string[] | false;
}

/**
 * Starts `moduleUrl` as a Worker with only `permissions.net` (no env, sys, read, write, run,
 * ffi or import), sends it `input`, and resolves with its first message; rejects with the
 * worker's error if it fails first. The worker is always terminated.
 */
export async function runWorker<T>(
  moduleUrl: URL,
  permissions: WorkerPermissions,
  input?: unknown,
): Promise<T> {
  const worker = new Worker(moduleUrl, {
    type: "module",
    deno: {
      permissions: {
        net: permissions.net ?? false,
        env: false,
        sys: false,
        read: false,
        write: false,
        run: false,
        ffi: false,
        import: false,
      },
    },
  });
  try {
    return await new Promise<T>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<T>) => resolve(event.data);
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        reject(new Error(`worker failed: ${event.message}`));
      };
      if (input !== undefined) worker.postMessage(input);
    });
  } finally {
    worker.terminate();
  }
}
