/**
 * Reading an output file the way its consumer does: a bash file by `source`-ing it with bash (configure.sh
 * does), an env file the way `docker run --env-file` reads it.
 */
import { readFile } from "node:fs/promises";
import { execa } from "execa";
import { OutputError } from "../errors.ts";
import { scrub } from "../secrets.ts";
import { parseEnvFile, type FileFormat } from "./env-file.ts";

/** Read `keys` from a file the way configure.sh does: `source` it with bash. */
export async function sourceFile(path: string, keys: readonly string[]): Promise<Record<string, string>> {
  const script = `set -e; source "$1"; shift; for k in "$@"; do printf '%s\\0%s\\0' "$k" "\${!k-}"; done`;
  // stdin is /dev/null: bash started with a socket as stdin (Node's default pipes are socket pairs) and no SHLVL
  // takes itself for an rshd session and reads ~/.bashrc first. Only PATH is passed: the file sees none of ours.
  const result = await execa("bash", ["-c", script, "_", path, ...keys], {
    stdin: "ignore",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
  });
  if (result.failed) {
    const why = String(result.stderr || result.message)
      .trim()
      .split("\n")[0];
    throw new OutputError(`Cannot read '${path}' the way its consumer does (bash \`source\`): ${scrub(why ?? "")}`);
  }
  const stdout = String(result.stdout);
  const parts = stdout.split("\0");
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) out[parts[i]!] = parts[i + 1]!;
  return out;
}

export async function readVars(path: string, keys: readonly string[], format: FileFormat): Promise<Record<string, string>> {
  if (format.kind === "bash") return sourceFile(path, keys);
  return parseEnvFile(await readFile(path, "utf8"), keys);
}
