/**
 * Starts the listener on an address and stops it again, reporting where it bound or why it
 * could not start. Used by the permission tests, inside a Worker or a narrow subprocess.
 *
 * @module
 */

import { HttpServerError } from "../http/errors.ts";
import { Health } from "../http/health.ts";
import { Metrics } from "../http/metrics.ts";
import { startHttpServer } from "../http/server.ts";

/** Where the listener bound, or the error it failed with. */
export type ListenResult =
  | { readonly ok: true; readonly hostname: string; readonly port: number }
  | { readonly ok: false; readonly error: string; readonly key?: string };

/** Starts the listener on `listenAddr`, shuts it down, and reports the outcome. */
export async function listenOnce(listenAddr: string): Promise<ListenResult> {
  const controller = new AbortController();
  try {
    const server = await startHttpServer({
      listenAddr,
      metrics: new Metrics(),
      health: new Health(),
      signal: controller.signal,
    });
    controller.abort();
    await server.finished;
    return { ok: true, hostname: server.hostname, port: server.port };
  } catch (error) {
    return {
      ok: false,
      error: error instanceof Error ? error.message : String(error),
      key: error instanceof HttpServerError ? error.key : undefined,
    };
  }
}
