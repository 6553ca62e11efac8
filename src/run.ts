/**
 * One run: check local prerequisites → wait for authentik → observe → plan → (plan mode: print and stop) →
 * apply → render setup.env → write it if it changed → configure.sh if needed. Returns a summary; throws
 * BootstrapErrors. No process-level side effects (main.ts owns those).
 */
import { join } from "node:path";
import { dirname } from "node:path";
import { access } from "node:fs/promises";
import { AuthentikClient } from "./authentik/client.ts";
import { waitUntilReady } from "./authentik/wait.ts";
import type { Config } from "./config.ts";
import { ConfigError, OutputError } from "./errors.ts";
import type { Logger } from "./log.ts";
import { changedKeys, mergeEnvFile, UnsafeValueError } from "./output/env-file.ts";
import { checkWritableDir, readIfExists, writeFileAtomic } from "./output/write-atomic.ts";
import { apply, currentValues } from "./reconcile/apply.ts";
import { observe } from "./reconcile/observe.ts";
import { hasChanges, plan, stepsOf } from "./reconcile/plan.ts";
import { renderPlan, summarise, type Summary } from "./reconcile/render.ts";
import { checkScript, runScript } from "./script.ts";
import { registerSecret } from "./secrets.ts";
import { sourceFile, verify, VerifyError } from "./verify.ts";
import * as netbird from "./targets/netbird.ts";

export interface RunDeps {
  logger: Logger;
  /** Where plan text goes (stdout in main). */
  print: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Test knobs: poll and retry pacing. */
  pacing?: { minPollMs?: number; maxPollMs?: number; retryDelayMs?: number };
}

export interface RunOutcome {
  summary: Omit<Summary, "exitCode" | "durationMs" | "result"> & { changesPending: boolean };
}

function render(existing: string | undefined, entries: [string, string][]): string {
  try {
    return mergeEnvFile(existing, entries);
  } catch (error) {
    if (error instanceof UnsafeValueError) throw new OutputError(`Refusing to write setup.env: ${error.message}`, { cause: error });
    throw error;
  }
}

async function verifyOrThrow(
  ak: AuthentikClient,
  config: Config,
  values: { clientId: string; username: string; appPassword: string },
  signingKey: string | null | undefined,
  path: string,
  expected: [string, string][],
  logger: Logger,
): Promise<void> {
  const results = await verify(ak, { publicUrl: config.publicUrl, slug: config.names.slug, ...values, signingKey, file: { path, expected } }, logger.child({ step: "verify" }));
  const failed = results.filter((r) => !r.ok);
  if (failed.length) throw new VerifyError(failed);
}

