/**
 * Decorrelated-jitter backoff (as the Go plugins' `backoff.NewDecorr`): each delay is random
 * between the base and three times the previous delay, capped. Jitter keeps many plugins (or
 * many retries) from reconnecting in lockstep after an Auth Service restart.
 *
 * @module
 */


/** Bounds of a {@linkcode DecorrelatedBackoff}. */
export interface BackoffOptions {
  /** Smallest delay, and the first one's lower bound. */
  readonly baseMs: number;
  /** Largest delay. */
  readonly maxMs: number;
}

/** Delays that grow with jitter from `baseMs` to `maxMs`; {@linkcode reset} after a success. */
export class DecorrelatedBackoff {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #previousMs: number;

  /** Creates a backoff; `random` (0 ≤ r < 1) is injectable so tests can pin the jitter. */
  constructor(options: BackoffOptions, random: () => number = Math.random) {
    if (!(options.baseMs > 0) || !(options.maxMs >= options.baseMs)) {
      throw new RangeError(
        `Backoff needs 0 < baseMs <= maxMs, got baseMs=${options.baseMs} maxMs=${options.maxMs}.`,
      );
    }
    this.#baseMs = options.baseMs;
    this.#maxMs = options.maxMs;
    this.#random = random;
    this.#previousMs = options.baseMs;
  }

  /** The next delay in milliseconds. */
  next(): number {
    const upper = Math.max(this.#baseMs, this.#previousMs * 3);
    const delay = this.#baseMs + this.#random() * (upper - this.#baseMs);
    this.#previousMs = Math.min(this.#maxMs, delay);
    return Math.round(this.#previousMs);
  }

  /** Starts over from the base delay. */
  reset(): void {
    this.#previousMs = this.#baseMs;
  }
}
