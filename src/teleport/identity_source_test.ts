import assert from "node:assert/strict";
import { join } from "node:path";
import FakeTimers from "@sinonjs/fake-timers";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import {
  type ClientIdentity,
  type ClientIdentityOptions,
  createClusterPki,
  identityFileText,
} from "../fakes/pki.ts";
import { IdentityError, type TeleportCredentials } from "./identity.ts";
import { IdentitySource, type IdentitySourceOptions } from "./identity_source.ts";

const MINUTE = 60_000;
const pki = await createClusterPki({ clusterName: "example.com" });

function issue(options: Partial<ClientIdentityOptions> = {}): Promise<ClientIdentity> {
  return pki.issueClientIdentity({
    user: "pagerduty-plugin",
    roles: ["access-plugin"],
    ...options,
  });
}

/** Everything one test needs: a temp dir, fake time, captured logs; all undone on dispose. */
interface Harness {
  readonly path: string;
  readonly clock: FakeTimers.Clock;
  readonly logs: LogRecord[];
  write(text: string): Promise<void>;
  open(options: IdentitySourceOptions): Promise<IdentitySource>;
  /**
   * Advances fake time by `ms` in steps of at most `stepMs` (the tick interval), waiting for
   * each tick's real file read: one big jump would pass ticks scheduled only after a read.
   */
  advance(source: IdentitySource, ms: number, stepMs?: number): Promise<void>;
  /** Rendered log messages at `level`. */
  messages(level: LogRecord["level"]): string[];
  [Symbol.asyncDispose](): Promise<void>;
}

