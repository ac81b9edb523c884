/**
 * Compare-and-swap on a plugin's data for one access request: read, apply a pure update
 * function, write with `Expect` = what was read, and on a conflict (another writer got there
 * first) read again and retry with decorrelated-jitter backoff, a bounded number of times.
 * Generic over the string map: which keys mean what is the app's business.
 *
 * @module
 */

import { sleep } from "../util/sleep.ts";
import { DecorrelatedBackoff } from "./backoff.ts";
import { type AuthClient, type PluginDataMap, TeleportError } from "./types.ts";

/** The two calls the helper makes. */
export type PluginDataStore = Pick<AuthClient, "getPluginData" | "updatePluginData">;

/**
 * Computes the new data from the current (undefined when the plugin has none yet); returns
 * undefined to write nothing. Must be pure: it runs again after every conflict.
 */
export type PluginDataUpdate = (current: PluginDataMap | undefined) => PluginDataMap | undefined;

/** Options of {@linkcode modifyPluginData}. */
export interface ModifyOptions {
  /** Attempts before giving up; defaults to 10. */
  readonly maxAttempts?: number;
  /** Delays between attempts; defaults to 1 ms growing to 1 s (as the Go plugins). */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** Jitter source (0 ≤ r < 1), injectable for tests. */
  readonly random?: () => number;
  /** Stops retrying (the last conflict is thrown). */
  readonly signal?: AbortSignal;
  /** Data the caller already read (or wrote): the first attempt uses it instead of reading. */
  readonly known?: PluginDataMap;
}

/** What {@linkcode modifyPluginData} did. */
export interface ModifyResult {
  /** The data as stored afterwards (as read, when nothing was written). */
  readonly data: PluginDataMap | undefined;
  /** Whether a write happened. */
  readonly written: boolean;
  /** Reads made, 1 when there was no conflict. */
  readonly attempts: number;
}

/**
 * The UpdatePluginData arguments that turn `current` into `next`: `set` writes every key of
 * `next` and blanks (deletes) keys only `current` has; `expect` requires `current` exactly,
 * with keys only `next` has expected absent ("").
 */
export function casArguments(
  current: PluginDataMap | undefined,
  next: PluginDataMap,
): { set: PluginDataMap; expect: PluginDataMap } {
  const set: Record<string, string> = { ...next };
  const expect: Record<string, string> = { ...current };
  for (const key of Object.keys(current ?? {})) if (!(key in next)) set[key] = "";
  for (const key of Object.keys(next)) if (!(key in expect)) expect[key] = "";
  return { set, expect };
}

/** The stored result of a write: empty values are deletions, an empty map is no data. */
function stored(next: PluginDataMap): PluginDataMap | undefined {
  const entries = Object.entries(next).filter(([, value]) => value !== "");
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

/**
 * Reads the plugin's data on `requestId`, applies `update`, and writes it with compare-and-swap,
 * retrying on conflicts. Throws {@linkcode TeleportError} `compare_failed` after `maxAttempts`
 * conflicts, and any other error at once.
 */
export async function modifyPluginData(
  store: PluginDataStore,
  requestId: string,
  plugin: string,
  update: PluginDataUpdate,
  options: ModifyOptions = {},
): Promise<ModifyResult> {
  const maxAttempts = options.maxAttempts ?? 10;
  const backoff = new DecorrelatedBackoff(
    options.backoff ?? { baseMs: 1, maxMs: 1_000 },
    options.random,
  );
  for (let attempt = 1;; attempt++) {
    const current = attempt === 1 && options.known !== undefined
      ? options.known
      : await store.getPluginData(requestId, plugin);
    const next = update(current);
    if (next === undefined) return { data: current, written: false, attempts: attempt };
    const { set, expect } = casArguments(current, next);
    try {
      await store.updatePluginData(requestId, plugin, set, expect);
      return { data: stored(next), written: true, attempts: attempt };
    } catch (error) {
      if (!(error instanceof TeleportError && error.kind === "compare_failed")) throw error;
      if (attempt >= maxAttempts || options.signal?.aborted) {
        throw new TeleportError(
          "compare_failed",
          `Could not update the ${plugin} plugin data of access request ${requestId} after ${attempt} attempt(s) because another writer kept changing it: check that only one instance of the plugin runs with this identity.`,
          { grpcCode: error.grpcCode, cause: error },
        );
      }
      await sleep(backoff.next(), options.signal);
    }
  }
}
