/**
 * One run: check local prerequisites → wait for authentik → for every consumer: observe → plan (all before
 * the first write, so a conflict anywhere stops everything) → plan mode prints and stops / verify mode checks
 * and stops → apply → render the output files → write the ones that changed → verify → configure.sh if
 * needed. Returns a summary; throws BootstrapErrors. No process-level side effects (main.ts owns those).
 */
import { dirname, join } from "node:path";
import { AuthentikClient } from "./authentik/client.ts";
import type { Features } from "./authentik/version.ts";
import type { WireOAuth2Provider } from "./authentik/wire.ts";
import { waitUntilReady, type Defaults, type ReadinessNeeds } from "./authentik/wait.ts";
import type { Config } from "./config.ts";
import { ConfigError, OutputError } from "./errors.ts";
import type { Logger } from "./log.ts";
import { BASH, changedKeys, mergeEnvFile, UnsafeValueError, type FileFormat } from "./output/env-file.ts";
import { checkWritableDir, readIfExists, writeFileAtomic } from "./output/write-atomic.ts";
import { apply, currentValues } from "./reconcile/apply.ts";
import type { DesiredState, Provisioned, Rotation } from "./reconcile/desired.ts";
import { observe, type Observed } from "./reconcile/observe.ts";
import { hasChanges, plan, stepsOf, type Plan } from "./reconcile/plan.ts";
import { renderPlan, summarise, type FilePlan, type Summary } from "./reconcile/render.ts";
import { DONE, type Step } from "./reconcile/types.ts";
import { configureNetbird, type ConfigureKeys, type ConfigureResult } from "./netbird/configure.ts";
import { checkScript } from "./script.ts";
import { registerSecret } from "./secrets.ts";
import { namesFor, TARGETS } from "./targets/index.ts";
import type { RestartNotice, Target, TargetContext } from "./targets/types.ts";
import { verify, VerifyError, type CheckResult } from "./verify.ts";
import { readVars, sourceFile } from "./output/read-file.ts";

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

/** One consumer's share of the run. */
interface Unit {
  target: Target;
  ctx: TargetContext;
  path: string;
  desired: DesiredState;
  observed: Observed;
  plan: Plan;
}

function readinessNeeds(units: readonly { target: Target; ctx: TargetContext }[]): ReadinessNeeds {
  const names = units.map((u) => u.ctx.names);
  return {
    flows: [...new Set(names.map((n) => n.authorizationFlow))],
    optionalFlows: (f: Features) => (f.invalidationFlow ? [...new Set(names.map((n) => n.invalidationFlow))] : []),
    scopeMappings: (f: Features) => [...new Set(units.flatMap((u) => u.target.scopeMappings(f)))],
    certificate: names[0]!.signingKey,
    ...(units.some((u) => u.target.uses.serviceAccount) ? { adminGroup: names[0]!.adminGroup } : {}),
  };
}

/** Entries of every output file, several consumers writing into the same file merged in order. */
function entriesByFile(items: readonly { path: string; entries: [string, string][]; format: FileFormat }[]): Map<string, { entries: [string, string][]; format: FileFormat }> {
  const byFile = new Map<string, { entries: [string, string][]; format: FileFormat }>();
  for (const { path, entries, format } of items) {
    const prev = byFile.get(path);
    // Consumers sharing a bash file: the strictest rule (raw JSON) wins.
    const merged: FileFormat = prev?.format.kind === "bash" && format.kind === "bash" ? { kind: "bash", rawJson: prev.format.rawJson || format.rawJson } : format;
    byFile.set(path, { entries: [...(prev?.entries ?? []), ...entries], format: merged });
  }
  return byFile;
}

function render(path: string, existing: string | undefined, entries: readonly (readonly [string, string])[], format: FileFormat): string {
  try {
    return mergeEnvFile(existing, entries, format);
  } catch (error) {
    if (error instanceof UnsafeValueError) throw new OutputError(`Refusing to write '${path}': ${error.message}`, { cause: error });
    throw error;
  }
}

