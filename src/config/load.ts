/**
 * Loads the config file from disk: {@link parseConfig} plus the file reads, the checks only the
 * disk can answer (every file the config names for reading is a regular file, and the log is
 * none of them), and a warning for every secret-bearing file other users can read.
 *
 * @module
 */

import { isKubernetesVolumeFile } from "../kubernetes_volume.ts";
import { resolve } from "node:path";
import {
  FileReadError,
  formatBytes,
  nonRegularFileProblem,
  readRegularFile,
  readRegularTextFile,
} from "../files.ts";
import { ConfigError, type ConfigWarning } from "./errors.ts";
import { MAX_API_KEY_FILE_BYTES, parseConfig, type ParsedConfig } from "./parse.ts";
import type { Config } from "./types.ts";

/** The largest config file read; the annotated example is about 5 KB. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

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
    text = await readRegularTextFile(path, MAX_CONFIG_BYTES);
  } catch (error) {
    throw new ConfigError(path, [readProblem(error)]);
  }
  const parsed = await parseConfig(text, { path, readFile: readApiKeyFile, ...options });
  const problems = await diskProblems(path, parsed.config);
  if (problems.length > 0) throw new ConfigError(path, problems);
  const warnings = [...parsed.warnings];
  for (const [key, file] of secretFiles(path, parsed.config)) {
    const warning = await permissionWarning(key, file);
    if (warning !== undefined) warnings.push(warning);
  }
  return { config: parsed.config, warnings };
}

function readProblem(error: unknown): string {
  const problem = error instanceof FileReadError ? error.problem : "unreadable";
  switch (problem) {
    case "not_found":
      return "the file does not exist: create it (`teleport-pagerduty configure` prints an " +
        "annotated example) or pass its path with --config.";
    case "permission_denied":
    case "not_permitted":
      return "the file cannot be read (permission denied): make it readable by the user the " +
        "plugin runs as.";
    case "directory":
      return "this is a directory: pass the path of the TOML file with --config.";
    case "not_regular":
      return "this is not a regular file (a device, pipe or socket): pass the path of the TOML " +
        "file with --config.";
    case "too_large":
      return `the file is larger than ${
        formatBytes(MAX_CONFIG_BYTES)
      }, far more than any config: pass the path of the TOML file with --config.`;
    case "unreadable":
      return `the file cannot be read (${
        error instanceof FileReadError
          ? error.reason
          : error instanceof Error
          ? error.message
          : String(error)
      }).`;
  }
}

/**
 * Reads an API key file: a regular file of at most {@link MAX_API_KEY_FILE_BYTES} (the parser
 * names what is wrong with anything else).
 */
async function readApiKeyFile(path: string): Promise<Uint8Array> {
  return (await readRegularFile(path, MAX_API_KEY_FILE_BYTES)).bytes;
}

/**
 * Every file the service reads, with the setting that names it: the config file first. The
 * service worker is granted reading exactly these (the config file excepted).
 */
export function filesRead(path: string, config: Config): Array<[string, string]> {
  const files: Array<[string, string | undefined]> = [
    ["the config file", path],
    ["pagerduty.api_key", config.pagerduty.apiKeyFile],
    ["teleport.identity", config.teleport.identity],
    ["teleport.client_key", config.teleport.clientKey],
    ["teleport.client_crt", config.teleport.clientCrt],
    ["teleport.root_cas", config.teleport.rootCas],
    ["http.https_cert_file", config.http?.httpsCertFile],
    ["http.https_key_file", config.http?.httpsKeyFile],
    ...(config.pagerduty.reviews?.secretFiles ?? []).map((f): [string, string] => [f.key, f.path]),
  ];
  return files.filter((entry): entry is [string, string] => entry[1] !== undefined);
}

/**
 * What only the disk can tell: a file named for reading that is a directory, a device or a pipe
 * (a directory would also grant the service reading everything below it), and a log output that
 * is one of the files read, or a directory holding them (writing is granted on the log path).
 */
async function diskProblems(path: string, config: Config): Promise<string[]> {
  const problems: string[] = [];
  const read = filesRead(path, config);
  for (const [key, file] of read.slice(1)) {
    const problem = await nonRegularFileProblem(file);
    if (problem !== undefined) {
      problems.push(`${key} ${file} ${problem.reason}: point it at the file itself.`);
    }
  }
  const output = config.log.output;
  if (output === "stderr" || output === "stdout") return problems;
  const outputInfo = await statOrUndefined(output);
  if (outputInfo?.isDirectory) {
    problems.push(
      `log.output ${output} is a directory: name a file in it, or log to "stderr".`,
    );
    return problems;
  }
  if (outputInfo !== undefined && !outputInfo.isFile) {
    // Opening a pipe for writing blocks until someone reads it: the service would never start.
    problems.push(
      `log.output ${output} is not a regular file (a device, pipe or socket): name a log file, ` +
        `or use "stdout" or "stderr".`,
    );
    return problems;
  }
  const target = resolve(output);
  for (const [key, file] of read) {
    const inside = resolve(file) === target || resolve(file).startsWith(`${target}/`);
    const info = outputInfo && await statOrUndefined(file);
    const same = info !== undefined && outputInfo !== undefined &&
      info.dev === outputInfo.dev && info.ino !== null && info.ino === outputInfo.ino;
    if (inside || same) {
      problems.push(
        `log.output ${output} is ${
          key === "the config file" ? "the config file" : `the file ${key} names (${file})`
        }, which the service would then write its log into: log to another file, or to "stderr".`,
      );
    }
  }
  return problems;
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch {
    return undefined;
  }
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
