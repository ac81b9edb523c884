/**
 * The Helm chart in deploy/helm/teleport-pagerduty/, rendered by the pinned Helm that
 * scripts/bootstrap.sh builds: `helm lint`, the upstream chart's values unchanged, every optional
 * feature on, and what the pod gets. The config the pod reads is parsed with the service's own
 * parser, each file it names is followed through its mount to the Secret key behind it, and the
 * result must equal what `configure`'s example gives once edited for the same settings.
 */

import assert from "node:assert/strict";
import { parse as parseToml } from "smol-toml";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../src/testing/deno_process.ts";
import { EXAMPLE_CONFIG } from "../src/config/example.ts";
import { parseConfig, type ParsedConfig } from "../src/config/parse.ts";
import { configToMessage } from "../src/config/transfer.ts";
import { VERSION } from "../src/version.ts";

const HELM = `${REPO_ROOT}.tools/bin/helm`;
const CHART = "deploy/helm/teleport-pagerduty";
const DATA = "tests/testdata/helm";
const UPSTREAM = ["-f", `${DATA}/upstream_defaults.yaml`, "-f", `${DATA}/upstream_example.yaml`];
/** Where the chart mounts the approve/deny secrets. */
const REVIEWS_DIR = "/var/lib/teleport/plugins/pagerduty/reviews";
const ALL_FEATURES = ["-f", `${DATA}/all_features.yaml`];
/** Where the chart mounts the listener's certificate and key. */
const HTTPS_DIR = "/var/lib/teleport/plugins/pagerduty/https";
/** Where the chart mounts the API key: a file path, so the ConfigMap holds no secret. */
const API_KEY_PATH = "/var/lib/teleport/plugins/pagerduty/pagerduty-api-key/pagerduty_api_key";

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function helm(args: readonly string[]): Promise<Run> {
  try {
    await Deno.stat(HELM);
  } catch {
    throw new Error(`${HELM} is missing: run scripts/bootstrap.sh, which builds the pinned Helm.`);
  }
  const output = await new Deno.Command(HELM, {
    args: [...args],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}

interface Metadata {
  readonly name: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

interface Manifest {
  readonly kind: string;
  readonly metadata: Metadata;
  readonly data?: Record<string, string>;
}

interface SecretVolume {
  readonly secretName: string;
  readonly defaultMode?: number;
  readonly items?: ReadonlyArray<{ key: string; path: string }>;
}

interface Volume {
  readonly name: string;
  readonly secret?: SecretVolume;
  readonly configMap?: { name: string; defaultMode?: number };
  readonly emptyDir?: Record<string, never>;
}

interface Mount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly?: boolean;
}

interface Probe {
  readonly httpGet: { path: string; port: string; scheme?: string };
  readonly timeoutSeconds: number;
}

interface Container {
  readonly image: string;
  readonly command: string[];
  readonly args: string[];
  readonly ports: ReadonlyArray<{ name: string; containerPort: number }>;
  readonly securityContext: Record<string, unknown>;
  readonly resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  readonly volumeMounts: readonly Mount[];
  readonly startupProbe: Probe;
  readonly livenessProbe: Probe;
  readonly readinessProbe: Probe;
  readonly env?: unknown;
}

interface Deployment extends Manifest {
  readonly spec: {
    readonly replicas: number;
    readonly strategy: { type: string };
    readonly selector: { matchLabels: Record<string, string> };
    readonly template: {
      readonly metadata: Metadata;
      readonly spec: {
        readonly containers: readonly Container[];
        readonly volumes: readonly Volume[];
        readonly securityContext: Record<string, unknown>;
        readonly automountServiceAccountToken: boolean;
        readonly imagePullSecrets?: ReadonlyArray<{ name: string }>;
      };
    };
  };
}

interface Service extends Manifest {
  readonly spec: {
    readonly selector: Record<string, string>;
    readonly ports: ReadonlyArray<{ name: string; port: number; targetPort: string }>;
  };
}

interface ServiceMonitor extends Manifest {
  readonly spec: {
    readonly selector: { matchLabels: Record<string, string> };
    readonly endpoints: ReadonlyArray<{
      port: string;
      path: string;
      interval: string;
      scheme?: string;
      tlsConfig?: Record<string, unknown>;
    }>;
  };
}

interface Ingress extends Manifest {
  readonly spec: {
    readonly ingressClassName?: string;
    readonly tls?: ReadonlyArray<{ secretName: string; hosts: string[] }>;
    readonly rules: ReadonlyArray<{
      host: string;
      http: {
        paths: ReadonlyArray<{
          path: string;
          pathType: string;
          backend: { service: { name: string; port: { name: string } } };
        }>;
      };
    }>;
  };
}

/** The manifests one `helm template` produced, and what the pod sees of them. */
class Rendered {
  readonly manifests: readonly Manifest[];

  constructor(yaml: string) {
    this.manifests = parseAllDocuments(yaml)
      .map((doc) => doc.toJS() as Manifest | null)
      .filter((m): m is Manifest => m !== null);
  }

  kinds(): string[] {
    return this.manifests.map((m) => m.kind).sort();
  }

  one<T extends Manifest>(kind: string): T {
    const found = this.manifests.filter((m) => m.kind === kind);
    assert.equal(found.length, 1, `exactly one ${kind}`);
    return found[0] as T;
  }

  named(kind: string, name: string): Manifest | undefined {
    return this.manifests.find((m) => m.kind === kind && m.metadata.name === name);
  }

  get deployment(): Deployment {
    return this.one<Deployment>("Deployment");
  }

  get container(): Container {
    const containers = this.deployment.spec.template.spec.containers;
    assert.equal(containers.length, 1);
    return containers[0];
  }

  /** The config file the container is started with, read through its ConfigMap mount. */
  configText(): string {
    const args = this.container.args;
    assert.deepEqual(args.slice(0, 2), ["start", "--config"]);
    const file = this.file(args[2]);
    assert.match(file.source, /^configmap\//);
    return file.text!;
  }

  /**
   * What the container finds at `path`: the mount it is under, the volume, and the key of the
   * ConfigMap or Secret behind it. A Secret the chart does not create is looked up in `cluster`.
   */
  file(
    path: string,
    cluster: Readonly<Record<string, Record<string, string>>> = {},
  ): { source: string; text: string | undefined; mount: Mount } {
    const mount = this.container.volumeMounts
      .filter((m) => path.startsWith(`${m.mountPath}/`))
      .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
    assert.ok(mount, `${path} is under a volume mount`);
    const name = path.slice(mount.mountPath.length + 1);
    const volume = this.deployment.spec.template.spec.volumes.find((v) => v.name === mount.name);
    assert.ok(volume, `volume ${mount.name} exists`);
    if (volume.configMap) {
      const map = this.named("ConfigMap", volume.configMap.name);
      assert.ok(map, `ConfigMap ${volume.configMap.name} is rendered`);
      return { source: `configmap/${map.metadata.name}:${name}`, text: map.data?.[name], mount };
    }
    assert.ok(volume.secret, `volume ${mount.name} is a Secret or ConfigMap`);
    const { secretName, items } = volume.secret;
    const key = items === undefined ? name : items.find((item) => item.path === name)?.key;
    assert.ok(key !== undefined, `${path} is projected from Secret ${secretName}`);
    const secret = this.named("Secret", secretName);
    const text = secret === undefined
      ? cluster[secretName]?.[key]
      : secret.data?.[key] === undefined
      ? undefined
      : new TextDecoder().decode(Uint8Array.from(atob(secret.data[key]), (c) => c.charCodeAt(0)));
    return { source: `secret/${secretName}:${key}`, text, mount };
  }

  /** Parses the pod's config with the service's own parser, reading files through the mounts. */
  async config(cluster: Readonly<Record<string, Record<string, string>>> = {}) {
    return await parseConfig(this.configText(), {
      path: "rendered ConfigMap",
      readFile: (path) => {
        const text = this.file(path, cluster).text;
        return text === undefined
          ? Promise.reject(new Deno.errors.NotFound(path))
          : Promise.resolve(new TextEncoder().encode(text));
      },
    });
  }
}

async function render(args: readonly string[]): Promise<Rendered> {
  const run = await helm(["template", "rel", CHART, ...args]);
  assert.equal(run.code, 0, run.stderr);
  return new Rendered(run.stdout);
}

/**
 * `configure`'s example edited as an operator would for the same settings: every `from` must be
 * in it, so the example and the chart cannot drift apart unnoticed.
 */
/** `configure`'s example with `edits`; files it names hold `files[path]`, else `apiKey`. */
async function example(
  edits: ReadonlyArray<[string, string]>,
  apiKey: string,
  files: Readonly<Record<string, string>> = {},
) {
  let text = EXAMPLE_CONFIG;
  for (const [from, to] of edits) {
    assert.ok(text.includes(from), `configure's example has ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  }
  return await parseConfig(text, {
    path: "edited example",
    readFile: (path) => Promise.resolve(new TextEncoder().encode(files[path] ?? apiKey)),
  });
}

/** The two configs as plain data (secrets revealed, so they are compared too). */
function assertSameConfig(actual: ParsedConfig, expected: ParsedConfig): void {
  assert.deepEqual(configToMessage(actual.config), configToMessage(expected.config));
}

Deno.test("helm lint passes with the upstream example values and with every feature on", async () => {
  const runs = await Promise.all([
    helm(["lint", "--strict", CHART, ...UPSTREAM]),
    helm(["lint", "--strict", CHART, ...ALL_FEATURES]),
  ]);
  for (const run of runs) {
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  }
});

Deno.test("the upstream chart's values render unchanged into the config configure documents", async () => {
  const rendered = await render(UPSTREAM);
  assert.deepEqual(rendered.kinds(), ["ConfigMap", "Deployment", "Secret"]);
  const parsed = await rendered.config();
  assert.deepEqual(parsed.warnings, []);
  const expected = await example([
    ['addr = "example.com:3025"', 'addr = "teleport.example.com:443"'],
    [
      'identity = "/var/lib/teleport/plugins/pagerduty/auth_id"',
      'identity = "/var/lib/teleport/plugins/pagerduty/teleport-identity/identity"',
    ],
    ["# refresh_identity = true", "refresh_identity = true"],
    ['api_key = "key"', `api_key = "${API_KEY_PATH}"`],
    ['user_email = "me@example.com"', 'user_email = "teleport-bot@example.com"'],
    ["# [http]", "[http]"],
    ['# listen_addr = ":8081"', 'listen_addr = ":8081"'],
    ['output = "stderr"', 'output = "stdout"'],
  ], "u+UpstreamExampleKey");
  assertSameConfig(parsed, expected);

  // Each file the config names comes from the Secret upstream's values name.
  assert.equal(parsed.config.pagerduty.apiKey.reveal(), "u+UpstreamExampleKey");
  assert.equal(
    rendered.file(parsed.config.pagerduty.apiKeyFile!).source,
    "secret/rel-teleport-pagerduty-secret:pagerdutyApiKey",
  );
  assert.equal(
    rendered.file(parsed.config.teleport.identity!).source,
    "secret/teleport-plugin-pagerduty-identity:identity",
  );
  // The image named in upstream's values is used as given.
  assert.equal(
    rendered.container.image,
    `public.ecr.aws/gravitational/teleport-plugin-pagerduty:${VERSION}`,
  );
});

Deno.test("upstream's own test values (a log file, an existing API key Secret) work too", async () => {
  const rendered = await render([
    "--set",
    "teleport.address=teleport.example.com:1234,teleport.identitySecretName=identity",
    "--set",
    "pagerduty.apiKeyFromSecret=my-pagerduty-secret,pagerduty.apiKeySecretPath=apikey",
    "--set",
    "pagerduty.userEmail=example-user@example.com",
    "--set",
    "log.output=/var/log/teleport-pagerduty.log,log.severity=DEBUG",
  ]);
  // The API key lives in the operator's Secret: the chart creates none.
  assert.deepEqual(rendered.kinds(), ["ConfigMap", "Deployment"]);
  const parsed = await rendered.config({ "my-pagerduty-secret": { apikey: "u+FromTheirSecret" } });
  assert.deepEqual(parsed.warnings, []);
  assert.equal(parsed.config.pagerduty.apiKey.reveal(), "u+FromTheirSecret");
  assert.deepEqual(parsed.config.log, {
    output: "/var/log/teleport-pagerduty.log",
    severity: "debug",
    format: "text",
  });
  assert.equal(rendered.file(parsed.config.teleport.identity!).source, "secret/identity:auth_id");
  // The root filesystem is read-only: the log file's directory is a writable emptyDir.
  const log = rendered.container.volumeMounts.find((m) => m.mountPath === "/var/log");
  assert.ok(log && !log.readOnly, "/var/log is mounted writable");
  const volume = rendered.deployment.spec.template.spec.volumes.find((v) => v.name === log.name);
  assert.deepEqual(volume?.emptyDir, {});
});

Deno.test("with every optional feature on, each lands where the service reads it", async () => {
  const rendered = await render(ALL_FEATURES);
  assert.deepEqual(rendered.kinds(), [
    "ConfigMap",
    "Deployment",
    "Ingress",
    "Secret",
    "Service",
    "ServiceMonitor",
  ]);
  const cluster = { "pagerduty-api": { token: "u+FromExistingSecret" } };
  const parsed = await rendered.config(cluster);
  assert.deepEqual(parsed.warnings, []);
  const expected = await example(
    [
      ['addr = "example.com:3025"', 'addr = "teleport-auth.teleport.svc.cluster.local:3025"'],
      [
        'identity = "/var/lib/teleport/plugins/pagerduty/auth_id"',
        'identity = "/var/lib/teleport/plugins/pagerduty/teleport-identity/identity"',
      ],
      ["# refresh_identity = true", "refresh_identity = true"],
      ['# refresh_identity_interval = "1m"', 'refresh_identity_interval = "30s"'],
      [
        '# web_proxy_addr = "teleport.example.com:443"',
        'web_proxy_addr = "teleport.example.com:443"',
      ],
      ['api_key = "key"', `api_key = "${API_KEY_PATH}"`],
      ['user_email = "me@example.com"', 'user_email = "teleport-bot@example.com"'],
      [
        '# api_endpoint = "https://api.pagerduty.com"',
        'api_endpoint = "https://api.eu.pagerduty.com"',
      ],
      [
        '# notify_service_annotation = "pagerduty_notify_service"',
        'notify_service_annotation = "pd_notify"',
      ],
      ['# auth_scheme = "token"', 'auth_scheme = "bearer"'],
      ['# services_annotation = "pagerduty_services"', 'services_annotation = "pd_services"'],
      [
        '# incident_services_annotation = "pagerduty_incident_services"',
        'incident_services_annotation = "pd_incident_services"',
      ],
      ['# urgency = "high"', 'urgency = "low"'],
      ['# priority = "P2"', 'priority = "P1"'],
      ['# request_timeout = "10s"', 'request_timeout = "20s"'],
      ["# rate_limit_per_minute = 900", "rate_limit_per_minute = 600"],
      ["# max_escalation_level = 1", "max_escalation_level = 2"],
      ["# schedule_ids = []", 'schedule_ids = ["PABC123"]'],
      ["# roles = []", 'roles = ["editor", "viewer"]'],
      ['# email_trait = "pagerduty_email"', 'email_trait = "pagerduty_email"'],
      ["# end_with_shift = false", "end_with_shift = true"],
      ["# enabled = false", "enabled = true"],
      ['# poll_interval = "30s"', 'poll_interval = "1m"'],
      ["# [pagerduty.reviews]", "[pagerduty.reviews]"],
      [
        '# webhook_secrets = ["/var/lib/teleport/plugins/pagerduty/webhook_secret"]',
        `webhook_secrets = ["${REVIEWS_DIR}/webhookSecret0", "${REVIEWS_DIR}/webhookSecret1"]`,
      ],
      [
        '# action_secret = "/var/lib/teleport/plugins/pagerduty/action_secret"',
        `action_secret = "${REVIEWS_DIR}/actionSecret"`,
      ],
      ['# approve_workflows = ["PWF1234"]', 'approve_workflows = ["PWF1234", "PWF1235"]'],
      ['# deny_workflows = ["PWF5678"]', 'deny_workflows = ["PWF5678"]'],
      ["# approver_escalation_levels = [1]", "approver_escalation_levels = [1, 2]"],
      [
        '# approver_emails = ["oncall-lead@example.com"]',
        'approver_emails = ["oncall-lead@example.com"]',
      ],
      ['# approver_teams = ["PTEAM12"]', 'approver_teams = ["PTEAM12"]'],
      ["# [http]", "[http]"],
      ['# listen_addr = ":8081"', 'listen_addr = ":9090"'],
      [
        '# public_addr = "https://teleport-pagerduty.example.com"',
        'public_addr = "https://pagerduty-hooks.example.com"',
      ],
      [
        '# https_cert_file = "/var/lib/teleport/plugins/pagerduty/server.crt"',
        `https_cert_file = "${HTTPS_DIR}/tls.crt"`,
      ],
      [
        '# https_key_file = "/var/lib/teleport/plugins/pagerduty/server.key"',
        `https_key_file = "${HTTPS_DIR}/tls.key"`,
      ],
      ['output = "stderr"', 'output = "/var/log/teleport-pagerduty/service.log"'],
      ['severity = "INFO"', 'severity = "DEBUG"'],
      ['# format = "text"', 'format = "json"'],
      ["# [processing]", "[processing]"],
      ["# concurrency = 16", "concurrency = 32"],
      ['# reconcile_interval = "5m"', 'reconcile_interval = "10m"'],
    ],
    "u+FromExistingSecret",
    {
      [`${REVIEWS_DIR}/webhookSecret0`]: "u+WebhookSecretOne",
      [`${REVIEWS_DIR}/webhookSecret1`]: "u+WebhookSecretTwo",
      [`${REVIEWS_DIR}/actionSecret`]: "u+ActionSecret-0123456789",
    },
  );
  assertSameConfig(parsed, expected);
  assert.equal(
    rendered.file(parsed.config.pagerduty.apiKeyFile!, cluster).source,
    "secret/pagerduty-api:token",
  );

  // The approve/deny secrets: files projected from the chart's Secret, never in the ConfigMap.
  const reviews = (parseToml(rendered.configText()).pagerduty as Record<string, unknown>)
    .reviews as { webhook_secrets: string[]; action_secret: string };
  assert.deepEqual(reviews.webhook_secrets.map((path) => rendered.file(path).text), [
    "u+WebhookSecretOne",
    "u+WebhookSecretTwo",
  ]);
  assert.equal(rendered.file(reviews.action_secret).text, "u+ActionSecret-0123456789");
  for (const map of rendered.manifests.filter((m) => m.kind === "ConfigMap")) {
    for (
      const secret of ["u+WebhookSecretOne", "u+WebhookSecretTwo", "u+ActionSecret-0123456789"]
    ) {
      assert.ok(!JSON.stringify(map).includes(secret), `${secret} is not in a ConfigMap`);
    }
  }

  // The listener: the container port is listen_addr's, and the probes and every object that
  // reaches it use that port by name.
  assert.deepEqual(rendered.container.ports.map((p) => [p.name, p.containerPort]), [[
    "http",
    9090,
  ]]);
  const service = rendered.one<Service>("Service");
  assert.deepEqual(service.spec.ports.map((p) => [p.name, p.targetPort]), [["http", "http"]]);
  const podLabels = rendered.deployment.spec.template.metadata.labels!;
  for (const [key, value] of Object.entries(service.spec.selector)) {
    assert.equal(podLabels[key], value, `the Service selects the pod by ${key}`);
  }
  const monitor = rendered.one<ServiceMonitor>("ServiceMonitor");
  assert.deepEqual(monitor.spec.endpoints.map((e) => [e.port, e.path, e.interval]), [
    ["http", "/metrics", "15s"],
  ]);

  // HTTPS in the pod: the certificate and key come from the TLS Secret, and everything that
  // calls the listener speaks HTTPS to it.
  const https = parsed.config.http!;
  assert.deepEqual(
    [https.httpsCertFile!, https.httpsKeyFile!].map((path) => rendered.file(path).source),
    ["secret/teleport-pagerduty-tls:tls.crt", "secret/teleport-pagerduty-tls:tls.key"],
  );
  const c = rendered.container;
  assert.deepEqual(
    [c.startupProbe, c.livenessProbe, c.readinessProbe].map((p) => p.httpGet.scheme),
    ["HTTPS", "HTTPS", "HTTPS"],
  );
  assert.deepEqual(monitor.spec.endpoints.map((e) => [e.scheme, e.tlsConfig]), [
    ["https", { serverName: "teleport-pagerduty.teleport.svc" }],
  ]);
  assert.equal(monitor.metadata.labels?.release, "prometheus");
  for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels)) {
    assert.equal(service.metadata.labels?.[key], value, `the ServiceMonitor selects by ${key}`);
  }

  // The Ingress routes PagerDuty's webhook paths only: health and metrics stay inside.
  const ingress = rendered.one<Ingress>("Ingress");
  assert.equal(ingress.spec.ingressClassName, "nginx");
  assert.deepEqual(ingress.spec.tls, [
    { secretName: "pagerduty-hooks-tls", hosts: ["pagerduty-hooks.example.com"] },
  ]);
  const [rule] = ingress.spec.rules;
  assert.equal(rule.host, "pagerduty-hooks.example.com");
  assert.deepEqual(
    rule.http.paths.map((
      p,
    ) => [p.path, p.pathType, p.backend.service.name, p.backend.service.port.name]),
    [["/pagerduty/", "Prefix", service.metadata.name, "http"]],
  );
  for (const path of ["/healthz", "/readyz", "/metrics"]) {
    assert.ok(!rule.http.paths.some((p) => path.startsWith(p.path)), `${path} is not exposed`);
  }

  const pod = rendered.deployment.spec.template.spec;
  assert.deepEqual(pod.imagePullSecrets, [{ name: "registry-credentials" }]);
  assert.equal(rendered.container.image, "registry.example.com/teleport-pagerduty:0.1.0-test");
  for (const kind of ["ConfigMap", "Deployment", "Secret"]) {
    assert.equal(rendered.one(kind).metadata.annotations?.team, "access", kind);
  }
  assert.equal(rendered.deployment.spec.template.metadata.annotations?.team, "access");
});

Deno.test("the pod is secure by default, even with upstream's empty security settings", async () => {
  for (const rendered of await Promise.all([render(UPSTREAM), render(ALL_FEATURES)])) {
    const { spec } = rendered.deployment;
    assert.equal(spec.replicas, 1, "one instance");
    assert.equal(spec.strategy.type, "Recreate", "never two at once during an upgrade");
    const pod = spec.template.spec;
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      fsGroup: 65532,
      seccompProfile: { type: "RuntimeDefault" },
    });
    const container = rendered.container;
    assert.deepEqual(container.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    assert.ok(container.resources.requests?.cpu && container.resources.requests?.memory);
    assert.ok(container.resources.limits?.cpu && container.resources.limits?.memory);
    assert.equal(container.env, undefined, "the service reads no environment");
    assert.deepEqual(container.command, ["/usr/local/bin/teleport-pagerduty"]);
    // Probes: the process answers (/healthz), and it is ready (/readyz), with time for
    // /readyz's own PagerDuty probe of up to 3 s.
    assert.deepEqual(
      [container.startupProbe, container.livenessProbe, container.readinessProbe].map((p) => [
        p.httpGet.path,
        p.httpGet.port,
      ]),
      [["/healthz", "http"], ["/healthz", "http"], ["/readyz", "http"]],
    );
    assert.ok(container.readinessProbe.timeoutSeconds > 3);
    // Every Secret and ConfigMap is mounted read-only and readable only by the pod's group.
    for (const volume of pod.volumes.filter((v) => v.secret || v.configMap)) {
      const mount = container.volumeMounts.find((m) => m.name === volume.name);
      assert.equal(mount?.readOnly, true, volume.name);
      assert.equal((volume.secret ?? volume.configMap)?.defaultMode, 0o440, volume.name);
    }
    // No secret value in a ConfigMap: its config names every secret by file path.
    const secrets = rendered.manifests.filter((m) => m.kind === "Secret")
      .flatMap((s) => Object.values(s.data ?? {}).map((v) => atob(v)));
    for (const map of rendered.manifests.filter((m) => m.kind === "ConfigMap")) {
      for (const secret of secrets) assert.ok(!JSON.stringify(map).includes(secret));
    }
  }
});

Deno.test("values.schema.json refuses typos, and values that cannot work fail with the fix", async () => {
  const base = ["--set", "pagerduty.apiKey=u+Key", ...UPSTREAM];
  const cases: Array<[string[], RegExp]> = [
    [["--set", "pagerduty.userEmial=x@example.com"], /'userEmial' not allowed/],
    [["--set", "serviceMonitr.enabled=true"], /'serviceMonitr' not allowed/],
    [["--set", "pagerduty.autoApproval.enabeld=false"], /'enabeld' not allowed/],
    [["--set", "log.severity=LOUD"], /\/log\/severity/],
    // The keys of the features that landed later: a typo, and a value out of the config's range.
    [["--set", "pagerduty.reviews.approveWorkflow={PWF1234}"], /'approveWorkflow' not allowed/],
    [["--set", "pagerduty.incidentAccess.enable=true"], /'enable' not allowed/],
    [["--set", "pagerduty.autoApproval.endWithShfit=true"], /'endWithShfit' not allowed/],
    [
      ["--set", "pagerduty.reviews.approverEscalationLevels={0}"],
      /\/pagerduty\/reviews\/approverEscalationLevels\/0/,
    ],
    [["--set", "pagerduty.rateLimitPerMinute=1000"], /\/pagerduty\/rateLimitPerMinute/],
    [
      ["--set", "pagerduty.reviews.approverTeams={team-sre}"],
      /\/pagerduty\/reviews\/approverTeams/,
    ],
    [
      ["--set", "pagerduty.reviews.approverEmails={oncall}"],
      /\/pagerduty\/reviews\/approverEmails/,
    ],
    [
      ["--set", "pagerduty.incidentAccess.pollInterval=30"],
      /\/pagerduty\/incidentAccess\/pollInterval/,
    ],
    [["--set", "pagerduty.authScheme=basic"], /\/pagerduty\/authScheme/],
    [["--set", "teleport.address=teleport.example.com"], /\/teleport\/address/],
    [
      ["--set", "tbot.enabled=true"],
      /tbot\.enabled: this chart does not bundle upstream's tbot subchart/,
    ],
    [
      ["--set", "crd.create=true"],
      /crd\.create: this chart does not create Teleport Operator resources/,
    ],
    [["--set", "teleport.address="], /teleport\.address is required/],
    [["--set", "teleport.identitySecretName="], /teleport\.identitySecretName is required/],
    [["--set", "pagerduty.userEmail="], /pagerduty\.userEmail is required/],
    [
      ["--set", "pagerduty.apiKey="],
      /pagerduty\.apiKey or pagerduty\.apiKeyFromSecret is required/,
    ],
    [
      ["--set", "pagerduty.reviews.enabled=true"],
      /pagerduty\.reviews\.enabled needs the webhook's signing secret/,
    ],
    [
      ["--set", "pagerduty.reviews.approveWorkflows={PWF1234}"],
      /pagerduty\.reviews: the workflow and approver options apply to approving and denying/,
    ],
    [
      [
        "--set",
        "pagerduty.reviews.enabled=true,pagerduty.reviews.webhookSecrets={u+Secret}",
        "--set",
        "pagerduty.reviews.approveWorkflows={PWF1234},pagerduty.reviews.denyWorkflows={PWF1234}",
      ],
      /workflow PWF1234 is in both approveWorkflows and denyWorkflows/,
    ],
    [
      ["--set", "serviceMonitor.enabled=true,serviceMonitor.tlsConfig.serverName=x"],
      /serviceMonitor\.tlsConfig applies only when the listener serves HTTPS/,
    ],
    [
      ["--set", "pagerduty.autoApproval.enabled=false,pagerduty.autoApproval.endWithShift=true"],
      /pagerduty\.autoApproval\.endWithShift has no effect/,
    ],
    [
      ["--set", "ingress.enabled=true,ingress.host=x.example.com"],
      /ingress\.enabled exposes only PagerDuty's approve\/deny webhook/,
    ],
  ];
  const runs = await Promise.all(
    cases.map(([args]) => helm(["template", "rel", CHART, ...base, ...args])),
  );
  runs.forEach((run, i) => {
    assert.notEqual(run.code, 0, `${cases[i][0].join(" ")} was accepted`);
    assert.match(run.stderr, cases[i][1]);
    assert.ok(!run.stderr.includes("u+Key"), "the API key is not echoed");
  });
});

Deno.test("the chart's appVersion is the service's version", async () => {
  const chart = await Deno.readTextFile(`${REPO_ROOT}${CHART}/Chart.yaml`);
  assert.match(chart, new RegExp(`^appVersion: "${VERSION.replaceAll(".", "\\.")}"$`, "m"));
  assert.match(chart, new RegExp(`^version: ${VERSION.replaceAll(".", "\\.")}$`, "m"));
});
