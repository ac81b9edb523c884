import assert from "node:assert/strict";
import { parse, problemsOf } from "../testing/config_parse.ts";
import { ConfigError } from "./errors.ts";
import { EXAMPLE_CONFIG } from "./example.ts";
import { credentialsProblem } from "./credentials.ts";
import { DEFAULTS, type ParsedConfig } from "./parse.ts";

const API_KEY = "u+SeCrEtKeY1234567890";

const MINIMAL = `
[teleport]
addr = "auth.example.com:3025"
identity = "/var/lib/tp/auth_id"
[pagerduty]
api_key = "${API_KEY}"
user_email = "bot@example.com"
`;

Deno.test("a minimal config gets every default", async () => {
  const { config, warnings } = await parse(MINIMAL);
  assert.deepEqual(warnings, []);
  assert.equal(config.teleport.addr, "auth.example.com:3025");
  assert.equal(config.teleport.identity, "/var/lib/tp/auth_id");
  assert.equal(config.teleport.refreshIdentity, false);
  assert.equal(config.teleport.refreshIdentityIntervalMs, 60_000);
  assert.equal(config.pagerduty.apiKey.reveal(), API_KEY);
  assert.equal(config.pagerduty.apiKeyFile, undefined);
  assert.equal(config.pagerduty.apiEndpoint, "https://api.pagerduty.com");
  assert.equal(config.pagerduty.authScheme, "token");
  assert.equal(config.pagerduty.notifyServiceAnnotation, "pagerduty_notify_service");
  assert.equal(config.pagerduty.servicesAnnotation, "pagerduty_services");
  assert.equal(config.pagerduty.urgency, undefined, "no urgency: the service's rules decide");
  assert.equal(config.pagerduty.priority, undefined);
  assert.equal(config.pagerduty.requestTimeoutMs, 10_000);
  assert.equal(config.pagerduty.maxRequestsPerMinute, 900);
  assert.deepEqual(config.pagerduty.autoApproval, {
    enabled: true,
    maxEscalationLevel: undefined,
    scheduleIds: [],
    roles: [],
    emailTrait: undefined,
  });
  assert.equal(config.http, undefined);
  assert.deepEqual(config.log, { output: "stderr", severity: "info", format: "text" });
  assert.deepEqual(config.processing, { concurrency: 16, reconcileIntervalMs: 300_000 });
});

Deno.test("every additive key is read into the Config", async () => {
  const { config, warnings } = await parse(`
[teleport]
addr = "auth.example.com:3025"
client_key = "/k/auth.key"
client_crt = "/k/auth.crt"
root_cas = "/k/auth.cas"
refresh_identity_interval = "1h30m"
web_proxy_addr = "https://teleport.example.com"
[pagerduty]
api_key = "${API_KEY}"
user_email = "bot@example.com"
api_endpoint = "https://api.eu.pagerduty.com/"
auth_scheme = "Bearer"
notify_service_annotation = "pd_notify"
services_annotation = "pd_services"
urgency = "low"
priority = "P1"
request_timeout = "2.5s"
rate_limit_per_minute = 600
[pagerduty.auto_approval]
enabled = false
max_escalation_level = 2
schedule_ids = ["PABC123", "Q1XYZ"]
roles = ["editor"]
email_trait = "pd_email"
[http]
listen_addr = ":8081"
public_addr = "https://tp.example.com"
https_cert_file = "/k/server.crt"
https_key_file = "/k/server.key"
[log]
output = "/var/log/tp.log"
severity = "warning"
format = "json"
[processing]
concurrency = 64
reconcile_interval = 120000000000
`);
  assert.deepEqual(warnings, []);
  assert.equal(config.teleport.clientKey, "/k/auth.key");
  assert.equal(config.teleport.clientCrt, "/k/auth.crt");
  assert.equal(config.teleport.rootCas, "/k/auth.cas");
  assert.equal(config.teleport.refreshIdentityIntervalMs, 5_400_000);
  assert.equal(config.teleport.webProxyAddr, "https://teleport.example.com");
  assert.equal(config.pagerduty.apiEndpoint, "https://api.eu.pagerduty.com");
  assert.equal(config.pagerduty.authScheme, "bearer");
  assert.equal(config.pagerduty.notifyServiceAnnotation, "pd_notify");
  assert.equal(config.pagerduty.servicesAnnotation, "pd_services");
  assert.equal(config.pagerduty.urgency, "low");
  assert.equal(config.pagerduty.priority, "P1");
  assert.equal(config.pagerduty.requestTimeoutMs, 2500);
  assert.equal(config.pagerduty.maxRequestsPerMinute, 600);
  assert.deepEqual(config.pagerduty.autoApproval, {
    enabled: false,
    maxEscalationLevel: 2,
    scheduleIds: ["PABC123", "Q1XYZ"],
    roles: ["editor"],
    emailTrait: "pd_email",
  });
  assert.deepEqual(config.http, {
    listenAddr: ":8081",
    publicAddr: "https://tp.example.com",
    httpsCertFile: "/k/server.crt",
    httpsKeyFile: "/k/server.key",
  });
  assert.deepEqual(config.log, { output: "/var/log/tp.log", severity: "warn", format: "json" });
  assert.deepEqual(config.processing, { concurrency: 64, reconcileIntervalMs: 120_000 });
});

