import assert from "node:assert/strict";
import { ClusterPki } from "../fakes/pki.ts";
import { HttpServerError } from "./errors.ts";
import { Health } from "./health.ts";
import { METRIC_PREFIX, Metrics } from "./metrics.ts";
import {
  type HttpServer,
  type HttpServerOptions,
  startHttpServer,
  WEBHOOK_PATH,
} from "./server.ts";
import { parseExposition, sampleValue } from "../testing/prometheus_text.ts";
import type { WebhookHandler } from "./webhook.ts";

interface Running {
  readonly server: HttpServer;
  readonly base: string;
  readonly metrics: Metrics;
  readonly health: Health;
  readonly controller: AbortController;
}

/** Runs `body` against a listener on 127.0.0.1, then shuts it down and waits for it. */
async function withServer(
  options: Partial<HttpServerOptions>,
  body: (running: Running) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  const metrics = options.metrics ?? new Metrics();
  const health = options.health ?? new Health();
  const server = await startHttpServer({
    listenAddr: "127.0.0.1:0",
    metrics,
    health,
    signal: controller.signal,
    ...options,
  });
  try {
    await body({
      server,
      base: `${server.scheme}://127.0.0.1:${server.port}`,
      metrics,
      health,
      controller,
    });
  } finally {
    controller.abort();
    await server.finished;
  }
}

/** Fetches and reads the whole body, so no response stream is left open. */
async function call(url: string, init?: RequestInit & { client?: Deno.HttpClient }) {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

Deno.test("server: /healthz answers ok for GET and HEAD", async () => {
  await withServer({}, async ({ base, server }) => {
    assert.equal(server.scheme, "http");
    assert.equal(server.hostname, "127.0.0.1");
    assert.ok(server.port > 0);
    const get = await call(`${base}/healthz`);
    assert.equal(get.status, 200);
    assert.equal(get.text, "ok\n");
    const head = await call(`${base}/healthz`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.text, "");
  });
});

Deno.test("server: /readyz is 503 with reasons, then 200 once ready", async () => {
  await withServer({}, async ({ base, health }) => {
    const before = await call(`${base}/readyz`);
    assert.equal(before.status, 503);
    assert.equal(before.headers.get("content-type"), "application/json");
    const body = JSON.parse(before.text);
    assert.equal(body.status, "not_ready");
    assert.equal(body.checks.teleport_watch.ok, false);
    assert.match(body.checks.teleport_watch.detail, /not been established/);
    assert.equal(body.checks.pagerduty.ok, false);

    health.watchEstablished();
    health.pagerDutySucceeded();
    const after = await call(`${base}/readyz`);
    assert.equal(after.status, 200);
    const ready = JSON.parse(after.text);
    assert.equal(ready.status, "ready");
    assert.equal(ready.checks.teleport_watch.ok, true);
    assert.equal(ready.checks.pagerduty.ok, true);

    health.watchLost("the Auth Service closed the stream");
    const lost = await call(`${base}/readyz`);
    assert.equal(lost.status, 503);
    assert.match(JSON.parse(lost.text).checks.teleport_watch.detail, /closed the stream/);
  });
});

Deno.test("server: /metrics serves the registry in Prometheus text format", async () => {
  await withServer({}, async ({ base, metrics }) => {
    metrics.incidentCreated();
    metrics.autoApproval("no_user");
    const response = await call(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), metrics.contentType);
    const e = parseExposition(response.text);
    assert.equal(sampleValue(e, `${METRIC_PREFIX}incidents_created_total`), 1);
    assert.equal(sampleValue(e, `${METRIC_PREFIX}auto_approvals_total`, { outcome: "no_user" }), 1);
  });
});

Deno.test("server: unknown paths are 404 and wrong methods 405 with Allow", async () => {
  const handler: WebhookHandler = () => Promise.resolve(new Response(null, { status: 202 }));
  await withServer({ webhookHandler: handler }, async ({ base }) => {
    assert.equal((await call(`${base}/`)).status, 404);
    assert.equal((await call(`${base}/healthz/extra`)).status, 404);
    assert.equal(
      (await call(`${base}/metrics?x=1`)).status,
      200,
      "a query does not change the route",
    );
    const post = await call(`${base}/healthz`, { method: "POST", body: "x" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    const del = await call(`${base}/metrics`, { method: "DELETE" });
    assert.equal(del.status, 405);
    const get = await call(`${base}${WEBHOOK_PATH}`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
  });
});

Deno.test("server: the webhook route is 404 when no handler is configured", async () => {
  await withServer({}, async ({ base }) => {
    assert.equal(
      (await call(`${base}${WEBHOOK_PATH}`, { method: "POST", body: "{}" })).status,
      404,
    );
  });
});

Deno.test("server: webhooks reach the handler with raw bytes, within the body cap", async () => {
  const received: Uint8Array[] = [];
  const handler: WebhookHandler = ({ body, headers }) => {
    received.push(body);
    assert.equal(headers.get("x-pagerduty-signature"), "v1=00ff");
    return Promise.resolve(new Response(null, { status: 202 }));
  };
  await withServer({ webhookHandler: handler, maxBodyBytes: 64 }, async ({ base }) => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x22, 0xff, 0x22, 0x7d]);
    const headers = { "x-pagerduty-signature": "v1=00ff", "content-type": "application/json" };
    const ok = await call(`${base}${WEBHOOK_PATH}`, { method: "POST", body: bytes, headers });
    assert.equal(ok.status, 202);
    assert.deepEqual(received, [bytes]);
    const big = await call(`${base}${WEBHOOK_PATH}`, {
      method: "POST",
      body: new Uint8Array(65),
      headers,
    });
    assert.equal(big.status, 413);
    assert.equal(received.length, 1, "an oversized body never reaches the handler");
  });
});

