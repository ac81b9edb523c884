import assert from "node:assert/strict";
import { writeSecretVolume } from "../fakes/kubernetes.ts";
import { ConfigError } from "./errors.ts";
import { loadConfig, permissionWarning } from "./load.ts";

const CONFIG = (identity: string, apiKey: string) => `
[teleport]
addr = "auth.example.com:3025"
identity = "${identity}"
[pagerduty]
api_key = "${apiKey}"
user_email = "bot@example.com"
`;

Deno.test("loadConfig reads the file and the API key file, and warns about readable secrets", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const keyFile = `${dir}/api_key`;
    const configFile = `${dir}/tp.toml`;
    await Deno.writeTextFile(keyFile, "u+FileKey\n");
    await Deno.chmod(keyFile, 0o644);
    await Deno.writeTextFile(configFile, CONFIG("/var/lib/tp/auth_id", keyFile));
    await Deno.chmod(configFile, 0o640);
    const { config, warnings } = await loadConfig(configFile);
    assert.equal(config.pagerduty.apiKey.reveal(), "u+FileKey");
    assert.deepEqual(warnings.map((w) => w.message), [
      `the config file ${configFile} is accessible by other users (mode 640) although it holds secrets: run \`chmod 600 ${configFile}\`.`,
      `pagerduty.api_key ${keyFile} is accessible by other users (mode 644) although it holds secrets: run \`chmod 600 ${keyFile}\`.`,
    ]);
    await Deno.chmod(configFile, 0o600);
    await Deno.chmod(keyFile, 0o600);
    assert.deepEqual((await loadConfig(configFile)).warnings, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig reads at most 4 KB of the API key file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const keyFile = `${dir}/api_key`;
    await Deno.writeTextFile(keyFile, "k".repeat(1_000_000));
    await Deno.writeTextFile(`${dir}/tp.toml`, CONFIG("/i", keyFile));
    await assert.rejects(loadConfig(`${dir}/tp.toml`), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.problems[0], /which is larger than 4096 bytes/);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing or unreadable config file is one clear problem", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(loadConfig(`${dir}/missing.toml`), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(
        error.message,
        `config file ${dir}/missing.toml: the file does not exist: create it (\`teleport-pagerduty configure\` prints an annotated example) or pass its path with --config.`,
      );
      return true;
    });
    await assert.rejects(loadConfig(dir), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.problems[0], /^this is a directory: pass the path of the TOML file/);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("permissionWarning stays quiet for private and missing files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/key`;
    await Deno.writeTextFile(file, "x", { mode: 0o600 });
    await Deno.chmod(file, 0o600);
    assert.equal(await permissionWarning("http.https_key_file", file), undefined);
    assert.equal(await permissionWarning("http.https_key_file", `${dir}/nope`), undefined);
    await Deno.chmod(file, 0o604);
    assert.match(
      (await permissionWarning("http.https_key_file", file))?.message ?? "",
      /^http\.https_key_file .* is accessible by other users \(mode 604\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("files mounted from a Kubernetes Secret or ConfigMap get no chmod warning", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { api_key } = await writeSecretVolume(`${dir}/secret`, { api_key: "u+FileKey\n" });
    const { "tp.toml": config } = await writeSecretVolume(`${dir}/config`, {
      "tp.toml": CONFIG("/var/lib/tp/auth_id", api_key),
    });
    const loaded = await loadConfig(config);
    assert.equal(loaded.config.pagerduty.apiKey.reveal(), "u+FileKey");
    // Mode 0440 is what the pod spec gives them; chmod could not change it.
    assert.deepEqual(loaded.warnings, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
