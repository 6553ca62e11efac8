/**
 * Kubernetes' published OpenAPI schemas, as the npm package `kubernetes-models` ships them: validators compiled
 * (ajv, standalone) from Kubernetes v1.36.0's `api/openapi-spec/swagger.json`, and TypeScript interfaces generated
 * from the same definitions. See README.md beside this file.
 *
 * - `schemaErrors(obj)`: the OpenAPI schema of the object's kind (types, `format: byte`, required fields and the
 *   apiVersion/kind enums the generator adds) — what the API server's decoder would refuse.
 * - `unknownFields(obj)`: fields the schema does not declare, as paths in the form of the API server's strict
 *   decoding errors (`spec.template.spec.containers[0].securityContext.runAsNonroot`). Kubernetes' OpenAPI v2 has
 *   no `additionalProperties: false`, so the compiled validators accept any extra field; the API server drops
 *   such fields with a warning (`fieldValidation=Warn`, the default) or refuses them (`Strict`, kubectl's default).
 *   The property names come from the generated interfaces, read with the TypeScript compiler (once, ~0.5 s).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { validate as validateSecret } from "kubernetes-models/_schemas/IoK8sApiCoreV1Secret";
import { validate as validateServiceAccount } from "kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount";
import { validate as validateRole } from "kubernetes-models/_schemas/IoK8sApiRbacV1Role";
import { validate as validateRoleBinding } from "kubernetes-models/_schemas/IoK8sApiRbacV1RoleBinding";
import { validate as validateJob } from "kubernetes-models/_schemas/IoK8sApiBatchV1Job";

/** The Kubernetes release whose OpenAPI document `kubernetes-models` 5.x is generated from (its CHANGELOG, 5.0.0). */
export const KUBERNETES_SCHEMA_VERSION = "v1.36.0";

export interface SchemaError {
  /** JSON pointer into the object, e.g. `/data/token`. */
  path: string;
  keyword: string;
  message: string;
  params: Record<string, unknown>;
}

type CompiledValidator = ((data: unknown) => boolean) & { errors?: { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> }[] | null };

interface Kind {
  validate: CompiledValidator;
  /** Module and interface generated from the same definition. */
  module: string;
  type: string;
}

const KINDS: Record<string, Kind> = {
  "v1/Secret": { validate: validateSecret, module: "kubernetes-models/v1/Secret", type: "ISecret" },
  "v1/ServiceAccount": { validate: validateServiceAccount, module: "kubernetes-models/v1/ServiceAccount", type: "IServiceAccount" },
  "rbac.authorization.k8s.io/v1/Role": { validate: validateRole, module: "kubernetes-models/rbac.authorization.k8s.io/v1/Role", type: "IRole" },
  "rbac.authorization.k8s.io/v1/RoleBinding": {
    validate: validateRoleBinding,
    module: "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding",
    type: "IRoleBinding",
  },
  "batch/v1/Job": { validate: validateJob, module: "kubernetes-models/batch/v1/Job", type: "IJob" },
};

/** `apiVersion/kind` pairs this module has schemas for. */
export const SUPPORTED_KINDS = Object.keys(KINDS);

function kindOf(obj: unknown): Kind | undefined {
  if (!obj || typeof obj !== "object") return undefined;
  const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
  return KINDS[`${String(apiVersion)}/${String(kind)}`];
}

function describe(e: { keyword: string; message?: string; params: Record<string, unknown> }): string {
  if (e.keyword === "format") return `must match format "${String(e.params.format)}"`;
  if (e.keyword === "required") return `must have required property '${String(e.params.missingProperty)}'`;
  if (e.keyword === "enum") return `must be equal to one of the allowed values (${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")})`;
  if (e.keyword === "type") return `must be ${String(e.params.type)}`;
  return e.message ?? e.keyword;
}

/**
 * Errors of `obj` against the OpenAPI schema of `schemaKind` (default: the object's own apiVersion/kind; an
 * object of a kind this module does not know gives one error).
 */
