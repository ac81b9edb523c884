/**
 * Loads and validates the plugin's Teleport credentials: an identity file (`tctl auth sign
 * --format=file`, or tbot's `identity` output) or the `--format=tls` triple (`client_key`,
 * `client_crt`, `root_cas`). The result carries what the gRPC client needs (PEM `Buffer`s for
 * `grpc.credentials.createSsl`) and what the rest of the service reports (user, roles, cluster,
 * expiry). Every failure is one {@linkcode IdentityError} naming the file, the config key and
 * the fix; key material never appears in one. Periodic reloading lives in `identity_source.ts`.
 *
 * @module
 */

import "reflect-metadata";
import { Buffer } from "node:buffer";
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { X509Certificate as ParsedCertificate } from "@peculiar/x509";
import { isKubernetesVolumeFile } from "../kubernetes_volume.ts";
import { formatDuration } from "../util/duration.ts";
import { decodePemBlocks, type PemBlock, PemSyntaxError } from "./pem.ts";
import type { CredentialFiles } from "./types.ts";
import { FileReadError, readRegularFile, type RegularFile } from "../files.ts";

/** Why credentials could not be loaded. */
export type IdentityErrorReason =
  | "not_found"
  | "unreadable"
  | "not_a_file"
  | "too_large"
  | "empty"
  | "not_identity"
  | "malformed_pem"
  | "no_key"
  | "no_certificate"
  | "no_ca"
  | "encrypted_key"
  | "unsupported_key"
  | "bad_key"
  | "bad_certificate"
  | "key_mismatch"
  | "expired"
  | "not_yet_valid";

/** Credentials that cannot be used, with one sentence naming the file and what to do. */
export class IdentityError extends Error {
  /** What is wrong, for callers that react differently (e.g. keep old credentials). */
  readonly reason: IdentityErrorReason;
  /** The file at fault; undefined when no single file is. */
  readonly path: string | undefined;
  /** The config key that names the file, e.g. `teleport.identity`. */
  readonly configKey: string;

  /** Creates the error; `message` must never contain key material. */
  constructor(
    reason: IdentityErrorReason,
    message: string,
    where: { path?: string; configKey: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "IdentityError";
    this.reason = reason;
    this.path = where.path;
    this.configKey = where.configKey;
  }
}

/** The key algorithms Teleport issues TLS client certificates for. */
export type KeyAlgorithm = "rsa" | "ecdsa";

/** The fields of {@linkcode TeleportCredentials}, as the loader fills them in. */
export type TeleportCredentialsInit = {
  readonly [K in keyof TeleportCredentials]: TeleportCredentials[K];
};

/**
 * Validated credentials for the Auth Service. The private key is held privately and exposed
 * only through {@linkcode TeleportCredentials.privateKeyPem}, so logging or JSON-encoding the
 * object cannot print it.
 */
export class TeleportCredentials {
  /** The files these were read from. */
  readonly files: CredentialFiles;
  /** Teleport user the certificate is for (subject CN). */
  readonly username: string;
  /** Teleport roles in the certificate (subject O). */
  readonly roles: readonly string[];
  /**
   * Cluster that issued the certificate: the TeleportCluster attribute (OID 1.3.9999.1.7) of
   * the subject, else the `@cert-authority` line of an identity file; undefined if neither.
   */
  readonly clusterName: string | undefined;
  /** Start of the certificate's validity. */
  readonly notBefore: Date;
  /** End of the certificate's validity: when the plugin loses access without a renewal. */
  readonly notAfter: Date;
  /** SHA-256 fingerprint of the TLS certificate (colon-separated hex), to detect renewals. */
  readonly fingerprint: string;
  /** Algorithm of the private key. */
  readonly keyAlgorithm: KeyAlgorithm;
  /** The client certificate, PEM, for `createSsl`'s third argument. */
  readonly certificatePem: Buffer;
  /** The Host CA certificates that verify the Auth Service, PEM, for `createSsl`'s first. */
  readonly rootCasPem: Buffer;
  /** How many CA certificates {@linkcode rootCasPem} holds. */
  readonly caCount: number;
  /** The SSH user certificate line of an identity file; undefined for the TLS triple. */
  readonly sshCertificate: string | undefined;
  /** Problems that do not prevent use, e.g. a key file readable by others. */
  readonly warnings: readonly string[];
  readonly #privateKeyPem: Buffer;

