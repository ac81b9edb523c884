/**
 * The project's whole check: format, lint, type check, then every test with the op and
 * resource sanitizers on. It streams each step's output and ends with the workplace's
 * closing line `N passed, N failed`, which Deno's own summary is not.
 *
 * Arguments are passed on to `deno test` (paths or `--filter`), so
 * `deno task test src/pagerduty` checks everything but runs only those tests.
 *
 * @module
 */

const deno = Deno.execPath();

/** Runs one step, echoing its output, and returns its exit code and the text it printed. */
async function step(label: string, args: string[]): Promise<{ code: number; output: string }> {
  console.log(`\n== ${label}: deno ${args.join(" ")}`);
  const child = new Deno.Command(deno, { args, stdout: "piped", stderr: "piped" }).spawn();
  const decoder = new TextDecoder();
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>, sink: { write(b: Uint8Array): void }) => {
    for await (const chunk of stream) {
      sink.write(chunk);
      output += decoder.decode(chunk, { stream: true });
    }
  };
  const [status] = await Promise.all([
    child.status,
    pump(child.stdout, { write: (b) => Deno.stdout.writeSync(b) }),
    pump(child.stderr, { write: (b) => Deno.stderr.writeSync(b) }),
  ]);
  return { code: status.code, output };
}

// The type check is `deno task typecheck`'s command, so the two never drift apart.
const denoJson = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
const typecheck = String(denoJson.tasks.typecheck).split(" ").slice(1);

const staticChecks: Array<[string, string[]]> = [
  ["format", ["fmt", "--check"]],
  ["lint", ["lint"]],
  ["type check", typecheck],
];

let staticFailures = 0;
for (const [label, args] of staticChecks) {
  const { code } = await step(label, args);
  if (code !== 0) staticFailures++;
}

const testArgs = [
  "test",
  "--allow-all",
  "--sanitize-ops",
  "--sanitize-resources",
  ...(Deno.args.length > 0 ? Deno.args : ["src/", "tests/", "scripts/", "bench/"]),
];
const tests = await step("tests", testArgs);

// Deno ends with e.g. "ok | 41 passed (3 steps) | 0 failed (12s)".
const summary = [
  ...tests.output.matchAll(/\|\s*(\d+) passed(?: \(\d+ steps?\))? \|\s*(\d+) failed/g),
]
  .at(-1);
const passed = summary ? Number(summary[1]) : 0;
let failed = summary ? Number(summary[2]) : 0;
if (!summary && tests.code !== 0) failed++;
failed += staticFailures;
if (staticFailures > 0) console.log(`\n${staticFailures} static check(s) failed`);
if (tests.code !== 0 && failed === 0) failed = 1;
if (passed === 0 && failed === 0) {
  console.log("no test ran");
  failed = 1;
}
console.log(`\n${passed} passed, ${failed} failed`);
Deno.exit(failed === 0 ? 0 : 1);
