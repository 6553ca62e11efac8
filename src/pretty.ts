/**
 * Log lines for reading (LOG_FORMAT=pretty, or auto on a terminal). pino still produces the same JSON line, with
 * secrets redacted by key and scrubbed by value; this formatter only parses that finished line and prints it for
 * people, so both formats hide exactly the same things. One line per stage and per object, the plan's markers
 * (+ created, ~ updated, - deleted), errors with real line breaks and the hint on its own line; colour only when
 * asked for (a terminal without NO_COLOR).
 */
import type { DestinationStream } from "pino";
import { scrub } from "./secrets.ts";

export const LOG_FORMATS = ["auto", "json", "pretty"] as const;
export type LogFormatSetting = (typeof LOG_FORMATS)[number];

/** `auto` is pretty when stderr is a terminal; an unknown value counts as auto (config validation reports it). */
export function resolveLogFormat(setting: string | undefined, stderrIsTty: boolean): "json" | "pretty" {
  if (setting === "json" || setting === "pretty") return setting;
  return stderrIsTty ? "pretty" : "json";
}

/** https://no-color.org: any non-empty NO_COLOR turns colour off; FORCE_COLOR (not 0) turns it on; else a terminal that is not dumb. */
export function colorWanted(env: Record<string, string | undefined>, isTty: boolean): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return true;
  return isTty && env.TERM !== "dumb";
}

type Paint = (text: string) => string;
const sgr =
  (open: number, close: number): Paint =>
  (text) =>
    `\x1b[${open}m${text}\x1b[${close}m`;
const COLORS = { red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39), dim: sgr(2, 22), bold: sgr(1, 22) };
const PLAIN: typeof COLORS = { red: String, green: String, yellow: String, cyan: String, dim: String, bold: String };

const ACTION_MARK: Record<string, { mark: string; color: keyof typeof COLORS }> = {
  created: { mark: "+", color: "green" },
  updated: { mark: "~", color: "yellow" },
  deleted: { mark: "-", color: "red" },
  unchanged: { mark: " ", color: "dim" },
};

/** Fields that are shown as the line itself, or carry nothing for a reader. */
const HIDDEN = new Set(["level", "time", "msg", "step", "consumer", "pid", "hostname", "type", "hint", "err"]);

function shortValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string") return value.length > 120 ? `${value.slice(0, 119)}…` : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v !== "object" || v === null)) return value.join(",");
  return undefined; // nested objects stay in the JSON format
}

function extras(entry: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (HIDDEN.has(key)) continue;
    const shown = shortValue(value);
    if (shown !== undefined && shown !== "") parts.push(`${key}=${shown}`);
  }
  return parts.join(" ");
}

/** Continuation lines of a multi-line message, indented under the marker. */
function indent(text: string, by = "  "): string {
  return text.split("\n").join(`\n${by}`);
}

/** One JSON log line (as pino wrote it) → the text a person reads, ending in a newline. Anything else passes through. */
export function formatLine(line: string, options: { color: boolean }): string {
  const c = options.color ? COLORS : PLAIN;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith("\n") ? line : `${line}\n`;
  }
  if (typeof entry !== "object" || entry === null) return `${line.trimEnd()}\n`;
  const level = typeof entry.level === "number" ? entry.level : 30;
  let msg = typeof entry.msg === "string" ? entry.msg : "";
  const hint = typeof entry.hint === "string" && entry.hint !== "" ? entry.hint : undefined;

  // Errors: the message with its line breaks, the hint on a line of its own, the stack of a bug.
  if (level >= 50) {
    if (hint && msg.endsWith(hint)) msg = msg.slice(0, -hint.length).trimEnd();
    const out = [`${c.red("✗")} ${c.red(c.bold(level >= 60 ? "fatal:" : "error:"))} ${indent(msg)}`];
    if (hint) out.push(`  ${c.cyan("hint:")} ${indent(hint, "        ")}`);
    const err = entry.err as { stack?: unknown } | undefined;
    if (err && typeof err.stack === "string") out.push(c.dim(`  ${indent(err.stack.trimEnd())}`));
    return `${out.join("\n")}\n`;
  }

  // An object of the plan: the plan's marker, what happened, the fields that differed.
  const action = typeof entry.action === "string" ? ACTION_MARK[entry.action] : undefined;
  if (action && typeof entry.kind === "string") {
    // The reason for an update: the owned fields that differed (a create sets them all, so it lists none).
    const fields = entry.action === "updated" && Array.isArray(entry.fields) && entry.fields.length ? `: ${entry.fields.join(", ")}` : "";
    const text = `${msg}${fields}`;
    return `${c[action.color](action.mark)} ${entry.action === "unchanged" ? c.dim(text) : text}\n`;
  }

  // An output file.
  if (typeof entry.file === "string" && typeof entry.written === "boolean") {
    return entry.written ? `${c.yellow("~")} file '${entry.file}' written\n` : `  ${c.dim(`file '${entry.file}' unchanged`)}\n`;
  }

  // The first line of a run.
  if (msg === "starting" && typeof entry.mode === "string") {
    const consumers = Array.isArray(entry.consumers) ? entry.consumers.join(", ") : "";
    const pub = entry.public !== entry.authentik && typeof entry.public === "string" ? ` (public URL ${entry.public})` : "";
    return `${c.bold(`authentik-bootstrap ${typeof entry.version === "string" ? entry.version : ""}`.trim())}: ${entry.mode} for ${consumers}, authentik at ${String(entry.authentik)}${pub}\n`;
  }

  // A consumer-side check that passed (failed ones are errors, above; unknown ones warnings, below).
  if (typeof entry.check === "string" && entry.ok === true && level === 30) return `${c.green("✓")} ${indent(msg)}\n`;

  // A line of configure.sh.
  if (entry.step === "configure.sh" && typeof entry.line === "string") return `  ${c.dim(`${msg} │`)} ${entry.line}\n`;

  // Readiness: a stage that passed, or a stage that keeps failing.
  if (entry.step === "wait" && typeof entry.stage === "string") {
    return typeof entry.last === "string" ? `${c.yellow("…")} ${indent(msg)}\n` : `${c.green("✓")} ${msg}\n`;
  }

  const more = extras(entry);
  const tail = more ? `  ${c.dim(more)}` : "";
  if (level >= 40) return `${c.yellow("!")} ${c.yellow("warning:")} ${indent(msg)}${tail}\n`;
  if (level < 30) return `${c.dim(`· ${indent(msg)}`)}${tail}\n`;
  return `  ${indent(msg)}${tail}\n`;
}

/**
 * A pino destination that prints each finished JSON line through `formatLine`, synchronously (a one-shot
 * process must not lose its last lines at exit). The text is scrubbed once more on the way out.
 */
export function prettyDestination(write: (text: string) => void, options: { color: boolean }): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split("\n")) if (line.trim() !== "") write(scrub(formatLine(line, options)));
    },
  };
}
