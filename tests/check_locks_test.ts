/**
 * `check` with access that ends early switched on: the `lock` rules are proved without writing a
 * lock, and their absence is named with the fix. The real CLI against the fakes.
 */

import assert from "node:assert/strict";
import { runCliProcess } from "../src/cli/testdata/process.ts";
import {
  ACCESS_PLUGIN_PERMISSIONS,
  ACCESS_PLUGIN_WITH_LOCKS_PERMISSIONS,
} from "../src/fakes/auth/rbac.ts";
import { World } from "../src/fakes/world.ts";

async function check(withLocks: boolean): Promise<{ code: number; stdout: string; world: World }> {
  const world = await World.start({
    pluginPermissions: withLocks ? ACCESS_PLUGIN_WITH_LOCKS_PERMISSIONS : ACCESS_PLUGIN_PERMISSIONS,
  });
  try {
    const config = await world.writeConfigFile({
      accessEnd: { endWithShift: true, incidentAccess: true, incidentPollIntervalMs: 30_000 },
    });
    const { code, stdout } = await runCliProcess(["check", "-c", config]);
    return { code, stdout, world };
  } finally {
    await world.stop();
  }
}

Deno.test("check proves the lock rules without writing a lock, or names the missing rule", async () => {
  const granted = await check(true);
  const missing = await check(false);

  assert.equal(granted.code, 0, granted.stdout);
  assert.match(
    granted.stdout,
    /^✓ may read and write locks \(to end access early\): proved by reading a lock that does not exist and writing one Teleport refuses for having no target; nothing was written$/m,
  );
  assert.deepEqual(granted.world.auth.locks(), []);
  assert.equal(granted.world.auth.callCount("UpsertLock"), 1);
  assert.equal(granted.world.auth.callCount("GetLock"), 1);

  assert.equal(missing.code, 3, missing.stdout);
  assert.match(missing.stdout, /^✗ may read and write locks \(to end access early\): .*lock/m);
  assert.match(
    missing.stdout,
    /^ {4}fix: give the plugin's role `lock: \[create, update, read\]` \(see README, section Teleport role\), or turn off pagerduty\.auto_approval\.end_with_shift and pagerduty\.incident_access\.enabled$/m,
  );
  assert.deepEqual(missing.world.auth.locks(), []);
});