async function verifyUnit(ak: AuthentikClient, u: Unit, values: Provisioned, provider: WireOAuth2Provider | undefined, live: boolean, logger: Logger): Promise<CheckResult[]> {
  const d = u.desired;
  const strict = d.provider.redirectUris.find((r) => r.matching_mode === "strict" && (r.redirect_uri_type ?? "authorization") === "authorization");
  const keepsForeignFlow = u.plan.device?.deviceFlow.step.action === "noop" && u.observed.brand?.flow_device_code !== u.observed.deviceFlow?.pk && !d.replaceDeviceFlow;
  return verify(
    ak,
    {
      publicUrl: u.ctx.config.publicUrl,
      slug: u.ctx.names.slug,
      clientId: values.clientId,
      clientSecret: values.clientSecret,
      username: values.username,
      appPassword: values.appPassword,
      redirectUri: strict?.url,
      device:
        d.deviceFlow && u.observed.brand
          ? {
              brandDomain: u.observed.brand.domain,
              flowSlug: keepsForeignFlow && u.observed.brand.flow_device_code ? undefined : d.deviceFlow.slug,
              grantTypes: d.features.grantTypes ? (provider?.grant_types ?? []) : undefined,
              live,
            }
          : undefined,
      signingKey: provider?.signing_key,
      file: { path: u.path, expected: u.target.outputs(u.ctx, values), format: u.target.format },
    },
    logger.child({ step: "verify", consumer: u.target.id }),
  );
}

/** Variables of an existing output file (read as its consumer does), or none. */
async function existingVars(path: string, vars: readonly string[], format: FileFormat): Promise<Record<string, string>> {
  if (vars.length === 0 || (await readIfExists(path)) === undefined) return {};
  const got = await readVars(path, vars, format);
  for (const v of Object.values(got)) registerSecret(v);
  return Object.fromEntries(Object.entries(got).filter(([, v]) => v !== ""));
}

/** Verify mode: the values the consumer will use are the ones in its file. */
async function valuesFromFile(u: Unit): Promise<Provisioned> {
  const got = await readVars(u.path, u.target.fileVars, u.target.format);
  const values = u.target.fromFile(got);
  for (const v of [values.clientSecret, values.appPassword]) registerSecret(v);
  return values;
}

type Context = { target: Target; ctx: TargetContext; path: string };
type Applied = { u: Unit; values: Provisioned; rotated: Rotation[]; provider: WireOAuth2Provider };
type Stats = () => { requests: number; writes: number };

/** Local prerequisites: nothing in authentik is touched if the result could not be written or the script run. */
async function checkLocal(config: Config, contexts: readonly Context[], scriptDir: string | undefined): Promise<void> {
  const targetProblems = contexts.flatMap((c) => c.target.checkConfig(c.ctx));
  if (config.configureSh && !contexts.some((c) => c.target.configure)) {
    targetProblems.push(`CONFIGURE_SH is for NetBird's (or openZro's) configure.sh, which reads setup.env: it does not apply to CONSUMER=${config.consumers.join(",")}`);
  }
  if (targetProblems.length) throw new ConfigError(targetProblems);
  if (config.plan || config.verifyOnly) return;
  await checkWritableDir(config.outputDir);
  if (config.configureSh) {
    await checkScript(config.configureSh);
    if (scriptDir !== config.outputDir) await checkWritableDir(scriptDir!, "the directory of CONFIGURE_SH");
  }
}

/** Verify mode: check what exists, with the values from the output files. */
async function verifyMode(ak: AuthentikClient, units: readonly Unit[], logger: Logger): Promise<void> {
  const failed: CheckResult[] = [];
  for (const u of units) {
    if ((await readIfExists(u.path)) === undefined) {
      failed.push({ check: "output", ok: false, message: `${u.path} does not exist: run without --verify first` });
      continue;
    }
    // Asked for by a person: the throttled device endpoint is called too.
    failed.push(...(await verifyUnit(ak, u, await valuesFromFile(u), u.observed.provider, true, logger)).filter((r) => !r.ok));
  }
  if (failed.length) throw new VerifyError(failed);
}

