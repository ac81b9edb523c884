import assert from "node:assert/strict";
import { decodePemBlocks, encodePem, PemSyntaxError } from "./pem.ts";

const der = Uint8Array.from({ length: 100 }, (_, i) => (i * 37) % 256);
const block = encodePem("CERTIFICATE", der);

Deno.test("encodePem wraps base64 at 64 columns and decodes back to the same bytes", () => {
  const lines = block.trimEnd().split("\n");
  assert.equal(lines[0], "-----BEGIN CERTIFICATE-----");
  assert.equal(lines.at(-1), "-----END CERTIFICATE-----");
  assert.deepEqual(lines.slice(1, -1).map((line) => line.length), [64, 64, 8]);
  const [decoded] = decodePemBlocks(block);
  assert.deepEqual(new Uint8Array(decoded.der), der);
  assert.equal(decoded.pem, block);
});

Deno.test("decodePemBlocks skips other lines, keeps order and line numbers, accepts CRLF", () => {
  const text = `ssh-rsa-cert-v01@openssh.com AAAA\n${block}@cert-authority x\n\n${
    encodePem("EC PRIVATE KEY", der.subarray(0, 10))
  }`.replaceAll("\n", "\r\n");
  const blocks = decodePemBlocks(text);
  assert.deepEqual(blocks.map((b) => [b.label, b.line]), [["CERTIFICATE", 2], [
    "EC PRIVATE KEY",
    9,
  ]]);
  assert.deepEqual(new Uint8Array(blocks[1].der), der.subarray(0, 10));
});

Deno.test("decodePemBlocks reads RFC 1421 headers of legacy encrypted keys", () => {
  const body = encodePem("RSA PRIVATE KEY", der).split("\n");
  body.splice(1, 0, "Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-256-CBC,00FF", "");
  const [decoded] = decodePemBlocks(body.join("\n"));
  assert.deepEqual(decoded.headers, { "Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00FF" });
  assert.deepEqual(new Uint8Array(decoded.der), der);
});

Deno.test("decodePemBlocks returns nothing for text without PEM", () => {
  assert.deepEqual(decodePemBlocks("[teleport]\naddr = 'x:3025'\n"), []);
});

Deno.test("decodePemBlocks rejects damaged blocks with the line and without the content", () => {
  const lines = block.split("\n");
  const cases: Array<[string, string, RegExp]> = [
    ["cut short", lines.slice(0, 2).join("\n"), /"CERTIFICATE" has no END line \(line 1\)/],
    [
      "nested BEGIN",
      `${lines.slice(0, 2).join("\n")}\n${block}`,
      /"CERTIFICATE" has no END line \(line 3\)/,
    ],
    [
      "other END label",
      block.replace("END CERTIFICATE", "END PRIVATE KEY"),
      /ends with a different END line \(line 5\)/,
    ],
    [
      "bad base64",
      block.replace(lines[1], `${lines[1].slice(0, 10)}!${lines[1].slice(11)}`),
      /"CERTIFICATE" is not valid base64 \(line 1\)/,
    ],
    ["base64 cut mid-quantum", block.replace(lines[2], lines[2].slice(0, 5)), /not valid base64/],
    ["empty body", "-----BEGIN X-----\n-----END X-----\n", /"X" is not valid base64/],
    ["malformed BEGIN", "-----BEGIN CERTIFICATE\n", /BEGIN line is malformed \(line 1\)/],
  ];
  for (const [name, text, expected] of cases) {
    assert.throws(() => decodePemBlocks(text), (error) => {
      assert.ok(error instanceof PemSyntaxError, name);
      assert.match(error.message, expected, name);
      assert.ok(!error.message.includes(lines[1].slice(0, 16)), `${name}: no content in message`);
      return true;
    });
  }
});
