import assert from "node:assert/strict";
import { createPrivateKey, verify, X509Certificate } from "node:crypto";
import { Buffer } from "node:buffer";
import * as tls from "node:tls";
import type { AddressInfo } from "node:net";
import {
  type ClientIdentity,
  type ClusterPki,
  createCertificateAuthority,
  createClusterPki,
  identityFileText,
  PkiError,
  TELEPORT_CLUSTER_OID,
  writeIdentityFile,
  writeTlsTriple,
} from "./pki.ts";

const pki: ClusterPki = await createClusterPki({ clusterName: "example.com" });
const server = await pki.issueServerCert({ extraDnsNames: ["auth.example.com"] });

function pemBlocks(text: string): string[] {
  return [...text.matchAll(/-----BEGIN ([A-Z ]+)-----/g)].map((m) => m[1]);
}

/** Runs one mTLS handshake against a server that trusts the User CA; resolves to the peer CN or the error. */
async function handshake(
  identity: ClientIdentity,
): Promise<{ ok: true; peerCn: string } | { ok: false; error: string }> {
  let peerCn = "";
  const srv = tls.createServer({
    key: Buffer.from(server.keyPem),
    cert: Buffer.from(server.certPem),
    ca: Buffer.from(pki.userCa.certPem),
    requestCert: true,
    rejectUnauthorized: true,
  }, (socket) => {
    peerCn = String(socket.getPeerCertificate().subject?.CN ?? "");
    socket.end("hello");
  });
  srv.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as AddressInfo;
  try {
    return await new Promise((resolve) => {
      const socket = tls.connect({
        host: "127.0.0.1",
        port,
        servername: "teleport.cluster.local",
        key: Buffer.from(identity.keyPem),
        cert: Buffer.from(identity.certPem),
        ca: identity.hostCaCertPems.map((p) => Buffer.from(p)),
      });
      let data = "";
      socket.on("data", (chunk) => data += chunk.toString());
      socket.on("end", () => {
        socket.destroy();
        resolve(data === "hello" ? { ok: true, peerCn } : { ok: false, error: "no data" });
      });
      socket.on("error", (err) => {
        socket.destroy();
        resolve({ ok: false, error: err.message });
      });
    });
  } finally {
    await new Promise((resolve) => srv.close(resolve));
  }
}

Deno.test("client certificate encodes the Teleport identity and chains to the User CA only", async () => {
  const identity = await pki.issueClientIdentity({
    user: "pagerduty-plugin",
    roles: ["access-plugin", "editor"],
  });
  const cert = new X509Certificate(identity.certPem);
  assert.equal(cert.subject.split("\n").find((l) => l.startsWith("CN=")), "CN=pagerduty-plugin");
  assert.match(cert.subject, /O=access-plugin \+ O=editor/);
  assert.match(
    cert.subject,
    new RegExp(`OID\\(${TELEPORT_CLUSTER_OID.replaceAll(".", "\\.")}\\)=example\\.com`),
  );
  assert.equal(cert.verify(new X509Certificate(pki.userCa.certPem).publicKey), true);
  assert.equal(cert.verify(new X509Certificate(pki.hostCa.certPem).publicKey), false);
  assert.equal(cert.checkPrivateKey(createPrivateKey(identity.keyPem)), true);
  assert.deepEqual(identity.hostCaCertPems, [pki.hostCa.certPem]);
});

Deno.test("server certificate carries Teleport's SANs plus extras and chains to the Host CA", () => {
  const cert = new X509Certificate(server.certPem);
  assert.equal(
    cert.subjectAltName,
    "DNS:teleport.cluster.local, DNS:*.teleport.cluster.local, DNS:auth.example.com",
  );
  assert.equal(cert.verify(new X509Certificate(pki.hostCa.certPem).publicKey), true);
  assert.equal(cert.checkHost("teleport.cluster.local"), "teleport.cluster.local");
  assert.equal(cert.checkHost("other.example.com"), undefined);
});

Deno.test("key types and PEM formats are the ones requested", async () => {
  const cases = [
    { keyType: "ecdsa-p256", keyFormat: undefined, header: "PRIVATE KEY", asym: "ec" },
    { keyType: "ecdsa-p256", keyFormat: "sec1", header: "EC PRIVATE KEY", asym: "ec" },
    { keyType: "rsa-2048", keyFormat: undefined, header: "RSA PRIVATE KEY", asym: "rsa" },
    { keyType: "rsa-2048", keyFormat: "pkcs8", header: "PRIVATE KEY", asym: "rsa" },
  ] as const;
  for (const c of cases) {
    const identity = await pki.issueClientIdentity({
      user: "u",
      keyType: c.keyType,
      keyFormat: c.keyFormat,
    });
    assert.deepEqual(pemBlocks(identity.keyPem), [c.header], `${c.keyType}/${c.keyFormat}`);
    const key = createPrivateKey(identity.keyPem);
    assert.equal(key.asymmetricKeyType, c.asym);
    assert.equal(new X509Certificate(identity.certPem).checkPrivateKey(key), true);
  }
});

Deno.test("mismatched key type and format is refused with a message naming the fix", async () => {
  await assert.rejects(
    pki.issueClientIdentity({ user: "u", keyType: "ecdsa-p256", keyFormat: "pkcs1" }),
    (err) => err instanceof PkiError && /keyFormat "pkcs1" is only for RSA keys/.test(err.message),
  );
  await assert.rejects(
    pki.issueClientIdentity({ user: "u", keyType: "rsa-2048", keyFormat: "sec1" }),
    (err) => err instanceof PkiError && /keyFormat "sec1" is only for ECDSA keys/.test(err.message),
  );
});