  /** Wraps already validated material; use {@linkcode loadCredentials} to get one. */
  constructor(init: TeleportCredentialsInit) {
    this.files = init.files;
    this.username = init.username;
    this.roles = init.roles;
    this.clusterName = init.clusterName;
    this.notBefore = init.notBefore;
    this.notAfter = init.notAfter;
    this.fingerprint = init.fingerprint;
    this.keyAlgorithm = init.keyAlgorithm;
    this.certificatePem = init.certificatePem;
    this.rootCasPem = init.rootCasPem;
    this.caCount = init.caCount;
    this.sshCertificate = init.sshCertificate;
    this.warnings = init.warnings;
    this.#privateKeyPem = init.privateKeyPem;
  }

  /** The private key, PEM, for `createSsl`'s second argument. Never log it. */
  get privateKeyPem(): Buffer {
    return this.#privateKeyPem;
  }
}

/** Identity files are a few KiB; anything far larger is the wrong file. */
const MAX_FILE_BYTES = 1024 * 1024;
const TELEPORT_CLUSTER_OID = "1.3.9999.1.7";
const KEY_TYPES: Readonly<Record<string, "pkcs1" | "pkcs8" | "sec1">> = {
  "RSA PRIVATE KEY": "pkcs1",
  "PRIVATE KEY": "pkcs8",
  "EC PRIVATE KEY": "sec1",
};
/** Curves Teleport and TLS stacks use for ECDSA client certificates. */
const TLS_CURVES = new Set(["prime256v1", "secp384r1", "secp521r1"]);

/**
 * The user `tctl auth sign --user` names in a fix when the certificate could not be read: the
 * plugin user the README creates (`tctl` requires `--user`, so the command is complete).
 */
const README_PLUGIN_USER = "pagerduty-plugin";

/** One file being read: its path, the key naming it, and how to remake it. */
interface FileRef {
  readonly path: string;
  readonly configKey: string;
  /** How the message names it, e.g. "identity file". */
  readonly noun: string;
  /**
   * What to do to get a good file, the end of every message about it; `user` is the
   * certificate's user when it was read.
   */
  readonly remedy: (user: string | undefined) => string;
}

/** `--user=…` for a fix: the certificate's own user, else the README's with a note. */
function signUser(user: string | undefined): { flag: string; note: string } {
  return user === undefined
    ? { flag: `--user=${README_PLUGIN_USER}`, note: " (with the plugin's Teleport user)" }
    : { flag: `--user=${user}`, note: "" };
}

function identityRef(path: string): FileRef {
  return {
    path,
    configKey: "teleport.identity",
    noun: "identity file",
    remedy: (user) => {
      const { flag, note } = signUser(user);
      return `re-run \`tctl auth sign ${flag} --format=file --out=${path}\`${note}, or check ` +
        "that tbot is running and writing its `identity` output there";
    },
  };
}

function tlsRef(path: string, configKey: string, noun: string): FileRef {
  // tctl writes <prefix>.key, .crt and .cas: the configured name gives the prefix back.
  const prefix = /\.(key|crt|cas)$/.test(path) ? path.slice(0, -4) : "<prefix>";
  return {
    path,
    configKey,
    noun,
    remedy: (user) => {
      const { flag, note } = signUser(user);
      return `re-run \`tctl auth sign ${flag} --format=tls --out=${prefix}\`${note} and point ` +
        "teleport.client_key, teleport.client_crt and teleport.root_cas at the .key, .crt and " +
        ".cas files";
    },
  };
}

/** The start of every sentence about a file: `Identity file /x (teleport.identity)`. */
function named(ref: FileRef): string {
  return `${ref.noun[0].toUpperCase()}${ref.noun.slice(1)} ${ref.path} (${ref.configKey})`;
}

function fail(
  ref: FileRef,
  reason: IdentityErrorReason,
  problem: string,
  cause?: unknown,
  user?: string,
): never {
  throw new IdentityError(
    reason,
    `${named(ref)} ${problem}: ${ref.remedy(user)}.`,
    { path: ref.path, configKey: ref.configKey },
    { cause },
  );
}

/** Reads one credential file as text, or fails with what is wrong with it. */
async function readText(ref: FileRef, secret: boolean, warnings: string[]): Promise<string> {
  let file: RegularFile;
  try {
    file = await readRegularFile(ref.path, MAX_FILE_BYTES);
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    switch (error.problem) {
      case "directory":
        fail(
          ref,
          "not_a_file",
          "is a directory, not a file (for a tbot destination, name the `identity` file inside it)",
        );
        break;
      case "not_regular":
        fail(ref, "not_a_file", error.reason, error);
        break;
      case "too_large":
        fail(ref, "too_large", `${error.reason}, far too large to be a credential file`, error);
        break;
      default:
        accessFailure(ref, error.cause ?? error);
    }
  }
  const { bytes, info } = file;
  if (
    secret && info.mode !== null && (info.mode & 0o077) !== 0 &&
    !(await isKubernetesVolumeFile(ref.path))
  ) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
    warnings.push(
      `${named(ref)} holds a private key and is accessible by ` +
        `group or others (mode ${mode}): run \`chmod 600 ${ref.path}\`.`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    fail(ref, "not_identity", "is binary, not a PEM text file", error);
  }
  if (text.trim() === "") {
    fail(ref, "empty", "is empty (it may be in the middle of being written)");
  }
  return text;
}

function accessFailure(ref: FileRef, error: unknown): never {
  if (error instanceof Deno.errors.NotFound) fail(ref, "not_found", "does not exist", error);
  if (error instanceof Deno.errors.NotCapable) {
    throw new IdentityError(
      "unreadable",
      `${named(ref)} is not among the files this process may ` +
        "read (Deno permissions): start it with the service's own start command, which grants " +
        "read access to the configured credential files.",
      { path: ref.path, configKey: ref.configKey },
      { cause: error },
    );
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    throw new IdentityError(
      "unreadable",
      `${named(ref)} cannot be read by this process (permission ` +
        "denied): make it readable by the user the service runs as, and by no one else.",
      { path: ref.path, configKey: ref.configKey },
      { cause: error },
    );
  }
  fail(ref, "unreadable", `cannot be read (${errorName(error)})`, error);
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "unknown error";
}

function pemBlocks(ref: FileRef, text: string): PemBlock[] {
  try {
    return decodePemBlocks(text);
  } catch (error) {
    if (error instanceof PemSyntaxError) {
      fail(
        ref,
        "malformed_pem",
        `is malformed: ${error.message}, which usually means it was cut short or edited`,
        error,
      );
    }
    throw error;
  }
}

/** Decodes the private key block, accepting exactly the forms Teleport writes. */
function parsePrivateKey(
  ref: FileRef,
  block: PemBlock,
): { key: KeyObject; algorithm: KeyAlgorithm } {
  const encrypted = block.label === "ENCRYPTED PRIVATE KEY" ||
    (block.headers["Proc-Type"] ?? "").includes("ENCRYPTED");
  if (encrypted) {
    fail(
      ref,
      "encrypted_key",
      "holds a passphrase-protected private key, which the service cannot unlock (Teleport " +
        "writes unencrypted keys)",
    );
  }
  const type = KEY_TYPES[block.label];
  if (type === undefined) {
    fail(
      ref,
      "unsupported_key",
      `holds a "${block.label}" key where an RSA or ECDSA private key (PKCS#1, PKCS#8 or SEC1 ` +
        "PEM) was expected",
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: block.der, format: "der", type });
  } catch (error) {
    fail(
      ref,
      "bad_key",
      `has a "${block.label}" block (line ${block.line}) that does not decode as that kind of key`,
      error,
    );
  }
  if (key.asymmetricKeyType === "rsa") return { key, algorithm: "rsa" };
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === "ec" && curve !== undefined && TLS_CURVES.has(curve)) {
    return { key, algorithm: "ecdsa" };
  }
  const what = key.asymmetricKeyType === "ec"
    ? `an ECDSA key on curve ${curve ?? "unknown"}`
    : `an ${key.asymmetricKeyType ?? "unknown"} key`;
  return fail(
    ref,
    "unsupported_key",
    `holds ${what}, which cannot be used for a Teleport TLS client certificate (only RSA and ` +
      "ECDSA P-256/P-384/P-521 can)",
  );
}

