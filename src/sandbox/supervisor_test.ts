import assert from "node:assert/strict";
import { spawnFixture } from "../testing/deno_process.ts";

const FIXTURE = "src/testing/sandbox_supervise_main.ts";

Deno.test("SIGTERM stops the service gracefully and exits 0", async () => {
  const process = spawnFixture(FIXTURE, ["stop"]);
  await process.waitFor("service running");
  process.kill("SIGTERM");
  const { code, stdout } = await process.finished();
  assert.equal(code, 0, stdout);
  assert.match(stdout, /supervisor got SIGTERM \(graceful\)/);
  // Once the service runs, the supervisor thread has given up network and write access.
  assert.match(stdout, /supervisor holds net:prompt write:prompt read:granted/);
  assert.match(stdout, /service asked to stop by SIGTERM/);
  assert.match(stdout, /outcome stopped/);
});

Deno.test("a second signal ends a service that is still stopping, with 128 + signal", async (t) => {
  for (const [signal, exit] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
    await t.step(signal, async () => {
      const process = spawnFixture(FIXTURE, ["ignore-stop"]);
      await process.waitFor("service running");
      process.kill(signal);
      await process.waitFor(`service asked to stop by ${signal}`);
      process.kill(signal);
      const { code, stdout, stderr } = await process.finished();
      assert.equal(code, exit, stdout + stderr);
      assert.match(stdout, new RegExp(`supervisor got ${signal} \\(forced\\)`));
      assert.match(stdout, /outcome forced/);
    });
  }
});

Deno.test("a service that does not stop within the grace period is ended", async () => {
  const process = spawnFixture(FIXTURE, ["ignore-stop", "200"]);
  await process.waitFor("service running");
  process.kill("SIGTERM");
  const { code, stdout, stderr } = await process.finished();
  assert.equal(code, 143);
  assert.match(stdout, /outcome forced/);
  assert.equal(
    stderr,
    "teleport-pagerduty: not stopped within 0.2 s of SIGTERM: stopping at once\n",
  );
});

Deno.test("a failing service exits 1 with its one-sentence error and no stack trace", async () => {
  const { code, stdout, stderr } = await spawnFixture(FIXTURE, ["fail"]).finished();
  assert.equal(code, 1);
  assert.match(stdout, /outcome failed/);
  assert.equal(
    stderr,
    "teleport-pagerduty: the Auth Service at auth.example.com:3025 is unreachable\n",
  );
});
