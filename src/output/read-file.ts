/**
 * Reading an output file the way its consumer does: a bash file by `source`-ing it with bash (configure.sh
 * does), an env file the way `docker run --env-file` reads it.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { OutputError } from "../errors.ts";
import { scrub } from "../secrets.ts";
import { parseEnvFile, type FileFormat } from "./env-file.ts";

/** bash with these arguments and only this environment, stdin /dev/null; its output, and whether it failed. */
function bash(args: readonly string[], env: Record<string, string>): Promise<{ failed: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", (error) => resolve({ failed: true, stdout: "", stderr: error.message }));
    child.on("close", (code) =>
      resolve({ failed: code !== 0, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") || `bash exited with code ${code}` }),
    );
  });
}

/** Read `keys` from a file the way configure.sh does: `source` it with bash. */
export async function sourceFile(path: string, keys: readonly string[]): Promise<Record<string, string>> {
  const script = `set -e; source "$1"; shift; for k in "$@"; do printf '%s\\0%s\\0' "$k" "\${!k-}"; done`;
  // stdin is /dev/null: bash started with a socket as stdin (Node's default pipes are socket pairs) and no SHLVL
  // takes itself for an rshd session and reads ~/.bashrc first. Only PATH is passed: the file sees none of ours.
  const result = await bash(["-c", script, "_", path, ...keys], { PATH: process.env.PATH ?? "/usr/bin:/bin" });
  if (result.failed) {
    const why = result.stderr.trim().split("\n")[0];
    throw new OutputError(`Cannot read '${path}' the way its consumer does (bash \`source\`): ${scrub(why ?? "")}`);
  }
  const stdout = result.stdout;
  const parts = stdout.split("\0");
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) out[parts[i]!] = parts[i + 1]!;
  return out;
}

export async function readVars(path: string, keys: readonly string[], format: FileFormat): Promise<Record<string, string>> {
  if (format.kind === "bash") return sourceFile(path, keys);
  return parseEnvFile(await readFile(path, "utf8"), keys);
}