/** Decodes a CERTIFICATE block, both with Node (dates, key check) and for its subject. */
function parseCertificate(
  ref: FileRef,
  block: PemBlock,
  role: string,
): { cert: X509Certificate; subject: ParsedCertificate } {
  if (block.label !== "CERTIFICATE") {
    const hint = block.label.includes("PRIVATE KEY") ? " (are two config keys swapped?)" : "";
    fail(
      ref,
      role === "client certificate" ? "no_certificate" : "no_ca",
      `has a "${block.label}" block (line ${block.line}) where the ${role} should be${hint}`,
    );
  }
  try {
    return {
      cert: new X509Certificate(block.der),
      subject: new ParsedCertificate(new Uint8Array(block.der)),
    };
  } catch (error) {
    fail(
      ref,
      "bad_certificate",
      `has a ${role} (line ${block.line}) that is not a valid X.509 certificate`,
      error,
    );
  }
}

/** The cluster named in an `@cert-authority <cluster>,*.<cluster> <key>` line. */
function clusterFromCertAuthority(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    const hosts = line.split(/\s+/)[1] ?? "";
    const cluster = hosts.split(",").find((host) => host !== "" && !host.startsWith("*"));
    if (cluster !== undefined) return cluster;
  }
  return undefined;
}

/** The SSH parts of an identity file: lines, not PEM, in the layout `tctl` writes. */
interface SshLines {
  readonly certificate: string | undefined;
  readonly certAuthorities: readonly string[];
}

