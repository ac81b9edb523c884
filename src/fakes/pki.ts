/**
 * A test PKI made at run time, shaped like a Teleport cluster's: a Host CA that signs server
 * certificates (clients trust it) and a User CA that signs client certificates (the server
 * trusts it). Client certificates encode the Teleport identity as Teleport does (CN = user,
 * O = roles), and identities can be written in the layouts `tctl auth sign` produces.
 *
 * Used by tests and by the embedded demo, so it needs no openssl binary.
 *
 * @module
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { createPrivateKey } from "node:crypto";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { sshAuthorizedKey, sshUserCertificateLine } from "./ssh.ts";

/** The name every Teleport service certificate carries and clients verify (`constants.APIDomain`). */
export const TELEPORT_API_DOMAIN = "teleport.cluster.local";

/** OID of the Teleport cluster name attribute in a client certificate subject (`tlsca`). */
export const TELEPORT_CLUSTER_OID = "1.3.9999.1.7";

/** Key algorithm of a generated key. ECDSA is the fast default. */
export type KeyType = "ecdsa-p256" | "rsa-2048";

/**
 * PEM encoding of a private key: `pkcs1` = `RSA PRIVATE KEY` (RSA only), `sec1` =
 * `EC PRIVATE KEY` (ECDSA only), `pkcs8` = `PRIVATE KEY` (either).
 */
export type KeyFormat = "pkcs1" | "pkcs8" | "sec1";

/** A certificate authority: its self-signed certificate and its key pair. */
export interface CertificateAuthority {
  /** Subject common name. */
  readonly commonName: string;
  /** The CA certificate, PEM. */
  readonly certPem: string;
  /** The CA certificate, parsed. */
  readonly certificate: x509.X509Certificate;
  /** The CA key pair; the private key signs issued certificates. */
  readonly keys: CryptoKeyPair;
}

