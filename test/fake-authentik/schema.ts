/**
 * authentik's OpenAPI schema of the emulated version, used three ways: routing (the paths a version serves
 * are exactly its schema's, each with its operationId), request validation (ajv against the operation's
 * request component, errors turned into DRF's field-keyed shape), and response shaping + validation (every
 * JSON body is built from the response component: fields the version does not have are dropped, shapes that
 * differ — e.g. `redirect_uris` as a string before 2024.12 — are converted, required fields get defaults).
 */
import { createHash, randomUUID } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";
import { sharedDir } from "./paths.ts";

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export const VERSIONS = ["2024.2.0", "2024.10.2", "2024.12.0", "2025.10.0", "2026.2.2", "2026.5.6", "2026.8.3"] as const;
export type Version = (typeof VERSIONS)[number];

export function resolveVersion(v: string | undefined): Version {
  if (!v) return "2026.8.3";
  const exact = VERSIONS.find((x) => x === v);
  if (exact) return exact;
  const short = VERSIONS.find((x) => x.startsWith(`${v}.`));
  if (short) return short;
  throw new Error(`fake authentik: unknown version '${v}' (known: ${VERSIONS.join(", ")})`);
}

type JsonSchema = Record<string, any>;

export interface Operation {
  operationId: string;
  method: string;
  template: string;
  regex: RegExp;
  params: string[];
  requestRef?: string;
  responseRef?: string;
  successStatus: number;
  /** Query parameters the version's schema declares for this operation (filters outside it are ignored). */
  query: Set<string>;
}

export interface Schema {
  version: Version;
  operations: Operation[];
  components: Record<string, JsonSchema>;
  /** DRF-shaped errors, or undefined when valid. `response`: patterns (input validators) are not checked. */
  validate(ref: string, body: unknown, mode?: "request" | "response"): Record<string, string[]> | undefined;
  shape(ref: string, value: unknown): unknown;
  find(method: string, path: string): { op: Operation; params: Record<string, string> } | undefined;
}

const cache = new Map<Version, Schema>();

/**
 * YAML parsing of a 60 000-line schema takes most of a second; its JSON form, cached in the temp directory
 * (FAKE_AK_CACHE_DIR when set), loads in a few milliseconds on every later start. Keyed by the schema's content,
 * so every clone of the repository shares one file per schema (a key of path and mtime made one per clone).
 */
function parseCached(file: string): unknown {
  const text = readFileSync(file, "utf8");
  const key = createHash("sha256").update(text).digest("hex").slice(0, 16);
  const cached = join(process.env.FAKE_AK_CACHE_DIR ?? tmpdir(), `fake-authentik-schema-c${key}.json`);
  try {
    return JSON.parse(readFileSync(cached, "utf8"));
  } catch {
    const doc = parse(text);
    try {
      const tmp = `${cached}.${process.pid}`;
      writeFileSync(tmp, JSON.stringify(doc));
      renameSync(tmp, cached);
    } catch {
      /* a read-only temp dir only costs speed */
    }
    return doc;
  }
}

function fileFor(version: Version): string {
  return version === "2026.8.3" ? `${sharedDir()}/authentik/schema.yml` : `${sharedDir()}/authentik/schema-history/schema-${version}.yml`;
}

/**
 * OpenAPI 3.0 → what ajv accepts: `nullable` without `type` (on `allOf`/`$ref` wrappers) becomes
 * `anyOf [schema, null]`. A deep copy; the original stays for shaping.
 */
function forAjv(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(forAjv);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = forAjv(v);
  if (out.nullable === true && out.type === undefined) {
    const { nullable: _n, description: _d, ...rest } = out;
    return { anyOf: [rest, { type: "null" }] };
  }
  return out;
}

const refName = (ref: string) => ref.replace("#/components/schemas/", "");

