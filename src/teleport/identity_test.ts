import "reflect-metadata";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as x509 from "@peculiar/x509";
import { writeSecretVolume } from "../fakes/kubernetes.ts";
import {
  type ClientIdentity,
  type ClientIdentityOptions,
  createClusterPki,
  identityFileText,
  writeTlsTriple,
} from "../fakes/pki.ts";
import type { CredentialFiles } from "./types.ts";
import {
  IdentityError,
  type IdentityErrorReason,
  loadCredentials,
  TeleportCredentials,
} from "./identity.ts";

const HOUR = 3_600_000;
const pki = await createClusterPki({ clusterName: "example.com" });
const good = await pki.issueClientIdentity({ user: "pagerduty-plugin", roles: ["access-plugin"] });

/** A fresh directory for one test's files, removed by the returned function. */
async function tempDir(): Promise<{ dir: string; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "identity_test_" });
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

/** A fresh ECDSA key and a certificate for `subject` signed by the cluster's User CA, as PEM. */
async function userCaSigned(
  serialNumber: string,
  subject: string,
): Promise<{ keyPem: string; certPem: string }> {
  const keys = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  );
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject,
    issuer: pki.userCa.certificate.subjectName,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + HOUR),
    publicKey: keys.publicKey,
    signingKey: pki.userCa.keys.privateKey,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
  });
  const keyDer = Buffer.from(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${keyDer.toString("base64")}\n` +
    "-----END PRIVATE KEY-----\n";
  return { keyPem, certPem: cert.toString("pem") };
}

async function writeFile(dir: string, name: string, text: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  if (typeof text === "string") await Deno.writeTextFile(path, text);
  else await Deno.writeFile(path, text);
  await Deno.chmod(path, 0o600);
  return path;
}

function issue(options: Partial<ClientIdentityOptions> = {}): Promise<ClientIdentity> {
  return pki.issueClientIdentity({
    user: "pagerduty-plugin",
    roles: ["access-plugin"],
    ...options,
  });
}

/** The base64 of a key's first body line: if a message contains it, the key leaked. */
function keyFragment(keyPem: string): string {
  return keyPem.split("\n")[1].slice(0, 24);
}

/**
 * Asserts `promise` rejects with an IdentityError of `reason` whose message is one sentence
 * naming `path` (unless undefined), the config key and the fix, and showing no key material.
 */
async function assertIdentityError(
  promise: Promise<unknown>,
  expected: {
    reason: IdentityErrorReason;
    path: string | undefined;
    configKey: string;
    says: RegExp;
    fix: RegExp;
  },
): Promise<IdentityError> {
  const error = await promise.then(
    () => assert.fail(`expected an IdentityError (${expected.reason})`),
    (error: unknown) => error,
  );
  assert.ok(error instanceof IdentityError, `not an IdentityError: ${error}`);
  assert.equal(error.reason, expected.reason, error.message);
  assert.equal(error.path, expected.path);
  assert.equal(error.configKey, expected.configKey);
  if (expected.path !== undefined) assert.ok(error.message.includes(expected.path), error.message);
  assert.ok(error.message.includes(expected.configKey), error.message);
  assert.match(error.message, expected.says);
  assert.match(error.message, expected.fix);
  assert.ok(!error.message.includes("\n"), "one line");
  assert.match(error.message, /^[A-Z].*\.$/, "one sentence: a capital to a full stop");
  assert.ok(!error.message.includes(keyFragment(good.keyPem)), "no key material");
  return error;
}

// `tctl auth sign` requires --user: the fix names the README's plugin user when the certificate
// could not be read, and the certificate's own user when it could.
const RESIGN =
  /tctl auth sign --user=pagerduty-plugin --format=file --out=\S+` \(with the plugin's Teleport user\), or check that tbot is running/;
const RESIGN_TLS =
  /tctl auth sign --user=\S+ --format=tls --out=[^<\s]+`( \(with the plugin's Teleport user\))? and point/;

Deno.test("loads a tctl identity file (ECDSA, PKCS#8) with user, roles, cluster and expiry", async () => {
  await using tmp = await tempDir();
  const path = await writeFile(tmp.dir, "identity", identityFileText(good));
  const creds = await loadCredentials({ kind: "identity_file", path });
  assert.equal(creds.username, "pagerduty-plugin");
  assert.deepEqual(creds.roles, ["access-plugin"]);
  assert.equal(creds.clusterName, "example.com");
  assert.equal(creds.keyAlgorithm, "ecdsa");
  assert.equal(creds.notAfter.getTime(), Math.floor(good.notAfter.getTime() / 1000) * 1000);
  assert.equal(creds.notBefore.getTime(), Math.floor(good.notBefore.getTime() / 1000) * 1000);
  assert.equal(creds.caCount, 1);
  assert.equal(creds.sshCertificate, good.sshCertLine);
  assert.deepEqual(creds.files, { kind: "identity_file", path });
  assert.deepEqual(creds.warnings, []);
  assert.equal(creds.certificatePem.toString(), good.certPem);
  assert.equal(creds.rootCasPem.toString(), good.hostCaCertPems.join(""));
  assert.equal(creds.privateKeyPem.toString(), good.keyPem);
  assert.equal(creds.fingerprint, await sha256Fingerprint(good.certPem));
});

async function sha256Fingerprint(pem: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new x509.X509Certificate(pem).rawData,
  );
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0").toUpperCase())
    .join(":");
}

Deno.test("the PEMs are Node Buffers that grpc-js accepts for createSsl", async () => {
  await using tmp = await tempDir();
  const path = await writeFile(tmp.dir, "identity", identityFileText(good));
  const creds = await loadCredentials({ kind: "identity_file", path });
  for (const pem of [creds.rootCasPem, creds.privateKeyPem, creds.certificatePem]) {
    assert.ok(Buffer.isBuffer(pem));
  }
  const channelCredentials = grpc.credentials.createSsl(
    creds.rootCasPem,
    creds.privateKeyPem,
    creds.certificatePem,
  );
  assert.ok(channelCredentials._isSecure());
});

Deno.test("every key form Teleport writes loads: RSA PKCS#1/PKCS#8, ECDSA SEC1/PKCS#8", async () => {
  await using tmp = await tempDir();
  const forms = [
    ["rsa-2048", "pkcs1", "RSA PRIVATE KEY", "rsa"],
    ["rsa-2048", "pkcs8", "PRIVATE KEY", "rsa"],
    ["ecdsa-p256", "sec1", "EC PRIVATE KEY", "ecdsa"],
    ["ecdsa-p256", "pkcs8", "PRIVATE KEY", "ecdsa"],
  ] as const;
  for (const [keyType, keyFormat, label, algorithm] of forms) {
    const identity = await issue({ keyType, keyFormat, user: `bot-${keyFormat}` });
    assert.ok(identity.keyPem.startsWith(`-----BEGIN ${label}-----`));
    const path = await writeFile(tmp.dir, `${keyType}-${keyFormat}`, identityFileText(identity));
    const creds = await loadCredentials({ kind: "identity_file", path });
    assert.equal(creds.keyAlgorithm, algorithm, `${keyType} ${keyFormat}`);
    assert.equal(creds.username, `bot-${keyFormat}`);
    assert.equal(creds.privateKeyPem.toString(), identity.keyPem);
  }
});

Deno.test("loads the --format=tls triple", async () => {
  await using tmp = await tempDir();
  const paths = await writeTlsTriple(tmp.dir, good);
  await Deno.chmod(paths.keyPath, 0o600);
  const files: CredentialFiles = { kind: "tls_files", ...paths };
  const creds = await loadCredentials(files);
  assert.equal(creds.username, "pagerduty-plugin");
  assert.equal(creds.clusterName, "example.com");
  assert.equal(creds.sshCertificate, undefined);
  assert.equal(creds.certificatePem.toString(), good.certPem);
  assert.equal(creds.privateKeyPem.toString(), good.keyPem);
  assert.equal(creds.rootCasPem.toString(), good.hostCaCertPems.join(""));
});

Deno.test("several Host CAs (a CA rotation) are all kept, in order", async () => {
  await using tmp = await tempDir();
  const other = await createClusterPki({ clusterName: "example.com" });
  const identity = { ...good, hostCaCertPems: [other.hostCa.certPem, pki.hostCa.certPem] };
  const path = await writeFile(tmp.dir, "identity", identityFileText(identity));
  const creds = await loadCredentials({ kind: "identity_file", path });
  assert.equal(creds.caCount, 2);
  assert.equal(creds.rootCasPem.toString(), other.hostCa.certPem + pki.hostCa.certPem);
});

Deno.test("without the TeleportCluster attribute the cluster comes from @cert-authority", async () => {
  await using tmp = await tempDir();
  const identity: ClientIdentity = {
    ...good,
    ...await userCaSigned("0102", "CN=old-plugin, O=access-plugin"),
    sshCaLines: ["@cert-authority leaf.example.org,*.leaf.example.org ecdsa-sha2-nistp256 AAAA"],
  };
  const path = await writeFile(tmp.dir, "identity", identityFileText(identity));
  const creds = await loadCredentials({ kind: "identity_file", path });
  assert.equal(creds.username, "old-plugin");
  assert.equal(creds.clusterName, "leaf.example.org");
});

Deno.test("the private key never shows when credentials are inspected or JSON-encoded", async () => {
  await using tmp = await tempDir();
  const path = await writeFile(tmp.dir, "identity", identityFileText(good));
  const creds = await loadCredentials({ kind: "identity_file", path });
  assert.ok(creds instanceof TeleportCredentials);
  const fragment = keyFragment(good.keyPem);
  assert.ok(creds.privateKeyPem.toString().includes(fragment));
  for (const shown of [Deno.inspect(creds, { depth: 10 }), JSON.stringify(creds), String(creds)]) {
    assert.ok(!shown.includes(fragment));
    assert.ok(!shown.includes("PRIVATE KEY"));
  }
  assert.ok(Deno.inspect(creds).includes("pagerduty-plugin"));
});

Deno.test("identity or key files readable by group or others get a chmod warning", async () => {
  await using tmp = await tempDir();
  const path = await writeFile(tmp.dir, "identity", identityFileText(good));
  await Deno.chmod(path, 0o640);
  const loose = await loadCredentials({ kind: "identity_file", path });
  assert.equal(loose.warnings.length, 1);
  assert.match(loose.warnings[0], /Identity file .* \(teleport\.identity\) .*\(mode 0640\)/);
  assert.ok(loose.warnings[0].includes(`chmod 600 ${path}`));

  const triple = await writeTlsTriple(tmp.dir, good);
  await Deno.chmod(triple.keyPath, 0o604);
  await Deno.chmod(triple.certPath, 0o644);
  await Deno.chmod(triple.casPath, 0o644);
  const tls = await loadCredentials({ kind: "tls_files", ...triple });
  assert.deepEqual(tls.warnings.length, 1, "only the key file is secret");
  assert.match(tls.warnings[0], /Key file .*auth\.key \(teleport\.client_key\).*mode 0604/);

  await Deno.chmod(path, 0o600);
  const tight = await loadCredentials({ kind: "identity_file", path });
  assert.deepEqual(tight.warnings, []);

  // Mounted from a Kubernetes Secret, mode 0440 is the pod spec's doing and chmod cannot help.
  const { identity } = await writeSecretVolume(join(tmp.dir, "secret"), {
    identity: identityFileText(good),
  });
  const mounted = await loadCredentials({ kind: "identity_file", path: identity });
  assert.equal(mounted.username, "pagerduty-plugin");
  assert.deepEqual(mounted.warnings, []);
});

Deno.test("missing, directory, empty and too large identity files: one clear error each", async () => {
  await using tmp = await tempDir();
  const missing = join(tmp.dir, "nope");
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: missing }), {
    reason: "not_found",
    path: missing,
    configKey: "teleport.identity",
    says: /does not exist/,
    fix: RESIGN,
  });
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: tmp.dir }), {
    reason: "not_a_file",
    path: tmp.dir,
    configKey: "teleport.identity",
    says: /is a directory.*name the `identity` file inside it/,
    fix: RESIGN,
  });
  for (const [name, text] of [["empty", ""], ["blank", " \n\n\t\n"]]) {
    const path = await writeFile(tmp.dir, name, text);
    await assertIdentityError(loadCredentials({ kind: "identity_file", path }), {
      reason: "empty",
      path,
      configKey: "teleport.identity",
      says: /is empty/,
      fix: RESIGN,
    });
  }
  const huge = await writeFile(tmp.dir, "huge", "x".repeat(1024 * 1024 + 1));
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: huge }), {
    reason: "too_large",
    path: huge,
    configKey: "teleport.identity",
    says: /is larger than 1 MiB, far too large/,
    fix: RESIGN,
  });
  // An endless device (or a link to one) is refused without being read.
  const zero = join(tmp.dir, "zero");
  await Deno.symlink("/dev/zero", zero);
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: zero }), {
    reason: "not_a_file",
    path: zero,
    configKey: "teleport.identity",
    says: /is not a regular file \(a device, pipe or socket\)/,
    fix: RESIGN,
  });
});

Deno.test({
  name: "an identity file the process user may not read: permission denied",
  // Root reads every file regardless of its mode, so this cannot fail as root.
  ignore: Deno.uid() === 0,
  fn: async () => {
    await using tmp = await tempDir();
    const path = await writeFile(tmp.dir, "identity", identityFileText(good));
    await Deno.chmod(path, 0o000);
    await assertIdentityError(loadCredentials({ kind: "identity_file", path }), {
      reason: "unreadable",
      path,
      configKey: "teleport.identity",
      says: /cannot be read by this process \(permission denied\)/,
      fix: /make it readable by the user the service runs as/,
    });
  },
});

Deno.test("an identity file outside the granted read permissions: one clear error", async () => {
  await using tmp = await tempDir();
  const path = await writeFile(tmp.dir, "identity", identityFileText(good));
  const worker = new Worker(new URL("../testing/teleport_identity_worker.ts", import.meta.url), {
    type: "module",
    deno: { permissions: { read: false, env: false, net: false, write: false, run: false } },
  });
  try {
    const result = new Promise<{ reason: string; message: string }>((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => reject(new Error(event.message));
    });
    worker.postMessage(path);
    const { reason, message } = await result;
    assert.equal(reason, "unreadable");
    assert.ok(message.includes(path));
    assert.match(message, /not among the files this process may read \(Deno permissions\)/);
  } finally {
    worker.terminate();
  }
});

Deno.test("files that are not identity files: clear errors, no content echoed", async () => {
  await using tmp = await tempDir();
  const toml = await writeFile(tmp.dir, "config.toml", "[teleport]\naddr = 'auth:3025'\n");
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: toml }), {
    reason: "not_identity",
    path: toml,
    configKey: "teleport.identity",
    says: /is not an identity file \(it has no PEM blocks\)/,
    fix: RESIGN,
  });
  const binary = await writeFile(tmp.dir, "binary", new Uint8Array([0xff, 0xfe, 0x00, 0x80]));
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: binary }), {
    reason: "not_identity",
    path: binary,
    configKey: "teleport.identity",
    says: /is binary/,
    fix: RESIGN,
  });
  const sshOnly = await writeFile(tmp.dir, "ssh", `${good.sshCertLine}\n${good.sshCaLines[0]}\n`);
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: sshOnly }), {
    reason: "not_identity",
    path: sshOnly,
    configKey: "teleport.identity",
    says: /has SSH lines but no PEM blocks/,
    fix: RESIGN,
  });
});

Deno.test("malformed PEM (cut short, bad base64) is rejected with the line", async () => {
  await using tmp = await tempDir();
  const text = identityFileText(good);
  const cut = await writeFile(tmp.dir, "cut", text.slice(0, text.lastIndexOf("-----END")));
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: cut }), {
    reason: "malformed_pem",
    path: cut,
    configKey: "teleport.identity",
    says: /is malformed: the PEM block "CERTIFICATE" has no END line \(line \d+\).*cut short/,
    fix: RESIGN,
  });
  const keyLine = good.keyPem.split("\n")[1];
  const damaged = await writeFile(
    tmp.dir,
    "damaged",
    text.replace(keyLine, `${keyLine.slice(0, 8)}*${keyLine.slice(9)}`),
  );
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: damaged }), {
    reason: "malformed_pem",
    path: damaged,
    configKey: "teleport.identity",
    says: /"PRIVATE KEY" is not valid base64 \(line 1\)/,
    fix: RESIGN,
  });
});

Deno.test("identity file without a key, certificate or CA: says which part is missing", async () => {
  await using tmp = await tempDir();
  const crtAsIdentity = await writeFile(tmp.dir, "auth.crt", good.certPem + good.hostCaCertPems[0]);
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: crtAsIdentity }), {
    reason: "no_key",
    path: crtAsIdentity,
    configKey: "teleport.identity",
    says: /starts with a "CERTIFICATE" block where the private key should be.*client_key/,
    fix: RESIGN,
  });
  const keyOnly = await writeFile(tmp.dir, "auth.key", `${good.keyPem}${good.sshCertLine}\n`);
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: keyOnly }), {
    reason: "no_certificate",
    path: keyOnly,
    configKey: "teleport.identity",
    says: /has a private key but no TLS certificate/,
    fix: RESIGN,
  });
  const noCa = await writeFile(
    tmp.dir,
    "no-ca",
    identityFileText({ ...good, hostCaCertPems: [], sshCaLines: [] }),
  );
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: noCa }), {
    reason: "no_ca",
    path: noCa,
    configKey: "teleport.identity",
    says: /has no TLS CA certificate/,
    fix: RESIGN,
  });
  const keyAsCa = await writeFile(
    tmp.dir,
    "key-as-ca",
    identityFileText({ ...good, hostCaCertPems: [good.keyPem] }),
  );
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: keyAsCa }), {
    reason: "no_ca",
    path: keyAsCa,
    configKey: "teleport.identity",
    says: /"PRIVATE KEY" block \(line \d+\) where the CA certificate should be/,
    fix: RESIGN,
  });
});

Deno.test("unsupported, encrypted and undecodable keys: one clear error each", async () => {
  await using tmp = await tempDir();
  const ed25519 = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
  const secp256k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" }).privateKey
    .export({ type: "sec1", format: "pem" }).toString();
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const encryptedPkcs8 = ec.export({
    type: "pkcs8",
    format: "pem",
    cipher: "aes-256-cbc",
    passphrase: "secret",
  }).toString();
  const encryptedSec1 = ec.export({
    type: "sec1",
    format: "pem",
    cipher: "aes-256-cbc",
    passphrase: "secret",
  }).toString();
  const openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n" +
    "-----END OPENSSH PRIVATE KEY-----\n";
  const pkcs8Body = good.keyPem.replaceAll("PRIVATE KEY", "EC PRIVATE KEY");
  const cases: Array<[string, string, IdentityErrorReason, RegExp]> = [
    ["ed25519", ed25519, "unsupported_key", /holds an ed25519 key.*only RSA and ECDSA/],
    ["secp256k1", secp256k1, "unsupported_key", /ECDSA key on curve secp256k1/],
    ["openssh", openssh, "unsupported_key", /"OPENSSH PRIVATE KEY" key where an RSA or ECDSA/],
    ["encrypted-pkcs8", encryptedPkcs8, "encrypted_key", /passphrase-protected private key/],
    ["encrypted-sec1", encryptedSec1, "encrypted_key", /passphrase-protected private key/],
    ["mislabelled", pkcs8Body, "bad_key", /"EC PRIVATE KEY" block \(line 1\) that does not decode/],
  ];
  for (const [name, keyPem, reason, says] of cases) {
    const path = await writeFile(tmp.dir, name, identityFileText({ ...good, keyPem }));
    await assertIdentityError(loadCredentials({ kind: "identity_file", path }), {
      reason,
      path,
      configKey: "teleport.identity",
      says,
      fix: RESIGN,
    });
  }
});

Deno.test("a certificate block that is not X.509 or has no user name is rejected", async () => {
  await using tmp = await tempDir();
  const garbage = "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n";
  const bad = await writeFile(tmp.dir, "bad", identityFileText({ ...good, certPem: garbage }));
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: bad }), {
    reason: "bad_certificate",
    path: bad,
    configKey: "teleport.identity",
    says: /client certificate \(line \d+\) that is not a valid X\.509 certificate/,
    fix: RESIGN,
  });
  // Teleport always puts the user in the CN; a leaf without one is some other certificate.
  const path = await writeFile(
    tmp.dir,
    "no-cn",
    identityFileText({ ...good, ...await userCaSigned("03", "O=access-plugin") }),
  );
  await assertIdentityError(loadCredentials({ kind: "identity_file", path }), {
    reason: "bad_certificate",
    path,
    configKey: "teleport.identity",
    says: /without a Common Name, so it is not a Teleport user certificate/,
    fix: RESIGN,
  });
});

Deno.test("a key that does not belong to the certificate is rejected", async () => {
  await using tmp = await tempDir();
  const other = await issue();
  const mixed = await writeFile(
    tmp.dir,
    "mixed",
    identityFileText({ ...good, keyPem: other.keyPem }),
  );
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: mixed }), {
    reason: "key_mismatch",
    path: mixed,
    configKey: "teleport.identity",
    says: /private key that does not belong to its certificate/,
    fix: RESIGN,
  });
  const triple = await writeTlsTriple(tmp.dir, good);
  await Deno.writeTextFile(triple.keyPath, other.keyPem);
  const error = await assertIdentityError(loadCredentials({ kind: "tls_files", ...triple }), {
    reason: "key_mismatch",
    path: triple.keyPath,
    configKey: "teleport.client_key",
    says: /does not belong to the certificate in .*auth\.crt \(teleport\.client_crt\)/,
    fix: RESIGN_TLS,
  });
  assert.ok(!error.message.includes(keyFragment(other.keyPem)));
});

Deno.test("expired and not-yet-valid certificates: say when, and what to check", async () => {
  await using tmp = await tempDir();
  const expired = await issue({
    user: "bot-pagerduty",
    notBefore: new Date(Date.now() - 13 * HOUR),
    notAfter: new Date(Date.now() - HOUR - 5 * 60_000),
  });
  const expiredPath = await writeFile(tmp.dir, "expired", identityFileText(expired));
  const when = new Date(Math.floor(expired.notAfter.getTime() / 1000) * 1000).toISOString();
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: expiredPath }), {
    reason: "expired",
    path: expiredPath,
    configKey: "teleport.identity",
    says: new RegExp(`certificate that expired at ${when.replace(".", "\\.")} \\(1h 5m ago\\)`),
    fix: new RegExp(
      `re-run \`tctl auth sign --user=bot-pagerduty --format=file --out=${expiredPath}\`, or check that tbot is running`,
    ),
  });
  const future = await issue({
    notBefore: new Date(Date.now() + 2 * HOUR),
    notAfter: new Date(Date.now() + 14 * HOUR),
  });
  const futurePath = await writeFile(tmp.dir, "future", identityFileText(future));
  await assertIdentityError(loadCredentials({ kind: "identity_file", path: futurePath }), {
    reason: "not_yet_valid",
    path: futurePath,
    configKey: "teleport.identity",
    says: /not valid until .*, (1h 59m|2h) from now by this host's clock/,
    fix: /check the clock \(NTP\) on this host and on the Auth Service/,
  });
  const triple = await writeTlsTriple(tmp.dir, expired);
  await assertIdentityError(loadCredentials({ kind: "tls_files", ...triple }), {
    reason: "expired",
    path: triple.certPath,
    configKey: "teleport.client_crt",
    says: /^Certificate file .* holds a certificate that expired/,
    fix: RESIGN_TLS,
  });
});

