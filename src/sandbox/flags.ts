/**
 * The one source of truth for the Deno flags the program runs with, used by the tasks that
 * mirror the CLI (`deno task configure|check|start|demo|version` in deno.json, kept equal by a
 * test), `deno task compile` (scripts/compile.ts) and the tests that spawn the program.
 *
 * The supervisor thread gets broad read, net and write, because the config path, the Auth
 * address and the log file are known only at run time, and a worker can only be granted what
 * its parent holds. It runs only this project's own code (a test walks its module graph), and
 * gives up net and write once the service worker runs. Each worker gets the narrow set computed
 * in `permissions.ts`. `--ignore-env` makes every env
 * read return undefined (workers inherit it); nothing gets run, ffi or sys.
 *
 * @module
 */

/** Permission flags of the supervisor thread, shared by `deno run` and `deno compile`. */
export const SUPERVISOR_FLAGS: readonly string[] = [
  "--no-prompt",
  "--ignore-env",
  "--allow-read",
  "--allow-net",
  "--allow-write",
  // No module is ever fetched at run time; Deno would otherwise allow jsr.io, deno.land, etc.
  "--deny-import",
  "--unstable-worker-options",
];

/**
 * Worker entry points, relative to the repository root. `deno compile` must embed them with
 * `--include`: a worker's module is not found by following static imports.
 */
export const WORKER_ENTRY_POINTS: readonly string[] = [
  "src/sandbox/config_worker.ts",
  "src/sandbox/jail_worker.ts",
  "src/sandbox/service_worker.ts",
  "src/cli/check_teleport_worker.ts",
  "src/cli/check_pagerduty_worker.ts",
  "src/cli/setup/setup_worker.ts",
];

/** The program's entry point, relative to the repository root. */
export const ENTRY_POINT = "main.ts";

/** Flags of `deno compile` besides the permissions. */
export const COMPILE_FLAGS: readonly string[] = [
  // denort would otherwise write a V8 code cache to $TMPDIR outside the permission system.
  "--no-code-cache",
  // The pinned Deno itself (deno.json's "exclude" does not keep it out of the embedded files).
  "--exclude",
  ".tools/node_modules",
  // Deno 2.9.6's compile overflows its stack parsing this 200 000-line data file (prom-client →
  // tdigest → bintrees); it is test data, never loaded.
  "--exclude",
  "node_modules/bintrees/test",
  ...WORKER_ENTRY_POINTS.flatMap((entry) => ["--include", entry]),
];

/** The `deno run` arguments (before the program's own) that run the program as shipped. */
export function runArgs(): string[] {
  return ["run", ...SUPERVISOR_FLAGS, ENTRY_POINT];
}

/**
 * The `deno compile` arguments that build the shipped binary at `output`; `exclude` lists more
 * paths to leave out (scripts/compile.ts passes the dev-only npm packages).
 */
export function compileArgs(
  output: string,
  target?: string,
  exclude: readonly string[] = [],
): string[] {
  return [
    "compile",
    ...SUPERVISOR_FLAGS,
    ...COMPILE_FLAGS,
    ...exclude.flatMap((path) => ["--exclude", path]),
    ...(target === undefined ? [] : ["--target", target]),
    "--output",
    output,
    ENTRY_POINT,
  ];
}
