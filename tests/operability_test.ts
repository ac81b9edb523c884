/** The service's listener end to end: health, readiness and metrics while it works. */

import assert from "node:assert/strict";
import { PLUGIN_NAME } from "../src/app/plugin_data.ts";
import { withService } from "./harness.ts";

Deno.test("health, readiness and metrics reflect the running service", async () => {
  await withService(
    { config: { http: { listenAddr: "127.0.0.1:0" } } },
    async (world, { service }) => {
      const base = `http://127.0.0.1:${service.httpPort}`;
      const healthz = await fetch(`${base}/healthz`);
      assert.equal(healthz.status, 200);
      await healthz.body?.cancel();

      const request = world.auth.createAccessRequest({
        user: "alice@example.com",
        systemAnnotations: {
          pagerduty_notify_service: ["Teleport Access Requests"],
          pagerduty_services: ["Platform"],
        },
      });
      await world.auth.waitFor(() => world.auth.request(request.id)?.state === "APPROVED", {
        description: "the on-call requester auto-approved",
      });
      await world.auth.waitFor(
        () => world.auth.pluginData(request.id, PLUGIN_NAME)?.resolution === "approved",
        { description: "the incident resolved" },
      );

      const readyz = await fetch(`${base}/readyz`);
      const readiness = await readyz.json();
      assert.equal(readyz.status, 200, JSON.stringify(readiness));
      assert.equal(readiness.status, "ready");

      const metrics = await (await fetch(`${base}/metrics`)).text();
      const value = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1] ?? NaN);
      assert.equal(value(/^teleport_pagerduty_incidents_created_total (\d+)/m), 1);
      assert.equal(
        value(/^teleport_pagerduty_auto_approvals_total\{outcome="approved"\} (\d+)/m),
        1,
      );
      assert.equal(
        value(/^teleport_pagerduty_incidents_resolved_total\{resolution="approved"\} (\d+)/m),
        1,
      );
      assert.ok(value(/^teleport_pagerduty_request_to_incident_seconds_count (\d+)/m) >= 1);
      assert.match(
        metrics,
        /teleport_pagerduty_pagerduty_requests_total\{operation="POST \/incidents",status="201"\} 1/,
      );
      assert.match(
        metrics,
        /teleport_pagerduty_events_received_total\{kind="access_request",type="put"\} [1-9]/,
      );
    },
  );
});

Deno.test("readiness fails while the watch on Teleport is lost", async () => {
  await withService(
    { config: { http: { listenAddr: "127.0.0.1:0" } } },
    async (world, { service }) => {
      const base = `http://127.0.0.1:${service.httpPort}`;
      await world.auth.stop();
      let status = 0;
      for (let i = 0; i < 100 && status !== 503; i++) {
        const response = await fetch(`${base}/readyz`);
        status = response.status;
        await response.body?.cancel();
        if (status !== 503) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(status, 503);
      await world.auth.restart();
      await world.auth.waitFor(() => world.auth.watcherCount > 0, { timeoutMs: 10_000 });
      let ready = 0;
      for (let i = 0; i < 100 && ready !== 200; i++) {
        const response = await fetch(`${base}/readyz`);
        ready = response.status;
        await response.body?.cancel();
        if (ready !== 200) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(ready, 200);
    },
  );
});