Deno.test("a certificate from another CA than the listed (Host) CAs is accepted", async () => {
  await using tmp = await tempDir();
  const stranger = await createClusterPki({ clusterName: "other.example.com" });
  const foreign = await issue({ signer: stranger.userCa });
  const path = await writeFile(tmp.dir, "identity", identityFileText(foreign));
  const creds = await loadCredentials({ kind: "identity_file", path });
  assert.equal(creds.username, "pagerduty-plugin");
});

Deno.test("the TLS triple: each file's problem names that file and its key", async () => {
  await using tmp = await tempDir();
  const triple = await writeTlsTriple(tmp.dir, good);
  const missingCas = join(tmp.dir, "missing.cas");
  await assertIdentityError(
    loadCredentials({ kind: "tls_files", ...triple, casPath: missingCas }),
    {
      reason: "not_found",
      path: missingCas,
      configKey: "teleport.root_cas",
      says: /CA file .* does not exist/,
      fix: RESIGN_TLS,
    },
  );
  await assertIdentityError(
    loadCredentials({
      kind: "tls_files",
      keyPath: triple.certPath,
      certPath: triple.keyPath,
      casPath: triple.casPath,
    }),
    {
      reason: "no_key",
      path: triple.certPath,
      configKey: "teleport.client_key",
      says: /holds a certificate where the private key should be \(are two config keys swapped\?\)/,
      fix: RESIGN_TLS,
    },
  );
  await assertIdentityError(
    loadCredentials({ kind: "tls_files", ...triple, certPath: triple.keyPath }),
    {
      reason: "no_certificate",
      path: triple.keyPath,
      configKey: "teleport.client_crt",
      says: /"PRIVATE KEY" block \(line 1\) where the client certificate should be \(are two/,
      fix: RESIGN_TLS,
    },
  );
  const noPem = await writeFile(tmp.dir, "plain.cas", "not a certificate\n");
  await assertIdentityError(loadCredentials({ kind: "tls_files", ...triple, casPath: noPem }), {
    reason: "no_ca",
    path: noPem,
    configKey: "teleport.root_cas",
    says: /has no PEM CA certificate/,
    fix: RESIGN_TLS,
  });
  const noKey = await writeFile(tmp.dir, "plain.key", "not a key\n");
  await assertIdentityError(loadCredentials({ kind: "tls_files", ...triple, keyPath: noKey }), {
    reason: "no_key",
    path: noKey,
    configKey: "teleport.client_key",
    says: /has no PEM private key/,
    fix: RESIGN_TLS,
  });
});