function sshLines(text: string): SshLines {
  let certificate: string | undefined;
  const certAuthorities: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    // Any `<type>-cert-v01@openssh.com` key type is an SSH certificate, as in Teleport's parser.
    if (/^\S+-cert-v01@openssh\.com\s/.test(line)) certificate = line;
    else if (line.startsWith("@cert-authority")) certAuthorities.push(line);
  }
  return { certificate, certAuthorities };
}

/** Checks and assembles one set of credentials from already split material. */
function assemble(
  files: CredentialFiles,
  parts: {
    keyRef: FileRef;
    keyBlock: PemBlock;
    certRef: FileRef;
    certBlock: PemBlock;
    caRef: FileRef;
    caBlocks: readonly PemBlock[];
    ssh: SshLines;
    warnings: readonly string[];
  },
): TeleportCredentials {
  const { key, algorithm } = parsePrivateKey(parts.keyRef, parts.keyBlock);
  const { cert, subject } = parseCertificate(parts.certRef, parts.certBlock, "client certificate");
  for (const block of parts.caBlocks) parseCertificate(parts.caRef, block, "CA certificate");

  if (!cert.checkPrivateKey(key)) {
    const problem = files.kind === "identity_file"
      ? "holds a private key that does not belong to its certificate (the file may mix two " +
        "sign runs or be half rewritten)"
      : `holds a private key that does not belong to the certificate in ${parts.certRef.path} ` +
        "(teleport.client_crt); the files come from different sign runs";
    fail(parts.keyRef, "key_mismatch", problem);
  }

  // Read before the dates, so the fix for an expired certificate names its user.
  const username = subject.subjectName.getField("CN")[0];
  const now = Date.now();
  const notBefore = cert.validFromDate;
  const notAfter = cert.validToDate;
  if (notAfter.getTime() <= now) {
    fail(
      parts.certRef,
      "expired",
      `holds a certificate that expired at ${notAfter.toISOString()} ` +
        `(${formatDuration(now - notAfter.getTime())} ago)`,
      undefined,
      username || undefined,
    );
  }
  if (notBefore.getTime() > now) {
    throw new IdentityError(
      "not_yet_valid",
      `${named(parts.certRef)} holds a ` +
        `certificate that is not valid until ${notBefore.toISOString()}, ` +
        `${formatDuration(notBefore.getTime() - now)} from now by this host's clock: check the ` +
        "clock (NTP) on this host and on the Auth Service.",
      { path: parts.certRef.path, configKey: parts.certRef.configKey },
    );
  }

  if (username === undefined || username === "") {
    fail(
      parts.certRef,
      "bad_certificate",
      "holds a certificate without a Common Name, so it is not a Teleport user certificate",
    );
  }
  const clusterName = subject.subjectName.getField(TELEPORT_CLUSTER_OID)[0] ??
    clusterFromCertAuthority(parts.ssh.certAuthorities);

  return new TeleportCredentials({
    files,
    username,
    roles: subject.subjectName.getField("O"),
    clusterName,
    notBefore,
    notAfter,
    fingerprint: cert.fingerprint256,
    keyAlgorithm: algorithm,
    certificatePem: Buffer.from(parts.certBlock.pem),
    rootCasPem: Buffer.from(parts.caBlocks.map((block) => block.pem).join("")),
    caCount: parts.caBlocks.length,
    sshCertificate: parts.ssh.certificate,
    warnings: parts.warnings,
    privateKeyPem: Buffer.from(parts.keyBlock.pem),
  });
}

