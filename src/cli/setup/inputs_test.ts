import assert from "node:assert/strict";
import { parseConfig } from "../../config/parse.ts";
import { configToMessage } from "../../config/transfer.ts";
import { WEBHOOK_PATH } from "../../http/server.ts";
import { endpoints, secretFileOf, subscriptionDescription, WEBHOOK_ROUTE } from "./endpoints.ts";
import { publicBaseUrl, setupPermissions, setupRequest } from "./inputs.ts";

async function config(extra: string) {
  const { config } = await parseConfig(
    `[pagerduty]
api_key = "key"
user_email = "bot@example.com"
api_endpoint = "http://127.0.0.1:9999"
${extra}`,
    {
      path: "t.toml",
      readFile: () => Promise.reject(new Deno.errors.NotFound("not written yet")),
      allowPendingSecretFiles: true,
    },
  );
  return config;
}

Deno.test("public_addr: https (or http to loopback), no query; the URLs hang below it", async () => {
  const cases: Array<[string, string | RegExp]> = [
    ["https://tp.example.com", "https://tp.example.com"],
    ["https://tp.example.com/", "https://tp.example.com"],
    ["tp.example.com:8443/base/", "https://tp.example.com:8443/base"],
    ["http://127.0.0.1:8081", "http://127.0.0.1:8081"],
    ["http://tp.example.com", /must be an https URL/],
    ["https://tp.example.com/?x=1", /must not have a query or a fragment/],
  ];
  for (const [addr, expected] of cases) {
    const got = publicBaseUrl(
      await config(`[http]\nlisten_addr = ":8081"\npublic_addr = "${addr}"\n`),
    );
    if (typeof expected === "string") assert.equal(got, expected, addr);
    else assert.match((got as { problem: string }).problem, expected, addr);
  }
  const missing = publicBaseUrl(await config(""));
  assert.match((missing as { problem: string }).problem, /http\.public_addr is not set/);
  assert.equal(WEBHOOK_ROUTE, WEBHOOK_PATH);
  assert.deepEqual(endpoints("https://x.example.com/base"), {
    webhookUrl: "https://x.example.com/base/pagerduty/webhook",
    actionUrls: {
      approve: "https://x.example.com/base/pagerduty/action/approve",
      deny: "https://x.example.com/base/pagerduty/action/deny",
    },
  });
});

Deno.test("the request carries the secret files and the worker may touch only them and PagerDuty", async () => {
  const c = await config(`[pagerduty.reviews]
webhook_secrets = ["/etc/tp/ws1", "inline-secret", "/etc/tp/ws2"]
action_secret = "/etc/tp/as"
[http]
listen_addr = ":8081"
public_addr = "https://tp.example.com"
`);
  const request = setupRequest(c, configToMessage(c), {
    serviceNames: [" Access Requests", "Access Requests", "DB"],
    dryRun: true,
  });
  assert.ok(!("problems" in request));
  assert.deepEqual(request.serviceNames, ["Access Requests", "DB"]);
  assert.deepEqual(request.webhookSecretFiles, ["/etc/tp/ws1", "/etc/tp/ws2"]);
  assert.deepEqual(request.actionSecret, { kind: "file", path: "/etc/tp/as" });
  assert.deepEqual(setupPermissions(c, request), {
    net: ["127.0.0.1:9999"],
    read: ["/etc/tp/ws1", "/etc/tp/ws2", "/etc/tp/as"],
    write: ["/etc/tp/ws1", "/etc/tp/ws2", "/etc/tp/as"],
  });
});

Deno.test("every problem of the config and flags is reported before anything runs", async () => {
  const c = await config("");
  const result = setupRequest(c, configToMessage(c), { serviceNames: [], dryRun: false });
  assert.ok("problems" in result);
  assert.equal(result.problems.length, 2);
  assert.match(result.problems[0], /http\.public_addr is not set/);
  assert.match(result.problems[1], /pass --service NAME/);
});

Deno.test("a subscription's description names its secret file, and only ours are read back", () => {
  const description = subscriptionDescription("/etc/tp/webhook secret");
  assert.equal(secretFileOf(description), "/etc/tp/webhook secret");
  assert.equal(secretFileOf("my webhook (signing secret in /etc/x)"), undefined);
  assert.equal(secretFileOf(""), undefined);
});