/** Options for {@linkcode createCertificateAuthority}. */
export interface CertificateAuthorityOptions {
  readonly commonName: string;
  /** Subject organization; defaults to the common name, as Teleport does. */
  readonly organization?: string;
  /** Subject organizational unit, to tell CAs apart when reading certificates. */
  readonly organizationalUnit?: string;
  /** Defaults to `ecdsa-p256`. */
  readonly keyType?: KeyType;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

/** A server certificate and its key, ready for `grpc.ServerCredentials.createSsl`. */
export interface ServerCertificate {
  /** Leaf certificate, PEM. */
  readonly certPem: string;
  /** Private key, PEM (PKCS#8). Secret. */
  readonly keyPem: string;
  /** DNS names in the subject alternative name extension. */
  readonly dnsNames: readonly string[];
}

/** Options for {@linkcode ClusterPki.issueServerCert}. */
export interface ServerCertOptions {
  /** DNS names beyond `teleport.cluster.local` and `*.teleport.cluster.local`. */
  readonly extraDnsNames?: readonly string[];
  /** IP addresses to add as SANs. */
  readonly ipAddresses?: readonly string[];
  /** Defaults to `ecdsa-p256`. */
  readonly keyType?: KeyType;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

/** Options for {@linkcode ClusterPki.issueClientIdentity}. */
export interface ClientIdentityOptions {
  /** Teleport username (the certificate CN). */
  readonly user: string;
  /** Teleport roles (the certificate O values). */
  readonly roles?: readonly string[];
  /** Logins (the certificate L values and SSH principals); defaults to none in X.509. */
  readonly logins?: readonly string[];
  /** Defaults to `ecdsa-p256`. */
  readonly keyType?: KeyType;
  /** Defaults to what `tctl` writes: `pkcs8` for ECDSA, `pkcs1` for RSA. */
  readonly keyFormat?: KeyFormat;
  /** Defaults to one minute ago (allowing for clock skew, as Teleport does). */
  readonly notBefore?: Date;
  /** Defaults to 12 hours from now, `tctl auth sign`'s default TTL. */
  readonly notAfter?: Date;
  /** CA that signs the certificate; defaults to the cluster's User CA. Another CA makes an untrusted identity. */
  readonly signer?: CertificateAuthority;
}

/** A client identity as `tctl auth sign` would produce it. */
export interface ClientIdentity {
  readonly clusterName: string;
  readonly user: string;
  readonly roles: readonly string[];
  readonly keyType: KeyType;
  readonly keyFormat: KeyFormat;
  /** Private key, PEM in {@linkcode keyFormat}. Secret. */
  readonly keyPem: string;
  /** TLS client certificate, PEM. */
  readonly certPem: string;
  /** SSH user certificate line (`<type>-cert-v01@openssh.com AAAA…`). */
  readonly sshCertLine: string;
  /** Host CA certificates the client uses to verify the server, PEM each. */
  readonly hostCaCertPems: readonly string[];
  /** `@cert-authority` known_hosts lines for the Host CA. */
  readonly sshCaLines: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Options for {@linkcode createClusterPki}. */
export interface ClusterPkiOptions {
  /** Teleport cluster name; also the CA subject names. */
  readonly clusterName: string;
  /** Key type of both CAs; defaults to `ecdsa-p256`. */
  readonly keyType?: KeyType;
}

/** Where {@linkcode writeTlsTriple} put the files. */
export interface TlsTriplePaths {
  readonly keyPath: string;
  readonly certPath: string;
  readonly casPath: string;
}

/** An error in the options given to the test PKI. */
export class PkiError extends Error {
  /** Creates an error with a one-sentence message naming the option to fix. */
  constructor(message: string) {
    super(message);
    this.name = "PkiError";
  }
}

const HOUR_MS = 3_600_000;

function keyAlgorithm(keyType: KeyType): RsaHashedKeyGenParams | EcKeyGenParams {
  return keyType === "rsa-2048"
    ? {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    }
    : { name: "ECDSA", namedCurve: "P-256" };
}

function signingAlgorithm(caKeys: CryptoKeyPair): Algorithm | EcdsaParams {
  return caKeys.privateKey.algorithm.name === "ECDSA"
    ? { name: "ECDSA", hash: "SHA-256" }
    : { name: "RSASSA-PKCS1-v1_5" };
}

async function generateKeys(keyType: KeyType): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(keyAlgorithm(keyType), true, ["sign", "verify"]);
}

/** A positive serial number of 16 random bytes (the top bit clear keeps it positive in DER). */
function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function ensureTrailingNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

async function privateKeyPem(keys: CryptoKeyPair, format: KeyFormat): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  const key = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  return ensureTrailingNewline(key.export({ format: "pem", type: format }));
}

function checkKeyFormat(keyType: KeyType, format: KeyFormat): void {
  if (keyType === "rsa-2048" && format === "sec1") {
    throw new PkiError(
      'keyFormat "sec1" is only for ECDSA keys; use "pkcs1" or "pkcs8" with keyType "rsa-2048".',
    );
  }
  if (keyType === "ecdsa-p256" && format === "pkcs1") {
    throw new PkiError(
      'keyFormat "pkcs1" is only for RSA keys; use "sec1" or "pkcs8" with keyType "ecdsa-p256".',
    );
  }
}

function certPem(cert: x509.X509Certificate): string {
  return ensureTrailingNewline(cert.toString("pem"));
}

/** Creates a self-signed certificate authority. */
export async function createCertificateAuthority(
  options: CertificateAuthorityOptions,
): Promise<CertificateAuthority> {
  const keys = await generateKeys(options.keyType ?? "ecdsa-p256");
  const name: x509.JsonName = [
    { CN: [options.commonName] },
    { O: [options.organization ?? options.commonName] },
  ];
  if (options.organizationalUnit !== undefined) name.push({ OU: [options.organizationalUnit] });
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    notBefore: options.notBefore ?? new Date(now - HOUR_MS),
    notAfter: options.notAfter ?? new Date(now + 10 * 365 * 24 * HOUR_MS),
    keys,
    signingAlgorithm: signingAlgorithm(keys),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign |
          x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { commonName: options.commonName, certPem: certPem(certificate), certificate, keys };
}

interface LeafParams {
  readonly ca: CertificateAuthority;
  readonly subject: x509.JsonNameParams;
  readonly publicKey: CryptoKey;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly sanExtension?: x509.Extension;
}

async function issueLeaf(params: LeafParams): Promise<x509.X509Certificate> {
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    // Teleport marks both server and user certificates for server and client auth.
    new x509.ExtendedKeyUsageExtension([
      x509.ExtendedKeyUsage.serverAuth,
      x509.ExtendedKeyUsage.clientAuth,
    ]),
    await x509.AuthorityKeyIdentifierExtension.create(params.ca.keys.publicKey),
  ];
  if (params.sanExtension) extensions.push(params.sanExtension);
  return await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: new x509.Name(params.subject),
    issuer: params.ca.certificate.subjectName,
    notBefore: params.notBefore,
    notAfter: params.notAfter,
    publicKey: params.publicKey,
    signingKey: params.ca.keys.privateKey,
    signingAlgorithm: signingAlgorithm(params.ca.keys),
    extensions,
  });
}

