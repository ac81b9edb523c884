import assert from "node:assert/strict";
import { compileArgs, runArgs, SUPERVISOR_FLAGS, WORKER_ENTRY_POINTS } from "./flags.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("deno task configure|check|start|demo|version|setup-pagerduty run main.ts with exactly the shipped flags", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  for (const command of ["configure", "check", "start", "demo", "version", "setup-pagerduty"]) {
    assert.equal(denoJson.tasks[command], `deno ${runArgs().join(" ")} ${command}`, command);
  }
  // The type checker has its own name, so `deno task check -c cfg.toml` is the CLI's check.
  assert.match(denoJson.tasks.typecheck, /^deno check /);
  assert.equal(
    denoJson.tasks.compile,
    "deno run --allow-run --allow-read --allow-write --allow-env scripts/compile.ts",
  );
});

Deno.test("the compiled binary gets the same permission flags and embeds every worker", async () => {
  const args = compileArgs("dist/x");
  for (const flag of SUPERVISOR_FLAGS) assert.ok(args.includes(flag), flag);
  for (const entry of WORKER_ENTRY_POINTS) {
    assert.equal(args[args.indexOf(entry) - 1], "--include", entry);
    await Deno.stat(new URL(entry, ROOT));
  }
  assert.deepEqual(args.slice(-3), ["--output", "dist/x", "main.ts"]);
  assert.ok(args.includes("--no-code-cache"));
  assert.ok(!SUPERVISOR_FLAGS.some((f) => /^--allow-(env|run|ffi|sys|all)|^-A$/.test(f)));
});

Deno.test("every `new Worker` entry in src/ is listed for --include", async () => {
  const found = new Set<string>();
  for await (const file of walk(new URL("src/", ROOT))) {
    if (file.pathname.includes("/src/testing/") || file.pathname.endsWith("_test.ts")) continue;
    const text = await Deno.readTextFile(file);
    for (
      const match of text.matchAll(/new URL\("(\.\/[a-z_]+_worker\.ts)", import\.meta\.url\)/g)
    ) {
      found.add(new URL(match[1], file).pathname.slice(ROOT.pathname.length));
    }
  }
  assert.deepEqual([...found].sort(), [...WORKER_ENTRY_POINTS].sort());
});

async function* walk(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* walk(url);
    else if (entry.name.endsWith(".ts")) yield url;
  }
}
