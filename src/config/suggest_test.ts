import assert from "node:assert/strict";
import { levenshtein, nearest } from "./suggest.ts";

Deno.test("levenshtein counts insertions, deletions and substitutions", () => {
  assert.equal(levenshtein("", ""), 0);
  assert.equal(levenshtein("addr", "addr"), 0);
  assert.equal(levenshtein("addr", "adr"), 1);
  assert.equal(levenshtein("addr", "addrs"), 1);
  assert.equal(levenshtein("kitten", "sitting"), 3);
  assert.equal(levenshtein("", "abc"), 3);
});

Deno.test("nearest suggests only plausible typos, ignoring case", () => {
  const keys = ["api_key", "api_endpoint", "user_email", "urgency"];
  assert.equal(nearest("api_endpont", keys), "api_endpoint");
  assert.equal(nearest("API_KEY", keys), "api_key");
  assert.equal(nearest("usr_emial", keys), "user_email");
  assert.equal(nearest("service_id", keys), undefined);
  assert.equal(nearest("x", []), undefined);
});
