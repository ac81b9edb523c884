/**
 * A work queue keyed by request ID: work for one key runs in order and never concurrently,
 * different keys run in parallel up to a bound, and work that arrives for a key while older
 * work waits is merged into it (an event carries the request's whole state, so the newest
 * supersedes). Memory is bounded by the number of distinct keys, not by the event rate, so a
 * slow PagerDuty never makes the watch stream wait or the queue grow without bound.
 * Failed work is retried with capped exponential backoff until it succeeds or newer work
 * replaces it: nothing is dropped.
 *
 * @module
 */

import { boundedDelay } from "../timers.ts";

import type { AccessRequest } from "../teleport/types.ts";

/** Work for one request: its latest known state, and when the service first heard of it. */
export type Work =
  | {
    readonly kind: "put";
    readonly request: AccessRequest;
    readonly firstSeen: number;
    /** Live watch event, or found by a resync/reconciliation. */
    readonly source: "watch" | "resync";
  }
  | { readonly kind: "delete"; readonly firstSeen: number; readonly source: "watch" | "resync" }
  /** A scheduled job fell due: the request is read fresh from Teleport. */
  | { readonly kind: "wake"; readonly firstSeen: number; readonly source: "schedule" };

/**
 * Newer work replaces older, except that a deletion is final and a wake-up adds nothing to
 * work that already carries the request's state (every run also runs due jobs); the earliest
 * sighting is kept.
 */
export function mergeWork(older: Work, newer: Work): Work {
  const firstSeen = Math.min(older.firstSeen, newer.firstSeen);
  if (older.kind === "delete" || newer.kind === "wake") return { ...older, firstSeen };
  return { ...newer, firstSeen };
}

/** How the queue runs and retries work. */
export interface KeyedQueueOptions<T> {
  /** Keys processed at once. */
  readonly concurrency: number;
  /** Does the work for one key; a rejection schedules a retry. */
  readonly handle: (key: string, item: T, attempt: number) => Promise<void>;
  /** Combines waiting work with newer work for the same key; the newer wins by default. */
  readonly merge?: (older: T, newer: T) => T;
  /** Delay before retry number `attempt` (1-based). */
  readonly retryDelayMs?: (attempt: number) => number;
  /** Told about every failure and when the retry will run. */
  readonly onFailure?: (key: string, error: unknown, attempt: number, retryInMs: number) => void;
  /**
   * Failures that retrying cannot fix (a missing permission): not retried; the work runs again
   * only when newer work for the key arrives.
   */
  readonly isPermanent?: (error: unknown) => boolean;
  /** Told about a failure that is not retried. */
  readonly onGiveUp?: (key: string, error: unknown, attempt: number) => void;
  /** Told whenever the number of waiting or running keys changes. */
  readonly onDepth?: (waiting: number, running: number) => void;
}

interface Slot<T> {
  item: T | undefined;
  running: boolean;
  attempt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the key is in the ready list. */
  queued: boolean;
}

/** Capped exponential backoff with full jitter: up to 0.5 s, 1 s, 2 s … 60 s. */
export function defaultRetryDelay(attempt: number): number {
  const cap = Math.min(60_000, 500 * 2 ** Math.min(attempt - 1, 10));
  return Math.round(cap / 2 + Math.random() * cap / 2);
}

/** The keyed, coalescing, bounded work queue. */
export class KeyedQueue<T> {
  readonly #options: KeyedQueueOptions<T>;
  readonly #slots = new Map<string, Slot<T>>();
  readonly #ready: string[] = [];
  #running = 0;
  #closed = false;
  #idleWaiters: Array<() => void> = [];

  /** Creates an empty queue. */
  constructor(options: KeyedQueueOptions<T>) {
    if (!(options.concurrency >= 1)) throw new RangeError("concurrency must be at least 1");
    this.#options = options;
  }

  /** Keys with work waiting to start or backing off; a running key counts as running. */
  get waiting(): number {
    return this.#slots.size - this.#running;
  }

  /** Keys being processed now. */
  get running(): number {
    return this.#running;
  }

  /** Adds work for a key; it runs after any work for the same key that is already running. */
  submit(key: string, item: T): void {
    if (this.#closed) return;
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = { item: undefined, running: false, attempt: 0, timer: undefined, queued: false };
      this.#slots.set(key, slot);
    }
    const merge = this.#options.merge ?? ((_older: T, newer: T) => newer);
    slot.item = slot.item === undefined ? item : merge(slot.item, item);
    if (!slot.running && slot.timer === undefined) this.#enqueue(key, slot);
    this.#pump();
  }

  /** Resolves when nothing is waiting or running (retries pending count as waiting). */
  idle(): Promise<void> {
    if (this.#slots.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Stops taking work and cancels pending retries; resolves when running work has finished.
   * Work not yet started is abandoned safely: the next start's resync finds it again.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const slot of this.#slots.values()) {
      if (slot.timer !== undefined) clearTimeout(slot.timer);
      slot.timer = undefined;
      if (!slot.running) slot.item = undefined;
    }
    this.#ready.length = 0;
    for (const [key, slot] of this.#slots) if (!slot.running) this.#slots.delete(key);
    this.#report();
    await this.idle();
  }

  #pump(): void {
    while (this.#running < this.#options.concurrency && this.#ready.length > 0) {
      const key = this.#ready.shift()!;
      const slot = this.#slots.get(key);
      if (!slot) continue;
      slot.queued = false;
      if (slot.item === undefined || slot.running) continue;
      this.#start(key, slot);
    }
    this.#report();
  }

  #start(key: string, slot: Slot<T>): void {
    const item = slot.item as T;
    slot.item = undefined;
    slot.running = true;
    slot.attempt++;
    this.#running++;
    this.#options.handle(key, item, slot.attempt).then(
      () => this.#finish(key, slot, undefined, item),
      (error) => this.#finish(key, slot, error ?? new Error("work failed"), item),
    );
  }

  #finish(key: string, slot: Slot<T>, error: unknown, item: T): void {
    slot.running = false;
    this.#running--;
    if (error === undefined) {
      slot.attempt = 0;
    } else if (this.#options.isPermanent?.(error)) {
      this.#options.onGiveUp?.(key, error, slot.attempt);
      slot.attempt = 0;
    } else if (!this.#closed) {
      // Newer work carries the newer state and replaces the failed item; otherwise retry it.
      if (slot.item === undefined) slot.item = item;
      const delay = (this.#options.retryDelayMs ?? defaultRetryDelay)(slot.attempt);
      this.#options.onFailure?.(key, error, slot.attempt, delay);
      slot.timer = setTimeout(() => {
        slot.timer = undefined;
        if (slot.item !== undefined && !this.#closed) {
          this.#enqueue(key, slot);
          this.#pump();
        }
      }, boundedDelay(delay));
    }
    // After close, newer work that arrived while this ran is abandoned like other waiting work.
    if (this.#closed) slot.item = undefined;
    if (slot.item === undefined && slot.timer === undefined) {
      this.#slots.delete(key);
    } else if (slot.timer === undefined && !this.#closed) {
      this.#enqueue(key, slot);
    }
    this.#pump();
    if (this.#slots.size === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #enqueue(key: string, slot: Slot<T>): void {
    if (slot.queued) return;
    slot.queued = true;
    this.#ready.push(key);
  }

  #report(): void {
    this.#options.onDepth?.(this.waiting, this.#running);
  }
}
