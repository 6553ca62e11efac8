/**
 * `--help`: usage, the modes, every variable and the exit codes, as plain text. Built from the same specs and
 * tables as the README (`describeVariables`, `EXIT_CODE_DOCS`), so the two cannot drift. Pure: no I/O.
 */
import { describeVariables } from "./config.ts";
import { EXIT_CODE_DOCS, EXIT_CODES, type ExitReason } from "./errors.ts";

/** Markdown of the README table → plain text. */
const plain = (text: string) => text.replace(/`/g, "").replace(/\\\|/g, "|").replace(/\*\*/g, "");

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => `${indent}${l}`).join("\n");
}

export function helpText(version: string, width = 80): string {
  const variables = describeVariables().map((v) => {
    const type = plain(v.type);
    const about = v.default === "**required**" ? `(${type}, required)` : `(${type}, default: ${v.default === "(empty)" ? "empty" : plain(v.default)})`;
    const head = `  ${v.name}  ${about}`.length <= width ? `  ${v.name}  ${about}` : `  ${v.name}\n      ${about}`;
    return [head, wrap(plain(v.desc), width - 6, "      "), `      e.g. ${v.name}=${plain(v.example)}`].join("\n");
  });
  const codes = (Object.keys(EXIT_CODES) as ExitReason[]).map((k) => {
    const prefix = `  ${String(EXIT_CODES[k]).padStart(2)}  ${k.padEnd(15)} `;
    return `${prefix}${wrap(EXIT_CODE_DOCS[k], width - prefix.length, " ".repeat(prefix.length)).trimStart()}`;
  });
  return [
    `authentik-bootstrap ${version}`,
    "Waits until authentik is ready to be configured, provisions the OAuth2 objects",
    "NetBird (openZro, Firezone) need, writes their setup.env and exits with a",
    "documented code. Re-running it changes nothing unless something drifted.",
    "",
    "Usage:",
    "  authentik-bootstrap [--plan | --verify]   configured by the variables below",
    "  authentik-bootstrap --help | --version",
    "",
    "Modes:",
    "  (none)    apply: wait for authentik, create or repair what is missing, write",
    "            the output file, check the result as the consumer will use it",
    "  --plan    show what would change, write nothing; exit 0: nothing to change,",
    "            2: changes pending",
    "  --verify  change nothing; check what exists and what the output file says",
    "",
    "Output:",
    "  stderr    log lines: for reading on a terminal, else JSON lines (LOG_FORMAT);",
    "            NO_COLOR=1 turns colour off",
    "  stdout    the plan (--plan), then the summary: one JSON line, or a short text",
    "            when stdout is a terminal and the log lines are for reading",
    "",
    "Variables (each also as NAME_FILE: a file that holds the value, e.g. a secret):",
    variables.join("\n"),
    "",
    "Exit codes:",
    codes.join("\n"),
    "",
  ].join("\n");
}
