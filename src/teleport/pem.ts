/**
 * PEM (RFC 7468) block scanning for credential files. Lines outside blocks are skipped, so the
 * same scanner reads an identity file (which interleaves SSH lines) and plain PEM files.
 * Errors carry line numbers and labels only, never the encoded bytes: the blocks may be keys.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/** One decoded PEM block. */
export interface PemBlock {
  /** The label between `BEGIN ` and the dashes, e.g. `CERTIFICATE` or `EC PRIVATE KEY`. */
  readonly label: string;
  /** RFC 1421 headers (`Proc-Type`, `DEK-Info`), which only encrypted legacy keys have. */
  readonly headers: Readonly<Record<string, string>>;
  /** The decoded body. */
  readonly der: Buffer;
  /** The block re-encoded canonically (64-column base64, trailing newline), headers dropped. */
  readonly pem: string;
  /** 1-based line of the `BEGIN` line, for error messages. */
  readonly line: number;
}

/** A PEM block that cannot be decoded; says where and why, without any of its content. */
export class PemSyntaxError extends Error {
  /** 1-based line where the problem is. */
  readonly line: number;

  /** Creates the error for a problem at `line`. */
  constructor(line: number, problem: string) {
    super(`${problem} (line ${line})`);
    this.name = "PemSyntaxError";
    this.line = line;
  }
}

const BEGIN = /^-----BEGIN ([\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?-----$/;
const END = /^-----END ([\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?-----$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEADER = /^([A-Za-z0-9-]+):\s*(.*)$/;

/**
 * Decodes every PEM block in `text`, in order. Throws {@linkcode PemSyntaxError} for a block
 * that has no END line, whose END label differs, that nests another BEGIN, or whose body is
 * not valid base64: a half-written file must be rejected rather than read short.
 */
export function decodePemBlocks(text: string): PemBlock[] {
  const lines = text.split(/\r?\n/);
  const blocks: PemBlock[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index].trim();
    index++;
    if (!line.startsWith("-----BEGIN")) continue;
    const beginLine = index;
    const begin = BEGIN.exec(line);
    if (begin === null || begin[1] === undefined) {
      throw new PemSyntaxError(beginLine, "a PEM BEGIN line is malformed");
    }
    const label = begin[1];
    const headers: Record<string, string> = {};
    const body: string[] = [];
    let ended = false;
    while (index < lines.length) {
      const inner = lines[index].trim();
      index++;
      if (inner.startsWith("-----END")) {
        const end = END.exec(inner);
        if (end === null || end[1] !== label) {
          throw new PemSyntaxError(
            index,
            `the PEM block "${label}" ends with a different END line`,
          );
        }
        ended = true;
        break;
      }
      if (inner.startsWith("-----BEGIN")) {
        throw new PemSyntaxError(index, `the PEM block "${label}" has no END line`);
      }
      const header = body.length === 0 ? HEADER.exec(inner) : null;
      if (header !== null) headers[header[1]] = header[2];
      else if (inner !== "") body.push(inner);
    }
    if (!ended) throw new PemSyntaxError(beginLine, `the PEM block "${label}" has no END line`);
    const base64 = body.join("");
    if (base64.length === 0 || base64.length % 4 !== 0 || !BASE64.test(base64)) {
      throw new PemSyntaxError(beginLine, `the PEM block "${label}" is not valid base64`);
    }
    const der = Buffer.from(base64, "base64");
    blocks.push({ label, headers, der, pem: encodePem(label, der), line: beginLine });
  }
  return blocks;
}

/** Encodes `der` as a PEM block with the given label, 64 base64 characters per line. */
export function encodePem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString("base64");
  const rows = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${rows.join("\n")}\n-----END ${label}-----\n`;
}
