import assert from "node:assert/strict";
import { getLogger, withContext } from "@logtape/logtape";
import type { LogConfig } from "./config/types.ts";
import { Secret } from "./config/types.ts";
import { configureLogging, REDACTED } from "./logging.ts";

/** A stream that keeps what was written, as text. */
function collector(): { stream: WritableStream<Uint8Array>; text: () => string } {
  const chunks: Uint8Array[] = [];
  const stream = new WritableStream<Uint8Array>({ write: (chunk) => void chunks.push(chunk) });
  const decoder = new TextDecoder();
  return { stream, text: () => chunks.map((c) => decoder.decode(c)).join("") };
}

const TEXT: LogConfig = { output: "stderr", severity: "info", format: "text" };
const log = getLogger(["teleport-pagerduty", "test"]);

Deno.test("text output is logfmt with the category and properties, at the configured level", async () => {
  const out = collector();
  const logging = await configureLogging(TEXT, { stream: out.stream });
  log.debug("hidden at info");
  log.info("Incident created for {request_id}", { request_id: "req-1", incident_id: "PINC1" });
  log.warn("Slow PagerDuty answer", { duration_ms: 1200 });
  await logging.close();
  const lines = out.text().trimEnd().split("\n");
  assert.equal(lines.length, 2, out.text());
  assert.match(
    lines[0],
    /^time=\S+ level=info logger=teleport-pagerduty\.test msg="Incident created for req-1" request_id=req-1 incident_id=PINC1$/,
  );
  assert.match(lines[1], /level=warning .*msg="Slow PagerDuty answer" duration_ms=1200$/);
});

Deno.test("json output is one object per line; --debug lowers the level", async () => {
  const out = collector();
  const logging = await configureLogging({ ...TEXT, severity: "error", format: "json" }, {
    stream: out.stream,
    debug: true,
  });
  log.debug("Watching", { kinds: ["access_request"] });
  await logging.close();
  const record = JSON.parse(out.text());
  assert.equal(record.level, "DEBUG");
  assert.equal(record.logger, "teleport-pagerduty.test");
  assert.equal(record.message, "Watching");
  assert.deepEqual(record.properties, { kinds: ["access_request"] });
});

Deno.test("severity filters lower levels and other categories are not ours to print", async () => {
  const out = collector();
  const logging = await configureLogging({ ...TEXT, severity: "warn" }, { stream: out.stream });
  log.info("not shown");
  getLogger(["someone-else"]).error("not ours");
  log.error("shown");
  await logging.close();
  assert.equal(out.text().trimEnd().split("\n").length, 1);
  assert.match(out.text(), /msg=shown/);
});

Deno.test("context properties from withContext appear on every line inside it", async () => {
  const out = collector();
  const logging = await configureLogging({ ...TEXT, format: "json" }, { stream: out.stream });
  await withContext({ request_id: "req-9" }, async () => {
    await Promise.resolve();
    log.info("one");
    log.info("two", { incident_id: "PX" });
  });
  log.info("outside");
  await logging.close();
  const records = out.text().trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => r.properties), [
    { request_id: "req-9" },
    { request_id: "req-9", incident_id: "PX" },
    {},
  ]);
});

Deno.test("secret-looking properties are redacted at any depth and in the message", async () => {
  const out = collector();
  const logging = await configureLogging({ ...TEXT, format: "json" }, { stream: out.stream });
  const leaks = ["u+key-in-prop", "Token token=abc", "hunter2", "sekrit", "pem-bytes"];
  log.info("Calling with {api_key}", {
    api_key: leaks[0],
    request: { headers: { Authorization: leaks[1] }, path: "/incidents" },
    users: [{ password: leaks[2] }],
    webhookSecret: leaks[3],
    private_key: leaks[4],
    wrapped: new Secret("inside-a-secret"),
    token_count: undefined,
  });
  await logging.close();
  const text = out.text();
  for (const leak of [...leaks, "inside-a-secret"]) assert.ok(!text.includes(leak), leak);
  const record = JSON.parse(text);
  assert.equal(record.message, `Calling with "${REDACTED}"`);
  assert.equal(record.properties.api_key, REDACTED);
  assert.equal(record.properties.request.headers.Authorization, REDACTED);
  assert.equal(record.properties.request.path, "/incidents");
  assert.equal(record.properties.users[0].password, REDACTED);
});

Deno.test("a log file is appended to, not truncated", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/tp.log`;
    await Deno.writeTextFile(file, "earlier line\n");
    const logging = await configureLogging({ ...TEXT, output: file });
    log.info("appended");
    await logging.close();
    const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
    assert.equal(lines[0], "earlier line");
    assert.match(lines[1], /msg=appended/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unusable log file is one clear error naming log.output", async () => {
  await assert.rejects(
    configureLogging({ ...TEXT, output: "/nonexistent-dir/tp.log" }),
    /^Error: log\.output \/nonexistent-dir\/tp\.log cannot be opened for appending \(.*\): create its directory/,
  );
});

Deno.test("runtime warnings and grpc-js errors go to the log, never straight to stderr", async () => {
  const fixture = new URL("./testdata/stray_output.ts", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--ignore-env", "--allow-read", fixture],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  assert.equal(stderr, "");
  const records = stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
  const messages = records.map((r) => `${r.logger} ${r.level} ${r.message}`);
  assert.ok(
    messages.some((m) =>
      /^teleport-pagerduty\.runtime WARN Runtime warning "TimeoutOverflowWarning": /.test(m)
    ),
    stdout,
  );
  assert.ok(messages.some((m) => /DeprecationWarning.*something deprecated/.test(m)), stdout);
  assert.ok(
    messages.some((m) => /^teleport-pagerduty\.teleport\.grpc WARN gRPC: .*stream reset/.test(m)),
    stdout,
  );
});
