/**
 * Test helper: runs Deno subprocesses (the CLI, fixtures) from the repository root and lets a
 * test wait for a line of output before signalling them.
 *
 * @module
 */

import { runArgs, SUPERVISOR_FLAGS } from "../sandbox/flags.ts";

/** The repository root, so paths like `main.ts` resolve whatever the test's cwd. */
export const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** What a finished process left behind. */
export interface Finished {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running subprocess. */
export interface Running {
  /** Resolves once `text` has appeared on stdout or stderr; rejects if the process ends first. */
  waitFor(text: string): Promise<void>;
  /** What the process has written to stderr so far. */
  stderrSoFar(): string;
  kill(signal: Deno.Signal): void;
  /** Resolves when the process has exited and both streams are drained. */
  finished(): Promise<Finished>;
}

/** Starts `deno <args>` in the repository root. */
export function spawnDeno(args: readonly string[], env?: Record<string, string>): Running {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  const text = { stdout: "", stderr: "" };
  const waiters: Array<{ needle: string; resolve(): void }> = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      if (text.stdout.includes(waiter.needle) || text.stderr.includes(waiter.needle)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const pump = async (stream: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text[key] += chunk;
      check();
    }
  };
  const done = Promise.all([
    child.status,
    pump(child.stdout, "stdout"),
    pump(child.stderr, "stderr"),
  ])
    .then(([status]) => ({ code: status.code, stdout: text.stdout, stderr: text.stderr }));
  return {
    waitFor: (needle) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ needle, resolve });
        check();
        done.then((f) =>
          reject(
            new Error(
              `process ended (code ${f.code}) before printing ${JSON.stringify(needle)}:\n` +
                `stdout: ${f.stdout}\nstderr: ${f.stderr}`,
            ),
          )
        );
      }),
    stderrSoFar: () => text.stderr,
    kill: (signal) => child.kill(signal),
    finished: () => done,
  };
}

/** Runs the CLI (`deno run <shipped flags> main.ts <args>`) to completion. */
export function runCliProcess(args: readonly string[]): Promise<Finished> {
  return spawnDeno([...runArgs(), ...args]).finished();
}

/** Runs a fixture script with the shipped supervisor flags. */
export function spawnFixture(script: string, args: readonly string[]): Running {
  return spawnDeno(["run", ...SUPERVISOR_FLAGS, script, ...args]);
}
