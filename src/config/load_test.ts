import assert from "node:assert/strict";
import { writeSecretVolume } from "../fakes/kubernetes.ts";
import { ConfigError } from "./errors.ts";
import { loadConfig, MAX_CONFIG_BYTES, permissionWarning } from "./load.ts";

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
      assert.match(error.problems[0], /which is larger than 4 KiB/);
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

Deno.test("a config or key path to a device, a pipe or a link to one fails at once, naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const link = `${dir}/tp.toml`;
    await Deno.symlink("/dev/zero", link);
    const fifo = `${dir}/fifo.toml`;
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(made.success, "mkfifo");
    for (const path of [link, fifo]) {
      await assert.rejects(loadConfig(path), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [
          "this is not a regular file (a device, pipe or socket): pass the path of the TOML " +
          "file with --config.",
        ]);
        return true;
      });
    }
    const config = `${dir}/real.toml`;
    await Deno.writeTextFile(config, CONFIG("/i", "/dev/zero"));
    await assert.rejects(loadConfig(config), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(
        error.problems[0],
        /^pagerduty\.api_key names the file \/dev\/zero, which is not a regular file/,
      );
      return true;
    });
    const huge = `${dir}/huge.toml`;
    await Deno.writeTextFile(huge, "#".repeat(MAX_CONFIG_BYTES + 1));
    await assert.rejects(loadConfig(huge), /larger than 1 MiB/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("log.output may not be any file the config reads, however it is spelled", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const identity = `${dir}/auth_id`;
    const apiKey = `${dir}/api_key`;
    await Deno.writeTextFile(identity, "identity");
    await Deno.writeTextFile(apiKey, "k3y");
    await Deno.symlink(apiKey, `${dir}/link-to-key`);
    const config = `${dir}/tp.toml`;
    const cases: Array<[string, RegExp]> = [
      [identity, /^log\.output .*\/auth_id is the file teleport\.identity names \(/],
      [`${dir}/./sub/../auth_id`, /is the file teleport\.identity names/],
      [`${dir}/link-to-key`, /is the file pagerduty\.api_key names/],
      [config, /^log\.output .*\/tp\.toml is the config file, which the service would then write/],
      [dir, /^log\.output .* is a directory: name a file in it, or log to "stderr"\.$/],
      ["/dev/zero", /^log\.output \/dev\/zero is not a regular file \(a device, pipe or socket\)/],
    ];
    for (const [output, expected] of cases) {
      await Deno.writeTextFile(config, CONFIG(identity, apiKey) + `[log]\noutput = "${output}"\n`);
      await assert.rejects(loadConfig(config), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 1, error.message);
        assert.match(error.problems[0], expected);
        return true;
      }, output);
    }
    await Deno.writeTextFile(
      config,
      CONFIG(identity, apiKey) + `[log]\noutput = "${dir}/tp.log"\n`,
    );
    assert.equal((await loadConfig(config)).config.log.output, `${dir}/tp.log`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a credential path that is a directory or a device is refused when the config loads", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = `${dir}/tp.toml`;
    await Deno.writeTextFile(config, CONFIG("/", "k"));
    await assert.rejects(loadConfig(config), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, [
        "teleport.identity / is a directory, not a file: point it at the file itself.",
      ]);
      return true;
    });
    await Deno.writeTextFile(config, CONFIG("/dev/zero", "k"));
    await assert.rejects(
      loadConfig(config),
      /teleport\.identity \/dev\/zero is not a regular file/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
