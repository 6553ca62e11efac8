/**
 * setup.env is bash code (configure.sh `source`s it), and some values are later pasted raw into JSON by
 * envsubst. Pure functions: quote values so any allowed value survives `source`, refuse values that would
 * corrupt management.json, and merge our keys into an existing file without touching any other line.
 */

export class UnsafeValueError extends Error {}

const ASSIGNMENT = /^(\s*)(export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/;
export const MANAGED_MARKER = "# Managed by authentik-bootstrap: the keys below are rewritten on every run; other lines are kept.";

/** Single-quote for bash: literal except `'`, written as `'\''`. */
export function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * A value must survive `source` (no NUL/newline/control characters) and, when it is later pasted raw into
 * JSON (`rawJson`, NetBird's envsubst into management.json), contain no `"` or `\`.
 */
export function checkValue(key: string, value: string, rawJson = true): void {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new UnsafeValueError(`${key}: value contains a control character or newline`);
  if (rawJson && /["\\]/.test(value)) throw new UnsafeValueError(`${key}: value contains '"' or '\\', which would corrupt NetBird's management.json`);
}

export function renderLine(key: string, value: string, exported = false, rawJson = true): string {
  checkValue(key, value, rawJson);
  return `${exported ? "export " : ""}${key}=${quote(value)}`;
}

/** Merge `entries` into `existing`: replace our keys in place, drop their duplicates, append new ones. */
export function mergeEnvFile(existing: string | undefined, entries: readonly (readonly [string, string])[], rawJson = true): string {
  const lines = existing === undefined || existing === "" ? [] : existing.replace(/\n$/, "").split("\n");
  const wanted = new Map(entries);
  const placed = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    const m = ASSIGNMENT.exec(line);
    const key = m?.[3];
    if (key === undefined || !wanted.has(key)) {
      out.push(line);
      continue;
    }
    if (placed.has(key)) continue; // a later duplicate of one of our keys would override ours in bash
    placed.add(key);
    out.push(`${m?.[1] ?? ""}${renderLine(key, wanted.get(key)!, Boolean(m?.[2]), rawJson)}`);
  }
  const missing = entries.filter(([k]) => !placed.has(k));
  if (missing.length) {
    if (!out.includes(MANAGED_MARKER)) {
      if (out.length && out[out.length - 1] !== "") out.push("");
      out.push(MANAGED_MARKER);
    }
    for (const [k, v] of missing) out.push(renderLine(k, v, false, rawJson));
  }
  return `${out.join("\n")}\n`;
}

/** The owned keys whose line would change (for plan mode; never the values). */
export function changedKeys(existing: string | undefined, entries: readonly (readonly [string, string])[]): string[] {
  const current = new Map<string, string>();
  for (const line of (existing ?? "").split("\n")) {
    const m = ASSIGNMENT.exec(line);
    if (m?.[3] && !current.has(m[3])) current.set(m[3], line.slice(m[0].length));
  }
  return entries.filter(([k, v]) => current.get(k) !== quote(v)).map(([k]) => k);
}
