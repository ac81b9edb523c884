/**
 * Parsing config text in tests: a `readFile` serving a fixed set of files, the parse itself, and
 * the problems of a config that must fail, all as `/etc/tp.toml`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ConfigError } from "../config/errors.ts";
import { parseConfig, type ParsedConfig } from "../config/parse.ts";

/** The path every parsed test config claims to come from. */
export const TEST_CONFIG_PATH = "/etc/tp.toml";

/** File contents by absolute path. */
export type TestFiles = Record<string, string | Uint8Array>;

/** A `readFile` serving `contents`; anything else does not exist. */
export function files(contents: TestFiles = {}): (path: string) => Promise<Uint8Array> {
  return (path: string): Promise<Uint8Array> => {
    const content = contents[path];
    if (content === undefined) return Promise.reject(new Deno.errors.NotFound(path));
    return Promise.resolve(
      typeof content === "string" ? new TextEncoder().encode(content) : content,
    );
  };
}

/** Parses `text` as {@linkcode TEST_CONFIG_PATH}, with `contents` as the files it names. */
export function parse(text: string, contents: TestFiles = {}): Promise<ParsedConfig> {
  return parseConfig(text, { path: TEST_CONFIG_PATH, readFile: files(contents) });
}

/** The problems of a config that must fail; fails the test when it is accepted. */
export async function problemsOf(
  text: string,
  contents: TestFiles = {},
): Promise<readonly string[]> {
  try {
    await parse(text, contents);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    assert.equal(error.path, TEST_CONFIG_PATH);
    return error.problems;
  }
  assert.fail("the config was accepted");
}