Deno.test("server: a failing readiness check answers 500 and the server keeps serving", async () => {
  const health = new Health({
    probe: () => Promise.resolve(),
    now: () => {
      throw new Error("clock broke");
    },
  });
  await withServer({ health }, async ({ base }) => {
    assert.equal((await call(`${base}/readyz`)).status, 500);
    assert.equal((await call(`${base}/healthz`)).status, 200);
  });
});

Deno.test("server: HTTPS with the configured certificate and key", async () => {
  const pki = await ClusterPki.create({ clusterName: "http-test" });
  const leaf = await pki.issueServerCert({ extraDnsNames: ["localhost"] });
  const dir = await Deno.makeTempDir();
  const client = Deno.createHttpClient({ caCerts: [pki.hostCa.certPem] });
  try {
    const certFile = `${dir}/server.crt`;
    const keyFile = `${dir}/server.key`;
    await Deno.writeTextFile(certFile, leaf.certPem);
    await Deno.writeTextFile(keyFile, leaf.keyPem);
    await withServer({ https: { certFile, keyFile } }, async ({ server }) => {
      assert.equal(server.scheme, "https");
      const response = await call(`https://localhost:${server.port}/healthz`, { client });
      assert.equal(response.status, 200);
      assert.equal(response.text, "ok\n");
      await assert.rejects(
        fetch(`http://127.0.0.1:${server.port}/healthz`),
        "plain HTTP is refused",
      );
    });
    await withServer({ https: { certFile, keyFile }, headerTimeoutMs: 200 }, async ({ server }) => {
      assert.equal(await untilClosed(server.port), "", "a stalled TLS handshake is cut off");
    });
  } finally {
    client.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("server: HTTPS file problems name the config key and never quote the key", async () => {
  const pki = await ClusterPki.create({ clusterName: "http-test" });
  const [leaf, other] = await Promise.all([pki.issueServerCert(), pki.issueServerCert()]);
  const dir = await Deno.makeTempDir();
  const file = async (name: string, text: string) => {
    await Deno.writeTextFile(`${dir}/${name}`, text);
    return `${dir}/${name}`;
  };
  const cert = await file("cert.pem", leaf.certPem);
  const key = await file("key.pem", leaf.keyPem);
  const otherKey = await file("other.pem", other.keyPem);
  const notPem = await file("cert.der", "not a certificate");
  const encrypted = await file(
    "enc.pem",
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
  );
  const keyBody = leaf.keyPem.split("\n")[1];
  const cases: Array<[string, string, string, RegExp]> = [
    [
      `${dir}/missing.pem`,
      key,
      "http.https_cert_file",
      /^http\.https_cert_file ".*missing\.pem" does not exist: point it at the PEM file/,
    ],
    [
      cert,
      `${dir}/missing.key`,
      "http.https_key_file",
      /^http\.https_key_file ".*missing\.key" does not exist: /,
    ],
    // An endless or special file is refused before it is read (it used to hang the start).
    [
      "/dev/zero",
      key,
      "http.https_cert_file",
      /^http\.https_cert_file "\/dev\/zero" is not a regular file \(a device, pipe or socket\): /,
    ],
    [
      cert,
      "/dev/zero",
      "http.https_key_file",
      /^http\.https_key_file "\/dev\/zero" is not a regular/,
    ],
    [
      notPem,
      key,
      "http.https_cert_file",
      /holds no PEM certificate .*; point it at the server's PEM certificate chain\.$/,
    ],
    [cert, notPem, "http.https_key_file", /holds no PEM private key; point it at/],
    [
      cert,
      encrypted,
      "http.https_key_file",
      /holds an encrypted private key; provide it unencrypted/,
    ],
    [
      cert,
      otherKey,
      "http.https_cert_file",
      /^Cannot serve HTTPS with http\.https_cert_file .* and http\.https_key_file .*; check that they hold a matching PEM certificate chain and private key\.$/,
    ],
  ];
  try {
    for (const [certFile, keyFile, configKey, message] of cases) {
      await assert.rejects(
        startHttpServer({
          listenAddr: "127.0.0.1:0",
          https: { certFile, keyFile },
          metrics: new Metrics(),
          health: new Health(),
          signal: AbortSignal.abort(),
        }),
        (error: unknown) => {
          assert.ok(error instanceof HttpServerError, String(error));
          assert.equal(error.key, configKey, error.message);
          assert.match(error.message, message);
          assert.ok(!error.message.includes(keyBody), "no key material in the message");
          return true;
        },
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("server: an address in use fails naming http.listen_addr", async () => {
  await withServer({}, async ({ server }) => {
    await assert.rejects(
      startHttpServer({
        listenAddr: `127.0.0.1:${server.port}`,
        metrics: new Metrics(),
        health: new Health(),
        signal: AbortSignal.abort(),
      }),
      (error: unknown) => {
        assert.ok(error instanceof HttpServerError);
        assert.equal(error.key, "http.listen_addr");
        assert.match(
          error.message,
          /AddrInUse.*stop the other process using it or choose another port\.$/,
        );
        return true;
      },
    );
  });
});

Deno.test("server: aborting the signal lets in-flight requests finish, then stops listening", async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
  const handler: WebhookHandler = async () => {
    entered();
    await released;
    return new Response("accepted", { status: 202 });
  };
  const controller = new AbortController();
  const server = await startHttpServer({
    listenAddr: "127.0.0.1:0",
    metrics: new Metrics(),
    health: new Health(),
    webhookHandler: handler,
    signal: controller.signal,
  });
  const base = `http://127.0.0.1:${server.port}`;
  const inFlight = call(`${base}${WEBHOOK_PATH}`, { method: "POST", body: "{}" });
  await handlerEntered;
  controller.abort();
  await assert.rejects(fetch(`${base}/healthz`), "new connections are refused at once");
  release();
  const response = await inFlight;
  assert.equal(response.status, 202, "the in-flight request still completes");
  assert.equal(response.text, "accepted");
  await server.finished;
  await assert.rejects(fetch(`${base}/healthz`), "no longer listening");
});

/** Connects, sends `text`, and resolves with what came back once the server closed it. */
async function untilClosed(port: number, text = ""): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    if (text !== "") await conn.write(new TextEncoder().encode(text));
    let received = "";
    const buffer = new Uint8Array(4096);
    // A generous guard so a server that never closes fails the test instead of hanging it.
    const guard = setTimeout(() => conn.close(), 30_000);
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) return received;
        received += new TextDecoder().decode(buffer.subarray(0, n));
      }
    } catch {
      return received + "<guard: never closed>";
    } finally {
      clearTimeout(guard);
    }
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed by the guard.
    }
  }
}

Deno.test("server: a client that never finishes its headers is disconnected", async () => {
  await withServer({ headerTimeoutMs: 200 }, async ({ server, base }) => {
    const [partial, silent] = await Promise.all([
      untilClosed(server.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a"),
      untilClosed(server.port),
    ]);
    assert.equal(partial, "", "closed without an answer");
    assert.equal(silent, "");
    assert.equal((await call(`${base}/healthz`)).status, 200, "others are still served");
  });
});

Deno.test("server: an idle kept-alive connection is closed after its answer", async () => {
  await withServer({ idleTimeoutMs: 200 }, async ({ server }) => {
    const received = await untilClosed(server.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n(.*\r\n)*\r\nok\n$/);
  });
});

for (const cap of ["maxConnections", "maxConnectionsPerClient"] as const) {
  Deno.test(`server: connections past ${cap} are closed at once, the others served`, async () => {
    await withServer({ [cap]: 3 }, async ({ server }) => {
      // Three clients holding connections open, mid-headers.
      const held = await Promise.all(
        [1, 2, 3].map(() => Deno.connect({ hostname: "127.0.0.1", port: server.port })),
      );
      try {
        for (const conn of held) await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\n"));
        assert.equal(await untilClosed(server.port, "GET /healthz HTTP/1.1\r\n\r\n"), "");
      } finally {
        for (const conn of held) conn.close();
      }
      // The server notices the closes on its own time: try until it answers.
      let served = "";
      for (let attempt = 0; attempt < 100 && served === ""; attempt++) {
        served = await untilClosed(
          server.port,
          "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        if (served === "") await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.match(served, /^HTTP\/1\.1 200 OK\r\n/, "served once the others have gone");
    });
  });
}
