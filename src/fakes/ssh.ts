/**
 * OpenSSH wire encodings for the test PKI: public keys in `authorized_keys` form and user
 * certificates (PROTOCOL.certkeys), signed with WebCrypto. Nothing in this project speaks SSH;
 * these exist so identity files have the exact layout `tctl auth sign` writes.
 *
 * @module
 */

const encoder = new TextEncoder();

/** An SSH key algorithm this module can encode. */
export type SshKeyAlgorithm = "ecdsa-sha2-nistp256" | "ssh-rsa";

/** Builds SSH wire data (RFC 4251 §5) piece by piece. */
class SshWriter {
  private readonly parts: Uint8Array[] = [];

  /** A uint32, big-endian. */
  uint32(value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, value);
    this.parts.push(bytes);
    return this;
  }

  /** A uint64, big-endian. */
  uint64(value: bigint): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, value);
    this.parts.push(bytes);
    return this;
  }

  /** A length-prefixed byte string (text is UTF-8 encoded). */
  string(value: Uint8Array | string): this {
    const bytes = typeof value === "string" ? encoder.encode(value) : value;
    this.uint32(bytes.length);
    this.parts.push(bytes);
    return this;
  }

  /** A non-negative multiple-precision integer from its unsigned big-endian bytes. */
  mpint(unsigned: Uint8Array): this {
    let start = 0;
    while (start < unsigned.length && unsigned[start] === 0) start++;
    const trimmed = unsigned.subarray(start);
    // A set top bit would read as negative, so such values get a leading zero byte.
    const needsPad = trimmed.length > 0 && (trimmed[0] & 0x80) !== 0;
    const out = new Uint8Array(trimmed.length + (needsPad ? 1 : 0));
    out.set(trimmed, needsPad ? 1 : 0);
    return this.string(out);
  }

  /** All pieces written so far, concatenated. */
  bytes(): Uint8Array<ArrayBuffer> {
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function base64UrlToBytes(text: string): Uint8Array {
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The SSH key algorithm of a WebCrypto public key (ECDSA P-256 or RSA). */
export function sshKeyAlgorithm(key: CryptoKey): SshKeyAlgorithm {
  if (key.algorithm.name === "ECDSA") return "ecdsa-sha2-nistp256";
  return "ssh-rsa";
}

/** The key fields of an SSH public key blob (everything after the algorithm name). */
async function writeKeyFields(writer: SshWriter, key: CryptoKey): Promise<void> {
  if (sshKeyAlgorithm(key) === "ecdsa-sha2-nistp256") {
    const point = new Uint8Array(await crypto.subtle.exportKey("raw", key));
    writer.string("nistp256").string(point);
    return;
  }
  const jwk = await crypto.subtle.exportKey("jwk", key);
  writer.mpint(base64UrlToBytes(jwk.e ?? "")).mpint(base64UrlToBytes(jwk.n ?? ""));
}

/** The SSH public key blob (`string algorithm` + key fields) of a WebCrypto public key. */
export async function sshPublicKeyBlob(key: CryptoKey): Promise<Uint8Array> {
  const writer = new SshWriter().string(sshKeyAlgorithm(key));
  await writeKeyFields(writer, key);
  return writer.bytes();
}

/** A public key in `authorized_keys` form: `<algorithm> <base64 blob>`. */
export async function sshAuthorizedKey(key: CryptoKey): Promise<string> {
  return `${sshKeyAlgorithm(key)} ${base64(await sshPublicKeyBlob(key))}`;
}

/** Signs `data` with the CA's private key and encodes the result as an SSH signature blob. */
async function sshSignature(
  caPrivateKey: CryptoKey,
  data: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array> {
  if (caPrivateKey.algorithm.name === "ECDSA") {
    const raw = new Uint8Array(
      await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, caPrivateKey, data),
    );
    const inner = new SshWriter().mpint(raw.subarray(0, 32)).mpint(raw.subarray(32)).bytes();
    return new SshWriter().string("ecdsa-sha2-nistp256").string(inner).bytes();
  }
  const raw = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", caPrivateKey, data));
  return new SshWriter().string("rsa-sha2-256").string(raw).bytes();
}

/** What goes into an SSH user certificate. */
export interface SshUserCertificateParams {
  /** The subject's public key. */
  readonly publicKey: CryptoKey;
  /** The CA's public key (named in the certificate). */
  readonly caPublicKey: CryptoKey;
  /** The CA's private key, which signs; RSA keys must be RSASSA-PKCS1-v1_5 with SHA-256. */
  readonly caPrivateKey: CryptoKey;
  /** Key ID; Teleport uses the username. */
  readonly keyId: string;
  /** Logins the certificate is valid for. */
  readonly principals: readonly string[];
  readonly validAfter: Date;
  readonly validBefore: Date;
}

/** An OpenSSH user certificate as one `authorized_keys`-style line: `<type>-cert-v01@openssh.com <base64>`. */
export async function sshUserCertificateLine(params: SshUserCertificateParams): Promise<string> {
  const keyAlgorithm = sshKeyAlgorithm(params.publicKey);
  const certType = `${keyAlgorithm}-cert-v01@openssh.com`;
  const principals = new SshWriter();
  for (const p of params.principals) principals.string(p);
  const extensions = new SshWriter().string("permit-pty").string("");
  const writer = new SshWriter()
    .string(certType)
    .string(crypto.getRandomValues(new Uint8Array(32)));
  await writeKeyFields(writer, params.publicKey);
  writer
    .uint64(BigInt.asUintN(64, BigInt(Date.now())))
    .uint32(1) // SSH_CERT_TYPE_USER
    .string(params.keyId)
    .string(principals.bytes())
    .uint64(BigInt(Math.max(0, Math.floor(params.validAfter.getTime() / 1000))))
    .uint64(BigInt(Math.max(0, Math.floor(params.validBefore.getTime() / 1000))))
    .string(new Uint8Array())
    .string(extensions.bytes())
    .string(new Uint8Array())
    .string(await sshPublicKeyBlob(params.caPublicKey));
  const signed = writer.bytes();
  writer.string(await sshSignature(params.caPrivateKey, signed));
  return `${certType} ${base64(writer.bytes())}`;
}