export function schemaErrors(obj: unknown, schemaKind?: string): SchemaError[] {
  const kind = schemaKind ? KINDS[schemaKind] : kindOf(obj);
  if (!kind) {
    const { apiVersion, kind: k } = (obj ?? {}) as { apiVersion?: unknown; kind?: unknown };
    return [{ path: "", keyword: "kind", message: `no schema for apiVersion ${String(apiVersion)} kind ${String(k)}`, params: {} }];
  }
  if (kind.validate(obj)) return [];
  return (kind.validate.errors ?? []).map((e) => ({ path: e.instancePath, keyword: e.keyword, message: describe(e), params: e.params }));
}

// ---- unknown fields, from the generated interfaces ---------------------------------------------------------------

let checker: ts.TypeChecker | undefined;
const roots = new Map<string, ts.Type>();

function load(): ts.TypeChecker {
  if (checker) return checker;
  const here = dirname(fileURLToPath(import.meta.url));
  const entry = join(here, "__kubernetes_types__.ts");
  const entries = Object.entries(KINDS);
  const text =
    entries.map(([, k], i) => `import type { ${k.type} as T${i} } from "${k.module}";`).join("\n") +
    `\nexport type Roots = { ${entries.map((_, i) => `"${i}": T${i}`).join("; ")} };\n`;
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es5.d.ts"],
    types: [],
    skipLibCheck: true,
    noEmit: true,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (file, language, ...rest) => (file === entry ? ts.createSourceFile(file, text, language) : getSourceFile(file, language, ...rest));
  host.fileExists = (file) => file === entry || fileExists(file);
  const program = ts.createProgram([entry], options, host);
  checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  const rootsSymbol = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === "Roots");
  if (!rootsSymbol) throw new Error("kubernetes-models' type declarations could not be loaded");
  const rootsType = checker.getDeclaredTypeOfSymbol(rootsSymbol);
  entries.forEach(([key], i) => {
    const prop = rootsType.getProperty(String(i));
    if (!prop) throw new Error(`no type for ${key}`);
    roots.set(key, checker!.getTypeOfSymbol(prop));
  });
  return checker;
}

function objectParts(c: ts.TypeChecker, type: ts.Type): ts.Type[] {
  const parts = type.isUnion() ? type.types : [type];
  return parts.filter((t) => (t.flags & ts.TypeFlags.Object) !== 0);
}

function walk(c: ts.TypeChecker, type: ts.Type, value: unknown, path: string, out: string[]): void {
  if (value === null || typeof value !== "object") return;
  const parts = objectParts(c, type);
  if (Array.isArray(value)) {
    const array = parts.find((t) => c.isArrayType(t));
    const element = array && c.getTypeArguments(array as ts.TypeReference)[0];
    if (element) value.forEach((v, i) => walk(c, element, v, `${path}[${i}]`, out));
    return;
  }
  const object = parts.find((t) => !c.isArrayType(t));
  if (!object) return;
  const index = c.getIndexInfoOfType(object, ts.IndexKind.String);
  const props = object.getProperties();
  if (!index && props.length === 0) return; // free-form (FieldsV1, RawExtension …)
  for (const [key, v] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    const prop = object.getProperty(key);
    if (prop) walk(c, c.getTypeOfSymbol(prop), v, at, out);
    else if (index) walk(c, index.type, v, at, out);
    else out.push(at);
  }
}

/** Fields of `obj` that its kind's schema does not declare (empty for a kind this module does not know). */
export function unknownFields(obj: unknown, schemaKind?: string): string[] {
  const key = schemaKind ?? (kindOf(obj) ? `${String((obj as { apiVersion: string }).apiVersion)}/${String((obj as { kind: string }).kind)}` : undefined);
  if (!key || !KINDS[key]) return [];
  const c = load();
  const out: string[] = [];
  walk(c, roots.get(key)!, obj, "", out);
  return out;
}