/** A Teleport cluster's CAs, able to issue server certificates and client identities. */
export class ClusterPki {
  /** The Teleport cluster name. */
  readonly clusterName: string;
  /** Signs server certificates; clients trust its certificate. */
  readonly hostCa: CertificateAuthority;
  /** Signs client certificates; the server trusts its certificate. */
  readonly userCa: CertificateAuthority;
  readonly #sshCaLine: string;

  private constructor(
    clusterName: string,
    hostCa: CertificateAuthority,
    userCa: CertificateAuthority,
    sshCaLine: string,
  ) {
    this.clusterName = clusterName;
    this.hostCa = hostCa;
    this.userCa = userCa;
    this.#sshCaLine = sshCaLine;
  }

  /** Creates both CAs of a cluster. */
  static async create(options: ClusterPkiOptions): Promise<ClusterPki> {
    if (options.clusterName.trim() === "") {
      throw new PkiError("clusterName must not be empty; pass the Teleport cluster name.");
    }
    const [hostCa, userCa] = await Promise.all(
      (["host", "user"] as const).map((ou) =>
        createCertificateAuthority({
          commonName: options.clusterName,
          organizationalUnit: `${ou}-ca`,
          keyType: options.keyType,
        })
      ),
    );
    const c = options.clusterName;
    const sshCaLine = `@cert-authority ${c},*.${c} ${await sshAuthorizedKey(
      hostCa.keys.publicKey,
    )} type=host`;
    return new ClusterPki(options.clusterName, hostCa, userCa, sshCaLine);
  }

