import assert from "node:assert/strict";
import { boundedDelay, MAX_TIMER_MS, timeoutSignal } from "./timers.ts";

const THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000;

Deno.test("boundedDelay keeps every delay inside what a timer can hold", () => {
  assert.equal(boundedDelay(1500), 1500);
  assert.equal(boundedDelay(0.2), 1, "a fraction is rounded up, never fired early");
  assert.equal(boundedDelay(-5), 0);
  assert.equal(boundedDelay(Number.NaN), 0);
  assert.equal(boundedDelay(THIRTY_DAYS_MS), MAX_TIMER_MS);
  assert.equal(boundedDelay(Number.POSITIVE_INFINITY), MAX_TIMER_MS);
});

Deno.test("a timeout signal of 30 days does not abort at once", async () => {
  const signal = timeoutSignal(THIRTY_DAYS_MS);
  // Timers fire in deadline order: an overflowed timeout (1 ms) would have fired before this.
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(signal.aborted, false);
});

/** The delay argument of every global timer call in `source`, as written. */
function timerDelays(source: string): string[] {
  const delays: string[] = [];
  for (const match of source.matchAll(/(?<![.\w])(setTimeout|setInterval)\(/g)) {
    const args: string[] = [];
    let depth = 0;
    let current = "";
    for (let i = match.index + match[0].length; i < source.length; i++) {
      const c = source[i];
      if (depth === 0 && (c === "," || c === ")")) {
        args.push(current.trim());
        current = "";
        if (c === ")") break;
        continue;
      }
      if ("([{".includes(c)) depth++;
      if (")]}".includes(c)) depth--;
      current += c;
    }
    delays.push(args[1] ?? "");
  }
  return delays;
}

Deno.test("every timer in the product code takes its delay from boundedDelay or a constant", async () => {
  const root = new URL("./", import.meta.url);
  const offenders: string[] = [];
  const walk = async (dir: URL, rel: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${rel}${entry.name}`;
      if (entry.isDirectory) {
        if (!["fakes", "testdata", "testing", "gen"].includes(entry.name)) {
          await walk(new URL(`${entry.name}/`, dir), `${path}/`);
        }
        continue;
      }
      if (!entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts")) continue;
      if (path === "timers.ts") continue;
      const source = await Deno.readTextFile(new URL(entry.name, dir));
      if (/AbortSignal\.timeout\(/.test(source)) offenders.push(`${path}: AbortSignal.timeout`);
      for (const delay of timerDelays(source)) {
        // A method signature (`setTimeout(callback: …, ms: number)`) declares, it arms nothing.
        if (/^\w+: /.test(delay)) continue;
        const ok = /^boundedDelay\(/.test(delay) || /^[\d_]+$/.test(delay) ||
          /^[A-Z][A-Z\d_]*$/.test(delay);
        if (!ok) offenders.push(`${path}: delay ${JSON.stringify(delay)}`);
      }
    }
  };
  await walk(root, "");
  assert.deepEqual(offenders, []);
});
