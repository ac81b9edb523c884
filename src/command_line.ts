/**
 * How operators type this program's commands: by the binary's name, or from a source checkout
 * through the `deno task` of the same name. Shared by the CLI's help and the demo's closing
 * hints, so both print commands that work as written.
 *
 * @module
 */

/** The program's name as users type it. */
export const PROGRAM = "teleport-pagerduty";

/** The pinned Deno that `scripts/bootstrap.sh` installs, relative to a checkout's root. */
export const CHECKOUT_DENO = ".tools/node_modules/.bin/deno";

/**
 * How an operator runs `command` where this program runs now: the compiled binary by its name,
 * or, from a source checkout, the `deno task` of the same name (deno.json's tasks mirror the
 * CLI with the shipped permission flags; run them from the checkout's root).
 */
export function commandLine(command: string, standalone: boolean = Deno.build.standalone): string {
  return standalone ? `${PROGRAM} ${command}` : `${CHECKOUT_DENO} task ${command}`;
}
