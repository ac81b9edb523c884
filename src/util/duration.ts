/**
 * Durations for people to read, in messages and logs: how long until a certificate expires, how
 * long ago it did. Shared by every layer, so it imports nothing. (Config values use Go's own
 * syntax, `formatGoDuration` in `src/config/duration.ts`.)
 *
 * @module
 */

const DURATION_UNITS = [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]] as const;

/** A short human duration with at most two units: `3d 4h`, `2h`, `4m 10s`, `12s`. */
export function formatDuration(ms: number): string {
  const total = Math.round(Math.abs(ms) / 1000);
  const first = DURATION_UNITS.findIndex(([, size]) => total >= size);
  if (first === -1) return "0s";
  const [unit, size] = DURATION_UNITS[first];
  const parts = [`${Math.floor(total / size)}${unit}`];
  const next = DURATION_UNITS[first + 1];
  const remainder = next === undefined ? 0 : Math.floor((total % size) / next[1]);
  if (next !== undefined && remainder > 0) parts.push(`${remainder}${next[0]}`);
  return parts.join(" ");
}
