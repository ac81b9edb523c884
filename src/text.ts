/**
 * Cutting text to a length without breaking it: the cut falls between grapheme clusters (what a
 * reader sees as one character), so no emoji, accented letter or surrogate pair is split into a
 * lone half. Shared by everything that bounds outside text (notes, incident bodies, errors).
 *
 * @module
 */

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** `text` cut to at most `max` UTF-16 units, ending with `…` when cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return "";
  let end = 0;
  for (const { index, segment } of graphemes.segment(text)) {
    if (index + segment.length > max - 1) break;
    end = index + segment.length;
  }
  return `${text.slice(0, end)}…`;
}
