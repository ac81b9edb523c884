import assert from "node:assert/strict";
import { EXAMPLE_CONFIG } from "../config/example.ts";
import { parseConfig } from "../config/parse.ts";
import { VERSION } from "../version.ts";
import { COMMANDS } from "./commands.ts";
import { runCliProcess, spawnDeno } from "../testing/deno_process.ts";

const SECRET = "u+CliSecretKey42";

Deno.test("help: the program's and every command's, with the exit codes", async () => {
  const runs = await Promise.all([
    runCliProcess([]),
    runCliProcess(["help"]),
    runCliProcess(["--help"]),
    ...COMMANDS.map((c) => runCliProcess([c.name, "--help"])),
    runCliProcess(["help", "check"]),
    runCliProcess(["start", "-h"]),
  ]);
  const [none, help, dashHelp, ...rest] = runs;
  assert.equal(none.code, 2, "no command is a usage error");
  assert.match(
    none.stderr,
    /^teleport-pagerduty: .*\n\nUsage: teleport-pagerduty <command> \[flags\]/,
  );
  for (const run of [help, dashHelp]) {
    assert.equal(run.code, 0);
    assert.equal(run.stdout, none.stderr);
    for (const command of COMMANDS) {
      assert.match(run.stdout, new RegExp(`\\n  ${command.name} +\\S`));
    }
    assert.match(
      run.stdout,
      /Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 .*\n {2}3 .*\n {2}4 .*\n {2}130 .*\n {2}143 /,
    );
  }
  const perCommand = rest.slice(0, COMMANDS.length);
  COMMANDS.forEach((command, i) => {
    assert.equal(perCommand[i].code, 0, command.name);
    assert.ok(
      perCommand[i].stdout.startsWith(`Usage: teleport-pagerduty ${command.name} [flags]`),
      perCommand[i].stdout,
    );
    assert.match(perCommand[i].stdout, /-h, --help +show this help/);
  });
  const [helpCheck, startH] = rest.slice(COMMANDS.length);
  assert.equal(helpCheck.stdout, perCommand[COMMANDS.findIndex((c) => c.name === "check")].stdout);
  assert.match(
    startH.stdout,
    /-c, --config PATH +config file \(default \/etc\/teleport-pagerduty\.toml\)/,
  );
  assert.match(startH.stdout, /-d, --debug +log at debug level/);
});

Deno.test("version and configure print what the Go plugin's commands printed", async () => {
  const [version, configure] = await Promise.all([
    runCliProcess(["version"]),
    runCliProcess(["configure"]),
  ]);
  assert.equal(version.code, 0);
  assert.equal(
    version.stdout,
    `teleport-pagerduty v${VERSION} git:dev deno ${Deno.version.deno}\n`,
  );
  assert.equal(configure.code, 0);
  assert.equal(configure.stdout, EXAMPLE_CONFIG);
  const { warnings } = await parseConfig(configure.stdout, {
    path: "configure output",
    readFile: () => Promise.reject(new Error("no file reads expected")),
  });
  assert.deepEqual(warnings, []);
});

Deno.test("usage errors exit 2 with one line saying what to do", async () => {
  const [unknown, typo, flag, helpUnknown, extra] = await Promise.all([
    runCliProcess(["frobnicate"]),
    runCliProcess(["chek"]),
    runCliProcess(["start", "--verbose"]),
    runCliProcess(["help", "frobnicate"]),
    runCliProcess(["version", "now"]),
  ]);
  for (const run of [unknown, typo, flag, helpUnknown, extra]) {
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, "");
    assert.equal(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
  }
  assert.equal(
    unknown.stderr,
    'teleport-pagerduty: unknown command "frobnicate" (see "teleport-pagerduty help").\n',
  );
  assert.match(typo.stderr, /unknown command "chek"; did you mean "check"\?/);
  assert.match(
    flag.stderr,
    /^teleport-pagerduty start: .*'--verbose'.* \(see "teleport-pagerduty start --help"\)\.\n$/,
  );
  assert.match(helpUnknown.stderr, /unknown command "frobnicate"; see "teleport-pagerduty help"/);
  assert.match(extra.stderr, /^teleport-pagerduty version: .*'now'/);
});

Deno.test("start and check report every config problem, never the API key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = `${dir}/bad.toml`;
    await Deno.writeTextFile(
      bad,
      `[teleport]\naddr = "auth.example.com"\nidentity = "/i"\n[pagerduty]\napi_key = "${SECRET}"\n` +
        `user_email = "not-an-email"\nauto_approve = false\n[log]\nseverity = "loud"\n`,
    );
    const goTemplate = `${dir}/go.toml`;
    await Deno.copyFile(new URL("../config/testdata/go_example.toml", import.meta.url), goTemplate);
    const [start, check, noCredentials, missing, startAll] = await Promise.all([
      runCliProcess(["start", "--config", bad]),
      runCliProcess(["check", "-c", bad]),
      runCliProcess(["start", "-c", goTemplate]),
      runCliProcess(["start", "-c", `${dir}/missing.toml`]),
      // `deno run -A` works too: the program narrows its own permissions.
      spawnDeno(["run", "-A", "main.ts", "start", "-c", bad]).finished(),
    ]);
    // Bad values in file order; an ignored key that would widen access is one of them.
    const problems = [
      /teleport\.addr "auth\.example\.com" must be host:port/,
      /pagerduty\.user_email "not-an-email" is not an email address/,
      /pagerduty\.auto_approve = false no longer turns auto-approval off/,
      /log\.severity "loud" is not allowed/,
    ];
    for (const run of [start, startAll]) {
      assert.equal(run.code, 2, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(`^teleport-pagerduty: config file ${bad} has 4 problems:\n`),
      );
      for (const problem of problems) assert.match(run.stderr, problem);
    }
    assert.equal(check.code, 3);
    const lines = check.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 5, check.stdout);
    problems.forEach((problem, i) => {
      assert.ok(lines[i].startsWith(`✗ config file ${bad}: `), lines[i]);
      assert.match(lines[i], problem);
    });
    assert.equal(lines[4], "4 of 4 checks failed.");
    assert.equal(noCredentials.code, 2);
    assert.match(
      noCredentials.stderr,
      /config file .*go\.toml: no Teleport credentials are configured: set teleport\.identity/,
    );
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing\.toml: the file does not exist/);
    for (const run of [start, check, noCredentials, missing, startAll]) {
      assert.ok(!(run.stdout + run.stderr).includes(SECRET));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