Deno.test("identity file has tctl's layout: key, SSH cert, TLS cert, @cert-authority, Host CA", async () => {
  const identity = await pki.issueClientIdentity({ user: "bot", roles: ["access-plugin"] });
  const text = identityFileText(identity);
  const lines = text.split("\n");
  assert.equal(lines[0], "-----BEGIN PRIVATE KEY-----");
  const keyEnd = lines.indexOf("-----END PRIVATE KEY-----");
  assert.match(
    lines[keyEnd + 1],
    /^ecdsa-sha2-nistp256-cert-v01@openssh\.com AAAA[A-Za-z0-9+/=]+$/,
  );
  assert.equal(lines[keyEnd + 2], "-----BEGIN CERTIFICATE-----");
  const certEnd = lines.indexOf("-----END CERTIFICATE-----");
  assert.match(
    lines[certEnd + 1],
    /^@cert-authority example\.com,\*\.example\.com ecdsa-sha2-nistp256 AAAA[A-Za-z0-9+/=]+ type=host$/,
  );
  assert.equal(lines[certEnd + 2], "-----BEGIN CERTIFICATE-----");
  assert.ok(text.endsWith("-----END CERTIFICATE-----\n"));
  // PEM blocks in order: private key, TLS cert, then Host CA certs (tctl's parser relies on it).
  const blocks = [...text.matchAll(/-----BEGIN [A-Z ]+-----\n[\s\S]*?-----END [A-Z ]+-----\n/g)]
    .map((m) => m[0]);
  assert.deepEqual(blocks, [identity.keyPem, identity.certPem, pki.hostCa.certPem]);
});

Deno.test("SSH certificate line is a user certificate signed by the signing CA", async () => {
  const identity = await pki.issueClientIdentity({ user: "bot", logins: ["root"] });
  const blob = Buffer.from(identity.sshCertLine.split(" ")[1], "base64");
  let offset = 0;
  const str = () => {
    const n = blob.readUInt32BE(offset);
    const out = blob.subarray(offset + 4, offset + 4 + n);
    offset += 4 + n;
    return out;
  };
  assert.equal(str().toString(), "ecdsa-sha2-nistp256-cert-v01@openssh.com");
  str(); // nonce
  assert.equal(str().toString(), "nistp256");
  str(); // public point
  offset += 8; // serial
  assert.equal(blob.readUInt32BE(offset), 1); // user certificate
  offset += 4;
  assert.equal(str().toString(), "bot");
  assert.equal(str().subarray(4).toString(), "root");
  offset += 16; // validity
  str(); // critical options
  str(); // extensions
  str(); // reserved
  str(); // signature key
  const signed = blob.subarray(0, offset);
  const sig = Buffer.from(str());
  assert.equal(offset, blob.length);
  const sigAlgLen = sig.readUInt32BE(0);
  assert.equal(sig.subarray(4, 4 + sigAlgLen).toString(), "ecdsa-sha2-nistp256");
  const inner = sig.subarray(8 + sigAlgLen);
  const r = inner.subarray(4, 4 + inner.readUInt32BE(0));
  const sRest = inner.subarray(4 + r.length);
  const s = sRest.subarray(4, 4 + sRest.readUInt32BE(0));
  const pad = (b: Buffer) =>
    Buffer.concat([Buffer.alloc(32), b.subarray(b.length > 32 ? 1 : 0)]).subarray(-32);
  const ok = verify(
    "sha256",
    signed,
    { key: new X509Certificate(pki.userCa.certPem).publicKey, dsaEncoding: "ieee-p1363" },
    Buffer.concat([pad(Buffer.from(r)), pad(Buffer.from(s))]),
  );
  assert.equal(ok, true);
});

Deno.test("identity file and TLS triple are written with the key kept private", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const identity = await pki.issueClientIdentity({ user: "bot", keyType: "rsa-2048" });
    const path = await writeIdentityFile(dir, identity);
    assert.equal(await Deno.readTextFile(path), identityFileText(identity));
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const triple = await writeTlsTriple(dir, identity, "auth");
    assert.equal(triple.keyPath, `${dir}/auth.key`);
    assert.equal(await Deno.readTextFile(triple.keyPath), identity.keyPem);
    assert.equal((await Deno.stat(triple.keyPath)).mode! & 0o777, 0o600);
    assert.equal(await Deno.readTextFile(triple.certPath), identity.certPem);
    assert.equal(await Deno.readTextFile(triple.casPath), pki.hostCa.certPem);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mTLS handshake: a valid identity is accepted, with its CN seen by the server", async () => {
  for (const keyType of ["ecdsa-p256", "rsa-2048"] as const) {
    const identity = await pki.issueClientIdentity({ user: `plugin-${keyType}`, keyType });
    assert.deepEqual(await handshake(identity), { ok: true, peerCn: `plugin-${keyType}` });
  }
});

Deno.test("mTLS handshake: expired, not-yet-valid and foreign-CA identities are rejected", async () => {
  const now = Date.now();
  const stranger = await createCertificateAuthority({ commonName: "example.com" });
  const bad = [
    await pki.issueClientIdentity({
      user: "expired",
      notBefore: new Date(now - 7_200_000),
      notAfter: new Date(now - 3_600_000),
    }),
    await pki.issueClientIdentity({
      user: "future",
      notBefore: new Date(now + 3_600_000),
      notAfter: new Date(now + 7_200_000),
    }),
    await pki.issueClientIdentity({ user: "untrusted", signer: stranger }),
  ];
  for (const identity of bad) {
    const result = await handshake(identity);
    assert.equal(result.ok, false, `${identity.user} should be rejected`);
  }
});
