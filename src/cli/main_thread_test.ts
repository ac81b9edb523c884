import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

interface Dependency {
  readonly code?: { readonly specifier: string };
  readonly isDynamic?: boolean;
}

interface ModuleInfo {
  readonly specifier: string;
  readonly dependencies?: readonly Dependency[];
}

/**
 * The supervisor thread holds broad read/net/write so it can grant narrower sets to the
 * workers; it must therefore run only this project's own code. Walks the modules main.ts loads
 * for execution (type-only and dynamic imports excluded) and rejects anything third-party.
 */
Deno.test("the main thread loads no third-party code, only our modules and node:/Deno built-ins", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT.pathname,
    stdout: "piped",
  }).output();
  assert.equal(output.code, 0);
  const info = JSON.parse(new TextDecoder().decode(output.stdout));
  const modules = new Map<string, ModuleInfo>(
    (info.modules as ModuleInfo[]).map((m) => [m.specifier, m]),
  );
  const loaded = new Set<string>();
  const queue = [new URL("main.ts", ROOT).href];
  while (queue.length > 0) {
    const specifier = queue.pop()!;
    if (loaded.has(specifier)) continue;
    loaded.add(specifier);
    for (const dependency of modules.get(specifier)?.dependencies ?? []) {
      if (dependency.code !== undefined && !dependency.isDynamic) {
        queue.push(dependency.code.specifier);
      }
    }
  }
  const foreign = [...loaded].filter((s) =>
    !(s.startsWith(new URL("src/", ROOT).href) || s === new URL("main.ts", ROOT).href ||
      s.startsWith("node:"))
  );
  assert.deepEqual(foreign, []);
  // The walk really followed the graph: the supervisor and the config loader are on it.
  assert.ok(loaded.has(new URL("src/sandbox/supervisor.ts", ROOT).href));
  assert.ok(loaded.has(new URL("src/sandbox/config_loader.ts", ROOT).href));
});
