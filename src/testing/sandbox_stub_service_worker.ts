/**
 * A stand-in for the service worker with scripted behaviour, to test the supervisor's signal
 * handling without Teleport or PagerDuty: it runs until asked to stop, then stops at once,
 * never, or fails, as its input says.
 *
 * @module
 */

import "../sandbox/ignore_env.ts";
import type { ServiceInput } from "../sandbox/service_input.ts";
import { serveTask } from "../sandbox/task.ts";

/** The stub's script rides in the (otherwise unused) config path. */
export type StubBehaviour = "stop" | "ignore-stop" | "fail";

serveTask((input: ServiceInput, { signal }) => {
  const behaviour = input.configPath as StubBehaviour;
  if (behaviour === "fail") {
    return Promise.reject(new Error("the Auth Service at auth.example.com:3025 is unreachable"));
  }
  // Tell the supervising fixture we run, so it knows signals will reach a live worker.
  console.log("service running");
  return new Promise<void>((resolve) => {
    signal.addEventListener("abort", () => {
      console.log(`service asked to stop by ${signal.reason}`);
      if (behaviour === "stop") resolve();
    });
  });
});
