import assert from "node:assert/strict";
import { newUuidV7 } from "./ids.ts";

Deno.test("request IDs are UUIDv7 carrying the creation time", () => {
  const ms = Date.UTC(2026, 10, 25, 12, 0, 0);
  const id = newUuidV7(ms);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(parseInt(id.replaceAll("-", "").slice(0, 12), 16), ms);
});

Deno.test("IDs made in the same millisecond still sort in creation order", () => {
  const ms = Date.UTC(2030, 0, 1);
  const ids = Array.from({ length: 5000 }, () => newUuidV7(ms));
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
});
