/**
 * Reads the ALPN protocols and SNI name from the first bytes of a TLS connection (the
 * ClientHello, RFC 8446 §4.1.2), without terminating TLS: what a TLS-routing proxy peeks at.
 *
 * @module
 */

/** The outcome of reading a ClientHello from the bytes received so far. */
export type ClientHelloResult =
  | { readonly status: "incomplete" }
  | { readonly status: "invalid"; readonly reason: string }
  | {
    readonly status: "ok";
    /** ALPN protocols in the client's order (empty without the extension). */
    readonly alpn: readonly string[];
    /** The SNI host name, if sent. */
    readonly serverName: string | undefined;
  };

/** A ClientHello larger than this is refused rather than buffered. */
export const MAX_CLIENT_HELLO_BYTES = 65_536;

const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;

class Reader {
  #offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.#offset;
  }

  uint(n: 1 | 2 | 3): number {
    if (this.remaining < n) throw new RangeError("truncated");
    let value = 0;
    for (let i = 0; i < n; i++) value = value * 256 + this.bytes[this.#offset++];
    return value;
  }

  take(n: number): Uint8Array {
    if (this.remaining < n) throw new RangeError("truncated");
    const out = this.bytes.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }

  /** Everything not read yet. */
  rest(): Uint8Array {
    return this.take(this.remaining);
  }

  /** A length-prefixed vector whose length field has `n` bytes. */
  vector(n: 1 | 2 | 3): Reader {
    return new Reader(this.take(this.uint(n)));
  }
}

/** Joins the handshake-record fragments received so far; undefined if a record is not handshake. */
function handshakeBytes(bytes: Uint8Array): { data: Uint8Array; complete: boolean } | undefined {
  const parts: Uint8Array[] = [];
  let offset = 0;
  let total = 0;
  while (bytes.length - offset >= 5) {
    if (bytes[offset] !== RECORD_HANDSHAKE) return undefined;
    const length = bytes[offset + 3] * 256 + bytes[offset + 4];
    if (bytes.length - offset - 5 < length) break;
    parts.push(bytes.subarray(offset + 5, offset + 5 + length));
    total += length;
    offset += 5 + length;
  }
  const data = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.length;
  }
  const complete = data.length >= 4 && data.length >= 4 + (data[1] << 16 | data[2] << 8 | data[3]);
  return { data, complete };
}

function readExtensions(hello: Reader): { alpn: string[]; serverName: string | undefined } {
  const result: { alpn: string[]; serverName: string | undefined } = {
    alpn: [],
    serverName: undefined,
  };
  if (hello.remaining === 0) return result;
  const extensions = hello.vector(2);
  const decoder = new TextDecoder();
  while (extensions.remaining > 0) {
    const type = extensions.uint(2);
    const body = extensions.vector(2);
    if (type === EXT_ALPN) {
      const list = body.vector(2);
      while (list.remaining > 0) result.alpn.push(decoder.decode(list.vector(1).rest()));
    } else if (type === EXT_SERVER_NAME) {
      const list = body.vector(2);
      while (list.remaining > 0) {
        const nameType = list.uint(1);
        const name = list.vector(2).rest();
        if (nameType === 0) result.serverName = decoder.decode(name);
      }
    }
  }
  return result;
}

/** Parses the ClientHello at the start of `bytes`, which may still be incomplete. */
export function parseClientHello(bytes: Uint8Array): ClientHelloResult {
  if (bytes.length > MAX_CLIENT_HELLO_BYTES) {
    return { status: "invalid", reason: "ClientHello is too large" };
  }
  const handshake = handshakeBytes(bytes);
  if (!handshake) return { status: "invalid", reason: "not a TLS handshake record" };
  if (handshake.data.length > 0 && handshake.data[0] !== HANDSHAKE_CLIENT_HELLO) {
    return { status: "invalid", reason: "first handshake message is not a ClientHello" };
  }
  if (!handshake.complete) return { status: "incomplete" };
  try {
    const message = new Reader(handshake.data);
    message.uint(1);
    const hello = message.vector(3);
    hello.take(2 + 32); // legacy_version, random
    hello.vector(1); // legacy_session_id
    hello.vector(2); // cipher_suites
    hello.vector(1); // legacy_compression_methods
    return { status: "ok", ...readExtensions(hello) };
  } catch (error) {
    return { status: "invalid", reason: `malformed ClientHello (${(error as Error).message})` };
  }
}
