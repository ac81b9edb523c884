/**
 * Validates requests against PagerDuty's official OpenAPI document (the committed extract in
 * `openapi/`), so a client regression (a missing field, a bad enum, a filter without `[]`) fails a
 * test instead of passing silently against a lenient fake.
 *
 * Bodies are validated as sent (no type coercion). Query strings are turned into an object first:
 * `x[]` parameters become arrays, the comma-separated `sort_by` of incidents is split, and integers
 * and booleans are coerced from text. Unknown query parameters are rejected; the real API ignores
 * them, but a filter it ignores is exactly the bug this fake exists to catch.
 *
 * Spec bug patched before use: `IncidentBody.details` is typed `object`, but the API only accepts a
 * string (docs/pagerduty-api.md §6).
 *
 * @module
 */

import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import * as ajvFormats from "ajv-formats";
import subset from "./openapi/pagerduty-rest-subset.json" with { type: "json" };

const addFormats = ajvFormats.default as unknown as ajvFormats.FormatsPlugin;

type JsonObject = { [key: string]: unknown };

/** Result of validating one part of a request. */
export type ValidationResult =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly errors: readonly string[] };

interface QueryParameter {
  readonly name: string;
  readonly schema: JsonObject;
  readonly required: boolean;
  /** `x[]` or an exploded array: every occurrence is kept, as a list. */
  readonly list: boolean;
  /** `style: form, explode: false`: one value, comma-separated. */
  readonly commaSeparated: boolean;
}

interface OperationSpec {
  readonly path: string;
  readonly method: string;
  readonly query: readonly QueryParameter[];
  readonly hasBody: boolean;
}

const SPEC_ID = "pd";

/** Returns a deep copy of the extract with the known spec bugs fixed. */
function patchedSpec(): JsonObject {
  const spec = structuredClone(subset) as unknown as JsonObject;
  const schemas = (spec.components as JsonObject).schemas as JsonObject;
  const incidentBody = schemas.IncidentBody as { properties?: JsonObject } | undefined;
  if (incidentBody?.properties?.details === undefined) {
    throw new Error(
      "The OpenAPI extract has no IncidentBody.details to patch; check src/fakes/pagerduty/openapi/extract.ts.",
    );
  }
  incidentBody.properties.details = { type: "string", description: "Additional incident details." };
  return spec;
}

/** Rewrites document-local `#/…` references so they resolve inside the registered spec. */
function qualifyRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(qualifyRefs);
  if (value === null || typeof value !== "object") return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = key === "$ref" && typeof child === "string" && child.startsWith("#/")
      ? `${SPEC_ID}${child}`
      : qualifyRefs(child);
  }
  return out;
}

/** A shallow copy of `object` without `key`. */
function withoutKey(object: JsonObject, key: string): JsonObject {
  const copy = { ...object };
  delete copy[key];
  return copy;
}