Deno.test("the Go plugin's example template loads unchanged", async () => {
  const text = await Deno.readTextFile(new URL("./testdata/go_example.toml", import.meta.url));
  const { config, warnings } = await parse(text);
  assert.deepEqual(warnings, []);
  assert.equal(config.teleport.addr, "example.com:3025");
  assert.equal(config.pagerduty.apiKey.reveal(), "key");
  assert.equal(config.pagerduty.userEmail, "me@example.com");
  assert.equal(config.log.severity, "info");
  // Like the Go plugin, it loads; `start` and `check` then stop on the missing credentials.
  assert.match(credentialsProblem(config.teleport) ?? "", /no Teleport credentials/);
});

Deno.test("a Helm-chart config with the API key in a file loads unchanged", async () => {
  const text = await Deno.readTextFile(new URL("./testdata/helm.toml", import.meta.url));
  const keyFile = "/var/lib/teleport/plugins/pagerduty/pagerduty_api_key";
  const { config, warnings } = await parse(text, { [keyFile]: `  ${API_KEY}\n\n` });
  assert.deepEqual(warnings, []);
  assert.equal(config.pagerduty.apiKey.reveal(), API_KEY);
  assert.equal(config.pagerduty.apiKeyFile, keyFile);
  assert.equal(config.teleport.refreshIdentity, true);
  assert.equal(
    config.teleport.identity,
    "/var/lib/teleport/plugins/pagerduty/teleport-identity/auth_id",
  );
  assert.equal(config.log.output, "stdout");
  assert.equal(credentialsProblem(config.teleport), undefined);
});

Deno.test("our own annotated example loads without warnings", async () => {
  const { config, warnings } = await parse(EXAMPLE_CONFIG);
  assert.deepEqual(warnings, []);
  assert.equal(config.teleport.identity, "/var/lib/teleport/plugins/pagerduty/auth_id");
  assert.equal(config.pagerduty.autoApproval.enabled, true);
});

Deno.test("the Go plugin's [pagerduty.requestannotations] overrides work in every go-toml spelling", async () => {
  for (const table of ["requestannotations", "RequestAnnotations", "requestAnnotations"]) {
    const { config, warnings } = await parse(`${MINIMAL}
[pagerduty.${table}]
notify_service = "pd_notify"
services = "pd_services"
`);
    assert.deepEqual(warnings, [], table);
    assert.equal(config.pagerduty.notifyServiceAnnotation, "pd_notify", table);
    assert.equal(config.pagerduty.servicesAnnotation, "pd_services", table);
  }
});

