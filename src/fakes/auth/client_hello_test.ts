import assert from "node:assert/strict";
import { parseClientHello } from "./client_hello.ts";

/** Builds a minimal TLS 1.2 ClientHello record with the given SNI and ALPN list. */
function clientHello(serverName: string | undefined, alpn: string[]): Uint8Array {
  const enc = new TextEncoder();
  const u16 = (n: number) => [n >> 8, n & 0xff];
  const ext: number[] = [];
  if (serverName !== undefined) {
    const name = [...enc.encode(serverName)];
    const entry = [0, ...u16(name.length), ...name];
    const body = [...u16(entry.length), ...entry];
    ext.push(...u16(0), ...u16(body.length), ...body);
  }
  if (alpn.length > 0) {
    const list = alpn.flatMap((p) => [p.length, ...enc.encode(p)]);
    const body = [...u16(list.length), ...list];
    ext.push(...u16(16), ...u16(body.length), ...body);
  }
  const hello = [
    3,
    3,
    ...new Array(32).fill(7), // version, random
    0, // session id
    ...u16(2),
    0x13,
    0x01, // one cipher suite
    1,
    0, // null compression
    ...u16(ext.length),
    ...ext,
  ];
  const handshake = [
    1,
    hello.length >> 16,
    (hello.length >> 8) & 0xff,
    hello.length & 0xff,
    ...hello,
  ];
  return Uint8Array.from([22, 3, 1, ...u16(handshake.length), ...handshake]);
}

Deno.test("ALPN protocols and SNI are read in the client's order", () => {
  const bytes = clientHello("teleport.cluster.local", [
    "teleport-auth@6162.teleport.cluster.local",
    "h2",
  ]);
  assert.deepEqual(parseClientHello(bytes), {
    status: "ok",
    alpn: ["teleport-auth@6162.teleport.cluster.local", "h2"],
    serverName: "teleport.cluster.local",
  });
  assert.deepEqual(parseClientHello(clientHello(undefined, [])), {
    status: "ok",
    alpn: [],
    serverName: undefined,
  });
});

Deno.test("a ClientHello arriving in pieces is incomplete until its last byte", () => {
  const bytes = clientHello("x", ["h2"]);
  for (const cut of [0, 3, 5, 9, bytes.length - 1]) {
    assert.deepEqual(
      parseClientHello(bytes.subarray(0, cut)),
      { status: "incomplete" },
      `cut ${cut}`,
    );
  }
  assert.equal(parseClientHello(bytes).status, "ok");
});

Deno.test("a handshake split across two TLS records is reassembled", () => {
  const whole = clientHello("split.example", ["a", "b"]);
  const body = whole.subarray(5);
  const half = 20;
  const record = (part: Uint8Array) => [22, 3, 1, part.length >> 8, part.length & 0xff, ...part];
  const bytes = Uint8Array.from([
    ...record(body.subarray(0, half)),
    ...record(body.subarray(half)),
  ]);
  assert.deepEqual(parseClientHello(bytes), {
    status: "ok",
    alpn: ["a", "b"],
    serverName: "split.example",
  });
});

Deno.test("non-TLS bytes and malformed hellos are invalid", () => {
  assert.equal(
    parseClientHello(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n")).status,
    "invalid",
  );
  const broken = clientHello("x", ["h2"]);
  broken[9 + 2 + 32] = 200; // session id length far beyond the message
  assert.equal(parseClientHello(broken).status, "invalid");
});
