import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("install copies the binary into $PREFIX/bin, executable", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/pkg`);
    await Deno.copyFile(`${ROOT}scripts/install.sh`, `${dir}/pkg/install`);
    await Deno.writeTextFile(`${dir}/pkg/teleport-pagerduty`, "#!/bin/sh\necho stand-in\n");
    const run = await new Deno.Command("sh", {
      args: [`${dir}/pkg/install`],
      env: { PREFIX: `${dir}/prefix` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    const installed = await Deno.stat(`${dir}/prefix/bin/teleport-pagerduty`);
    assert.equal(installed.mode! & 0o777, 0o755);
    assert.equal(
      await Deno.readTextFile(`${dir}/prefix/bin/teleport-pagerduty`),
      "#!/bin/sh\necho stand-in\n",
    );
    assert.match(new TextDecoder().decode(run.stdout), new RegExp(`Installed ${dir}/prefix/bin/`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("release.sh fails before building anything when an architecture's denort is missing", async () => {
  const denoDir = await Deno.makeTempDir();
  try {
    const run = await new Deno.Command("bash", {
      args: [`${ROOT}scripts/release.sh`, "arm64"],
      env: { DENO_DIR: denoDir, DENORT_BIN: "" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(run.code, 1);
    assert.equal(
      new TextDecoder().decode(run.stderr),
      "compile: no denort for aarch64-unknown-linux-gnu: set DENORT_BIN to a denort " +
        `${Deno.version.deno} binary, or put denort-aarch64-unknown-linux-gnu.zip (from ` +
        `https://dl.deno.land/release/v${Deno.version.deno}/) at ${denoDir}/dl/release/v` +
        `${Deno.version.deno}/denort-aarch64-unknown-linux-gnu.zip.\n`,
    );
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
});
