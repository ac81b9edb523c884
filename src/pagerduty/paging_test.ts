import assert from "node:assert/strict";
import { MAX_OFFSET_PLUS_LIMIT, type Page, PAGE_LIMIT, paginate } from "./paging.ts";

/** A list of `total` numbers served page by page, recording each request. */
function pagedList(total: number) {
  const requests: Array<{ offset: number; limit: number }> = [];
  const fetchPage = (offset: number, limit: number): Promise<Page<number>> => {
    requests.push({ offset, limit });
    const items = Array.from(
      { length: Math.max(0, Math.min(limit, total - offset)) },
      (_, i) => offset + i,
    );
    return Promise.resolve({ items, more: offset + limit < total });
  };
  return { requests, fetchPage };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

Deno.test("paginate walks pages of 100 while PagerDuty says more", async () => {
  const list = pagedList(250);
  const items = await collect(paginate("GET /services", list.fetchPage));
  assert.deepEqual(items, [...Array(250).keys()]);
  assert.deepEqual(list.requests, [
    { offset: 0, limit: PAGE_LIMIT },
    { offset: 100, limit: PAGE_LIMIT },
    { offset: 200, limit: PAGE_LIMIT },
  ]);
});

Deno.test("paginate requests no further page once the caller stops", async () => {
  const list = pagedList(1_000);
  for await (const item of paginate("GET /users", list.fetchPage)) {
    if (item === 150) break;
  }
  assert.equal(list.requests.length, 2);
});

Deno.test("paginate stops at PagerDuty's offset+limit cap of 10 000", async () => {
  const list = pagedList(25_000);
  const items = await collect(paginate("GET /users", list.fetchPage));
  assert.equal(items.length, MAX_OFFSET_PLUS_LIMIT);
  const last = list.requests.at(-1)!;
  assert.equal(last.offset + last.limit, MAX_OFFSET_PLUS_LIMIT);
  assert.ok(list.requests.every((r) => r.offset + r.limit <= MAX_OFFSET_PLUS_LIMIT));
});

Deno.test("paginate ends on an empty page even if it claims more", async () => {
  let calls = 0;
  const items = await collect(paginate("GET /oncalls", () => {
    calls++;
    return Promise.resolve({ items: [], more: true });
  }));
  assert.deepEqual(items, []);
  assert.equal(calls, 1);
});
