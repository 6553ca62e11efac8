/**
 * The output files, two formats. `bash`: setup.env is bash code (configure.sh `source`s it), and some values are
 * later pasted raw into JSON by envsubst: values are single-quoted so any allowed value survives `source`, and
 * values that would corrupt management.json are refused. `env`: an env file for `docker run --env-file` and
 * compose's `env_file:` (Firezone), which read quotes differently — docker keeps them, compose strips them — so
 * values are written unquoted and refused where the two would read them differently. Pure functions; our keys
 * are merged into an existing file without touching any other line.
 */

export type FileFormat = { kind: "bash"; rawJson: boolean } | { kind: "env" };
export const BASH: FileFormat = { kind: "bash", rawJson: true };
/** As docker reads an `--env-file` (Firezone's env file, the tool token's file). */
export const ENV_FORMAT: FileFormat = { kind: "env" };

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

/**
 * `KEY=value` for both `docker run --env-file` (the rest of the line, literally) and compose's `env_file`
 * (unquoted: trailing blanks dropped, ` #` starts a comment, `${VAR}` interpolated; `"`/`'` at the start taken as
 * quotes). Values where they would differ are refused.
 */
export function renderEnvLine(key: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new UnsafeValueError(`${key}: value contains a control character or newline`);
  if (value !== value.trim()) throw new UnsafeValueError(`${key}: value starts or ends with a blank, which compose drops`);
  if (value.includes("$")) throw new UnsafeValueError(`${key}: value contains '$', which compose interpolates`);
  if (/\s#/.test(value)) throw new UnsafeValueError(`${key}: value contains ' #', where compose starts a comment`);
  if (/^["']/.test(value)) throw new UnsafeValueError(`${key}: value starts with a quote, which compose removes and docker keeps`);
  return `${key}=${value}`;
}

/** The values of `keys` in an env file, the way `docker run --env-file` reads it: `KEY=` and the rest of the line. */
export function parseEnvFile(text: string, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m && keys.includes(m[1]!)) out[m[1]!] = m[2]!;
  }
  return out;
}

/** Merge `entries` into `existing`: replace our keys in place, drop their duplicates, append new ones. */
export function mergeEnvFile(existing: string | undefined, entries: readonly (readonly [string, string])[], format: FileFormat = BASH): string {
  const render = (key: string, value: string, exported: boolean) => (format.kind === "env" ? renderEnvLine(key, value) : renderLine(key, value, exported, format.rawJson));
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
    out.push(`${m?.[1] ?? ""}${render(key, wanted.get(key)!, Boolean(m?.[2]))}`);
  }
  const missing = entries.filter(([k]) => !placed.has(k));
  if (missing.length) {
    if (!out.includes(MANAGED_MARKER)) {
      if (out.length && out[out.length - 1] !== "") out.push("");
      out.push(MANAGED_MARKER);
    }
    for (const [k, v] of missing) out.push(render(k, v, false));
  }
  return `${out.join("\n")}\n`;
}

/** The owned keys whose line would change (for plan mode; never the values). */
export function changedKeys(existing: string | undefined, entries: readonly (readonly [string, string])[], format: FileFormat = BASH): string[] {
  const current = new Map<string, string>();
  for (const line of (existing ?? "").split("\n")) {
    const m = ASSIGNMENT.exec(line);
    if (m?.[3] && !current.has(m[3])) current.set(m[3], line.slice(m[0].length));
  }
  return entries.filter(([k, v]) => current.get(k) !== (format.kind === "env" ? v : quote(v))).map(([k]) => k);
}