/** Plan mode: print what would change (objects, files, consumer APIs); returns whether anything would. */
async function planMode(ak: AuthentikClient, config: Config, units: readonly Unit[], steps: Step[], scriptDir: string | undefined, deps: RunDeps): Promise<boolean> {
  const current = await Promise.all(
    units.map(async (u) => {
      const inFile = (await readIfExists(u.path)) === undefined ? {} : u.target.fromFile(await readVars(u.path, u.target.fileVars, u.target.format));
      return { path: u.path, values: currentValues(u.desired, u.observed, inFile), u };
    }),
  );
  const filePlans: FilePlan[] = [];
  const files = entriesByFile(current.map(({ path, values, u }) => ({ path, entries: values ? u.target.outputs(u.ctx, values) : [], format: u.target.format })));
  for (const [path, { entries, format }] of files) {
    const existing = await readIfExists(path);
    const unknown = current.some((c) => c.path === path && !c.values);
    const keys = unknown ? ["(all owned keys: values are known once the objects exist)"] : changedKeys(existing, entries, format);
    filePlans.push({ path, keys, action: existing === undefined ? "create" : keys.length ? "update" : "noop" });
  }
  for (const c of current) {
    if (c.u.target.publish) steps.push(await c.u.target.publish.plan(c.u.ctx, c.values));
  }
  const configuring = config.configureSh && scriptDir ? configureUnits(current) : undefined;
  if (configuring) {
    const name = join(scriptDir!, "artifacts");
    // Values that do not exist yet (a provider to create, a key to rotate) cannot be rendered: say what changes.
    const pending = current.some((c) => !c.values) || units.some((u) => u.desired.rotate.appPassword);
    if (pending) {
      steps.push({
        kind: "NetBird configuration",
        name,
        action: "update",
        changes: [],
        note: "the places holding a new client id or app password are updated once they exist; then restart management (and the dashboard for a new client id)",
      });
    } else {
      const path = besideScript(scriptDir!);
      const setupEnv = render(path, await readIfExists(path), configuring.entries, BASH);
      const result = await netbirdConfig(
        ak,
        config,
        configuring,
        await ownedBefore(
          path,
          configuring.entries.map(([k]) => k),
        ),
        setupEnv,
        deps,
        true,
      );
      const restart = restartNotice(result, []);
      steps.push({
        kind: "NetBird configuration",
        name,
        action: result.action === "generated" ? "create" : result.action === "updated" ? "update" : "noop",
        changes: result.action === "updated" ? result.changed.map((place) => ({ field: place, from: "(current)", to: "(new)" })) : [],
        ...(restart ? { note: `then: ${restart.command}` } : {}),
      });
    }
  }
  deps.print(renderPlan(steps, filePlans));
  return units.some((u) => hasChanges(u.plan)) || filePlans.some((f) => f.action !== "noop") || steps.some((s) => s.action !== "noop");
}

/** Write every output file that changed (and the copy beside configure.sh); returns the paths written. */
async function writeOutputs(config: Config, applied: readonly Applied[], scriptDir: string | undefined, logger: Logger): Promise<string[]> {
  const written: string[] = [];
  const files = entriesByFile(applied.map(({ u, values }) => ({ path: u.path, entries: u.target.outputs(u.ctx, values), format: u.target.format })));
  for (const [path, { entries, format }] of files) {
    if (await writeFileAtomic(path, render(path, await readIfExists(path), entries, format))) written.push(path);
    // configure.sh sources ./setup.env: keep a copy beside a script that lives elsewhere.
    if (scriptDir && scriptDir !== config.outputDir && path === join(config.outputDir, "setup.env")) {
      const besideScript = join(scriptDir, "setup.env");
      if (await writeFileAtomic(besideScript, render(besideScript, await readIfExists(besideScript), entries, format))) written.push(besideScript);
    }
    logger.info({ file: path, written: written.includes(path) }, written.includes(path) ? "output file written" : "output file unchanged");
  }
  return written;
}

/** The setup.env configure.sh reads: beside the script (a copy when OUTPUT_DIR is elsewhere). */
function besideScript(scriptDir: string): string {
  return join(scriptDir, "setup.env");
}

/** Units whose consumer runs configure.sh on setup.env, with their owned entries. */
function configureUnits(items: readonly { u: Unit; values: Provisioned | undefined }[]): { entries: [string, string][]; keys: ConfigureKeys } | undefined {
  const users = items.filter(({ u }) => u.target.configure && u.ctx.names.outputFile === "setup.env");
  if (users.length === 0) return undefined;
  return {
    entries: users.flatMap(({ u, values }) => (values ? u.target.outputs(u.ctx, values) : [])),
    keys: {
      provisioned: users.flatMap(({ u }) => u.target.configure!.provisioned),
      discovery: users.flatMap(({ u }) => u.target.configure!.discovery),
    },
  };
}

/**
 * NetBird's generated configuration: generated by configure.sh the first time, afterwards only its places
 * holding this tool's values are updated (src/netbird/configure.ts). `before`: the owned keys as setup.env had
 * them before this run; `setupEnv`: the file as it is (or, in plan mode, would be) after it.
 */
