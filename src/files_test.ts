import assert from "node:assert/strict";
import { FileReadError, readRegularFile, readRegularTextFile } from "./files.ts";

async function problemOf(promise: Promise<unknown>): Promise<[string, string]> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FileReadError, String(error));
    return [error.problem, error.reason];
  }
  assert.fail("the file was read");
}

Deno.test("only a regular file within the cap is read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ok`, "hello");
    assert.equal(await readRegularTextFile(`${dir}/ok`, 5), "hello");
    await Deno.symlink(`${dir}/ok`, `${dir}/link`);
    assert.equal(await readRegularTextFile(`${dir}/link`, 5), "hello", "links are followed");
    const fifo = `${dir}/fifo`;
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    await Deno.symlink("/dev/zero", `${dir}/zero`);
    await Deno.writeFile(`${dir}/binary`, new Uint8Array([0xff, 0xfe, 0x00]));
    // Each read starts when its case runs: a rejection nobody awaits yet fails the test file.
    const cases: Array<[() => Promise<unknown>, string, RegExp]> = [
      [() => readRegularFile(`${dir}/ok`, 4), "too_large", /^is larger than 4 bytes$/],
      [() => readRegularFile(fifo, 100), "not_regular", /^is not a regular file \(a device, pipe/],
      [() => readRegularFile(`${dir}/zero`, 100), "not_regular", /not a regular file/],
      [() => readRegularFile(dir, 100), "directory", /^is a directory, not a file$/],
      [() => readRegularFile(`${dir}/missing`, 100), "not_found", /^does not exist$/],
      [
        () => readRegularTextFile(`${dir}/binary`, 100),
        "unreadable",
        /^is not text \(not UTF-8\)$/,
      ],
    ];
    for (const [read, problem, reason] of cases) {
      const [gotProblem, gotReason] = await problemOf(read());
      assert.equal(gotProblem, problem);
      assert.match(gotReason, reason);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