async function harness(): Promise<Harness> {
  const dir = await Deno.makeTempDir({ prefix: "identity_source_test_" });
  const path = join(dir, "identity");
  const logs: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { memory: (record) => logs.push(record) },
    loggers: [
      { category: ["teleport-pagerduty", "identity"], sinks: ["memory"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  // Certificates hold whole seconds, so start on one to make expiry arithmetic exact.
  const clock = FakeTimers.install({
    now: Math.ceil(Date.now() / 1000) * 1000,
    toFake: ["setTimeout", "clearTimeout", "Date"],
  });
  const sources: IdentitySource[] = [];
  return {
    path,
    clock,
    logs,
    async write(text) {
      await Deno.writeTextFile(path, text, { mode: 0o600 });
    },
    async open(options) {
      const source = await IdentitySource.open({ kind: "identity_file", path }, options);
      sources.push(source);
      return source;
    },
    async advance(source, ms, stepMs = MINUTE) {
      for (let left = ms; left > 0; left -= stepMs) {
        await clock.tickAsync(Math.min(left, stepMs));
        await source.whenIdle();
      }
    },
    messages(level) {
      return logs.filter((record) => record.level === level).map(render);
    },
    async [Symbol.asyncDispose]() {
      for (const source of sources) await source.close();
      clock.uninstall();
      await reset();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function render(record: LogRecord): string {
  return record.message.map((part) => typeof part === "string" ? part : String(part)).join("");
}

/** Records every change notification. */
function recorder(source: IdentitySource): Array<[TeleportCredentials, TeleportCredentials]> {
  const calls: Array<[TeleportCredentials, TeleportCredentials]> = [];
  source.subscribe((next, previous) => calls.push([next, previous]));
  return calls;
}

Deno.test("open fails fast with the file's IdentityError and leaves no timer", async () => {
  await using h = await harness();
  await assert.rejects(h.open({ refresh: true }), (error) => {
    assert.ok(error instanceof IdentityError);
    assert.equal(error.reason, "not_found");
    assert.ok(error.message.includes(h.path));
    return true;
  });
  assert.equal(h.clock.countTimers(), 0);
  await h.write(identityFileText(await issue()));
  await assert.rejects(h.open({ refresh: true, intervalMs: 0 }), /must be positive.*interval/);
});

Deno.test("a renewed certificate is announced once; an identical rewrite is not", async () => {
  await using h = await harness();
  const first = await issue();
  await h.write(identityFileText(first));
  const source = await h.open({ refresh: true, intervalMs: 5_000 });
  const changes = recorder(source);
  const original = source.current;
  assert.equal(original.certificatePem.toString(), first.certPem);

  // tbot rewrites the file on every run even when nothing changed; CRLF is the same content too.
  await h.write(identityFileText(first).replaceAll("\n", "\r\n"));
  await h.advance(source, 5_000, 5_000);
  assert.equal(source.status.checks, 1);
  assert.equal(source.status.lastOutcome, "unchanged");
  assert.equal(changes.length, 0);
  assert.equal(source.current, original);

  const renewed = await issue();
  await h.write(identityFileText(renewed));
  await h.advance(source, 4_999);
  assert.equal(source.status.checks, 1, "not before the interval");
  await h.advance(source, 1);
  assert.equal(source.status.checks, 2);
  assert.equal(source.status.lastOutcome, "changed");
  assert.equal(changes.length, 1);
  assert.equal(changes[0][0], source.current);
  assert.equal(changes[0][1], original);
  assert.equal(source.current.certificatePem.toString(), renewed.certPem);
  assert.equal(source.current.privateKeyPem.toString(), renewed.keyPem);
  assert.notEqual(source.current.fingerprint, original.fingerprint);
  assert.equal(source.status.loadedAt.getTime(), Date.now());

  await h.advance(source, 5_000, 5_000);
  assert.equal(source.status.lastOutcome, "unchanged");
  assert.equal(changes.length, 1);
  assert.equal(h.messages("info").filter((m) => m.includes("renewed")).length, 1);

  await source.close();
  assert.equal(h.clock.countTimers(), 0);
});

Deno.test("a broken or half-written file keeps the last good credentials", async () => {
  await using h = await harness();
  const first = await issue();
  await h.write(identityFileText(first));
  const source = await h.open({ refresh: true, intervalMs: MINUTE });
  const changes = recorder(source);
  const good = source.current;
  const renewed = await issue();
  const renewedText = identityFileText(renewed);

  const broken: Array<[string, string]> = [
    [renewedText.slice(0, Math.floor(renewedText.length / 2)), "malformed_pem"],
    ["", "empty"],
    [identityFileText({ ...renewed, keyPem: first.keyPem }), "key_mismatch"],
    [identityFileText({ ...renewed, hostCaCertPems: [] }), "no_ca"],
  ];
  for (const [index, [text, reason]] of broken.entries()) {
    await h.write(text);
    await h.advance(source, MINUTE);
    assert.equal(source.status.lastOutcome, "failed", reason);
    assert.equal(source.status.lastError?.reason, reason);
    assert.equal(source.status.lastError?.path, h.path);
    assert.equal(source.status.consecutiveFailures, index + 1);
    assert.equal(source.current, good, "the last good credentials stay");
  }
  assert.equal(changes.length, 0);
  const warnings = h.messages("warning");
  assert.equal(warnings.length, broken.length, "one warning per failed tick");
  for (const warning of warnings) {
    assert.match(warning, /Keeping the current Teleport credentials .*retrying next tick/);
    assert.ok(warning.includes(h.path));
  }

  await h.write(renewedText);
  await h.advance(source, MINUTE);
  assert.equal(source.status.lastOutcome, "changed");
  assert.equal(source.status.lastError, undefined);
  assert.equal(source.status.consecutiveFailures, 0);
  assert.equal(changes.length, 1);
  assert.equal(source.current.certificatePem.toString(), renewed.certPem);
  assert.ok(h.messages("info").some((m) => m.includes("readable again after 4 failed reads")));

  const keyLines = [first.keyPem, renewed.keyPem].map((pem) => pem.split("\n")[1].slice(0, 24));
  for (const record of h.logs) {
    const shown = render(record) + JSON.stringify(record.properties);
    for (const line of keyLines) assert.ok(!shown.includes(line), "no key material in logs");
  }
});

Deno.test("reloading runs for the service's lifetime at the 1 minute default", async () => {
  await using h = await harness();
  await h.write(identityFileText(await issue()));
  const source = await h.open({ refresh: true });
  const changes = recorder(source);
  // The Go plugin stopped reloading after its 10 s start-up deadline; this must not.
  for (let minute = 1; minute <= 30; minute++) {
    if (minute === 25) await h.write(identityFileText(await issue()));
    await h.advance(source, MINUTE);
    assert.equal(source.status.checks, minute);
  }
  assert.equal(changes.length, 1);
  assert.equal(h.clock.countTimers(), 1, "exactly one pending tick");
});

Deno.test("with refresh off, ticks never read the file; refresh() still can", async () => {
  await using h = await harness();
  await h.write(identityFileText(await issue()));
  const source = await h.open({ refresh: false, intervalMs: MINUTE });
  const changes = recorder(source);
  const renewed = await issue();
  await h.write(identityFileText(renewed));
  await h.advance(source, 10 * MINUTE);
  assert.equal(source.status.checks, 0);
  assert.equal(changes.length, 0);

  assert.equal(await source.refresh(), "changed");
  assert.equal(source.current.certificatePem.toString(), renewed.certPem);
  assert.equal(changes.length, 1);
});

Deno.test("warns once ahead of expiry, errors once at expiry, recovers on renewal", async () => {
  await using h = await harness();
  const start = Date.now();
  // 30 minutes of validity: the default warning comes with a third (10 minutes) left.
  const short = await issue({
    notBefore: new Date(start - MINUTE),
    notAfter: new Date(start + 29 * MINUTE),
  });
  await h.write(identityFileText(short));
  const source = await h.open({ refresh: true, intervalMs: MINUTE });
  const changes = recorder(source);
  const expiring = () => h.messages("warning").filter((m) => m.includes("expires at"));

  await h.advance(source, 18 * MINUTE);
  assert.deepEqual(expiring(), [], "11m left is not yet inside the window");
  await h.advance(source, MINUTE);
  assert.equal(expiring().length, 1);
  assert.match(expiring()[0], /expires at .* \(in 10m\) and no renewed one has appeared in/);
  assert.match(
    expiring()[0],
    /check that tbot is running, or re-run `tctl auth sign --user=\S+ --format=file --out=\S+`/,
  );
  assert.ok(expiring()[0].includes(h.path));
  await h.advance(source, 9 * MINUTE);
  assert.equal(expiring().length, 1, "warned once per certificate");
  assert.deepEqual(h.messages("error"), []);

  await h.advance(source, MINUTE);
  const expired = h.messages("error");
  assert.equal(expired.length, 1);
  assert.match(expired[0], /expired at .* cannot reach Teleport until it does/);
  assert.equal(source.status.lastError?.reason, "expired");
  await h.advance(source, 3 * MINUTE);
  assert.equal(h.messages("error").length, 1, "the expiry error is logged once");
  assert.equal(source.status.consecutiveFailures, 4);

  const renewed = await issue();
  await h.write(identityFileText(renewed));
  await h.advance(source, MINUTE);
  assert.equal(changes.length, 1);
  assert.equal(source.status.lastError, undefined);
  assert.ok(source.current.notAfter.getTime() > Date.now() + 11 * 60 * MINUTE);
});

Deno.test("expiry warnings honour expiryWarningMs and say how to renew without refresh", async () => {
  await using h = await harness();
  const start = Date.now();
  await h.write(identityFileText(await issue({ notAfter: new Date(start + 12 * 60 * MINUTE) })));
  const source = await h.open({ refresh: false, expiryWarningMs: 30 * MINUTE });
  await h.advance(source, 11 * 60 * MINUTE + 29 * MINUTE);
  assert.deepEqual(h.messages("warning"), []);
  await h.advance(source, MINUTE);
  const [warning, ...rest] = h.messages("warning");
  assert.deepEqual(rest, []);
  assert.match(
    warning,
    /\(in 30m\).*renew it \(`tctl auth sign --user=\S+ --format=file --out=\S+`\) and restart the service, or set teleport\.refresh_identity = true/,
  );
});

Deno.test("an identity that is already close to expiry at start is warned about at once", async () => {
  await using h = await harness();
  const now = Date.now();
  // 12 hours of validity with 5 minutes left: well inside the last third.
  await h.write(identityFileText(
    await issue({
      notBefore: new Date(now - 11 * 60 * MINUTE - 55 * MINUTE),
      notAfter: new Date(now + 5 * MINUTE),
    }),
  ));
  await h.open({ refresh: true });
  const warnings = h.messages("warning").filter((m) => m.includes("expires at"));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /\(in 5m\)/);
});

Deno.test("loose file permissions are logged as warnings at start", async () => {
  await using h = await harness();
  await h.write(identityFileText(await issue()));
  await Deno.chmod(h.path, 0o644);
  const source = await h.open({ refresh: true });
  assert.equal(source.current.warnings.length, 1);
  assert.deepEqual(h.messages("warning"), [source.current.warnings[0]]);
  assert.match(h.messages("warning")[0], /chmod 600/);
});

Deno.test("the abort signal stops the timer; close waits for a running read", async () => {
  await using h = await harness();
  await h.write(identityFileText(await issue()));
  const controller = new AbortController();
  const source = await h.open({ refresh: true, intervalMs: MINUTE, signal: controller.signal });
  await h.advance(source, MINUTE);
  assert.equal(source.status.checks, 1);
  controller.abort();
  await source.whenIdle();
  assert.equal(h.clock.countTimers(), 0);
  await h.advance(source, 5 * MINUTE);
  assert.equal(source.status.checks, 1, "no reads after the service stopped");
  await source.close();

  const aborted = await h.open({ refresh: true, signal: AbortSignal.abort() });
  assert.equal(h.clock.countTimers(), 0, "an already stopped service starts no timer");
  await aborted.close();

  const busy = await h.open({ refresh: true, intervalMs: MINUTE });
  await h.clock.tickAsync(MINUTE);
  await busy.close();
  assert.equal(busy.status.checks, 1, "close let the running read finish");
  assert.equal(h.clock.countTimers(), 0);
});

Deno.test("concurrent refresh() calls share one read", async () => {
  await using h = await harness();
  await h.write(identityFileText(await issue()));
  const source = await h.open({ refresh: false });
  await h.write(identityFileText(await issue()));
  const outcomes = await Promise.all([source.refresh(), source.refresh(), source.refresh()]);
  assert.deepEqual(outcomes, ["changed", "changed", "changed"]);
  assert.equal(source.status.checks, 1);
});

Deno.test("a failing subscriber neither blocks the others nor stops refreshing", async () => {
  await using h = await harness();
  await h.write(identityFileText(await issue()));
  const source = await h.open({ refresh: true, intervalMs: MINUTE });
  source.subscribe(() => {
    throw new Error("subscriber bug");
  });
  const changes = recorder(source);
  const removed: TeleportCredentials[] = [];
  const unsubscribe = source.subscribe((next) => removed.push(next));
  unsubscribe();

  await h.write(identityFileText(await issue()));
  await h.advance(source, MINUTE);
  await h.write(identityFileText(await issue()));
  await h.advance(source, MINUTE);
  assert.equal(changes.length, 2);
  assert.equal(removed.length, 0, "unsubscribed listeners are not called");
  assert.equal(h.messages("error").filter((m) => m.includes("subscriber failed")).length, 2);
});
