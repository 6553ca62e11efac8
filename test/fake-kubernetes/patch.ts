/**
 * The three patch formats the API server accepts for built-in types (besides server-side apply):
 *
 * - `application/merge-patch+json`: RFC 7386 JSON merge patch (objects merge, `null` deletes, arrays replace).
 * - `application/strategic-merge-patch+json`: the same merge, plus the `$patch: replace | delete` directive on
 *   maps. Lists are replaced whole: for a Secret that matters only for `metadata.ownerReferences` (merged by
 *   `uid` in the real server) and `metadata.finalizers` (merged as a set); `$retainKeys`, `$setElementOrder` and
 *   `$deleteFromPrimitiveList` are not emulated and answered with 400.
 * - `application/json-patch+json`: RFC 6902 (add, remove, replace, move, copy, test).
 */
import { isDeepStrictEqual } from "node:util";
import { StatusError, badRequest } from "./status.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key] ?? null, value);
  }
  return out;
}

export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const directive = patch.$patch;
  if (directive === "delete") return {};
  const rest = Object.fromEntries(Object.entries(patch).filter(([k]) => k !== "$patch"));
  if (directive === "replace") return clone(rest);
  if (directive !== undefined) throw badRequest(`unknown patch type: ${JSON.stringify(directive)}`);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(rest)) {
    if (key.startsWith("$")) throw badRequest(`the strategic merge patch directive ${key} is not supported by this stand-in`);
    if (value === null) delete out[key];
    else out[key] = strategicMergePatch(out[key] ?? null, value);
  }
  return out;
}

/** The error the API server answers when a JSON patch cannot be applied (422, as patch.go does). */
function unapplicable(message: string): StatusError {
  return new StatusError({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason: "Invalid", details: {}, code: 422 });
}

function pointer(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw badRequest(`invalid JSON pointer: ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function parentOf(doc: Json, path: string[]): { parent: JsonObject | Json[]; key: string } {
  let node: Json = doc;
  for (const part of path.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node) ? node[Number(part)] : isObject(node) ? node[part] : undefined;
    if (next === undefined || next === null || typeof next !== "object") throw unapplicable(`doc is missing path: "/${path.join("/")}": missing value`);
    node = next;
  }
  if (node === null || typeof node !== "object") throw unapplicable(`doc is missing path: "/${path.join("/")}"`);
  return { parent: node, key: path[path.length - 1] ?? "" };
}

function get(doc: Json, path: string[]): Json | undefined {
  if (path.length === 0) return doc;
  const { parent, key } = parentOf(doc, path);
  return Array.isArray(parent) ? parent[Number(key)] : parent[key];
}

function add(doc: Json, path: string[], value: Json): Json {
  if (path.length === 0) return clone(value);
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const i = key === "-" ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw unapplicable(`add operation does not apply: doc is missing path: "/${path.join("/")}"`);
    parent.splice(i, 0, clone(value));
  } else parent[key] = clone(value);
  return doc;
}

function remove(doc: Json, path: string[]): Json {
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw unapplicable(`remove operation does not apply: doc is missing path: "/${path.join("/")}"`);
    parent.splice(i, 1);
  } else {
    if (!(key in parent)) throw unapplicable(`remove operation does not apply: doc is missing path: "/${path.join("/")}"`);
    delete parent[key];
  }
  return doc;
}

export interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

export function jsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  let doc = clone(target);
  for (const raw of ops as JsonPatchOp[]) {
    const path = pointer(String(raw.path ?? ""));
    switch (raw.op) {
      case "add":
        doc = add(doc, path, raw.value ?? null);
        break;
      case "remove":
        doc = remove(doc, path);
        break;
      case "replace":
        if (get(doc, path) === undefined) throw unapplicable(`replace operation does not apply: doc is missing key: /${path.join("/")}: missing value`);
        doc = add(remove(doc, path), path, raw.value ?? null);
        break;
      case "move": {
        const from = pointer(String(raw.from ?? ""));
        const value = get(doc, from);
        if (value === undefined) throw unapplicable(`move operation does not apply: doc is missing from path: ${raw.from}`);
        doc = add(remove(doc, from), path, value);
        break;
      }
      case "copy": {
        const value = get(doc, pointer(String(raw.from ?? "")));
        if (value === undefined) throw unapplicable(`copy operation does not apply: doc is missing from path: ${raw.from}`);
        doc = add(doc, path, value);
        break;
      }
      case "test":
        if (!isDeepStrictEqual(get(doc, path), raw.value)) throw unapplicable(`testing value /${path.join("/")} failed: test failed`);
        break;
      default:
        throw badRequest(`Unexpected kind: ${String(raw.op)}`);
    }
  }
  return doc;
}

export const PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"] as const;

export function applyPatch(contentType: string, target: Json, patch: Json): Json {
  switch (contentType) {
    case "application/merge-patch+json":
      return mergePatch(target, patch);
    case "application/strategic-merge-patch+json":
      return strategicMergePatch(target, patch);
    case "application/json-patch+json":
      return jsonPatch(target, patch);
    default:
      throw badRequest(`patch type ${contentType} is not supported by this stand-in`);
  }
}

export type { Json, JsonObject };
