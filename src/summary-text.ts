/** The summary for a person at a terminal, instead of the JSON line (stdout is a terminal and the log is for reading). */
import { EXIT_CODES } from "./errors.ts";
import type { Summary } from "./report.ts";

const exitName = (code: number) => Object.entries(EXIT_CODES).find(([, v]) => v === code)?.[0] ?? "unknown";

export function summaryText(s: Partial<Summary> & { durationMs: number }): string {
  const took = `${(s.durationMs / 1000).toFixed(1)} s`;
  const lines: string[] = [];
  if (s.result === "error") {
    lines.push(`✗ ${s.mode ?? "apply"} failed after ${took}: exit ${s.exitCode ?? 1} (${exitName(s.exitCode ?? 1)}); the error is above.`);
    return lines.join("\n");
  }
  const counts = `${s.created?.length ?? 0} created, ${s.updated?.length ?? 0} updated, ${s.unchanged?.length ?? 0} unchanged`;
  if (s.mode === "plan") {
    lines.push(s.result === "changes-pending" ? `~ plan: changes are pending (exit ${s.exitCode ?? 2}); nothing was written.` : "✓ plan: nothing to change (exit 0).");
  } else if (s.mode === "verify") {
    lines.push(`✓ verify: every check passed in ${took} (exit 0).`);
  } else {
    const file = s.output ? `; ${s.output.file} ${s.output.written ? "written" : "unchanged"}` : "";
    lines.push(`✓ done in ${took}: ${counts}${file} (exit 0).`);
  }
  if (s.requests !== undefined) lines.push(`  ${s.requests} requests to authentik, ${s.writes ?? 0} of them writes.`);
  for (const r of s.rotated ?? []) lines.push(`  rotated: ${r.credential}${r.previousValidUntil ? ` (the previous one works until ${r.previousValidUntil})` : ""}`);
  for (const r of s.restart ?? []) lines.push(`  restart: ${r.command} (in ${r.directory})${r.before ? `, before ${r.before}` : ""}`);
  return lines.join("\n");
}
