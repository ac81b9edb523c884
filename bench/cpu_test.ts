import assert from "node:assert/strict";
import { busySecondsOf, CpuMeter, cpuSecondsOf, processCpuSeconds } from "./cpu.ts";

Deno.test("cpuSecondsOf adds utime and stime, even when the command name has spaces", () => {
  const stat = "1234 (deno (worker) x) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9";
  assert.equal(cpuSecondsOf(stat), 3.25);
});

Deno.test("busySecondsOf counts every state but idle and iowait", () => {
  const stat = "cpu  100 10 50 1000 40 5 5 30 0 0\ncpu0 50 5 25 500 20 2 3 15 0 0\n";
  assert.equal(busySecondsOf(stat), 2);
  assert.throws(() => busySecondsOf("intr 1 2 3\n"), /total cpu line/);
});

Deno.test("a CpuMeter sees this process's own work", async () => {
  const meter = new CpuMeter(Deno.pid);
  await meter.start();
  const until = (await processCpuSeconds("self")) + 0.05;
  let spins = 0;
  while ((await processCpuSeconds("self")) < until) spins++;
  const use = await meter.stop();
  assert.ok(spins > 0);
  assert.ok(use.service_seconds >= 0.04, `service ${use.service_seconds}`);
  assert.ok(use.fakes_seconds >= 0.04, `own ${use.fakes_seconds}`);
  assert.ok(use.wall_seconds > 0);
  assert.ok(use.other_seconds >= 0);
});

Deno.test("CpuMeter.stop before start is a clear error", async () => {
  await assert.rejects(() => new CpuMeter(Deno.pid).stop(), /before CpuMeter.start/);
});