function drfMessage(e: ErrorObject, value: unknown): string {
  switch (e.keyword) {
    case "required":
      return "This field is required.";
    case "enum":
      return `"${String(value)}" is not a valid choice.`;
    case "type": {
      if (value === null) return "This field may not be null.";
      const t = String((e.params as { type?: string }).type);
      if (t.includes("integer")) return "A valid integer is required.";
      if (t.includes("boolean")) return "Must be a valid boolean.";
      if (t.includes("array")) return `Expected a list of items but got type "${typeof value}".`;
      if (t.includes("object")) return "Invalid data. Expected a dictionary, but got str.";
      return "Not a valid string.";
    }
    case "format":
      // DRF's UUIDField and DateTimeField messages (rest_framework/fields.py).
      if ((e.params as { format?: string }).format === "uuid") return `“${String(value)}” is not a valid UUID.`;
      if ((e.params as { format?: string }).format === "date-time")
        return "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";
      return "Enter a valid value.";
    case "maxLength":
      return `Ensure this field has no more than ${(e.params as { limit: number }).limit} characters.`;
    case "minLength":
      return "This field may not be blank.";
    case "pattern":
      return "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.";
    default:
      return e.message ?? "Invalid value.";
  }
}

function valueAt(body: unknown, pointer: string): unknown {
  let cur: any = body;
  for (const part of pointer.split("/").filter(Boolean)) cur = cur?.[part];
  return cur;
}

/**
 * Where authentik's answers do not follow its own schema, the schema is corrected before use:
 * - `CurrentBrand.flags`: `FlagsJSONExtension` (tenants/api/settings.py) declares every flag of `Flag.available()`
 *   as required, but `CurrentBrandSerializer.get_flags` (brands/api.py) returns only the flags with
 *   `visibility = "public"` (version/2025.10.0, version/2026.2.2, addbf5a2f). The flags stay declared, not required.
 */
function applyErrata(components: Record<string, JsonSchema>): void {
  const flags = components.CurrentBrand?.properties?.flags as JsonSchema | undefined;
  if (flags && Array.isArray(flags.required)) delete flags.required;
}

