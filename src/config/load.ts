/**
 * Loads the config file from disk: {@link parseConfig} plus the file reads, and a warning for
 * every secret-bearing file other users can read.
 *
 * @module
 */

import { isKubernetesVolumeFile } from "../kubernetes_volume.ts";
import { ConfigError, type ConfigWarning } from "./errors.ts";
import { MAX_API_KEY_FILE_BYTES, parseConfig, type ParsedConfig } from "./parse.ts";
import type { Config } from "./types.ts";

/**
 * Reads, parses and validates the config file at `path`.
 *
 * @throws {ConfigError} when the file cannot be read or has any problem (all listed).
 */
export async function loadConfig(
  path: string,
  options: { allowPendingSecretFiles?: boolean } = {},
): Promise<ParsedConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(path, [readProblem(error)]);
  }
  const parsed = await parseConfig(text, { path, readFile: readHead, ...options });
  const warnings = [...parsed.warnings];
  for (const [key, file] of secretFiles(path, parsed.config)) {
    const warning = await permissionWarning(key, file);
    if (warning !== undefined) warnings.push(warning);
  }
  return { config: parsed.config, warnings };
}

function readProblem(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) {
    return "the file does not exist: create it (`teleport-pagerduty configure` prints an " +
      "annotated example) or pass its path with --config.";
  }
  if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable) {
    return "the file cannot be read (permission denied): make it readable by the user the " +
      "plugin runs as.";
  }
  if (error instanceof Deno.errors.IsADirectory) {
    return "this is a directory: pass the path of the TOML file with --config.";
  }
  return `the file cannot be read (${error instanceof Error ? error.message : String(error)}).`;
}

/** Reads at most one byte more than an API key file may hold, so a huge file is never loaded. */
async function readHead(path: string): Promise<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(MAX_API_KEY_FILE_BYTES + 1);
  let length = 0;
  while (length < buffer.length) {
    const n = await file.read(buffer.subarray(length));
    if (n === null) break;
    length += n;
  }
  return buffer.subarray(0, length);
}

/**
 * The files holding secrets, with the key that names each (the config file itself first). The
 * Teleport identity and key files are left to `src/teleport/identity.ts`, which warns about them
 * when it loads them, so the warning is not given twice.
 */
function secretFiles(path: string, config: Config): Array<[string, string]> {
  const files: Array<[string, string | undefined]> = [
    ["config file", path],
    ["pagerduty.api_key", config.pagerduty.apiKeyFile],
    ["http.https_key_file", config.http?.httpsKeyFile],
    ...(config.pagerduty.reviews?.secretFiles ?? []).map((f): [string, string] => [f.key, f.path]),
  ];
  return files.filter((entry): entry is [string, string] => entry[1] !== undefined);
}

/**
 * A warning when `file` is readable or writable by group or others (like ssh refuses such keys);
 * nothing when it is private, a Kubernetes Secret or ConfigMap volume file (its mode is the
 * pod spec's), or cannot be inspected (a missing identity is reported when it is
 * loaded, with its own clear error).
 */
export async function permissionWarning(
  key: string,
  file: string,
): Promise<ConfigWarning | undefined> {
  let mode: number | null;
  try {
    mode = (await Deno.stat(file)).mode;
  } catch {
    return undefined;
  }
  if (mode === null || (mode & 0o077) === 0 || await isKubernetesVolumeFile(file)) {
    return undefined;
  }
  const octal = (mode & 0o777).toString(8).padStart(3, "0");
  return {
    key,
    message: `${key === "config file" ? "the config file" : key} ${file} is accessible by ` +
      `other users (mode ${octal}) although it holds secrets: run \`chmod 600 ${file}\`.`,
  };
}
