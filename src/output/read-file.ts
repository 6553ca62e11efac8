/**
 * Reading an output file the way its consumer does: a bash file as `source`-ing it with bash gives it
 * (configure.sh does), an env file the way `docker run --env-file` reads it.
 *
 * A bash file made only of plain assignments — what this tool writes, and most hand-written setup.env files — is
 * read here without starting bash: for those lines bash's result is known exactly (bash(1), QUOTING and
 * PARAMETERS). Any other line, or a name bash gives a meaning of its own, and the file goes to bash itself.
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

/** Read `keys` with bash: `source` the file, as configure.sh does. */
async function sourceWithBash(path: string, keys: readonly string[]): Promise<Record<string, string>> {
  const script = `set -e; source "$1"; shift; while [ $# -gt 0 ]; do printf '%s\\0%s\\0' "$1" "\${!1-}"; shift; done`;
  // stdin is /dev/null: bash started with a socket as stdin (Node's default pipes are socket pairs) and no SHLVL
  // takes itself for an rshd session and reads ~/.bashrc first. Only PATH is passed: the file sees none of ours.
  const result = await bash(["-c", script, "_", path, ...keys], { PATH: process.env.PATH ?? "/usr/bin:/bin" });
  if (result.failed) {
    const why = result.stderr.trim().split("\n")[0];
    throw new OutputError(`Cannot read '${path}' the way its consumer does (bash \`source\`): ${scrub(why ?? "")}`);
  }
  const parts = result.stdout.split("\0");
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) out[parts[i]!] = parts[i + 1]!;
  return out;
}

/** A shell variable name. */
const NAME_PATTERN = "[A-Za-z_][A-Za-z0-9_]*";
const NAME = new RegExp(`^${NAME_PATTERN}$`);

/**
 * Names bash sets, reads or refuses itself (bash(1), "Shell Variables"; PATH, IFS and friends change what the
 * following lines mean; TERM is set to "dumb" when absent): a file that assigns one, or a key that is one, is
 * read by bash.
 */
const BASH_OWN =
  /^(BASH\w*|TERM|SHELLOPTS|SHLVL|SHELL|HOME|PATH|IFS|CDPATH|ENV|EUID|UID|PPID|GROUPS|HOSTNAME|HOSTTYPE|MACHTYPE|OSTYPE|PWD|OLDPWD|RANDOM|SRANDOM|SECONDS|LINENO|EPOCHSECONDS|EPOCHREALTIME|FUNCNAME|FUNCNEST|DIRSTACK|PIPESTATUS|OPTARG|OPTIND|OPTERR|REPLY|MAPFILE|COPROC|COMP_\w*|COLUMNS|LINES|HIST\w*|histchars|GLOBIGNORE|EXECIGNORE|FIGNORE|POSIXLY_CORRECT|TMPDIR|TMOUT|TIMEFORMAT|PS[0-4]|PROMPT_\w*|READLINE_\w*|INPUTRC|MAIL\w*|LANG|LC_\w*|_)$/;

/**
 * One word bash takes literally after `NAME=`: single-quoted text (anything but `'`), double-quoted text without
 * `$`, `` ` ``, `\` or `!`, a backslash and the character it keeps, or unquoted characters that expand to nothing
 * else (no `$`, quotes, globs, `~`, braces, `#`, blanks).
 */
const WORD = String.raw`(?:'[^']*'|"[^"$\x60\\!]*"|\\[\x21-\x7e]|[A-Za-z0-9_./:@%+,=-])*`;
/** A whole line: blank, a comment, or `[export ]NAME=WORD`, then blanks and a comment. */
const PLAIN_LINE = new RegExp(String.raw`^[ \t]*(?:#.*|(?:export[ \t]+)?(${NAME_PATTERN})=(${WORD})(?:[ \t]+(?:#.*)?)?)?$`);
const SEGMENT = new RegExp(String.raw`'([^']*)'|"([^"]*)"|\\(.)|([^'"\\]+)`, "g");

/**
 * The values of `keys` after `source`-ing `text`, when every line is a plain one (`PLAIN_LINE`); undefined
 * when bash must read it. Pure.
 */
export function readPlainBash(text: string, keys: readonly string[]): Record<string, string> | undefined {
  // Control characters other than tab and newline (bash marks quoting with \x01 and \x7f inside) and bytes that
  // are not UTF-8 (read as U+FFFD, or a lone surrogate in a string given): bash's reading of them is its own. A
  // key that is not a plain variable name (`1`, `?`, `K[0]`) means something else to `${!k}`.
  // eslint-disable-next-line no-control-regex
  if (/[\0-\x08\x0b-\x1f\x7f\uFFFD]/.test(text) || !text.isWellFormed() || keys.some((k) => !NAME.test(k) || BASH_OWN.test(k))) return undefined;
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = PLAIN_LINE.exec(line);
    if (!m) return undefined;
    const [, name, word] = m;
    if (name === undefined) continue;
    if (BASH_OWN.test(name)) return undefined;
    values.set(
      name,
      word!.replace(SEGMENT, (_, single?: string, double?: string, escaped?: string, bare?: string) => single ?? double ?? escaped ?? bare ?? ""),
    );
  }
  return Object.fromEntries(keys.map((k) => [k, values.get(k) ?? ""]));
}

/** Read `keys` from a file the way configure.sh does: as `source` gives them. */
export async function sourceFile(path: string, keys: readonly string[], text?: string): Promise<Record<string, string>> {
  // A file that cannot be read here goes to bash too, whose error names the problem as before.
  const content = text ?? (await readFile(path, "utf8").catch(() => undefined));
  return (content === undefined ? undefined : readPlainBash(content, keys)) ?? sourceWithBash(path, keys);
}

/** `text`: the file's content, when the caller has read it already. */
export async function readVars(path: string, keys: readonly string[], format: FileFormat, text?: string): Promise<Record<string, string>> {
  if (format.kind === "bash") return sourceFile(path, keys, text);
  return parseEnvFile(text ?? (await readFile(path, "utf8")), keys);
}
