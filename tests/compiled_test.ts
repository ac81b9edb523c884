/**
 * The compiled binary, built by `deno task compile` with the shipped flags baked in. Building
 * needs denort for this platform, which cannot be downloaded here (see scripts/compile.ts);
 * where it is missing, this test is skipped and its name says why.
 */

import assert from "node:assert/strict";
import { findDenort } from "../scripts/compile.ts";
import { REPO_ROOT } from "../src/testing/deno_process.ts";
import { EXAMPLE_CONFIG } from "../src/config/example.ts";
import { nextSteps } from "../src/demo/demo.ts";
import { VERSION } from "../src/version.ts";

const denort = await findDenort();

async function run(binary: string, args: string[]) {
  const output = await new Deno.Command(binary, { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}

Deno.test({
  name: denort.found
    ? "the compiled binary runs every command with its baked-in permissions"
    : `the compiled binary (skipped: ${denort.reason})`,
  ignore: !denort.found,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const binary = `${dir}/teleport-pagerduty`;
      const build = await new Deno.Command(Deno.execPath(), {
        args: ["task", "compile", "--output", binary],
        cwd: REPO_ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
      const version = await run(binary, ["version"]);
      assert.match(version.stdout, new RegExp(`^teleport-pagerduty v${VERSION} git:\\S+ deno `));
      assert.equal((await run(binary, ["configure"])).stdout, EXAMPLE_CONFIG);
      await Deno.writeTextFile(`${dir}/bad.toml`, `[teleport]\naddr = "nope"\n`);
      // Loading the config runs the config worker: proves workers are embedded and may start.
      const bad = await run(binary, ["start", "-c", `${dir}/bad.toml`]);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /teleport\.addr "nope" must be host:port/);
      // The binary knows it is one: the demo's closing hints name it, not `deno task`.
      const demo = await run(binary, ["demo"]);
      assert.equal(demo.code, 0, demo.stderr);
      assert.ok(demo.stdout.endsWith(`${nextSteps(true).join("\n")}\n`), demo.stdout);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