Deno.test("Go-compatible value spellings: aliases, case, nanosecond durations, empty = unset", async () => {
  const cases: Array<[string, (p: ParsedConfig) => void]> = [
    [`[log]\noutput = "error"`, (p) => assert.equal(p.config.log.output, "stderr")],
    [`[log]\noutput = "2"`, (p) => assert.equal(p.config.log.output, "stderr")],
    [`[log]\noutput = "OUT"`, (p) => assert.equal(p.config.log.output, "stdout")],
    [`[log]\noutput = "1"`, (p) => assert.equal(p.config.log.output, "stdout")],
    [`[log]\noutput = ""`, (p) => assert.equal(p.config.log.output, "stderr")],
    [`[log]\nseverity = "ERR"`, (p) => assert.equal(p.config.log.severity, "error")],
    [`[log]\nseverity = "Debug"`, (p) => assert.equal(p.config.log.severity, "debug")],
    [`[log]\nseverity = ""`, (p) => assert.equal(p.config.log.severity, "info")],
    [
      `[processing]\nreconcile_interval = "1m30s"`,
      (p) => assert.equal(p.config.processing.reconcileIntervalMs, 90_000),
    ],
  ];
  for (const [extra, check] of cases) check(await parse(`${MINIMAL}\n${extra}\n`));
  const nanos = await parse(
    MINIMAL.replace("[pagerduty]", "refresh_identity_interval = 30000000000\n[pagerduty]"),
  );
  assert.equal(nanos.config.teleport.refreshIdentityIntervalMs, 30_000);
  const emptyAddr = await parse(MINIMAL.replace(`"auth.example.com:3025"`, `""`));
  assert.equal(emptyAddr.config.teleport.addr, DEFAULTS.teleportAddr);
});

Deno.test("an empty string is unset for every string key, as the Go plugin's CheckAndSetDefaults has it", async () => {
  const { config, warnings } = await parse(`
[teleport]
addr = ""
auth_server = ""
identity = "/var/lib/tp/auth_id"
client_key = ""
client_crt = ""
root_cas = ""
refresh_identity_interval = ""
web_proxy_addr = ""
[pagerduty]
api_key = "${API_KEY}"
user_email = "bot@example.com"
api_endpoint = ""
auth_scheme = ""
notify_service_annotation = ""
services_annotation = ""
urgency = ""
priority = ""
request_timeout = ""
[pagerduty.requestannotations]
notify_service = ""
services = ""
[pagerduty.auto_approval]
email_trait = ""
[http]
listen_addr = ""
public_addr = ""
https_cert_file = ""
https_key_file = ""
[log]
output = ""
severity = ""
format = ""
[processing]
reconcile_interval = ""
`);
  assert.deepEqual(warnings, []);
  assert.equal(config.teleport.addr, DEFAULTS.teleportAddr);
  assert.equal(config.teleport.clientKey, undefined);
  assert.equal(config.teleport.refreshIdentityIntervalMs, DEFAULTS.refreshIdentityIntervalMs);
  assert.equal(config.teleport.webProxyAddr, undefined);
  assert.equal(config.pagerduty.apiEndpoint, DEFAULTS.apiEndpoint);
  assert.equal(config.pagerduty.authScheme, "token");
  assert.equal(config.pagerduty.notifyServiceAnnotation, DEFAULTS.notifyServiceAnnotation);
  assert.equal(config.pagerduty.servicesAnnotation, DEFAULTS.servicesAnnotation);
  assert.equal(config.pagerduty.urgency, undefined);
  assert.equal(config.pagerduty.priority, undefined);
  assert.equal(config.pagerduty.requestTimeoutMs, DEFAULTS.requestTimeoutMs);
  assert.equal(config.pagerduty.autoApproval.emailTrait, undefined);
  assert.equal(config.http, undefined);
  assert.deepEqual(config.log, { output: "stderr", severity: "info", format: "text" });
  assert.equal(config.processing.reconcileIntervalMs, DEFAULTS.reconcileIntervalMs);
});

