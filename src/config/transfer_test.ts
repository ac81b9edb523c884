import assert from "node:assert/strict";
import { EXAMPLE_CONFIG } from "./example.ts";
import { parseConfig } from "./parse.ts";
import { configFromMessage, configToMessage } from "./transfer.ts";
import { Secret } from "./types.ts";

Deno.test("a Config survives structured cloning with its API key re-wrapped", async () => {
  const { config } = await parseConfig(EXAMPLE_CONFIG, {
    path: "example.toml",
    readFile: () => Promise.reject(new Error("no files")),
  });
  // Cloning the Config itself loses the key: this is why the transfer form exists.
  assert.equal(structuredClone(config).pagerduty.apiKey instanceof Secret, false);
  const back = configFromMessage(structuredClone(configToMessage(config)));
  assert.ok(back.pagerduty.apiKey instanceof Secret);
  assert.equal(back.pagerduty.apiKey.reveal(), "key");
  assert.deepEqual({ ...back, pagerduty: { ...back.pagerduty, apiKey: "" } }, {
    ...config,
    pagerduty: { ...config.pagerduty, apiKey: "" },
  });
});
