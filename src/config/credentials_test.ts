import assert from "node:assert/strict";
import {
  chooseCredentials,
  credentialFilesFromConfig,
  CredentialsError,
  type CredentialSettings,
  credentialsProblem,
} from "./credentials.ts";

Deno.test("credentialFilesFromConfig takes the identity file, or all three TLS files", () => {
  assert.deepEqual(credentialFilesFromConfig({ identity: "/var/lib/id" }), {
    kind: "identity_file",
    path: "/var/lib/id",
  });
  assert.deepEqual(
    credentialFilesFromConfig({ clientKey: "/a.key", clientCrt: "/a.crt", rootCas: "/a.cas" }),
    { kind: "tls_files", keyPath: "/a.key", certPath: "/a.crt", casPath: "/a.cas" },
  );
});

Deno.test("credentialFilesFromConfig wants identity, or all of the triple, never both", () => {
  const cases: Array<[CredentialSettings, string, RegExp]> = [
    [{}, "teleport.identity", /^no Teleport credentials are configured: set teleport\.identity/],
    [{ identity: "", clientKey: "" }, "teleport.identity", /^no Teleport credentials/],
    [
      { identity: "/id", clientCrt: "/a.crt" },
      "teleport.identity",
      /^teleport\.identity cannot be combined with teleport\.client_key, .*: keep either/,
    ],
    [
      { clientKey: "/a.key", clientCrt: "/a.crt" },
      "teleport.root_cas",
      /^teleport\.client_key, teleport\.client_crt are set but teleport\.root_cas is missing: set all three/,
    ],
    [
      { rootCas: "/a.cas" },
      "teleport.client_key",
      /^teleport\.root_cas is set but teleport\.client_key, teleport\.client_crt are missing/,
    ],
  ];
  for (const [config, configKey, message] of cases) {
    assert.throws(() => credentialFilesFromConfig(config), (error) => {
      assert.ok(error instanceof CredentialsError);
      assert.equal(error.configKey, configKey);
      assert.match(error.message, message);
      assert.match(error.message, /\.$/);
      return true;
    });
  }
});

Deno.test("credentialsProblem says what is missing, to follow `config file <path>: `", () => {
  assert.match(credentialsProblem({}) ?? "", /^no Teleport credentials are configured/);
  assert.equal(credentialsProblem({ identity: "/id" }), undefined);
  const choice = chooseCredentials({ identity: "/id", rootCas: "/a.cas" });
  assert.ok("problem" in choice);
  assert.equal(choice.problem.kind, "both");
});
