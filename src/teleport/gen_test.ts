/**
 * Fails when the committed generated code in `src/teleport/gen/` no longer matches what
 * `deno task gen` produces from `proto/`: regenerate and commit both together.
 */

import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const committedDir = join(repoRoot, "src/teleport/gen");

/** Every file below a directory, as path (relative to it) → content. */
async function readTree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (current: string): Promise<void> => {
    for await (const entry of Deno.readDir(current)) {
      const path = join(current, entry.name);
      if (entry.isDirectory) await walk(path);
      else files.set(relative(dir, path), await Deno.readTextFile(path));
    }
  };
  await walk(dir);
  return files;
}

Deno.test("the committed generated code matches proto/ (run `deno task gen` if this fails)", async () => {
  const outDir = await Deno.makeTempDir({ prefix: "teleport-gen-" });
  try {
    const buf = new Deno.Command(join(repoRoot, "node_modules/.bin/buf"), {
      args: ["generate", "--output", outDir],
      cwd: repoRoot,
      stdout: "piped",
      stderr: "piped",
    });
    const { code, stderr } = await buf.output();
    assert.equal(code, 0, `buf generate failed: ${new TextDecoder().decode(stderr)}`);

    const fresh = await readTree(join(outDir, "src/teleport/gen"));
    const committed = await readTree(committedDir);
    assert.ok(fresh.size > 0, "buf generate produced no files");
    assert.deepEqual([...committed.keys()].sort(), [...fresh.keys()].sort());
    for (const [path, content] of fresh) {
      assert.equal(committed.get(path), content, `src/teleport/gen/${path} is stale`);
    }
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});