export async function run(config: Config, deps: RunDeps, client?: AuthentikClient): Promise<RunOutcome> {
  const { logger } = deps;
  const target = netbird;
  const outputPath = join(config.outputDir, config.outputFile);
  const scriptDir = config.configureSh ? dirname(config.configureSh) : undefined;

  const targetProblems = target.checkConfig(config);
  if (targetProblems.length) throw new ConfigError(targetProblems);

  // Local prerequisites first: nothing in authentik is touched if the result could not be written.
  if (!config.plan && !config.verifyOnly) {
    await checkWritableDir(config.outputDir);
    if (config.configureSh) {
      await checkScript(config.configureSh);
      if (scriptDir !== config.outputDir) await checkWritableDir(scriptDir!, "the directory of CONFIGURE_SH");
    }
  }
  if (config.insecureTls) logger.warn("TLS certificate verification is OFF (AUTHENTIK_INSECURE_TLS=true): anyone on the path can read the API token");

  const ak =
    client ??
    new AuthentikClient({
      baseUrl: config.authentikUrl,
      token: config.token,
      timeoutMs: config.requestTimeoutMs,
      caFile: config.caFile,
      insecureTls: config.insecureTls,
      logger,
      ...(deps.pacing?.retryDelayMs !== undefined ? { retryDelayMs: deps.pacing.retryDelayMs } : {}),
    });
  const base = { mode: config.plan ? ("plan" as const) : config.verifyOnly ? ("verify" as const) : ("apply" as const), consumer: config.consumer };
  try {
    const defaults = await waitUntilReady(ak, target.readinessNeeds(config), { timeoutMs: config.waitTimeoutMs, logger, ...deps.pacing });
    const desired = target.desiredState(config, defaults);
    const observed = await observe(ak, desired);
    const thePlan = plan(desired, observed);
    const steps = stepsOf(thePlan);
    const existing = await readIfExists(outputPath);

    if (config.verifyOnly) {
      if (existing === undefined) throw new VerifyError([{ check: "output", ok: false, message: `${outputPath} does not exist: run without --verify first` }]);
      const got = await sourceFile(outputPath, Object.values(target.FILE_KEYS));
      for (const v of Object.values(got)) registerSecret(v);
      const values = { clientId: got[target.FILE_KEYS.clientId] ?? "", username: got[target.FILE_KEYS.username] ?? "", appPassword: got[target.FILE_KEYS.appPassword] ?? "" };
      await verifyOrThrow(ak, config, values, observed.provider?.signing_key, outputPath, target.outputs(config, values), logger);
      return { summary: { ...base, mode: "verify", authentikVersion: defaults.features.version, ...summarise(steps), requests: ak.stats.requests, writes: ak.stats.writes, changesPending: false } };
    }

    if (config.plan) {
      const values = await currentValues(ak, observed);
      const entries = values ? target.outputs(config, values) : undefined;
      const keys = entries ? changedKeys(existing, entries) : target.outputs(config, { clientId: "-", username: "-", appPassword: "-" }).map(([k]) => k);
      const fileAction = existing === undefined ? "create" : keys.length ? "update" : "noop";
      deps.print(renderPlan(steps, { path: outputPath, action: fileAction, keys }));
      return {
        summary: { ...base, authentikVersion: defaults.features.version, ...summarise(steps), requests: ak.stats.requests, writes: ak.stats.writes, changesPending: hasChanges(thePlan) || fileAction !== "noop" },
      };
    }

    const { values, rotated } = await apply(ak, desired, observed, thePlan, logger);
    const content = render(existing, target.outputs(config, values));
    const written = await writeFileAtomic(outputPath, content);
    logger.info({ file: outputPath, written }, written ? "output file written" : "output file unchanged");

    if (config.verify) {
      const provider = await ak.findOAuth2Provider(desired.provider.name);
      await verifyOrThrow(ak, config, values, provider?.signing_key, outputPath, target.outputs(config, values), logger);
    }

    let configureSh: Summary["configureSh"] = "not-configured";
    if (config.configureSh && scriptDir) {
      let needed = written;
      if (scriptDir !== config.outputDir) needed = (await writeFileAtomic(join(scriptDir, "setup.env"), content)) || needed;
      const artifactsPresent = await access(join(scriptDir, "artifacts", "management.json")).then(() => true, () => false);
      if (needed || rotated.length > 0 || !artifactsPresent) {
        await runScript(config.configureSh, config.configureTimeoutMs, logger, deps.env);
        configureSh = "ran";
      } else {
        logger.info("configure.sh skipped: setup.env unchanged and artifacts/management.json present");
        configureSh = "skipped";
      }
    }
    const credentials = [
      { credential: `app password of '${values.username}'`, expires: "never" },
      ...rotated.filter((r) => r.previousValidUntil).map((r) => ({ credential: `previous ${r.credential}`, expires: r.previousValidUntil! })),
    ];
    return {
      summary: { ...base, authentikVersion: defaults.features.version, ...summarise(steps), rotated, credentials, output: { file: outputPath, written }, configureSh, requests: ak.stats.requests, writes: ak.stats.writes, changesPending: false },
    };
  } finally {
    if (!client) await ak.close();
  }
}
