/**
 * A small look-up cache for PagerDuty reads that change rarely (services by name, users by
 * email). Every access request would otherwise repeat them, and a burst of requests would spend
 * the rate limit on identical calls.
 *
 * - Found values live `ttlMs`; "not found" answers live the shorter `negativeTtlMs`, so a
 *   service or user created in PagerDuty is picked up soon.
 * - Concurrent look-ups of one key share one load (single flight).
 * - Failed loads are not cached.
 * - At most `maxEntries` keys are kept; the least recently used goes first.
 *
 * @module
 */

import { type Clock, systemClock } from "./clock.ts";

/** Options of {@link LookupCache}. */
export interface LookupCacheOptions<V> {
  /** How long a found value is reused; 0 disables reuse (loads are still shared). */
  readonly ttlMs: number;
  /** How long a "not found" value is reused. */
  readonly negativeTtlMs: number;
  readonly maxEntries: number;
  /** Whether a loaded value means "not found". */
  readonly isNegative: (value: V) => boolean;
  readonly clock?: Clock;
}

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
}

/** A TTL + negative-TTL, single-flight, size-bounded cache keyed by string. */
export class LookupCache<V> {
  readonly #options: LookupCacheOptions<V>;
  readonly #clock: Clock;
  /** Map order is recency order: the first key is the least recently used. */
  readonly #entries = new Map<string, Entry<V>>();
  readonly #loading = new Map<string, Promise<V>>();

  /** Creates an empty cache. */
  constructor(options: LookupCacheOptions<V>) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** The cached value of `key`, or the result of `load` (shared with concurrent callers). */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#entries.delete(key);
      if (entry.expiresAt > this.#clock.now()) {
        this.#entries.set(key, entry);
        return Promise.resolve(entry.value);
      }
    }
    const pending = this.#loading.get(key);
    if (pending !== undefined) return pending;

    const loading = load().then((value) => {
      this.#store(key, value);
      return value;
    }).finally(() => this.#loading.delete(key));
    this.#loading.set(key, loading);
    return loading;
  }

  #store(key: string, value: V): void {
    const ttl = this.#options.isNegative(value) ? this.#options.negativeTtlMs : this.#options.ttlMs;
    if (ttl <= 0) return;
    this.#entries.set(key, { value, expiresAt: this.#clock.now() + ttl });
    while (this.#entries.size > this.#options.maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }
}
