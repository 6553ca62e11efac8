/** Pure text: the plan as people read it, and the one-line JSON summary machines read. */
import type { Step } from "./types.ts";
import { DONE } from "./types.ts";

const SIGN = { create: "+", update: "~", noop: " " } as const;

export interface FilePlan {
  path: string;
  action: "create" | "update" | "noop";
  keys: string[];
}

export function renderPlan(steps: readonly Step[], files: readonly FilePlan[]): string {
  const lines: string[] = [];
  for (const s of steps) {
    lines.push(`${SIGN[s.action]} ${s.kind} '${s.name}': ${s.action === "noop" ? "unchanged" : s.action}${s.note ? ` (${s.note})` : ""}`);
    for (const c of s.changes) lines.push(`      ${c.field}: ${c.from} → ${c.to}`);
  }
  for (const file of files) {
    lines.push(`${SIGN[file.action]} file '${file.path}': ${file.action === "noop" ? "unchanged" : file.action}`);
    if (file.keys.length && file.action !== "noop") lines.push(`      keys: ${file.keys.join(", ")}`);
  }
  const count = (a: Step["action"]) => steps.filter((s) => s.action === a).length;
  const changedFiles = files.filter((f) => f.action !== "noop").length;
  lines.push(`Plan: ${count("create")} to create, ${count("update")} to update, ${count("noop")} unchanged; ${changedFiles} file(s) to write.`);
  return lines.join("\n");
}

export interface Summary {
  result: "ok" | "changes-pending" | "error";
  exitCode: number;
  mode: "apply" | "plan" | "verify";
  consumer: string;
  authentikVersion?: string;
  created: string[];
  updated: string[];
  unchanged: string[];
  rotated?: { credential: string; previousValidUntil: string | null }[];
  credentials?: { credential: string; expires: string }[];
  output?: { file: string; written: boolean };
  configureSh?: "ran" | "skipped" | "not-configured";
  durationMs: number;
  requests: number;
  writes: number;
  error?: { type: string; message: string };
}

export function summarise(steps: readonly Step[]): Pick<Summary, "created" | "updated" | "unchanged"> {
  const label = (s: Step) => `${s.kind} '${s.name}'`;
  const by = (a: Step["action"]) => steps.filter((s) => s.action === a).map(label);
  return { created: by("create"), updated: by("update"), unchanged: by("noop") };
}

export { DONE };
