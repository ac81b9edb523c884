/**
 * The real service task with a probe beside it in the same worker: when asked to stop, the probe
 * first tries to read files the service may not read by importing them, prints what happened as
 * one `IMPORT-PROBE <json>` line, and then lets the service stop. The files are in
 * `.import-probe/` at the repository root (outside the program's code), written by the test:
 * `secret.json`, `secret.js` (not JavaScript, so a parse error would quote it), `id_ed25519` and
 * `tp.toml` (the config). The specifiers are literals on purpose: Deno loads those while it
 * builds the worker's module graph, with its parent's read permission, not the worker's.
 *
 * @module
 */

import "../sandbox/ignore_env.ts";
import type { ServiceInput } from "../sandbox/service_input.ts";
import { runServiceTask } from "../sandbox/service_task.ts";
import { serveTask } from "../sandbox/task.ts";

/** One attempt and what came of it: `ok: <what was read>` or the error's name and message. */
export interface ImportProbeResult {
  readonly attempt: string;
  readonly outcome: string;
}

function viaModule(kind: "data" | "blob", target: string, json: boolean): string {
  const code = `import x from ${JSON.stringify(target)}${
    json ? ' with { type: "json" }' : ""
  }; export default x;`;
  return kind === "data"
    ? `data:text/javascript,${encodeURIComponent(code)}`
    : URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
}

async function probe(): Promise<ImportProbeResult[]> {
  const dir = new URL("../../.import-probe/", import.meta.url);
  // A failed import is remembered by its specifier: each computed one gets its own.
  let n = 0;
  const file = (name: string) => new URL(`${name}?attempt=${++n}`, dir).href;
  const attempts: Array<[string, () => Promise<{ default?: unknown }>]> = [
    ["own code", () => import("../sandbox/flags.ts")],
    [
      "literal json file",
      () => import("../../.import-probe/secret.json", { with: { type: "json" } }),
    ],
    ["literal js file", () => import("../../.import-probe/secret.js")],
    ["literal key file", () => import("../../.import-probe/id_ed25519")],
    ["literal config file", () => import("../../.import-probe/tp.toml")],
    ["json through data:", () => import(viaModule("data", file("secret.json"), true))],
    ["js through data:", () => import(viaModule("data", file("secret.js"), false))],
    ["key through data:", () => import(viaModule("data", file("id_ed25519"), false))],
    ["json through blob:", () => import(viaModule("blob", file("secret.json"), true))],
    ["computed json file", () => import(file("secret.json"), { with: { type: "json" } })],
    ["computed js file", () => import(file("secret.js"))],
  ];
  const results: ImportProbeResult[] = [];
  for (const [attempt, load] of attempts) {
    try {
      const module = await load();
      results.push({ attempt, outcome: `ok: ${JSON.stringify(module.default ?? module)}` });
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      results.push({ attempt, outcome: `${e.name}: ${e.message}` });
    }
  }
  return results;
}

serveTask((input: ServiceInput, context) => {
  const probed = new Promise<void>((resolve) => {
    context.signal.addEventListener("abort", async () => {
      console.log(`IMPORT-PROBE ${JSON.stringify(await probe())}`);
      resolve();
    }, { once: true });
  });
  return Promise.all([runServiceTask(input, context), probed]).then(() => {});
});