async function netbirdConfig(
  ak: AuthentikClient,
  config: Config,
  owned: { entries: [string, string][]; keys: ConfigureKeys },
  before: Record<string, string> | undefined,
  setupEnv: string,
  deps: RunDeps,
  dryRun: boolean,
): Promise<ConfigureResult> {
  return configureNetbird({
    script: config.configureSh!,
    setupEnv,
    owned: owned.entries,
    before,
    keys: owned.keys,
    fetchDocument: async (url) => {
      const r = await ak.external(url);
      return r.status === 200 ? r.text : undefined;
    },
    timeoutMs: config.configureTimeoutMs,
    env: deps.env ?? {},
    logger: deps.logger,
    dryRun,
  });
}

/** The owned keys' values in an existing setup.env (as bash reads them), or undefined when there is none. */
async function ownedBefore(path: string, keys: readonly string[]): Promise<Record<string, string> | undefined> {
  if ((await readIfExists(path)) === undefined) return undefined;
  const got = await sourceFile(path, keys);
  for (const v of Object.values(got)) registerSecret(v);
  return got;
}

/** What NetBird must do to read a changed configuration, for the log, the summary and plan mode. */
function restartNotice(result: ConfigureResult, rotated: readonly Rotation[]): RestartNotice | undefined {
  if (!result.restart) return undefined;
  const until = rotated.find((r) => r.previousValidUntil && r.credential.startsWith("app password"))?.previousValidUntil ?? undefined;
  return {
    ...result.restart,
    reason:
      result.action === "generated"
        ? "NetBird's configuration was generated: start NetBird"
        : `NetBird reads its configuration only at start; changed: ${result.changed.join(", ")}`,
    ...(until ? { before: until } : {}),
  };
}

/** Apply mode: authentik, then consumer APIs, then files, then verification, then configure.sh. */
async function applyMode(ak: AuthentikClient, config: Config, units: readonly Unit[], steps: Step[], scriptDir: string | undefined, deps: RunDeps) {
  const { logger } = deps;
  // Consumers one after the other (each one's chains run in parallel).
  const applied: Applied[] = [];
  for (const u of units) applied.push({ u, ...(await apply(ak, u.desired, u.observed, u.plan, logger.child({ consumer: u.target.id }))) });
  const rotated = applied.flatMap((a) => a.rotated);
  const configuring = config.configureSh && scriptDir ? configureUnits(applied) : undefined;
  const before = configuring
    ? await ownedBefore(
        besideScript(scriptDir!),
        configuring.entries.map(([k]) => k),
      )
    : undefined;
  const written = await writeOutputs(config, applied, scriptDir, logger);
  // Then the consumers with an API for it (NetBird's connector): authentik and the files hold the values first.
  const restarts: RestartNotice[] = [];
  for (const a of applied) {
    const publish = a.u.target.publish;
    if (!publish) continue;
    const secretRotated = a.rotated.some((r) => r.credential.startsWith("client secret"));
    const { step, restart } = await publish.apply(a.u.ctx, a.values, { secretRotated, logger, print: deps.print });
    steps.push(step);
    if (restart) restarts.push(restart);
    logger.info({ kind: step.kind, name: step.name, action: DONE[step.action] }, `${step.kind} '${step.name}' ${DONE[step.action]}`);
  }
  if (config.verify) {
    // The device endpoint is called only when something it depends on changed in this run.
    const deviceInputs = new Set(["OAuth2 provider", "application", "device-code flow", "brand"]);
    const results = await Promise.all(
      applied.map(({ u, values, provider }) =>
        verifyUnit(
          ak,
          u,
          values,
          provider,
          stepsOf(u.plan).some((st) => deviceInputs.has(st.kind) && st.action !== "noop"),
          logger,
        ),
      ),
    );
    const failed = results.flat().filter((r) => !r.ok);
    if (failed.length) throw new VerifyError(failed);
  }
  let configureSh: Summary["configureSh"] = { action: "not-configured", changed: [] };
  if (configuring) {
    const result = await netbirdConfig(ak, config, configuring, before, (await readIfExists(besideScript(scriptDir!))) ?? "", deps, false);
    configureSh = { action: result.action, changed: result.changed, ...(result.unplaced.length ? { unplaced: result.unplaced } : {}) };
    const notice = restartNotice(result, rotated);
    if (notice) restarts.push(notice);
  } else if (written.some((p) => units.some((u) => u.target.configure && p === u.path))) {
    logger.warn(
      "setup.env changed: NetBird's generated configuration must follow. Let the bootstrap do it (CONFIGURE_SH): re-running configure.sh by hand over existing artifacts loses NetBird's DataStoreEncryptionKey, relay secret and TURN password",
    );
  }
  const credentials = [
    ...applied.filter((a) => a.values.username).map((a) => ({ credential: `app password of '${a.values.username!}'`, expires: "never" })),
    ...rotated.filter((r) => r.previousValidUntil).map((r) => ({ credential: `previous ${r.credential}`, expires: r.previousValidUntil! })),
  ];
  const outputs = [...new Set(applied.map((a) => a.u.path))];
  for (const r of restarts) {
    logger.warn(
      { restart: r },
      `NetBird must restart to use it: ${r.command} (in ${r.directory})${r.before ? `, before ${r.before} when the previous app password stops working` : ""}: ${r.reason}`,
    );
  }
  return {
    rotated,
    credentials,
    output: { file: outputs.join(","), written: outputs.some((p) => written.includes(p)) },
    configureSh,
    ...(restarts.length ? { restart: restarts } : {}),
  };
}