async function loadIdentityFile(path: string): Promise<TeleportCredentials> {
  const ref = identityRef(path);
  const warnings: string[] = [];
  const text = await readText(ref, true, warnings);
  const blocks = pemBlocks(ref, text);
  const ssh = sshLines(text);
  if (blocks.length === 0) {
    fail(
      ref,
      "not_identity",
      ssh.certificate === undefined && ssh.certAuthorities.length === 0
        ? "is not an identity file (it has no PEM blocks)"
        : "has SSH lines but no PEM blocks, so it lacks the private key and TLS certificate",
    );
  }
  // Teleport's own parser: 1st PEM block = key, 2nd = TLS certificate, the rest = CAs.
  const [keyBlock, certBlock, ...caBlocks] = blocks;
  if (!(keyBlock.label in KEY_TYPES) && !keyBlock.label.includes("PRIVATE KEY")) {
    fail(
      ref,
      "no_key",
      `starts with a "${keyBlock.label}" block where the private key should be (for ` +
        "--format=tls files use teleport.client_key, teleport.client_crt and teleport.root_cas)",
    );
  }
  if (certBlock === undefined) {
    fail(ref, "no_certificate", "has a private key but no TLS certificate");
  }
  if (caBlocks.length === 0) {
    fail(ref, "no_ca", "has no TLS CA certificate to verify the Auth Service with");
  }
  return assemble({ kind: "identity_file", path }, {
    keyRef: ref,
    keyBlock,
    certRef: ref,
    certBlock,
    caRef: ref,
    caBlocks,
    ssh,
    warnings,
  });
}

async function loadTlsFiles(
  files: Extract<CredentialFiles, { kind: "tls_files" }>,
): Promise<TeleportCredentials> {
  const keyRef = tlsRef(files.keyPath, "teleport.client_key", "key file");
  const certRef = tlsRef(files.certPath, "teleport.client_crt", "certificate file");
  const caRef = tlsRef(files.casPath, "teleport.root_cas", "CA file");
  const warnings: string[] = [];
  const [keyText, certText, caText] = await Promise.all([
    readText(keyRef, true, warnings),
    readText(certRef, false, warnings),
    readText(caRef, false, warnings),
  ]);
  const keyBlock = pemBlocks(keyRef, keyText)[0];
  if (keyBlock === undefined) fail(keyRef, "no_key", "has no PEM private key");
  if (keyBlock.label === "CERTIFICATE") {
    fail(
      keyRef,
      "no_key",
      "holds a certificate where the private key should be (are two config keys swapped?)",
    );
  }
  const certBlock = pemBlocks(certRef, certText)[0];
  if (certBlock === undefined) fail(certRef, "no_certificate", "has no PEM certificate");
  const caBlocks = pemBlocks(caRef, caText);
  if (caBlocks.length === 0) fail(caRef, "no_ca", "has no PEM CA certificate");
  return assemble(files, {
    keyRef,
    keyBlock,
    certRef,
    certBlock,
    caRef,
    caBlocks,
    ssh: { certificate: undefined, certAuthorities: [] },
    warnings,
  });
}

/**
 * Reads and validates credentials: the files exist, are PEM, hold a supported unencrypted key
 * that matches a currently valid certificate, and at least one CA. Throws
 * {@linkcode IdentityError} otherwise. Whether the certificate chains to the listed CAs is
 * deliberately not checked: those are the Host CA, while the client certificate comes from the
 * User CA.
 */
export function loadCredentials(files: CredentialFiles): Promise<TeleportCredentials> {
  return files.kind === "identity_file" ? loadIdentityFile(files.path) : loadTlsFiles(files);
}
