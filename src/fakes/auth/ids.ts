/**
 * Request IDs shaped like Teleport's: UUIDv7 (RFC 9562), whose text sorts in creation order.
 * That order is what the fake's listings page by, as Teleport's backend keys do.
 *
 * @module
 */

let lastMs = 0;
let sequence = 0;

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A new UUIDv7 string. IDs made in the same millisecond use the 12-bit `rand_a` field as a
 * counter, so IDs from one process are strictly increasing (as text, too).
 */
export function newUuidV7(nowMs: number = Date.now()): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    sequence = 0;
  } else if (++sequence > 0xfff) {
    // The counter ran out inside one millisecond: borrow the next one.
    lastMs++;
    sequence = 0;
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const ms = BigInt(lastMs);
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
