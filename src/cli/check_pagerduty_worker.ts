/**
 * Worker entry for the PagerDuty half of `check`, sandboxed to the PagerDuty API's address.
 *
 * @module
 */

import "../sandbox/ignore_env.ts";
import { PagerDutyClient } from "../pagerduty/client.ts";
import { serveTask } from "../sandbox/task.ts";
import type { CheckItem } from "./checklist.ts";
import { checkPagerDuty } from "./check_pagerduty.ts";
import type { PagerDutyCheckInput } from "./check_inputs.ts";

serveTask(async (input: PagerDutyCheckInput, { signal }): Promise<CheckItem[]> => {
  const pd = input.pagerduty;
  const api = new PagerDutyClient({
    apiKey: pd.apiKey,
    userEmail: pd.userEmail,
    baseUrl: pd.apiEndpoint,
    authScheme: pd.authScheme,
    timeoutMs: pd.requestTimeoutMs,
    maxRequestsPerMinute: pd.maxRequestsPerMinute,
    // A check answers quickly: one retry at most, instead of the service's patient policy.
    retry: { maxAttempts: 2, maxTotalMs: 10_000 },
    signal,
  });
  return await checkPagerDuty(api, {
    userEmail: pd.userEmail,
    serviceNames: input.serviceNames,
    probeIncidentId: input.probeIncidentId,
  });
});
