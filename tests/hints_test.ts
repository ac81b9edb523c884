/**
 * The demo's closing hints, run as printed from a source checkout: `configure` writes the
 * config, the operator fills in [teleport] and [pagerduty] (here: the fakes), `check` passes and
 * `start` runs the service until SIGTERM. The hints run in a directory laid out like a checkout
 * (links to this one's files), so the relative paths they print are exercised too.
 */

import assert from "node:assert/strict";
import { REPO_ROOT, type Running } from "../src/testing/deno_process.ts";
import { HINT_CONFIG, nextSteps } from "../src/demo/demo.ts";
import { World } from "../src/fakes/world.ts";

/** The shell commands among the hint lines, without their `# …` notes. */
function hintCommands(lines: readonly string[]): string[] {
  return lines.filter((line) => line.startsWith("  ")).map((line) =>
    line.replace(/\s+#.*$/, "").trim()
  );
}

/** One hint as argv plus an optional `> file`: they use no other shell syntax. */
function parse(command: string): { argv: string[]; stdoutTo?: string } {
  const words = command.split(/\s+/);
  const redirect = words.indexOf(">");
  assert.ok(
    words.every((w) => !/[|;&<$`'"]/.test(w)),
    `a hint needs only words and > (${command})`,
  );
  return redirect < 0
    ? { argv: words }
    : { argv: words.slice(0, redirect), stdoutTo: words[redirect + 1] };
}

/** Starts a hint in `cwd`, as a shell would. */
function spawn(command: string, cwd: string): Running {
  const { argv, stdoutTo } = parse(command);
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const text = { stdout: "", stderr: "" };
  const pump = async (stream: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text[key] += chunk;
  };
  const done = Promise.all([
    child.status,
    pump(child.stdout, "stdout"),
    pump(child.stderr, "stderr"),
  ])
    .then(async ([status]) => {
      if (stdoutTo !== undefined) await Deno.writeTextFile(`${cwd}/${stdoutTo}`, text.stdout);
      return { code: status.code, stdout: text.stdout, stderr: text.stderr };
    });
  return {
    waitFor: async (needle) => {
      const seen = () => text.stderr.includes(needle) || text.stdout.includes(needle);
      while (!seen()) {
        const ended = await Promise.race([
          done.then(() => true),
          new Promise<false>((resolve) => setTimeout(() => resolve(false), 50)),
        ]);
        if (ended && !seen()) {
          throw new Error(`"${command}" ended before printing ${needle}:\n${text.stderr}`);
        }
      }
    },
    stderrSoFar: () => text.stderr,
    kill: (signal) => child.kill(signal),
    finished: () => done,
  };
}

/** A directory that looks like a checkout: links to this one's files, nothing else. */
async function checkoutLikeDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "tp-checkout-" });
  for (const name of ["deno.json", "main.ts", "src", "node_modules", ".tools", "package.json"]) {
    await Deno.symlink(`${REPO_ROOT}${name}`, `${dir}/${name}`);
  }
  return dir;
}

Deno.test("the demo's closing hints work as printed from a checkout's root", async () => {
  const world = await World.start();
  const dir = await checkoutLikeDir();
  try {
    const [configure, chmod, check, start] = hintCommands(nextSteps(false));
    assert.match(configure, /^\.tools\/node_modules\/\.bin\/deno task configure > /);

    const configured = await spawn(configure, dir).finished();
    assert.equal(configured.code, 0, configured.stderr);
    // What "then fill in [teleport] and [pagerduty]" means, done with the fakes' values.
    const path = `${dir}/${HINT_CONFIG}`;
    const example = await Deno.readTextFile(path);
    const filled = [
      ['addr = "example.com:3025"', `addr = "${world.auth.addr}"`],
      [
        'identity = "/var/lib/teleport/plugins/pagerduty/auth_id"',
        `identity = "${world.identityPath}"`,
      ],
      ['api_key = "key"', `api_key = "${world.pagerduty.apiKey}"`],
      ['user_email = "me@example.com"', `user_email = "${world.account.bot.email}"`],
      ['# api_endpoint = "https://api.pagerduty.com"', `api_endpoint = "${world.pagerduty.url}"`],
    ].reduce((text, [from, to]) => {
      assert.ok(text.includes(from), `the example config has ${from}`);
      return text.replace(from, to);
    }, example);
    await Deno.writeTextFile(path, filled);

    assert.equal((await spawn(chmod, dir).finished()).code, 0);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);

    const checked = await spawn(check, dir).finished();
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
    assert.match(checked.stdout, /^All \d+ checks passed/m);
    assert.doesNotMatch(checked.stdout, /accessible by other users/);

    const service = spawn(start, dir);
    await service.waitFor("Watching access requests");
    service.kill("SIGTERM");
    const stopped = await service.finished();
    assert.equal(stopped.code, 0, stopped.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await world.stop();
  }
});

Deno.test("the hints name the binary in a release, and the tasks from a checkout", () => {
  const release = hintCommands(nextSteps(true));
  assert.deepEqual(release.map((c) => c.split(" ").slice(0, 2).join(" ")), [
    "teleport-pagerduty configure",
    `chmod 600`,
    "teleport-pagerduty check",
    "teleport-pagerduty start",
  ]);
  assert.match(nextSteps(false)[0], /from the checkout's root/);
});
