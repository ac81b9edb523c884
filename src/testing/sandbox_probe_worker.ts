/**
 * A stand-in for the service inside the sandbox: it tries each requested operation and reports
 * what happened, so tests can prove what code in a worker with a computed permission set can and
 * cannot reach.
 *
 * @module
 */

import "../sandbox/ignore_env.ts";
import { serveTask } from "../sandbox/task.ts";

/** One thing to try. */
export type Probe =
  | { readonly kind: "connect"; readonly hostname: string; readonly port: number }
  | { readonly kind: "fetch"; readonly url: string }
  | { readonly kind: "listen"; readonly hostname: string; readonly port: number }
  | { readonly kind: "read"; readonly path: string }
  | { readonly kind: "write"; readonly path: string }
  | { readonly kind: "env"; readonly name: string }
  | { readonly kind: "run" }
  | { readonly kind: "sys" }
  | { readonly kind: "grpc-js" };

/** "ok", or the name of the error the operation threw (e.g. "NotCapable"). */
export type ProbeResult = string;

async function attempt(probe: Probe): Promise<ProbeResult> {
  switch (probe.kind) {
    case "connect": {
      const conn = await Deno.connect({ hostname: probe.hostname, port: probe.port });
      conn.close();
      return "ok";
    }
    case "fetch":
      await (await fetch(probe.url)).body?.cancel();
      return "ok";
    case "listen":
      Deno.listen({ hostname: probe.hostname, port: probe.port }).close();
      return "ok";
    case "read":
      await Deno.readTextFile(probe.path);
      return "ok";
    case "write":
      await Deno.writeTextFile(probe.path, "x", { append: true });
      return "ok";
    case "env":
      return `ok:${Deno.env.get(probe.name)}`;
    case "run":
      await new Deno.Command("true").output();
      return "ok";
    case "sys":
      Deno.hostname();
      return "ok";
    case "grpc-js": {
      const grpc = await import("@grpc/grpc-js");
      const client = new grpc.Client("127.0.0.1:1", grpc.credentials.createInsecure());
      client.close();
      return "ok";
    }
  }
}

serveTask(async (probes: Probe[]) => {
  const results: ProbeResult[] = [];
  for (const probe of probes) {
    try {
      results.push(await attempt(probe));
    } catch (error) {
      results.push(error instanceof Error ? error.name : String(error));
    }
  }
  return results;
});
