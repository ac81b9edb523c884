/**
 * `deno task bench`: runs the service under test against the fakes, prints a table of target,
 * measured value and verdict, and writes the figures to `bench/results.json`.
 *
 * Options:
 * - `--out PATH`: where to write the JSON (default `bench/results.json`);
 * - `--service-v8-flags FLAGS`: run the service with `--v8-flags=FLAGS`, to measure a variant
 *   of the shipped run flags (write it elsewhere with `--out`);
 * - `--only calls`: measure only the PagerDuty calls per request (seconds, not minutes) and
 *   merge them into the results already in `--out`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  type BenchResults,
  formatTable,
  FULL_SIZES,
  remeasureCalls,
  runBenchmark,
} from "./harness.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    out: { type: "string", default: new URL("./results.json", import.meta.url).pathname },
    "service-v8-flags": { type: "string" },
    only: { type: "string" },
  },
});

if (values.only !== undefined) {
  if (values.only !== "calls") {
    console.error(`--only ${values.only}: only "calls" can be measured alone`);
    Deno.exit(2);
  }
  const previous: BenchResults = JSON.parse(await Deno.readTextFile(values.out));
  const results = await remeasureCalls(previous, FULL_SIZES, {
    v8Flags: values["service-v8-flags"],
  });
  await Deno.writeTextFile(values.out, JSON.stringify(results, null, 2) + "\n");
  console.log(formatTable(results.verdicts.filter((v) => v.measure.startsWith("PagerDuty calls"))));
  console.log(`\nby operation: ${JSON.stringify(results.details.calls.by_operation)}`);
  console.log(`Wrote the calls figures into ${values.out}.`);
  Deno.exit(0);
}

const started = performance.now();
const results = await runBenchmark(FULL_SIZES, {
  v8Flags: values["service-v8-flags"],
  progress: (scenario) => {
    const at = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
    console.error(`[${at} s] ${scenario}`);
  },
});
await Deno.writeTextFile(values.out, JSON.stringify(results, null, 2) + "\n");

const m = results.machine;
console.log(
  `\n${m.nproc} × ${m.cpu_model}, ${m.memory_mb} MB, deno ${m.deno}` +
    (results.details.service_v8_flags === undefined
      ? ""
      : `; service with --v8-flags=${results.details.service_v8_flags}`),
);
console.log(formatTable(results.verdicts));
const { warm_up: warmUp } = results.details.latency;
console.log(
  `\nLatency counts the ${results.details.latency.requests} requests after ${warmUp.requests} ` +
    `sent first at the same rate to warm up (their p99 ${warmUp.p99} ms, max ${warmUp.max} ms).`,
);
const other = [
  results.details.latency.cpu,
  results.details.burst.cpu,
  results.details.memory.cpu,
].reduce((sum, cpu) => sum + cpu.other_seconds, 0);
if (other > 5) {
  console.log(
    `\nOther processes used ${other.toFixed(1)} CPU seconds during the measurements: ` +
      "the figures are skewed; run again on a quiet machine.",
  );
}
console.log(`\nWrote ${values.out} (${results.total_seconds} s).`);
