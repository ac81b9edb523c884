/**
 * One timer per request with scheduled work, firing when its next job falls due. Timers are
 * re-armed in steps no longer than the platform's timer limit (`boundedDelay`), so a job months
 * away never overflows into an immediate firing.
 *
 * @module
 */

import { boundedDelay } from "../timers.ts";

/** Timers keyed by request ID. */
export class WakeTimers {
  readonly #clock: () => number;
  readonly #wake: (requestId: string) => void;
  readonly #timers = new Map<string, { dueAt: number; timer: ReturnType<typeof setTimeout> }>();

  /** Creates the timers; `wake` is called with the request ID when its time comes. */
  constructor(clock: () => number, wake: (requestId: string) => void) {
    this.#clock = clock;
    this.#wake = wake;
  }

  /**
   * Arms the request's timer for `dueAt` (wall-clock ms), or disarms it when undefined. With
   * `keepEarlier`, an earlier timer already armed stays.
   */
  set(requestId: string, dueAt: number | undefined, options: { keepEarlier?: boolean } = {}): void {
    const existing = this.#timers.get(requestId);
    if (existing && options.keepEarlier && existing.dueAt <= (dueAt ?? Infinity)) return;
    if (existing) clearTimeout(existing.timer);
    this.#timers.delete(requestId);
    if (dueAt === undefined) return;
    this.#arm(requestId, dueAt);
  }

  /** How many requests have a timer armed. */
  get size(): number {
    return this.#timers.size;
  }

  /** Disarms every timer. */
  clear(): void {
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #arm(requestId: string, dueAt: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(requestId);
      if (dueAt > this.#clock()) this.#arm(requestId, dueAt);
      else this.#wake(requestId);
    }, boundedDelay(dueAt - this.#clock()));
    this.#timers.set(requestId, { dueAt, timer });
  }
}
