import assert from "node:assert/strict";
import { isEmailAddress } from "./email.ts";

Deno.test("addresses Go's net/mail reads back unchanged are emails", () => {
  for (
    const text of [
      "alice@example.com",
      "alice@localhost",
      "first.last+tag@sub.example.co.uk",
      "o'brien@example.com",
      "!#$%&'*+-/=?^_`{|}~@example.com",
      "jörg@bücher.example",
      "user@[192.0.2.1]",
      "user@[2001:db8::1]",
      "x@y",
    ]
  ) {
    assert.ok(isEmailAddress(text), text);
  }
});

Deno.test("display names, quotes, comments, spaces and stray dots are not emails", () => {
  for (
    const text of [
      "",
      "alice",
      "@example.com",
      "alice@",
      "Alice <alice@example.com>",
      "<alice@example.com>",
      '"alice"@example.com',
      '"a b"@example.com',
      "alice@example.com (Alice)",
      " alice@example.com",
      "alice@example.com ",
      "a b@example.com",
      "alice@exa mple.com",
      ".alice@example.com",
      "alice.@example.com",
      "al..ice@example.com",
      "alice@example..com",
      "alice@.example.com",
      "alice@example.com.",
      "alice@@example.com",
      "a@b@example.com",
      "alice@[example.com]",
      "alice@[999.0.0.1]",
      "alice@[01.2.3.4]",
      "alice@[fe80::1%eth0]",
      "alice,bob@example.com",
      "alice@example.com\n",
      "ali\u0000ce@example.com",
      "ali\uD800ce@example.com",
    ]
  ) {
    assert.ok(!isEmailAddress(text), JSON.stringify(text));
  }
});