  /**
   * Issues a server certificate signed by the Host CA with SANs `teleport.cluster.local`,
   * `*.teleport.cluster.local` and any extra names.
   */
  async issueServerCert(options: ServerCertOptions = {}): Promise<ServerCertificate> {
    const keys = await generateKeys(options.keyType ?? "ecdsa-p256");
    const dnsNames = [
      TELEPORT_API_DOMAIN,
      `*.${TELEPORT_API_DOMAIN}`,
      ...(options.extraDnsNames ?? []),
    ];
    const now = Date.now();
    const certificate = await issueLeaf({
      ca: this.hostCa,
      subject: [{ CN: [TELEPORT_API_DOMAIN] }, { O: ["Auth"] }],
      publicKey: keys.publicKey,
      notBefore: options.notBefore ?? new Date(now - 60_000),
      notAfter: options.notAfter ?? new Date(now + 365 * 24 * HOUR_MS),
      sanExtension: new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: "dns" as const, value })),
        ...(options.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
      ]),
    });
    return { certPem: certPem(certificate), keyPem: await privateKeyPem(keys, "pkcs8"), dnsNames };
  }

  /** Issues a client identity for a Teleport user (CN = user, O = roles), signed by the User CA by default. */
  async issueClientIdentity(options: ClientIdentityOptions): Promise<ClientIdentity> {
    if (options.user === "") {
      throw new PkiError("user must not be empty; pass a Teleport username.");
    }
    const keyType = options.keyType ?? "ecdsa-p256";
    const keyFormat = options.keyFormat ?? (keyType === "rsa-2048" ? "pkcs1" : "pkcs8");
    checkKeyFormat(keyType, keyFormat);
    const signer = options.signer ?? this.userCa;
    const roles = [...(options.roles ?? [])];
    const logins = [...(options.logins ?? [])];
    const now = Date.now();
    const notBefore = options.notBefore ?? new Date(now - 60_000);
    const notAfter = options.notAfter ?? new Date(now + 12 * HOUR_MS);
    const keys = await generateKeys(keyType);
    const subject: x509.JsonNameParams = [{ CN: [options.user] }];
    if (roles.length > 0) subject.push({ O: roles });
    if (logins.length > 0) subject.push({ L: logins });
    subject.push({ [TELEPORT_CLUSTER_OID]: [this.clusterName] });
    const certificate = await issueLeaf({
      ca: signer,
      subject,
      publicKey: keys.publicKey,
      notBefore,
      notAfter,
    });
    const sshCertLine = await sshUserCertificateLine({
      publicKey: keys.publicKey,
      caPublicKey: signer.keys.publicKey,
      caPrivateKey: signer.keys.privateKey,
      keyId: options.user,
      principals: logins.length > 0 ? logins : [options.user],
      validAfter: notBefore,
      validBefore: notAfter,
    });
    return {
      clusterName: this.clusterName,
      user: options.user,
      roles,
      keyType,
      keyFormat,
      keyPem: await privateKeyPem(keys, keyFormat),
      certPem: certPem(certificate),
      sshCertLine,
      hostCaCertPems: [this.hostCa.certPem],
      sshCaLines: [this.#sshCaLine],
      notBefore,
      notAfter,
    };
  }
}

/** Creates a cluster PKI (Host CA and User CA). */
export async function createClusterPki(options: ClusterPkiOptions): Promise<ClusterPki> {
  return await ClusterPki.create(options);
}

/**
 * The identity file `tctl auth sign --format=file` writes: private key PEM, SSH certificate
 * line, TLS certificate PEM, `@cert-authority` lines, then the Host CA certificate PEMs, each
 * block ending with a newline.
 */
export function identityFileText(identity: ClientIdentity): string {
  return [
    identity.keyPem,
    identity.sshCertLine,
    identity.certPem,
    ...identity.sshCaLines,
    ...identity.hostCaCertPems,
  ].map(ensureTrailingNewline).join("");
}

/** Writes the identity file into `dir` (mode 0600) and returns its path. */
export async function writeIdentityFile(
  dir: string,
  identity: ClientIdentity,
  fileName = "identity",
): Promise<string> {
  const path = join(dir, fileName);
  await Deno.writeTextFile(path, identityFileText(identity), { mode: 0o600 });
  return path;
}

/**
 * Writes the `tctl auth sign --format=tls --out=<baseName>` triple into `dir`:
 * `<baseName>.key`, `<baseName>.crt` and `<baseName>.cas` (the Host CA certificates).
 */
export async function writeTlsTriple(
  dir: string,
  identity: ClientIdentity,
  baseName = "auth",
): Promise<TlsTriplePaths> {
  const paths = {
    keyPath: join(dir, `${baseName}.key`),
    certPath: join(dir, `${baseName}.crt`),
    casPath: join(dir, `${baseName}.cas`),
  };
  await Deno.writeTextFile(paths.keyPath, identity.keyPem, { mode: 0o600 });
  await Deno.writeTextFile(paths.certPath, identity.certPem);
  await Deno.writeTextFile(
    paths.casPath,
    identity.hostCaCertPems.map(ensureTrailingNewline).join(""),
  );
  return paths;
}
