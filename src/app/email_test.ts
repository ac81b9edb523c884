import assert from "node:assert/strict";
import { asciiLower, sameEmail } from "./email.ts";

Deno.test("sameEmail folds ASCII case and surrounding spaces only", () => {
  assert.equal(sameEmail("Alice@Example.COM", "alice@example.com"), true);
  assert.equal(sameEmail(" alice@example.com\n", "alice@example.com"), true);
  assert.equal(sameEmail("alice@example.com", "alice@example.org"), false);
  // U+212A KELVIN SIGN lower-cases to "k" with Unicode rules; it is not the same address.
  assert.equal("\u212Aate@example.com".toLowerCase(), "kate@example.com");
  assert.equal(sameEmail("\u212Aate@example.com", "kate@example.com"), false);
  assert.equal(sameEmail("ÉVE@example.com", "éve@example.com"), false);
  assert.equal(sameEmail("", ""), false, "nothing is not an email");
  assert.equal(asciiLower("ÀBC-xyz"), "Àbc-xyz");
});
