/**
 * Extracts from PagerDuty's official REST OpenAPI document only what the fake PagerDuty
 * validates: the parameters and request bodies of the operations it serves, plus every
 * component they reference. The full document is 2.7 MB; the extract keeps the fake (and the
 * demo binary that embeds it) small and lets it load with a JSON import instead of a file read.
 *
 * Regenerate after updating the source document:
 *
 * ```sh
 * deno run --allow-read --allow-write src/fakes/pagerduty/openapi/extract.ts \
 *   /path/to/api-schema/reference/REST/openapiv3.json
 * ```
 *
 * @module
 */

/** Where the official document comes from; recorded in the extract. */
export const SOURCE = {
  repository: "https://github.com/PagerDuty/api-schema",
  path: "reference/REST/openapiv3.json",
  commit: "91a06fb3c64b0ab2b2bd6c485d12b327dfb55c18",
  blob: "c2169428cd2f83bd42e547098e8afdf512f05fc4",
} as const;

/** Where the workplace keeps a copy of the full document; the default input. */
export const DEFAULT_SOURCE_FILE = "/work/shared/pagerduty/rest-openapiv3.json";

/** The committed extract, relative to this module. */
export const EXTRACT_FILE = new URL("./pagerduty-rest-subset.json", import.meta.url);

/** Operations the fake serves: `[path template, lower-case method]`. */
export const SERVED_OPERATIONS: ReadonlyArray<readonly [string, string]> = [
  ["/abilities", "get"],
  ["/abilities/{id}", "get"],
  ["/users", "get"],
  ["/users/{id}", "get"],
  ["/users/me", "get"],
  ["/services", "get"],
  ["/services/{id}", "get"],
  ["/escalation_policies/{id}", "get"],
  ["/schedules", "get"],
  ["/priorities", "get"],
  ["/oncalls", "get"],
  ["/incidents", "get"],
  ["/incidents", "post"],
  ["/incidents", "put"],
  ["/incidents/{id}", "get"],
  ["/incidents/{id}", "put"],
  ["/incidents/{id}/notes", "get"],
  ["/incidents/{id}/notes", "post"],
  ["/webhook_subscriptions", "get"],
  ["/webhook_subscriptions", "post"],
  ["/webhook_subscriptions/{id}", "get"],
  ["/webhook_subscriptions/{id}", "put"],
  ["/webhook_subscriptions/{id}", "delete"],
  ["/webhook_subscriptions/{id}/enable", "post"],
  ["/incident_workflows", "get"],
  ["/incident_workflows", "post"],
  ["/incident_workflows/{id}", "get"],
  ["/incident_workflows/triggers", "get"],
  ["/incident_workflows/triggers", "post"],
  ["/incident_workflows/triggers/{id}/services", "post"],
  ["/extension_schemas", "get"],
  ["/extensions", "get"],
  ["/extensions", "post"],
  ["/extensions/{id}", "put"],
];

/** Operation fields kept; responses, prose and examples are dropped (the fake never reads them). */
const KEPT_OPERATION_FIELDS = ["operationId", "x-pd-operation-limit", "parameters", "requestBody"];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Every `#/components/...` reference inside `value`. */
function collectRefs(value: Json, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectRefs(item, out);
  } else if (value !== null && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) {
      if (key === "$ref" && typeof child === "string") out.add(child);
      else collectRefs(child, out);
    }
  }
}

/** Drops `examples`/`example` annotations, except where they are property names. */
function stripExamples(value: Json, parentKey = ""): Json {
  if (Array.isArray(value)) return value.map((item) => stripExamples(item));
  if (value === null || typeof value !== "object") return value;
  const isNameMap = parentKey === "properties" || parentKey === "patternProperties";
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (!isNameMap && (key === "examples" || key === "example")) continue;
    out[key] = stripExamples(child, key);
  }
  return out;
}

/** Decodes one JSON-pointer segment (`~1` is `/`, `~0` is `~`). */
function decodePointerSegment(segment: string): string {
  return segment.replaceAll("~1", "/").replaceAll("~0", "~");
}

/**
 * Builds the extract from the full document: the served operations (trimmed to what request
 * validation needs) and the transitive closure of the components they reference.
 */
export function extractSubset(spec: JsonObject): JsonObject {
  const paths = spec.paths as JsonObject;
  const outPaths: JsonObject = {};
  const pending = new Set<string>();
  for (const [path, method] of SERVED_OPERATIONS) {
    const item = paths[path] as JsonObject | undefined;
    const operation = item?.[method] as JsonObject | undefined;
    if (operation === undefined) {
      throw new Error(
        `The OpenAPI document has no ${method.toUpperCase()} ${path}; update SERVED_OPERATIONS in extract.ts.`,
      );
    }
    const kept: JsonObject = {};
    for (const field of KEPT_OPERATION_FIELDS) {
      if (operation[field] !== undefined) kept[field] = stripExamples(operation[field], field);
    }
    collectRefs(kept, pending);
    const outItem = (outPaths[path] ??= {}) as JsonObject;
    outItem[method] = kept;
  }

  const components = spec.components as JsonObject;
  const outComponents: { [section: string]: JsonObject } = {};
  const done = new Set<string>();
  while (pending.size > 0) {
    const ref = pending.values().next().value as string;
    pending.delete(ref);
    // A deeper pointer (e.g. `#/components/schemas/Tag/allOf/0`) pulls in its whole component.
    const match = /^#\/components\/([^/]+)\/([^/]+)(?:\/.*)?$/.exec(ref);
    if (match === null) throw new Error(`Unsupported $ref ${ref} in the OpenAPI document.`);
    const [, section, rawName] = match;
    const name = decodePointerSegment(rawName);
    const key = `${section}/${name}`;
    if (done.has(key)) continue;
    done.add(key);
    const target = (components[section] as JsonObject | undefined)?.[name];
    if (target === undefined) throw new Error(`Dangling $ref ${ref} in the OpenAPI document.`);
    const cleaned = stripExamples(target);
    (outComponents[section] ??= {})[name] = cleaned;
    collectRefs(cleaned, pending);
  }

  const sortedComponents: JsonObject = {};
  for (const section of Object.keys(outComponents).sort()) {
    const entries = Object.entries(outComponents[section]).sort(([a], [b]) => a.localeCompare(b));
    sortedComponents[section] = Object.fromEntries(entries);
  }
  return {
    openapi: spec.openapi,
    info: { title: (spec.info as JsonObject).title, version: (spec.info as JsonObject).version },
    "x-extracted-from": {
      ...SOURCE,
      note: "Generated by src/fakes/pagerduty/openapi/extract.ts; do not edit.",
    },
    paths: outPaths,
    components: sortedComponents,
  };
}

/** Renders the extract exactly as it is committed. */
export function renderExtract(spec: JsonObject): string {
  return JSON.stringify(extractSubset(spec), null, 2) + "\n";
}

if (import.meta.main) {
  const source = Deno.args[0] ?? DEFAULT_SOURCE_FILE;
  const spec = JSON.parse(await Deno.readTextFile(source)) as JsonObject;
  await Deno.writeTextFile(EXTRACT_FILE, renderExtract(spec));
  console.log(`Wrote ${EXTRACT_FILE.pathname} from ${source}.`);
}
