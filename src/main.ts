#!/usr/bin/env node
/**
 * Entry point: the only file that reads process.env/argv, prints the summary and sets the exit code.
 * Logs (JSON lines) go to stderr; stdout carries the plan (plan mode) and one JSON summary line.
 */
import { pino } from "pino";
import { loadConfig, type Config } from "./config.ts";
import { EXIT_CODES, exitCodeOf, BootstrapError } from "./errors.ts";
import { createLogger } from "./log.ts";
import type { Summary } from "./report.ts";
import { run } from "./run.ts";
import { scrub } from "./secrets.ts";

async function main(): Promise<number> {
  const started = Date.now();
  const print = (text: string) => process.stdout.write(`${scrub(text)}\n`);
  let config: Config | undefined;
  let logger = createLogger(
    process.env.LOG_LEVEL && /^(fatal|error|warn|info|debug|trace|silent)$/.test(process.env.LOG_LEVEL) ? process.env.LOG_LEVEL : "info",
    pino.destination({ dest: 2, sync: true }),
  );
  let partial: Partial<Summary> = {};
  try {
    config = loadConfig(process.env, process.argv.slice(2));
    logger = createLogger(config.logLevel, pino.destination({ dest: 2, sync: true }));
    logger.info({ authentik: config.authentikUrl, public: config.publicUrl, consumers: config.consumers, mode: config.mode }, "starting");
    const outcome = await run(config, { logger, print, env: process.env });
    const { changesPending, ...rest } = outcome.summary;
    const exitCode = config.mode === "plan" && changesPending ? EXIT_CODES.changesPending : EXIT_CODES.success;
    partial = { ...rest, result: exitCode === 0 ? "ok" : "changes-pending", exitCode };
    return exitCode;
  } catch (error) {
    const exitCode = exitCodeOf(error);
    const message = scrub(error instanceof Error ? error.message : String(error));
    if (error instanceof BootstrapError) logger.error({ type: error.name }, message);
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
    print(JSON.stringify({ summary }));
  }
}

process.exitCode = await main();
