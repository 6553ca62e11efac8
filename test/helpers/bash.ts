/** Source a file with real bash and read variables back, as configure.sh does. */
import { execFileSync } from "node:child_process";

export function sourceWithBash(file: string, keys: readonly string[]): Record<string, string> {
  const script = `set -e; source "$1"; shift; while [ $# -gt 0 ]; do printf '%s\\0%s\\0' "$1" "\${!1-}"; shift; done`;
  // stdin from /dev/null: with a socket as stdin and no SHLVL, bash would read ~/.bashrc first (its rshd heuristic).
  const out = execFileSync("bash", ["-c", script, "_", file, ...keys], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const parts = out.split("\0");
  const result: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) result[parts[i]!] = parts[i + 1]!;
  return result;
}
