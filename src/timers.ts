/**
 * The one place that turns a wait into a timer delay. JavaScript timers hold their delay in a
 * signed 32-bit millisecond count: anything longer (about 24.8 days) is silently replaced by
 * 1 ms, so a "wait 30 days" fires at once and a repeating one fires every millisecond, with a
 * `TimeoutOverflowWarning` on stderr each time. Every timer in the service takes its delay from
 * {@link boundedDelay} (a test scans the sources for raw delays), and every timeout signal
 * comes from {@link timeoutSignal}.
 *
 * @module
 */

/** The longest delay a timer can hold: 2^31 − 1 ms, about 24.8 days. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `ms` as a delay a timer can hold: negative or NaN waits become 0, fractions are rounded up
 * (a timer never fires before it was asked to), and anything past {@link MAX_TIMER_MS} is held
 * at that limit, so a longer wait ends late by at most its own excess instead of at once.
 */
export function boundedDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(Math.ceil(ms), MAX_TIMER_MS);
}

/**
 * Like `AbortSignal.timeout(ms)` (aborts with a `TimeoutError` DOMException, and does not keep
 * the process alive), but with the delay passed through {@link boundedDelay}.
 */
export function timeoutSignal(ms: number): AbortSignal {
  return AbortSignal.timeout(boundedDelay(ms));
}
