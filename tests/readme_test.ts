/**
 * The commands the READMEs print are real: every `deno task` names a task, every
 * `teleport-pagerduty <command>` (the binary, in a container or through a CLI task) names a
 * command whose flags parse, and every link to a section finds it. `tests/hints_test.ts` runs the
 * demo's hints, which are the Quick start's commands, end to end.
 */

import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../src/testing/deno_process.ts";
import { COMMANDS } from "../src/cli/commands.ts";

const DOCS = ["README.md", "bench/README.md"];
const CLI_TASKS = ["configure", "check", "start", "demo", "version"];

/** The shell commands of a Markdown text's `sh` blocks, continuation lines joined. */
function shellCommands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  return blocks.flatMap((block) =>
    block.replace(/\\\n\s*/g, " ").split("\n").map((line) => line.replace(/\s+#.*$/, "").trim())
      .filter((line) => line !== "")
  );
}

/**
 * The words after `at` up to the end of the command (a redirect, pipe or `&&`), with quoted words
 * (`--service "Teleport Access Requests"`) kept whole, as a shell passes them.
 */
function argsFrom(line: string, at: number): string[] {
  const rest = line.slice(at).split(/\s*(?:>|\||&&|;)/)[0].trim();
  return [...rest.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** Parses `args` as `command`'s flags, as the CLI does; throws what the CLI would refuse. */
function assertParses(command: string, args: string[], where: string): void {
  const spec = COMMANDS.find((c) => c.name === command);
  assert.ok(spec, `${where}: "${command}" is a command`);
  assert.doesNotThrow(
    () =>
      parseArgs({
        args,
        options: { ...spec.options, help: { type: "boolean", short: "h" } },
        allowPositionals: spec.positionals !== undefined,
        strict: true,
      }),
    `${where}: the flags of "${command} ${args.join(" ")}" parse`,
  );
}

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").trim().replace(/\s/g, "-");
}

for (const doc of DOCS) {
  Deno.test(`${doc}: every command it prints exists, with flags that parse`, async () => {
    const text = await Deno.readTextFile(`${REPO_ROOT}${doc}`);
    const tasks = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}deno.json`)).tasks;
    let checked = 0;
    for (const line of shellCommands(text)) {
      for (const match of line.matchAll(/deno task ([a-z][a-z-]*)/g)) {
        const name = match[1];
        assert.ok(name in tasks, `${doc}: "deno task ${name}" is a task (${line})`);
        if (CLI_TASKS.includes(name)) {
          assertParses(name, argsFrom(line, match.index + match[0].length), doc);
        }
        checked++;
      }
      if (/^helm\s/.test(line)) continue;
      for (const match of line.matchAll(/(?:^|[\s/])teleport-pagerduty ([a-z][a-z-]*)/g)) {
        assertParses(match[1], argsFrom(line, match.index + match[0].length), doc);
        checked++;
      }
    }
    // Inline mentions of the tasks are real too, e.g. `deno task typecheck`.
    for (const match of text.matchAll(/`(?:\S*\/)?deno task ([a-z][a-z-]*)[^`]*`/g)) {
      assert.ok(match[1] in tasks, `${doc}: "deno task ${match[1]}" is a task`);
      checked++;
    }
    assert.ok(checked > 0, `${doc} prints commands`);
  });

  Deno.test(`${doc}: every link to a section finds its heading`, async () => {
    const text = await Deno.readTextFile(`${REPO_ROOT}${doc}`);
    const anchors = new Set(
      [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])),
    );
    for (const match of text.matchAll(/\]\(#([^)]+)\)/g)) {
      assert.ok(anchors.has(match[1]), `${doc}: #${match[1]} is a heading`);
    }
  });
}

Deno.test("the README's Quick start runs the commands the demo prints", async () => {
  const { nextSteps } = await import("../src/demo/demo.ts");
  const readme = await Deno.readTextFile(`${REPO_ROOT}README.md`);
  const start = readme.indexOf("## Quick start");
  const quickStart = readme.slice(start, readme.indexOf("\n## ", start));
  const commands = shellCommands(quickStart);
  for (const standalone of [true, false]) {
    for (const hint of nextSteps(standalone).filter((l) => l.startsWith("  "))) {
      const command = hint.replace(/\s+#.*$/, "").trim();
      assert.ok(commands.includes(command), `the Quick start has "${command}"`);
    }
  }
});