Deno.test("required keys stay required when empty, as in the Go plugin", async () => {
  const problems = await problemsOf(`[pagerduty]\napi_key = ""\nuser_email = ""\n`);
  assert.deepEqual(problems.map((p) => p.split(":")[0]), [
    "pagerduty.api_key is missing",
    "pagerduty.user_email is missing",
  ]);
});

Deno.test("keys the Go plugin ignores start with a warning naming what replaces them", async () => {
  const { config, warnings } = await parse(`${MINIMAL}
service_id = "PXXXXXX"
auto_approve = true
[http]
listen_addr = ":8081"
public_addr = "https://pd-plugin.example.com"
[http.basic_auth]
user = "u"
[http.tls]
verify_client_cert = true
`);
  assert.equal(config.pagerduty.autoApproval.enabled, true);
  assert.deepEqual(warnings.map((w) => w.key), [
    "pagerduty.service_id",
    "pagerduty.auto_approve",
    "http.basic_auth",
    "http.tls",
  ]);
  const [serviceId, autoApprove, basicAuth, tls] = warnings.map((w) => w.message);
  assert.match(
    serviceId,
    /^pagerduty\.service_id is ignored \(removed in 6\.2\): name the service in the requester role's `pagerduty_notify_service` annotation instead/,
  );
  assert.match(
    autoApprove,
    /^pagerduty\.auto_approve is ignored \(removed in 6\.2\): requesters on call in a service named by their role's `pagerduty_services` annotation are approved automatically unless pagerduty\.auto_approval\.enabled = false; delete this key\.$/,
  );
  assert.match(
    basicAuth,
    /^http\.basic_auth is ignored \(removed in 6\.2\): the listener approves nothing/,
  );
  assert.match(tls, /^http\.tls is ignored \(removed in 6\.2\): the listener approves nothing/);
});

Deno.test("auto_approve = false starts when approval is already off by its new key", async () => {
  const { config, warnings } = await parse(
    MINIMAL.replace("[pagerduty]", "[pagerduty.auto_approval]\nenabled = false\n[pagerduty]") +
      "auto_approve = false\n",
  );
  assert.equal(config.pagerduty.autoApproval.enabled, false);
  assert.deepEqual(warnings.map((w) => w.key), ["pagerduty.auto_approve"]);
});

Deno.test("user_email takes what the Go plugin takes and a PagerDuty user can have", async () => {
  for (const email of ["bot@localhost", "bot+pd@example.co.uk", "bøt@exämple.com"]) {
    const { config } = await parse(MINIMAL.replace("bot@example.com", email));
    assert.equal(config.pagerduty.userEmail, email);
  }
  for (const email of ["bot", "bot@", "bot@ex ample.com", "bot@example.com, x@example.com"]) {
    const problems = await problemsOf(MINIMAL.replace("bot@example.com", email));
    assert.match(problems[0], /^pagerduty\.user_email .* is not an email address/, email);
  }
});

Deno.test("auth_server still works as a deprecated alias of addr, with a warning", async () => {
  const alias = await parse(MINIMAL.replace("addr =", "auth_server ="));
  assert.equal(alias.config.teleport.addr, "auth.example.com:3025");
  assert.deepEqual(alias.warnings.map((w) => w.message), [
    "teleport.auth_server is deprecated: rename it to teleport.addr (same value).",
  ]);
  const both = await parse(MINIMAL.replace("[pagerduty]", `auth_server = "old:3025"\n[pagerduty]`));
  assert.equal(both.config.teleport.addr, "auth.example.com:3025");
  assert.match(both.warnings[0].message, /teleport.auth_server is ignored because teleport.addr/);
});

