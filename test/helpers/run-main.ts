/** Runs the real entry point (`node dist/main.js`) as a process, as the container does. */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

export const MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
  summary: Record<string, unknown> & { exitCode?: number; result?: string; writes?: number; requests?: number; error?: { message: string } };
}

/** `entry`: another build of it (the image's bundle); `nodeArgs`: flags for Node itself. */
export function runMain(env: Record<string, string>, args: string[] = [], options: { entry?: string; nodeArgs?: string[] } = {}): Promise<MainResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...(options.nodeArgs ?? []), options.entry ?? MAIN, ...args],
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        const last = stdout.trim().split("\n").at(-1) ?? "{}";
        let summary: MainResult["summary"] = {};
        try {
          summary = (JSON.parse(last) as { summary: MainResult["summary"] }).summary;
        } catch {
          /* no summary line */
        }
        resolve({ code, stdout, stderr, summary });
      },
    );
  });
}
