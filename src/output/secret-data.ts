/**
 * The Kubernetes Secret output, its pure part: from the Secret as it is (or its absence) and what the run wants
 * in it, the Secret to send and what changes. Owned keys are set on every run; keys generated once (a random
 * value NetBird's chart needs, never ours to change) are set only when missing; every other key, label and
 * annotation is kept as it is. Values are compared as bytes, so nothing is sent when nothing changed.
 */
import type { Entries } from "./files.ts";

export const TOOL = "authentik-bootstrap";
/** The recommended label naming the tool that manages an object (kubernetes.io "Recommended Labels"). */
export const MANAGED_BY = "app.kubernetes.io/managed-by";
/** The owner annotation: the keys this tool wrote into the Secret, comma-separated and sorted. */
export const OWNED_KEYS = "authentik-bootstrap/owned-keys";

/** A config key as the API server accepts it (validation.IsConfigMapKey: `[-._a-zA-Z0-9]+`, at most 253). */
const KEY = /^[-._a-zA-Z0-9]+$/;

export interface SecretRef {
  namespace: string;
  name: string;
}

/** The fields of a Secret this module reads or writes; the rest of a Secret read from the API is sent back as it came. */
export interface SecretObject {
  apiVersion: "v1";
  kind: "Secret";
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  type?: string;
  immutable?: boolean;
  data?: Record<string, string>;
  [field: string]: unknown;
}

/** What a run wants in the Secret. */
export interface SecretContent {
  /** Owned keys and their values: set on every run. */
  entries: Entries;
  /** Keys generated once, with a fresh candidate value: used only when the key is missing. */
  generated: Entries;
}

export interface SecretChange {
  action: "create" | "update" | "noop";
  /** Data keys whose value changes (names only: values are secrets). */
  keys: string[];
  /** Of these, the keys that had a value before (a consumer that read the old one must read again). */
  replaced: string[];
  /** Label and annotation keys that change. */
  metadata: string[];
  /** The object to create or update with (it carries the resourceVersion it was read at). */
  body: SecretObject;
}

export class SecretContentError extends Error {}

export const encode = (value: string): string => Buffer.from(value, "utf8").toString("base64");
export const decode = (value: string): string => Buffer.from(value, "base64").toString("utf8");

/** The values of `keys` in the Secret's data (decoded as UTF-8); missing keys are left out. */
export function readKeys(secret: SecretObject | undefined, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = secret?.data?.[key];
    if (value !== undefined) out[key] = decode(value);
  }
  return out;
}

/** Later entries for the same key win, as later lines of a file do. */
function lastWins(entries: Entries): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of entries) out.set(k, v);
  return out;
}

function checkKeys(keys: Iterable<string>): void {
  const bad = [...keys].filter((k) => !KEY.test(k) || k.length > 253 || k === "." || k === ".." || k.startsWith(".."));
  if (bad.length) throw new SecretContentError(`not valid as Secret keys: ${bad.join(", ")} (letters, digits, '-', '_' or '.')`);
}

const sameBytes = (stored: string | undefined, value: string) => stored !== undefined && Buffer.from(stored, "base64").equals(Buffer.from(value, "utf8"));

/**
 * The Secret with the run's keys merged in. `current` undefined: the Secret does not exist (create). An immutable
 * Secret whose data would change cannot be updated: refused.
 */
export function mergeSecret(current: SecretObject | undefined, want: SecretContent, ref: SecretRef): SecretChange {
  const owned = lastWins(want.entries);
  const generated = lastWins(want.generated.filter(([k]) => !owned.has(k)));
  checkKeys([...owned.keys(), ...generated.keys()]);

  const data = { ...(current?.data ?? {}) };
  const keys: string[] = [];
  const replaced: string[] = [];
  for (const [key, value] of owned) {
    if (sameBytes(data[key], value)) continue;
    if (data[key] !== undefined) replaced.push(key);
    data[key] = encode(value);
    keys.push(key);
  }
  for (const [key, value] of generated) {
    if (data[key] !== undefined) continue;
    data[key] = encode(value);
    keys.push(key);
  }

  const labels = { ...(current?.metadata.labels ?? {}) };
  const annotations = { ...(current?.metadata.annotations ?? {}) };
  const metadata: string[] = [];
  // Another manager's label (Helm's, when a chart ships the Secret) is kept: the Secret is theirs, the keys ours.
  if (labels[MANAGED_BY] === undefined) {
    labels[MANAGED_BY] = TOOL;
    metadata.push(MANAGED_BY);
  }
  const previous = (annotations[OWNED_KEYS] ?? "").split(",").filter(Boolean);
  const ownedList = [...new Set([...previous, ...owned.keys(), ...generated.keys()])].sort().join(",");
  if (annotations[OWNED_KEYS] !== ownedList) {
    annotations[OWNED_KEYS] = ownedList;
    metadata.push(OWNED_KEYS);
  }

  if (!current) {
    return {
      action: "create",
      keys,
      replaced,
      metadata,
      body: { apiVersion: "v1", kind: "Secret", metadata: { name: ref.name, namespace: ref.namespace, labels, annotations }, type: "Opaque", data },
    };
  }
  if (keys.length && current.immutable) {
    throw new SecretContentError(`it is immutable (immutable: true) and keys would change (${keys.join(", ")}): delete it and apply it again without immutable`);
  }
  const action = keys.length || metadata.length ? "update" : "noop";
  // managedFields left out: the server then keeps them and records this update under our field manager.
  const { managedFields: _, ...meta } = current.metadata;
  return { action, keys, replaced, metadata, body: { ...current, metadata: { ...meta, labels, annotations }, data } };
}
