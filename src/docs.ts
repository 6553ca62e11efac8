/** Renders the README's reference tables from the code (a test keeps the README in step with them). */
import { TOOL_CALLS } from "./authentik/permissions.ts";
import { describeVariables } from "./config.ts";
import { EXIT_CODE_DOCS, EXIT_CODES } from "./errors.ts";

export function variablesTable(): string {
  const rows = describeVariables().map((v) => `| \`${v.name}\` | ${v.type} | ${v.default === "**required**" ? v.default : `\`${v.default}\``} | ${v.desc} | \`${v.example}\` |`);
  return ["| Variable | Type | Default | What it is | Example |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}

export function exitCodesTable(): string {
  const rows = (Object.keys(EXIT_CODES) as (keyof typeof EXIT_CODES)[]).map((k) => `| ${EXIT_CODES[k]} | \`${k}\` | ${EXIT_CODE_DOCS[k]} |`);
  return ["| Code | Name | Meaning |", "| --- | --- | --- |", ...rows].join("\n");
}

/** The versions whose rules differ (authentik/permissions.ts), oldest first. */
const RULE_VERSIONS = ["2024.2", "2024.4", "2024.8", "2025.2", "2025.12", "2026.8"] as const;

/** The tool account's role: each permission, the calls that need it, and on which versions. */
export function toolPermissionsTable(): string {
  const rows = new Map<string, { calls: Set<string>; versions: Set<string> }>();
  for (const [call, perms] of Object.entries(TOOL_CALLS)) {
    for (const version of RULE_VERSIONS) {
      for (const perm of perms(version)) {
        const row = rows.get(perm) ?? { calls: new Set(), versions: new Set() };
        row.calls.add(call);
        row.versions.add(version);
        rows.set(perm, row);
      }
    }
  }
  const span = (versions: Set<string>): string => {
    const idx = RULE_VERSIONS.map((v, i) => (versions.has(v) ? i : -1)).filter((i) => i >= 0);
    if (idx.length === RULE_VERSIONS.length) return "all";
    if (idx[0] === 0) return `before ${RULE_VERSIONS[idx.at(-1)! + 1]}`;
    return `from ${RULE_VERSIONS[idx[0]!]}`;
  };
  const lines = [...rows.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([perm, row]) => `| \`${perm}\` | ${span(row.versions)} | ${[...row.calls].map((c) => `\`${c}\``).join(", ")} |`);
  return ["| Permission | Versions | Needed by (authentik's operation ids) |", "| --- | --- | --- |", ...lines].join("\n");
}