export function loadSchema(version: Version): Schema {
  const cached = cache.get(version);
  if (cached) return cached;
  const doc = parseCached(fileFor(version)) as {
    paths: Record<string, Record<string, any>>;
    components: { schemas: Record<string, JsonSchema>; parameters?: Record<string, JsonSchema> };
  };
  const components = doc.components.schemas;
  applyErrata(components);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, discriminator: false });
  addFormats(ajv);
  ajv.addSchema({ $id: "ak", components: { schemas: forAjv(components) as Record<string, JsonSchema> } });
  const validators = new Map<string, ValidateFunction>();

  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method) || typeof op !== "object" || Array.isArray(op)) continue;
      const params: string[] = [];
      const regex = new RegExp(`^/api/v3${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{([^}]+)\}/g, (_m, p: string) => (params.push(p), "([^/]+)"))}$`);
      const responses = (op.responses ?? {}) as Record<string, any>;
      const success = Object.keys(responses).find((s) => s.startsWith("2")) ?? "200";
      const requestRef = op.requestBody?.content?.["application/json"]?.schema?.$ref as string | undefined;
      const responseRef = responses[success]?.content?.["application/json"]?.schema?.$ref as string | undefined;
      const query = new Set<string>();
      for (const param of [...((methods.parameters as JsonSchema[] | undefined) ?? []), ...((op.parameters as JsonSchema[] | undefined) ?? [])]) {
        const p = param.$ref ? doc.components.parameters?.[String(param.$ref).replace("#/components/parameters/", "")] : param;
        if (p?.in === "query" && typeof p.name === "string") query.add(p.name);
      }
      operations.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        template,
        regex,
        params,
        ...(requestRef ? { requestRef: refName(requestRef) } : {}),
        ...(responseRef ? { responseRef: refName(responseRef) } : {}),
        successStatus: Number(success),
        query,
      });
    }
  }
  // Literal paths before templated ones (`/core/users/me/` must not match `/core/users/{id}/`).
  operations.sort((a, b) => a.params.length - b.params.length);

  function validator(name: string): ValidateFunction {
    let v = validators.get(name);
    if (!v) {
      v = ajv.getSchema(`ak#/components/schemas/${name}`);
      if (!v) throw new Error(`schema ${version} has no component ${name}`);
      validators.set(name, v);
    }
    return v;
  }

  function resolve(s: JsonSchema | undefined): JsonSchema {
    let cur = s ?? {};
    for (let i = 0; i < 10; i++) {
      if (cur.$ref) cur = { ...components[refName(cur.$ref)], ...(cur.nullable ? { nullable: true } : {}) };
      else if (Array.isArray(cur.allOf) && cur.allOf.length === 1)
        cur = { ...resolve(cur.allOf[0]), ...(cur.nullable ? { nullable: true } : {}), ...(cur.default !== undefined ? { default: cur.default } : {}) };
      else break;
    }
    return cur;
  }

  function defaultFor(s: JsonSchema): unknown {
    const r = resolve(s);
    if (r.default !== undefined) return r.default;
    if (r.nullable) return null;
    if (r.enum) return r.enum[0];
    switch (r.type) {
      case "string":
        return r.format === "date-time" ? new Date().toISOString() : r.format === "uuid" ? randomUUID() : r.format === "uri" ? "http://localhost/" : "";
      case "integer":
      case "number":
        return 0;
      case "boolean":
        return false;
      case "array":
        return [];
      case "object":
        return shapeValue(r, {});
      default:
        return null;
    }
  }

  function shapeValue(s: JsonSchema | undefined, value: unknown): unknown {
    const r = resolve(s);
    if (value === undefined) return defaultFor(r);
    if (value === null) return r.nullable ? null : defaultFor({ ...r, nullable: false });
    if (r.type === "string" && Array.isArray(value)) {
      // Old wire form of a list (2024.2 redirect_uris): newline-separated entries.
      return value
        .map((v) => {
          if (typeof v !== "object" || !v) return String(v);
          const entry = v as { url: string; matching_mode?: string };
          return entry.matching_mode === "strict" ? entry.url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : entry.url;
        })
        .join("\n");
    }
    if (r.type === "array") {
      const list = Array.isArray(value)
        ? value
        : typeof value === "string"
          ? value
              .split(/\s+/)
              .filter(Boolean)
              .map((url) => ({ matching_mode: "regex", url }))
          : [];
      return list.map((item) => shapeValue(r.items, item));
    }
    if (r.type === "object" && r.properties && typeof value === "object") {
      const out: Record<string, unknown> = {};
      const required = new Set<string>(r.required ?? []);
      for (const [key, prop] of Object.entries(r.properties as Record<string, JsonSchema>)) {
        if (prop.writeOnly) continue;
        const v = (value as Record<string, unknown>)[key];
        // authentik stores blank e-mails and URLs as "", which the schema's formats reject: leave them out.
        if (v === "" && !required.has(key) && ["uri", "email"].includes(resolve(prop).format)) continue;
        if (v !== undefined || required.has(key)) out[key] = shapeValue(prop, v);
      }
      return out;
    }
    return value;
  }

  const schema: Schema = {
    version,
    operations,
    components,
    validate(name, body, mode = "request") {
      const v = validator(name);
      if (v(body)) return undefined;
      // authentik returns what it stored; e.g. a service account named "My Bot" is returned although the
      // response schema's username pattern excludes spaces. Patterns only bind requests.
      const found = (v.errors ?? []).filter((e) => mode === "request" || e.keyword !== "pattern");
      if (found.length === 0) return undefined;
      const errors: Record<string, string[]> = {};
      for (const e of found) {
        if (e.keyword === "if" || e.keyword === "anyOf" || e.keyword === "oneOf") continue;
        const path = e.instancePath.split("/").filter(Boolean);
        const field = e.keyword === "required" ? [...path, (e.params as { missingProperty: string }).missingProperty].join(".") : path.join(".") || "non_field_errors";
        const value = e.keyword === "required" ? undefined : valueAt(body, e.instancePath);
        (errors[field.split(".")[0]!] ??= []).push(drfMessage(e, value));
      }
      return Object.keys(errors).length ? errors : { non_field_errors: ["Invalid data."] };
    },
    shape(name, value) {
      return shapeValue({ $ref: `#/components/schemas/${name}` }, value);
    },
    find(method, path) {
      for (const op of operations) {
        if (op.method !== method) continue;
        const m = op.regex.exec(path);
        if (m) return { op, params: Object.fromEntries(op.params.map((p, i) => [p, decodeURIComponent(m[i + 1]!)])) };
      }
      return undefined;
    },
  };
  cache.set(version, schema);
  return schema;
}

/** Validate a response body against its component; returns ajv's messages or undefined. */
export function responseProblems(schema: Schema, name: string, body: unknown): string[] | undefined {
  const errors = schema.validate(name, body);
  return errors ? Object.entries(errors).map(([k, v]) => `${k}: ${v.join(" ")}`) : undefined;
}
