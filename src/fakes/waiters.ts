/**
 * The `waitFor` of both fakes: a test waits for a condition on the fake's state, and the fake
 * re-checks every waiting condition after each change it makes, so no polling interval (and no
 * timing) is involved.
 *
 * @module
 */

/** Options of {@link Waiters.waitFor}. */
export interface WaitOptions {
  /** Give up after this long; default 5000 ms. */
  readonly timeoutMs?: number;
  /** Names the condition in the timeout error. */
  readonly description?: string;
}

interface Waiter {
  readonly check: () => unknown;
  readonly settle: (value: unknown) => void;
}

/** The conditions tests wait for on one fake. */
export class Waiters {
  readonly #fake: string;
  readonly #where: string;
  readonly #waiting = new Set<Waiter>();

  /** `fake` and `where` name it in errors, e.g. "the fake PagerDuty" and "in the fake PagerDuty". */
  constructor(fake: string, where: string) {
    this.#fake = fake;
    this.#where = where;
  }

  /**
   * Resolves with `check()`'s first truthy result; rejects after `timeoutMs`, or when the fake
   * stops first ({@link close}).
   */
  waitFor<T>(check: () => T | undefined | null | false, options: WaitOptions = {}): Promise<T> {
    const first = check();
    if (first) return Promise.resolve(first);
    const timeoutMs = options.timeoutMs ?? 5000;
    const what = options.description ?? "a condition";
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        check,
        settle: (value) => {
          clearTimeout(timer);
          this.#waiting.delete(waiter);
          if (value) resolve(value as T);
          else reject(new Error(`Stopped waiting for ${what}: ${this.#fake} stopped.`));
        },
      };
      const timer = setTimeout(() => {
        this.#waiting.delete(waiter);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what} ${this.#where}.`));
      }, timeoutMs);
      this.#waiting.add(waiter);
    });
  }

  /** Re-checks every waiting condition; the fake calls it after each change. */
  changed(): void {
    for (const waiter of [...this.#waiting]) {
      let value: unknown;
      try {
        value = waiter.check();
      } catch {
        // A condition that throws on an intermediate state is simply not met yet.
        continue;
      }
      if (value) waiter.settle(value);
    }
  }

  /** Rejects every pending wait: the fake stopped, so nothing will change any more. */
  close(): void {
    for (const waiter of [...this.#waiting]) waiter.settle(undefined);
  }
}
