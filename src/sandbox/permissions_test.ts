import assert from "node:assert/strict";
import { parseConfig } from "../config/parse.ts";
import { servicePermissions } from "./permissions.ts";

Deno.test("the service is never granted writing a file it reads", async () => {
  const { config } = await parseConfig(
    `[teleport]\nidentity = "/var/lib/tp/auth_id"\n[pagerduty]\napi_key = "k"\n` +
      `user_email = "bot@example.com"\n[log]\noutput = "/var/lib/tp/auth_id"\n`,
    { path: "t.toml", readFile: () => Promise.reject(new Error("unused")) },
  );
  assert.throws(() => servicePermissions(config), /log\.output \/var\/lib\/tp\/auth_id is also/);
});
