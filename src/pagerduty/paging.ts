/**
 * PagerDuty's classic offset pagination as an async iterator: pages of 100 (the maximum),
 * `offset += limit` while the answer says `more`, and a stop at PagerDuty's hard cap
 * (`offset + limit` may not exceed 10 000, or PagerDuty answers 400).
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";

const log = getLogger(["teleport-pagerduty", "pagerduty"]);

/** The largest page PagerDuty serves. */
export const PAGE_LIMIT = 100;

/** PagerDuty refuses pages whose `offset + limit` exceeds this. */
export const MAX_OFFSET_PLUS_LIMIT = 10_000;

/** One page as the fetcher returns it. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly more: boolean;
}

/**
 * Yields every item of a paged list, fetching pages lazily (stop iterating and no further page
 * is requested). When the list goes past PagerDuty's 10 000-item cap, it logs a warning naming
 * `operation` and ends, since PagerDuty cannot serve the rest; narrow the query instead.
 */
export async function* paginate<T>(
  operation: string,
  fetchPage: (offset: number, limit: number) => Promise<Page<T>>,
  limit: number = PAGE_LIMIT,
): AsyncGenerator<T, void, undefined> {
  for (let offset = 0;; offset += limit) {
    if (offset + limit > MAX_OFFSET_PLUS_LIMIT) {
      log.warn(
        "PagerDuty list {operation} has more than {cap} results, the most PagerDuty serves; the rest were skipped, so narrow the query.",
        { operation, cap: offset },
      );
      return;
    }
    const page = await fetchPage(offset, limit);
    yield* page.items;
    // An empty page that claims `more` would otherwise loop until the cap.
    if (!page.more || page.items.length === 0) return;
  }
}

/** The most pages a cursor-paged list is followed for (PagerDuty's offset cap, in pages). */
export const MAX_CURSOR_PAGES = MAX_OFFSET_PLUS_LIMIT / PAGE_LIMIT;

/** One page of a cursor-paged list; `nextCursor` is undefined on the last page. */
export interface CursorPageOf<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | undefined;
}

/**
 * Yields every item of a cursor-paged list (workflow triggers, audit records), fetching pages
 * lazily. A cursor that repeats, an empty page or {@link MAX_CURSOR_PAGES} pages end it, so a
 * misbehaving answer cannot loop forever.
 */
export async function* paginateCursor<T>(
  operation: string,
  fetchPage: (cursor: string | undefined, limit: number) => Promise<CursorPageOf<T>>,
  limit: number = PAGE_LIMIT,
): AsyncGenerator<T, void, undefined> {
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let pages = 0;; pages++) {
    if (pages === MAX_CURSOR_PAGES) {
      log.warn(
        "PagerDuty list {operation} has more than {cap} pages; the rest were skipped, so narrow the query.",
        { operation, cap: MAX_CURSOR_PAGES },
      );
      return;
    }
    const page = await fetchPage(cursor, limit);
    yield* page.items;
    if (page.nextCursor === undefined || page.items.length === 0 || seen.has(page.nextCursor)) {
      return;
    }
    seen.add(page.nextCursor);
    cursor = page.nextCursor;
  }
}