Deno.test("unknown keys are warnings that suggest the nearest known key", async () => {
  const { warnings } = await parse(`${MINIMAL}
api_endpont = "https://api.eu.pagerduty.com"
[pagerduty.auto_approval]
max_escalation_levle = 1
[teleport_extra]
x = 1
[log]
listen_addr = ":8081"
sevrity = "info"
`);
  assert.deepEqual(warnings.map((w) => [w.key, w.message]), [
    [
      "pagerduty.api_endpont",
      "pagerduty.api_endpont is not a known key and is ignored: did you mean pagerduty.api_endpoint?",
    ],
    [
      "pagerduty.auto_approval.max_escalation_levle",
      "pagerduty.auto_approval.max_escalation_levle is not a known key and is ignored: did you mean pagerduty.auto_approval.max_escalation_level?",
    ],
    [
      "teleport_extra",
      "teleport_extra is not a known key and is ignored: check its spelling against `teleport-pagerduty configure`.",
    ],
    [
      "log.listen_addr",
      "log.listen_addr is not a known key and is ignored: did you mean http.listen_addr?",
    ],
    ["log.sevrity", "log.sevrity is not a known key and is ignored: did you mean log.severity?"],
  ]);
});

Deno.test("a rate limit above PagerDuty's is capped at 960 with a warning", async () => {
  const { config, warnings } = await parse(
    MINIMAL.replace("[pagerduty]", "[pagerduty]\nrate_limit_per_minute = 2000"),
  );
  assert.equal(config.pagerduty.maxRequestsPerMinute, 960);
  assert.match(warnings[0].message, /above PagerDuty's limit of 960 .* so 960 is used/);
});

Deno.test("[http] without listen_addr keeps the listener off and says which keys are ignored", async () => {
  const { config, warnings } = await parse(
    `${MINIMAL}\n[http]\npublic_addr = "https://x.example.com"\n`,
  );
  assert.equal(config.http, undefined);
  assert.deepEqual(warnings.map((w) => w.message), [
    `http.listen_addr is not set, so the HTTP listener is off and http.public_addr is ignored: set http.listen_addr, e.g. ":8081".`,
  ]);
});

/** [config text, expected problems (each a regexp matched against one problem, in order)]. */
const ERROR_CASES: Array<[string, string, RegExp[]]> = [
  ["TOML syntax", `[teleport]\naddr = = "x:1"\n`, [
    /^line 2, column 8: TOML syntax error: invalid value\.$/,
  ]],
  ["missing api_key and user_email", `[teleport]\nidentity = "/i"\n`, [
    /^pagerduty\.api_key is missing: set it to a PagerDuty REST API key, or to the absolute path of a file holding one\.$/,
    /^pagerduty\.user_email is missing: set it to the email of the PagerDuty user/,
  ]],
  ["empty api_key", `[pagerduty]\napi_key = ""\nuser_email = "a@b.c"\n`, [
    /^pagerduty\.api_key is missing/,
  ]],
  ["api_key of the wrong type", `[pagerduty]\napi_key = 12345\nuser_email = "a@b.c"\n`, [
    /^pagerduty\.api_key must be a string \(in double quotes\)\.$/,
  ]],
  ["api_key with a newline", `[pagerduty]\napi_key = "ab\\ncd"\nuser_email = "a@b.c"\n`, [
    /^pagerduty\.api_key contains spaces or control characters: it must be the API key alone\.$/,
  ]],
  ["api_key file missing", `[pagerduty]\napi_key = "/no/such/key"\nuser_email = "a@b.c"\n`, [
    /^pagerduty\.api_key names the file \/no\/such\/key, which does not exist: create it holding only the API key/,
  ]],
  ["api_key file empty", `[pagerduty]\napi_key = "/keys/empty"\nuser_email = "a@b.c"\n`, [
    /^pagerduty\.api_key names the file \/keys\/empty, which is empty: write the PagerDuty API key into it\.$/,
  ]],
  ["api_key file too big", `[pagerduty]\napi_key = "/keys/big"\nuser_email = "a@b.c"\n`, [
    /^pagerduty\.api_key names the file \/keys\/big, which is larger than 4096 bytes/,
  ]],
  ["api_key file binary", `[pagerduty]\napi_key = "/keys/binary"\nuser_email = "a@b.c"\n`, [
    /^pagerduty\.api_key names the file \/keys\/binary, which is not text/,
  ]],
  ["user_email not an email", `[pagerduty]\napi_key = "k"\nuser_email = "Bot <bot@x.com>"\n`, [
    /^pagerduty\.user_email "Bot <bot@x\.com>" is not an email address/,
  ]],
  [
    "addr without port",
    `[teleport]\naddr = "auth.example.com"\n${"[pagerduty]\napi_key='k'\nuser_email='a@b.c'"}`,
    [
      /^teleport\.addr "auth\.example\.com" must be host:port, e\.g\. "teleport\.example\.com:3025"/,
    ],
  ],
  [
    "auth_server as URL",
    `[teleport]\nauth_server = "https://auth:3025"\n[pagerduty]\napi_key='k'\nuser_email='a@b.c'`,
    [
      /^teleport\.auth_server "https:\/\/auth:3025" must be host:port/,
    ],
  ],
  [
    "partial TLS triple",
    `[teleport]\nclient_crt = "/c"\nroot_cas = "/r"\n[pagerduty]\napi_key='k'\nuser_email='a@b.c'`,
    [
      /^teleport\.client_crt, teleport\.root_cas are set but teleport\.client_key is missing: set all three/,
    ],
  ],
  [
    "identity and triple",
    `[teleport]\nidentity = "/i"\nclient_key = "/k"\nclient_crt = "/c"\nroot_cas = "/r"\n[pagerduty]\napi_key='k'\nuser_email='a@b.c'`,
    [
      /^teleport\.identity cannot be combined with teleport\.client_key, teleport\.client_crt and teleport\.root_cas/,
    ],
  ],
  [
    "TLS triple with a Proxy address",
    `[teleport]\naddr = "example.teleport.sh:443"\nclient_key = "/k"\nclient_crt = "/c"\nroot_cas = "/r"\n[pagerduty]\napi_key='k'\nuser_email='a@b.c'`,
    [
      /^teleport\.client_key, teleport\.client_crt and teleport\.root_cas \(tctl auth sign --format=tls\) are for a direct Auth Service connection on port 3025, but teleport\.addr "example\.teleport\.sh:443" is not one: point it at the Auth Service \(host:3025\), or use an identity file \(teleport\.identity, from tbot or `tctl auth sign --format=file`\) for a Proxy\.$/,
    ],
  ],
  [
    "refresh_identity without identity",
    `[teleport]\nrefresh_identity = true\n[pagerduty]\napi_key='k'\nuser_email='a@b.c'`,
    [
      /^teleport\.refresh_identity = true needs teleport\.identity/,
    ],
  ],
  [
    "refresh_identity as a string",
    `[teleport]\nidentity = "/i"\nrefresh_identity = "yes"\n[pagerduty]\napi_key='k'\nuser_email='a@b.c'`,
    [
      /^teleport\.refresh_identity must be true or false \(without quotes\), not "yes"\.$/,
    ],
  ],
  [
    "bad durations",
    `[teleport]\nidentity = "/i"\nrefresh_identity_interval = "1 minute"\n[pagerduty]\napi_key='k'\nuser_email='a@b.c'\nrequest_timeout = "10"\n[processing]\nreconcile_interval = "10ms"`,
    [
      /^teleport\.refresh_identity_interval "1 minute" is not a duration: write it like "30s", "5m" or "1h30m"/,
      /^pagerduty\.request_timeout "10" is not a duration/,
      /^processing\.reconcile_interval "10ms" is too short: use from "1s" to "24h0m0s"\.$/,
    ],
  ],
  [
    // Past a timer's limit (about 24.8 days) these made a timer fire every millisecond.
    "durations past their range",
    `[teleport]\nidentity = "/i"\nrefresh_identity_interval = "720h"\n[pagerduty]\napi_key='k'\nuser_email='a@b.c'\nrequest_timeout = "720h"\n[processing]\nreconcile_interval = 2592000000000000`,
    [
      /^teleport\.refresh_identity_interval "720h" is too long: use from "1s" to "24h0m0s"\.$/,
      /^pagerduty\.request_timeout "720h" is too long: use from "1s" to "5m0s"\.$/,
      /^processing\.reconcile_interval 2592000000000000 is too long: use from "1s" to "24h0m0s"\.$/,
    ],
  ],
  [
    "web_proxy_addr not an address",
    `[teleport]\nidentity = "/i"\nweb_proxy_addr = "ftp://x"\n[pagerduty]\napi_key='k'\nuser_email='a@b.c'`,
    [
      /^teleport\.web_proxy_addr "ftp:\/\/x" must be the Proxy's public address/,
    ],
  ],
  [
    "api_endpoint in clear text",
    `[pagerduty]\napi_key='k'\nuser_email='a@b.c'\napi_endpoint = "http://pd.example.com"`,
    [
      /^pagerduty\.api_endpoint uses plain http:\/\/ to pd\.example\.com, which would send the PagerDuty API key in clear text/,
    ],
  ],
  [
    "enum values",
    `[pagerduty]\napi_key='k'\nuser_email='a@b.c'\nauth_scheme = "basic"\nurgency = "urgent"\n[log]\nseverity = "verbose"\nformat = "xml"`,
    [
      /^pagerduty\.auth_scheme "basic" is not allowed: use one of "token", "bearer"\.$/,
      /^pagerduty\.urgency "urgent" is not allowed: use one of "high", "low"\.$/,
      /^log\.severity "verbose" is not allowed: use "debug", "info", "warn" or "error" \(any case\)\.$/,
      /^log\.format "xml" is not allowed: use one of "text", "json"\.$/,
    ],
  ],
  [
    "numbers out of range",
    `[pagerduty]\napi_key='k'\nuser_email='a@b.c'\nrate_limit_per_minute = 0\n[pagerduty.auto_approval]\nmax_escalation_level = 0\n[processing]\nconcurrency = 2000`,
    [
      /^pagerduty\.rate_limit_per_minute must be a whole number from 1 to 100000 \(without quotes\), not 0\.$/,
      /^pagerduty\.auto_approval\.max_escalation_level must be a whole number from 1 to 100/,
      /^processing\.concurrency must be a whole number from 1 to 1024 \(without quotes\), not 2000\.$/,
    ],
  ],
  [
    "auto_approval lists",
    `[pagerduty]\napi_key='k'\nuser_email='a@b.c'\n[pagerduty.auto_approval]\nschedule_ids = ["Primary on-call"]\nroles = "editor"`,
    [
      /^pagerduty\.auto_approval\.schedule_ids \["Primary on-call"\] are not PagerDuty IDs: use schedule IDs like "PABC123"/,
      /^pagerduty\.auto_approval\.roles must be a list of non-empty strings, like \["a", "b"\], not "editor"\.$/,
    ],
  ],
  [
    "annotation names disagree",
    `[pagerduty]\napi_key='k'\nuser_email='a@b.c'\nnotify_service_annotation = "a"\n[pagerduty.requestannotations]\nnotify_service = "b"`,
    [
      /^pagerduty\.notify_service_annotation "a" and pagerduty\.requestannotations\.notify_service "b" disagree: keep only pagerduty\.notify_service_annotation\.$/,
    ],
  ],
  [
    "http listener",
    `[pagerduty]\napi_key='k'\nuser_email='a@b.c'\n[http]\nlisten_addr = "8081"\nhttps_cert_file = "/c"\npublic_addr = "ftp://x"`,
    [
      /^http\.public_addr "ftp:\/\/x" must be the URL PagerDuty reaches the listener at/,
      /^http\.https_cert_file is set without http\.https_key_file: set both to serve HTTPS, or neither/,
      /^http\.listen_addr "8081" has no port; write host:port, :port \(all interfaces\) or \[::1\]:port\.$/,
    ],
  ],
  [
    "a section that is not a table",
    `teleport = "x"\n[pagerduty]\napi_key='k'\nuser_email='a@b.c'`,
    [
      /^teleport must be a table \(\[teleport\]\), not "x"\.$/,
    ],
  ],
  [
    "auto_approve = false, which ignoring would turn into approving",
    `[pagerduty]\napi_key='k'\nuser_email='a@b.c'\nauto_approve = false`,
    [
      /^pagerduty\.auto_approve = false no longer turns auto-approval off \(the key was removed in 6\.2\), so ignoring it would approve on-call requesters: replace it with \[pagerduty\.auto_approval\] enabled = false, or delete it to allow auto-approval\.$/,
    ],
  ],
  [
    "user_email that no mailbox can hold",
    `[pagerduty]\napi_key='k'\nuser_email='Bot <bot@example.com>'`,
    [/^pagerduty\.user_email "Bot <bot@example\.com>" is not an email address/],
  ],
];

Deno.test("every invalid value is reported, all together, naming the key and what is allowed", async (t) => {
  const keyFiles = {
    "/keys/empty": " \n",
    "/keys/big": "x".repeat(5000),
    "/keys/binary": new Uint8Array([0xff, 0xfe, 0x00]),
  };
  for (const [name, text, expected] of ERROR_CASES) {
    await t.step(name, async () => {
      const problems = await problemsOf(text, keyFiles);
      assert.equal(problems.length, expected.length, problems.join("\n"));
      expected.forEach((re, i) => assert.match(problems[i], re));
    });
  }
});

Deno.test("the API key never appears in an error, a warning or the parsed Config's output", async () => {
  const secret = "u+TopSecretValue";
  const texts = [
    `[pagerduty]\napi_key = "${secret}"\nuser_email = "nope"\nrate_limit_per_minute = 5000\nbogus = 1`,
    `[pagerduty]\napi_key = "${secret} x"\nuser_email = "a@b.c"`,
    `[pagerduty]\napi_key = ["${secret}"]\nuser_email = "a@b.c"`,
    `[pagerduty]\napi_key = "/keys/k"\nuser_email = "a@b.c"\nurgency = 1`,
  ];
  for (const text of texts) {
    try {
      await parse(text, { "/keys/k": secret });
      assert.fail("expected a ConfigError");
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.ok(!String(error).includes(secret), String(error));
      assert.ok(!JSON.stringify(error.problems).includes(secret));
    }
  }
  const ok = await parse(`${MINIMAL}\nbogus = 1\n`.replace(API_KEY, secret));
  assert.ok(!JSON.stringify(ok).includes(secret));
  assert.ok(!Deno.inspect(ok, { depth: 10 }).includes(secret));
  assert.ok(!JSON.stringify(ok.warnings).includes(secret));
});

Deno.test("one error message lists all problems, one per line", async () => {
  try {
    await parse(`[teleport]\naddr = "nope"\n`);
    assert.fail("expected a ConfigError");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    const lines = error.message.split("\n");
    assert.equal(lines[0], "config file /etc/tp.toml has 3 problems:");
    assert.equal(lines.length, 4);
    assert.ok(lines.slice(1).every((l) => l.startsWith("  - ")));
  }
});

Deno.test("a duration is whole milliseconds once parsed: a fraction is rounded here", async () => {
  const { config } = await parse(
    MINIMAL.replace("[pagerduty]", '[pagerduty]\nrequest_timeout = "1.0005s"') +
      "\n[processing]\nreconcile_interval = 1500400000\n",
  );
  assert.equal(config.pagerduty.requestTimeoutMs, 1001);
  assert.equal(config.processing.reconcileIntervalMs, 1500);
});
