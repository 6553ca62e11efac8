#!/usr/bin/env node
/**
 * Entry point: the only file that reads process.env/argv, prints the summary and sets the exit code.
 * Logs go to stderr (JSON lines, or lines for reading: LOG_FORMAT); stdout carries the plan (plan mode) and one
 * JSON summary line (a short text instead when stdout is a terminal and the log is for reading).
 * `--help` and `--version` answer before anything is read or contacted.
 */
import { writeSync } from "node:fs";
import { pino } from "pino";
import { loadConfig, type Config } from "./config.ts";
import { EXIT_CODES, exitCodeOf, BootstrapError, NotReadyError } from "./errors.ts";
import { helpText } from "./help.ts";
import { createLogger, type Logger } from "./log.ts";
import { colorWanted, prettyDestination, resolveLogFormat } from "./pretty.ts";
import type { Summary } from "./report.ts";
import { run } from "./run.ts";
import { scrub } from "./secrets.ts";
import { summaryText } from "./summary-text.ts";
import { VERSION } from "./version.ts";

/** stderr as JSON lines, or through the formatter for reading (the same redacted JSON, parsed and printed). */
function logDestination(format: "json" | "pretty") {
  if (format === "json") return pino.destination({ dest: 2, sync: true });
  return prettyDestination((text) => writeSync(2, text), { color: colorWanted(process.env, process.stderr.isTTY === true) });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(helpText(VERSION, Math.max(80, Math.min(process.stdout.columns || 80, 120))));
    return EXIT_CODES.success;
  }
  if (args.includes("--version")) {
    process.stdout.write(`${VERSION}\n`);
    return EXIT_CODES.success;
  }
  const started = Date.now();
  const print = (text: string) => process.stdout.write(`${scrub(text)}\n`);
  let config: Config | undefined;
  let format = resolveLogFormat(process.env.LOG_FORMAT, process.stderr.isTTY === true);
  // Made once the configuration says how. An error before that is logged with its LOG_LEVEL and LOG_FORMAT as far
  // as they are valid (a bad one is reported).
  let logger: Logger | undefined;
  const earlyLogger = () =>
    createLogger(process.env.LOG_LEVEL && /^(fatal|error|warn|info|debug|trace|silent)$/.test(process.env.LOG_LEVEL) ? process.env.LOG_LEVEL : "info", logDestination(format));
  let partial: Partial<Summary> = {};
  try {
    config = loadConfig(process.env, args);
    format = resolveLogFormat(config.logFormat, process.stderr.isTTY === true);
    logger = createLogger(config.logLevel, logDestination(format));
    logger.info({ version: VERSION, authentik: config.authentikUrl, public: config.publicUrl, consumers: config.consumers, mode: config.mode }, "starting");
    const outcome = await run(config, { logger, print, env: process.env });
    const { changesPending, ...rest } = outcome.summary;
    const exitCode = config.mode === "plan" && changesPending ? EXIT_CODES.changesPending : EXIT_CODES.success;
    partial = { ...rest, result: exitCode === 0 ? "ok" : "changes-pending", exitCode };
    return exitCode;
  } catch (error) {
    logger ??= earlyLogger();
    const exitCode = exitCodeOf(error);
    const message = scrub(error instanceof Error ? error.message : String(error));
    if (error instanceof BootstrapError) logger.error({ type: error.name, ...(error instanceof NotReadyError ? { hint: scrub(error.hint) } : {}) }, message);
    else logger.fatal({ err: error }, `unexpected error (a bug, please report it): ${message}`);
    partial = { result: "error", exitCode, error: { type: error instanceof Error ? error.name : "Error", message } };
    return exitCode;
  } finally {
    const summary = {
      mode: config?.mode ?? "apply",
      consumer: config?.consumers.join(","),
      ...partial,
      durationMs: Date.now() - started,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    // One JSON line for scripts (README "Output and logs"); a short text for a person at a terminal.
    print(format === "pretty" && process.stdout.isTTY ? summaryText(summary) : JSON.stringify({ summary }));
  }
}

const code = await main();
process.exitCode = code;
// Exit once stdout and stderr have taken every line, not when Node has torn the rest down by itself: about 9 ms
// of a 110 ms re-run here. Nothing is left to wait for: every write and log line was awaited, and every request
// whose answer counts (a first-round request verification did not need may still be out: its answer is not looked
// at).
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