export async function run(config: Config, deps: RunDeps, client?: AuthentikClient): Promise<RunOutcome> {
  const { logger } = deps;
  const contexts: Context[] = await Promise.all(
    config.consumers.map(async (id) => {
      const target = TARGETS[id];
      const names = namesFor(config, target);
      const path = join(config.outputDir, names.outputFile);
      // The consumer's own settings in its existing file (read with bash, as the consumer does), never written.
      const ctx: TargetContext = { config, names, file: target.reads ? await existingVars(path, target.reads, target.format) : {}, prepared: {} };
      return { target, ctx, path };
    }),
  );
  const scriptDir = config.configureSh ? dirname(config.configureSh) : undefined;
  await checkLocal(config, contexts, scriptDir);
  if (config.insecureTls) logger.warn("TLS certificate verification is OFF (AUTHENTIK_INSECURE_TLS=true): anyone on the path can read the API token");
  const mode = config.plan ? ("plan" as const) : config.verifyOnly ? ("verify" as const) : ("apply" as const);

  // The consumers' side first, before authentik is changed: what they need from it, a token to reach them.
  const preparedSteps: Step[] = [];
  const preparedCredentials: { credential: string; expires: string }[] = [];
  for (const c of contexts) {
    if (!c.target.prepare) continue;
    const result = await c.target.prepare(c.ctx, {
      dryRun: mode !== "apply",
      deadline: Date.now() + config.waitTimeoutMs,
      logger: logger.child({ step: "prepare", consumer: c.target.id }),
      persist: async (entries) => void (await writeFileAtomic(c.path, render(c.path, await readIfExists(c.path), entries, c.target.format))),
    });
    c.ctx = { ...c.ctx, prepared: result.prepared };
    preparedSteps.push(...(result.steps ?? []));
    preparedCredentials.push(...(result.credentials ?? []));
  }

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
  const stats: Stats = () => ({ requests: ak.stats.requests, writes: ak.stats.writes });
  try {
    const defaults: Defaults = await waitUntilReady(ak, readinessNeeds(contexts), { timeoutMs: config.waitTimeoutMs, logger, ...deps.pacing });
    // Every consumer observed and planned before the first write: a conflict anywhere stops everything.
    const units: Unit[] = await Promise.all(
      contexts.map(async (c) => {
        const desired = c.target.desired(c.ctx, defaults);
        const observed = await observe(ak, desired, { readKey: mode !== "plan" });
        return { ...c, desired, observed, plan: plan(desired, observed) };
      }),
    );
    const steps: Step[] = [...preparedSteps, ...units.flatMap((u) => stepsOf(u.plan))];
    const base = { mode, consumer: config.consumers.join(","), authentikVersion: defaults.features.version };

    if (mode === "verify") {
      await verifyMode(ak, units, logger);
      return { summary: { ...base, ...summarise(steps), ...stats(), changesPending: false } };
    }
    if (mode === "plan") {
      const changesPending = await planMode(ak, config, units, steps, scriptDir, deps);
      return { summary: { ...base, ...summarise(steps), ...stats(), changesPending } };
    }
    const result = await applyMode(ak, config, units, steps, scriptDir, deps);
    const credentials = [...(result.credentials ?? []), ...preparedCredentials];
    return { summary: { ...base, ...summarise(steps), ...result, credentials, ...stats(), changesPending: false } };
  } finally {
    if (!client) await ak.close();
  }
}