/** Escapes a path for use as one JSON-pointer segment. */
function pointerSegment(text: string): string {
  return text.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** Formats Ajv errors as PagerDuty-style sentences naming the field (`incident.urgency …`). */
function describeErrors(errors: readonly ErrorObject[] | null | undefined, root: string): string[] {
  const out = new Set<string>();
  for (const error of errors ?? []) {
    let field = "";
    for (const raw of error.instancePath.split("/").slice(1)) {
      const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
      field += /^\d+$/.test(segment) ? `[${segment}]` : field === "" ? segment : `.${segment}`;
    }
    if (field === "") field = root;
    let detail = error.message ?? "is invalid";
    if (error.keyword === "enum") {
      const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues ?? [];
      detail = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}`;
    }
    if (error.keyword === "additionalProperties") {
      const extra = (error.params as { additionalProperty?: string }).additionalProperty;
      out.add(`Unknown query parameter "${extra}".`);
      continue;
    }
    out.add(`${field} ${detail}`);
  }
  return [...out];
}

/** Validates request queries and bodies of the operations the fake serves. */
export class RequestValidator {
  readonly #bodyAjv: Ajv;
  readonly #queryAjv: Ajv;
  readonly #operations = new Map<string, OperationSpec>();
  readonly #bodyValidators = new Map<string, ValidateFunction>();
  readonly #queryValidators = new Map<string, ValidateFunction>();

  /** Loads the extract; compiling happens lazily, per operation, on first use. */
  constructor() {
    const spec = patchedSpec();
    this.#bodyAjv = RequestValidator.#newAjv(false);
    this.#queryAjv = RequestValidator.#newAjv(true);
    this.#bodyAjv.addSchema(spec, SPEC_ID);
    this.#queryAjv.addSchema(spec, SPEC_ID);
    const parameters = (spec.components as JsonObject).parameters as JsonObject;
    for (const [path, item] of Object.entries(spec.paths as JsonObject)) {
      for (const [method, rawOperation] of Object.entries(item as JsonObject)) {
        const operation = rawOperation as JsonObject;
        const query: QueryParameter[] = [];
        for (const rawParameter of (operation.parameters ?? []) as JsonObject[]) {
          const parameter = (typeof rawParameter.$ref === "string"
            ? parameters[rawParameter.$ref.split("/").at(-1)!]
            : rawParameter) as JsonObject;
          if (parameter.in !== "query") {
            continue;
          }
          const schema = parameter.schema as JsonObject;
          query.push({
            name: parameter.name as string,
            schema,
            required: parameter.required === true,
            list: (parameter.name as string).endsWith("[]") || schema.type === "array",
            commaSeparated: parameter.style === "form" && parameter.explode === false,
          });
        }
        this.#operations.set(operation.operationId as string, {
          path,
          method,
          query,
          hasBody: operation.requestBody !== undefined,
        });
      }
    }
  }

  static #newAjv(coerceTypes: boolean): Ajv {
    const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes, validateSchema: false });
    addFormats(ajv);
    ajv.addFormat("url", true);
    ajv.addFormat("tzinfo", true);
    return ajv;
  }

  /** The operation ids the extract knows. */
  get operationIds(): string[] {
    return [...this.#operations.keys()];
  }

  /** Validates a query string; on success `value` holds the typed parameters. */
  validateQuery(operationId: string, params: URLSearchParams): ValidationResult {
    const operation = this.#operation(operationId);
    const value: Record<string, unknown> = {};
    const errors: string[] = [];
    const known = new Map(operation.query.map((p) => [p.name, p]));
    for (const name of new Set(params.keys())) {
      const parameter = known.get(name);
      const values = params.getAll(name);
      if (parameter === undefined) {
        errors.push(`Unknown query parameter "${name}".`);
      } else if (parameter.commaSeparated) {
        value[name] = values.join(",").split(",").filter((v) => v !== "");
      } else if (parameter.list) {
        value[name] = values;
      } else if (values.length > 1) {
        errors.push(`Query parameter "${name}" may appear only once.`);
      } else {
        value[name] = values[0];
      }
    }
    let validate = this.#queryValidators.get(operationId);
    if (validate === undefined) {
      const properties: JsonObject = {};
      for (const p of operation.query) {
        const schema = qualifyRefs(p.schema) as JsonObject;
        // An `x[]` parameter typed as a single string (statuses[], include[]) may still repeat.
        properties[p.name] = p.list && schema.type !== "array"
          ? { type: "array", items: withoutKey(schema, "uniqueItems") }
          : schema;
      }
      validate = this.#queryAjv.compile({
        type: "object",
        properties,
        required: operation.query.filter((p) => p.required).map((p) => p.name),
      });
      this.#queryValidators.set(operationId, validate);
    }
    if (!validate(value)) errors.push(...describeErrors(validate.errors, "query"));
    return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
  }

  /** Validates a parsed JSON body against the operation's request schema. */
  validateBody(operationId: string, body: unknown): ValidationResult {
    const operation = this.#operation(operationId);
    if (!operation.hasBody) return { ok: true, value: {} };
    let validate = this.#bodyValidators.get(operationId);
    if (validate === undefined) {
      const pointer = `${SPEC_ID}#/paths/${pointerSegment(operation.path)}/${operation.method}` +
        "/requestBody/content/application~1json/schema";
      validate = this.#bodyAjv.compile({ $ref: pointer });
      this.#bodyValidators.set(operationId, validate);
    }
    if (validate(body)) return { ok: true, value: body as Record<string, unknown> };
    return { ok: false, errors: describeErrors(validate.errors, "body") };
  }

  #operation(operationId: string): OperationSpec {
    const operation = this.#operations.get(operationId);
    if (operation === undefined) {
      throw new Error(
        `The OpenAPI extract has no operation "${operationId}"; add it to SERVED_OPERATIONS in src/fakes/pagerduty/openapi/extract.ts and regenerate.`,
      );
    }
    return operation;
  }
}
