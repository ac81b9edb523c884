/**
 * `deno task compile [--target TRIPLE] [--output PATH] [--check]`: builds the single executable with the
 * permission flags of `src/sandbox/flags.ts` baked in (the same ones `deno task start` uses).
 *
 * `deno compile` needs `denort`, the runtime the program is embedded into, for the target. It
 * cannot be downloaded here, so this looks for it first (`DENORT_BIN`, or the zip Deno caches
 * under `$DENO_DIR/dl/release/v<version>/`) and fails with one clear line when it is missing.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { compileArgs } from "../src/sandbox/flags.ts";

/** Targets a release is built for, by the architecture name used in artifact names. */
export const RELEASE_TARGETS: Readonly<Record<string, string>> = {
  amd64: "x86_64-unknown-linux-gnu",
  arm64: "aarch64-unknown-linux-gnu",
};

const REPO_ROOT = new URL("../", import.meta.url).pathname;

/** Where the runtime for `target` was found, or why it was not. */
export type DenortLookup =
  | { readonly found: true; readonly where: string }
  | { readonly found: false; readonly reason: string };

/** Looks for the `denort` runtime `deno compile` needs for `target`, without downloading. */
export async function findDenort(target: string = Deno.build.target): Promise<DenortLookup> {
  const override = Deno.env.get("DENORT_BIN");
  if (override !== undefined && override !== "") {
    // DENORT_BIN is used as is for every target, so it only fits the target it was built for.
    return { found: true, where: `DENORT_BIN=${override}` };
  }
  const zip = `${await denoDir()}/dl/release/v${Deno.version.deno}/denort-${target}.zip`;
  try {
    await Deno.stat(zip);
    return { found: true, where: zip };
  } catch {
    return {
      found: false,
      reason: `no denort for ${target}: set DENORT_BIN to a denort ${Deno.version.deno} binary, ` +
        `or put denort-${target}.zip (from https://dl.deno.land/release/v${Deno.version.deno}/) ` +
        `at ${zip}`,
    };
  }
}

/**
 * The `node_modules/...` directories of dev-only packages (package-lock.json marks them `dev`).
 * With a local node_modules, `deno compile` embeds all of it; these (buf, TypeScript, ...) are
 * never loaded by the program, so they are left out.
 */
export async function devPackageDirs(): Promise<string[]> {
  const lock = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}package-lock.json`));
  return Object.entries(lock.packages as Record<string, { dev?: boolean }>)
    .filter(([path, entry]) => entry.dev === true && path.startsWith("node_modules/"))
    .map(([path]) => path);
}

async function denoDir(): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return JSON.parse(new TextDecoder().decode(output.stdout)).denoDir;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      target: { type: "string", default: Deno.build.target },
      output: { type: "string", default: "dist/teleport-pagerduty" },
      // Only say whether the runtime is there (release.sh asks before it builds anything).
      check: { type: "boolean", default: false },
    },
    strict: true,
  });
  const target = values.target;
  const denort = await findDenort(target);
  if (!denort.found) {
    console.error(`compile: ${denort.reason}.`);
    return 1;
  }
  if (values.check) return 0;
  console.error(`compile: ${target} with denort from ${denort.where}`);
  const args = compileArgs(
    values.output,
    target === Deno.build.target ? undefined : target,
    await devPackageDirs(),
  );
  const status = await new Deno.Command(Deno.execPath(), { args, cwd: REPO_ROOT }).spawn().status;
  return status.code;
}

if (import.meta.main) Deno.exit(await main());
