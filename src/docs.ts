/** Renders the README's reference tables from the code (a test keeps the README in step with them). */
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
