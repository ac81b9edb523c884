import assert from "node:assert/strict";
import { asciiLowerCase, equalIgnoringAsciiCase } from "./ascii.ts";

Deno.test("only A-Z are folded; every other character compares as written", () => {
  assert.equal(asciiLowerCase("Kate@Example.COM"), "kate@example.com");
  assert.equal(asciiLowerCase("\u212Aate \u00C4 \u0130"), "\u212Aate \u00C4 \u0130");
  assert.ok(equalIgnoringAsciiCase("KATE@example.com", "kate@EXAMPLE.com"));
  assert.ok(!equalIgnoringAsciiCase("\u212Aate@example.com", "kate@example.com"));
  assert.ok(!equalIgnoringAsciiCase("\u00C4rger", "\u00E4rger"));
});
