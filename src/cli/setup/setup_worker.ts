/**
 * Worker entry for `setup-pagerduty`, sandboxed to the PagerDuty API's address and the secret
 * files it fills (read and write, nothing else).
 *
 * @module
 */

import "../../sandbox/ignore_env.ts";
import { PagerDutyClient } from "../../pagerduty/client.ts";
import { serveTask } from "../../sandbox/task.ts";
import type { SetupRequest } from "./inputs.ts";
import type { SetupReport } from "./report.ts";
import { runSetup } from "./run.ts";
import { DISK_SECRET_FILES } from "./secret_files.ts";

serveTask(async (input: SetupRequest, { signal }): Promise<SetupReport> => {
  const pd = input.pagerduty;
  const api = new PagerDutyClient({
    apiKey: pd.apiKey,
    userEmail: pd.userEmail,
    baseUrl: pd.apiEndpoint,
    authScheme: pd.authScheme,
    timeoutMs: pd.requestTimeoutMs,
    maxRequestsPerMinute: pd.maxRequestsPerMinute,
    // An operator is waiting: a few quick retries instead of the service's patient policy.
    retry: { maxAttempts: 3, maxTotalMs: 20_000 },
    signal,
  });
  return await runSetup(input, { api, files: DISK_SECRET_FILES });
});
