/**
 * The shape of the config file: every known key, and the keys that were removed with a hint on
 * what replaced them. Used to warn about unknown keys (with the nearest known one) and about
 * removed ones, before any value is read: the Go plugin ignored both, so neither stops a config
 * that worked with it.
 *
 * @module
 */

import type { ConfigWarning } from "./errors.ts";
import { REVIEWS_KEYS } from "./reviews.ts";
import { nearest } from "./suggest.ts";

/** One node of the key tree. */
export type KeyNode =
  | { readonly kind: "value" }
  | { readonly kind: "removed"; readonly hint: string }
  | {
    readonly kind: "table";
    readonly keys: Readonly<Record<string, KeyNode>>;
    /** Extra spellings accepted for this table's name. */
    readonly aliases?: readonly string[];
  };

const value: KeyNode = { kind: "value" };

function table(keys: Record<string, KeyNode>, aliases?: readonly string[]): KeyNode {
  return { kind: "table", keys, aliases };
}

function removed(hint: string): KeyNode {
  return { kind: "removed", hint };
}

/**
 * The other spellings of `[pagerduty.requestannotations]`: go-toml v1 matched the Go plugin's
 * untagged field `RequestAnnotations` as written, lower case, upper case, or lower-case first.
 */
export const REQUEST_ANNOTATIONS_ALIASES: readonly string[] = [
  "RequestAnnotations",
  "REQUESTANNOTATIONS",
  "requestAnnotations",
];

/** Every key the config file may contain. */
export const CONFIG_SCHEMA: KeyNode = table({
  teleport: table({
    addr: value,
    auth_server: value,
    identity: value,
    client_key: value,
    client_crt: value,
    root_cas: value,
    refresh_identity: value,
    refresh_identity_interval: value,
    web_proxy_addr: value,
  }),
  pagerduty: table({
    api_key: value,
    user_email: value,
    api_endpoint: value,
    auth_scheme: value,
    notify_service_annotation: value,
    services_annotation: value,
    incident_services_annotation: value,
    urgency: value,
    priority: value,
    request_timeout: value,
    rate_limit_per_minute: value,
    auto_approval: table({
      enabled: value,
      max_escalation_level: value,
      schedule_ids: value,
      roles: value,
      email_trait: value,
      end_with_shift: value,
    }),
    incident_access: table({ enabled: value, poll_interval: value }),
    reviews: table(Object.fromEntries(REVIEWS_KEYS.map((key) => [key, value]))),
    requestannotations: table(
      { notify_service: value, services: value },
      REQUEST_ANNOTATIONS_ALIASES,
    ),
    service_id: removed(
      "is ignored (removed in 6.2): name the service in the requester role's " +
        "`pagerduty_notify_service` annotation instead (see the README, section Annotations), " +
        "then delete this key",
    ),
    auto_approve: removed(
      "is ignored (removed in 6.2): requesters on call in a service named by their role's " +
        "`pagerduty_services` annotation are approved automatically unless " +
        "pagerduty.auto_approval.enabled = false; delete this key",
    ),
  }),
  http: table({
    listen_addr: value,
    public_addr: value,
    https_cert_file: value,
    https_key_file: value,
    basic_auth: removed(
      "is ignored (removed in 6.2): the listener approves nothing; it serves only health, " +
        "metrics and signed PagerDuty webhooks, so restrict who reaches it with the network or a " +
        "reverse proxy, and delete [http.basic_auth]",
    ),
    tls: removed(
      "is ignored (removed in 6.2): the listener approves nothing and PagerDuty webhooks are " +
        "verified by their signature, so client certificates are not checked; delete [http.tls]",
    ),
  }),
  log: table({ output: value, severity: value, format: value }),
  processing: table({ concurrency: value, reconcile_interval: value }),
});

/** Finds the schema entry for `name` in a table node, honouring the table aliases. */
export function lookupKey(node: KeyNode, name: string): [string, KeyNode] | undefined {
  if (node.kind !== "table") return undefined;
  const exact = node.keys[name];
  if (exact !== undefined) return [name, exact];
  for (const [key, child] of Object.entries(node.keys)) {
    if (child.kind === "table" && child.aliases?.includes(name)) return [key, child];
  }
  return undefined;
}

/** Every known dotted key path with its leaf name, for "is this key in another table?". */
function knownPaths(node: KeyNode, prefix: string, out: Array<[string, string]>): void {
  if (node.kind !== "table") return;
  for (const [key, child] of Object.entries(node.keys)) {
    if (child.kind === "removed") continue;
    const path = prefix === "" ? key : `${prefix}.${key}`;
    out.push([path, key]);
    knownPaths(child, path, out);
  }
}

const KNOWN_PATHS: Array<[string, string]> = [];
knownPaths(CONFIG_SCHEMA, "", KNOWN_PATHS);

function isPlainTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function unknownKeyMessage(path: string, key: string, siblings: KeyNode): string {
  const local = siblings.kind === "table"
    ? nearest(key, Object.keys(siblings.keys).filter((k) => siblings.keys[k].kind !== "removed"))
    : undefined;
  const elsewhere = KNOWN_PATHS.find(([, leaf]) => leaf === key.toLowerCase())?.[0];
  const parent = path.slice(0, path.length - key.length - 1);
  const suggestion = local !== undefined
    ? ` did you mean ${parent === "" ? local : `${parent}.${local}`}?`
    : elsewhere !== undefined
    ? ` did you mean ${elsewhere}?`
    : "";
  return `${path} is not a known key and is ignored:${
    suggestion === "" ? " check its spelling against `teleport-pagerduty configure`." : suggestion
  }`;
}

/**
 * Walks the parsed document against the schema: unknown and removed keys become warnings (the
 * Go plugin ignored them too, so they must not stop a drop-in replacement). A removed key whose
 * value would widen access if ignored is refused where its value is read (`parse.ts`).
 */
export function checkKeys(
  doc: Record<string, unknown>,
  warnings: ConfigWarning[],
  node: KeyNode = CONFIG_SCHEMA,
  prefix = "",
): void {
  for (const [key, child] of Object.entries(doc)) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const found = lookupKey(node, key);
    if (found === undefined) {
      warnings.push({ key: path, message: unknownKeyMessage(path, key, node) });
      continue;
    }
    const [, schema] = found;
    if (schema.kind === "removed") {
      warnings.push({ key: path, message: `${path} ${schema.hint}.` });
    } else if (schema.kind === "table" && isPlainTable(child)) {
      checkKeys(child, warnings, schema, path);
    }
  }
}
