/**
 * One run, as a sequence: check local prerequisites → the consumers' side (prepare) → wait for authentik →
 * observe and plan every consumer (all before the first write, so a conflict anywhere stops everything) → the
 * mode: plan (print), verify (check) or apply. Returns a summary; throws BootstrapErrors. No process-level
 * side effects (main.ts owns those).
 */
import { dirname, join, resolve } from "node:path";
import { AuthentikClient } from "./authentik/client.ts";
import { toolPermissions } from "./authentik/permissions.ts";
import { accountSession } from "./authentik/session.ts";
import type { Features } from "./authentik/version.ts";
import { waitUntilReady, type ReadinessNeeds } from "./authentik/wait.ts";
import type { Config, ToolTokenStore } from "./config.ts";
import { CONSUMERS, namesFor } from "./consumers/index.ts";
import type { ConsumerContext } from "./consumers/types.ts";
import { ConfigError } from "./errors.ts";
import type { Logger } from "./log.ts";
import { applyMode } from "./modes/apply.ts";
import { planMode } from "./modes/plan.ts";
import { shareOf, type Context, type Unit } from "./modes/unit.ts";
import { verifyMode } from "./modes/verify.ts";
import { ENV_FORMAT, type FileFormat } from "./output/env-file.ts";
import { fileOutput, type Output } from "./output/output.ts";
import { secretOutput } from "./output/secret.ts";
import { checkWritableDir } from "./output/write-atomic.ts";
import type { AccountTokens, RunExtras } from "./reconcile/adapter.ts";
import { slugify } from "./reconcile/adapters/service-account.ts";
import type { DesiredState, DesiredTool } from "./reconcile/desired.ts";
import { observe } from "./reconcile/observe.ts";
import { plan, stepsOf } from "./reconcile/plan.ts";
import type { Step } from "./reconcile/types.ts";
import { summarise, type Summary } from "./report.ts";
import { checkScript } from "./script.ts";
import { registerSecret } from "./secrets.ts";
import { firstRound, type FirstRound } from "./verify.ts";

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

function readinessNeeds(contexts: readonly Context[]): ReadinessNeeds {
  const names = contexts.map((c) => c.ctx.names);
  return {
    flows: [...new Set(names.map((n) => n.authorizationFlow))],
    optionalFlows: (f: Features) => (f.invalidationFlow ? [...new Set(names.map((n) => n.invalidationFlow))] : []),
    scopeMappings: (f: Features) => [...new Set(contexts.flatMap((c) => c.consumer.scopeMappings(f)))],
    certificate: names[0]!.signingKey,
    // Only with admin-group access: with a role, the account's own groups tell whether it is in it.
    ...(contexts.some((c) => c.consumer.uses.serviceAccount) && contexts[0]!.ctx.config.serviceAccountAccess === "admin-group" ? { adminGroup: names[0]!.adminGroup } : {}),
  };
}

/** Variables of an existing output (read as its consumer does), or none. */
async function existingVars(output: Output, path: string, vars: readonly string[], format: FileFormat): Promise<Record<string, string>> {
  return credentialsOf(vars.length ? await output.read(path, vars, format) : undefined, vars);
}

/** `vars` of an output's reading, without the empty ones; their values are kept out of the logs. */
function credentialsOf(got: Readonly<Record<string, string>> | undefined, vars: readonly string[]): Record<string, string> {
  const picked = vars.flatMap((k) => (got?.[k] ? [[k, got[k]] as const] : []));
  for (const [, v] of picked) registerSecret(v);
  return Object.fromEntries(picked);
}

/** The keys a consumer's output holds (its share with stand-in values names them). */
function outputKeys(c: Context): string[] {
  const share = shareOf(c, { clientId: "-", clientSecret: "-", username: "-", appPassword: "-" });
  return [...share.entries, ...(share.kubernetes?.entries ?? [])].map(([k]) => k).concat(share.kubernetes?.generated ?? []);
}

/** The credentials of this run: AUTHENTIK_TOKEN (a superuser's), or the tool token an earlier run stored. */
interface Credentials {
  token: string;
  /** Signed in with the tool token, not a superuser's. */
  asTool: boolean;
  tool: Omit<DesiredTool, "access"> | undefined;
}

async function credentials(config: Config, output: Output): Promise<Credentials> {
  if (!config.tool) return { token: config.token, asTool: false, tool: undefined };
  const { store, account } = config.tool;
  const storeName = storeNameOf(config, store, output);
  const stored = (await existingVars(output, store.path, [store.key], ENV_FORMAT))[store.key];
  if (!config.token && !stored) {
    throw new ConfigError([
      `AUTHENTIK_TOKEN is not set and ${storeName} holds no tool token yet: the first run needs a superuser's AUTHENTIK_TOKEN to make the least-privilege account and its token`,
    ]);
  }
  // The stored token given as AUTHENTIK_TOKEN too (the file used as --env-file) is still the tool token.
  const asTool = !config.token || config.token === stored;
  return { token: config.token || stored!, asTool, tool: { account, tokenIdentifier: `${slugify(account)}-api-token`, stored, storeName } };
}

function storeNameOf(config: Config, store: ToolTokenStore, output: Output): string {
  return config.kubernetes ? `key ${store.key} of ${output.name(store.path)}` : store.path;
}

/**
 * NetBird's account, logged in with the app password its output holds (session.ts): in a least-privilege run
 * (`own`) always, for its token calls; otherwise when the output holds one, as proof of the key.
 */
function accountTokens(
  ak: AuthentikClient,
  config: Config,
  c: Context,
  desired: DesiredState,
  onLogin?: (answer: NonNullable<AccountTokens["answer"]>) => void,
): AccountTokens | undefined {
  const own = desired.ownTokens === true;
  // Plan mode reads no secret: a superuser run compares the output's value; a least-privilege run must still see
  // the account's tokens, which only the account can (a login, no secret read).
  if (!desired.serviceAccount || (config.mode === "plan" && !own)) return undefined;
  const fromFile = c.consumer.fromFile(c.existing ?? {});
  if (!own && !(fromFile.clientId && fromFile.appPassword)) return undefined;
  // When the run verifies, through the public URL as NetBird does: the login is then also verification's.
  const origin = config.verify || config.mode === "verify" ? config.publicUrl : config.authentikUrl;
  const login = {
    clientId: fromFile.clientId,
    username: desired.serviceAccount.username,
    password: fromFile.appPassword ?? "",
    source: c.output.name(c.path),
    tokenUrl: `${origin.replace(/\/+$/, "")}/application/o/token/`,
  };
  let session: Promise<AuthentikClient> | undefined;
  const tokens: AccountTokens = {
    key: login.password,
    clientId: login.clientId,
    tokenUrl: login.tokenUrl,
    own,
    client: () =>
      (session ??= accountSession(ak, login).then(async (s) => {
        tokens.answer = s.answer;
        if (onLogin) {
          onLogin(s.answer);
          // Out before observe, planning and applying go on (they would hold it back until they are done).
          await ak.sent();
        }
        return s.client;
      })),
  };
  return tokens;
}

/** The tool token must not land where a consumer reads, and its account is not a consumer's. */
function toolChecks(config: Config, contexts: readonly Context[]): string[] {
  if (!config.tool) return [];
  const problems: string[] = [];
  const { store, account } = config.tool;
  for (const c of contexts) {
    if (c.consumer.uses.serviceAccount && c.ctx.names.serviceAccount === account) {
      problems.push(`TOOL_ACCOUNT '${account}' is the service account of CONSUMER=${c.consumer.id} (SERVICE_ACCOUNT): this tool's own account must be another one`);
    }
    if (config.kubernetes) {
      if (outputKeys(c).includes(store.key)) problems.push(`TOOL_TOKEN_SECRET_KEY '${store.key}' is a key CONSUMER=${c.consumer.id} keeps in the Secret: choose another`);
    } else if (resolve(c.path) === resolve(store.path)) {
      problems.push(`TOOL_TOKEN_FILE is the output file of CONSUMER=${c.consumer.id} (${c.path}): the tool's token would be handed to it; keep it outside the consumer's reach`);
    }
  }
  return problems;
}

/** Local prerequisites: nothing in authentik is touched if the result could not be written or the script run. */
async function checkLocal(config: Config, contexts: readonly Context[], output: Output): Promise<void> {
  const problems = [...contexts.flatMap((c) => c.consumer.checkConfig(c.ctx)), ...toolChecks(config, contexts)];
  if (config.configureSh && !contexts.some((c) => c.consumer.configure)) {
    problems.push(`CONFIGURE_SH is for NetBird's (or openZro's) configure.sh, which reads setup.env: it does not apply to CONSUMER=${config.consumers.join(",")}`);
  }
  if (problems.length) throw new ConfigError(problems);
  if (config.mode !== "apply") return;
  await output.check();
  if (config.tool && !config.kubernetes) checkWritableDir(dirname(config.tool.store.path), "the directory of TOOL_TOKEN_FILE");
  if (config.configureSh) {
    checkScript(config.configureSh);
    const scriptDir = dirname(config.configureSh);
    if (scriptDir !== config.outputDir) checkWritableDir(scriptDir, "the directory of CONFIGURE_SH");
  }
}

/** The output the configuration asks for. */
function outputFor(config: Config, logger: Logger): Output {
  return config.kubernetes ? secretOutput(config.kubernetes, { timeoutMs: config.requestTimeoutMs, logger }) : fileOutput(config.outputDir);
}

export async function run(config: Config, deps: RunDeps, client?: AuthentikClient): Promise<RunOutcome> {
  const { logger } = deps;
  // Files in OUTPUT_DIR, or a Kubernetes Secret (KUBERNETES_SECRET).
  const output = outputFor(config, logger);
  const io = { env: deps.env ?? {}, logger, print: deps.print, output };
  // Requests to the consumers' own APIs, counted into the summary with authentik's.
  const consumerStats = { requests: 0, writes: 0 };
  const contexts: Context[] = await Promise.all(
    config.consumers.map(async (id) => {
      const consumer = CONSUMERS[id];
      const names = namesFor(config, consumer);
      const path = join(config.outputDir, names.outputFile);
      const ctx: ConsumerContext = { config, names, file: {}, prepared: {}, stats: consumerStats };
      // The consumer's own settings in its existing file (read with bash, as the consumer does), never written,
      // and the values NetBird's account logs in with (accountTokens). Outside plan mode every key the run writes
      // is read in the same call: while the output's stamp (taken first) stays the same, verification's reading
      // is this one. One bash for all, not three.
      const wanted = config.mode === "plan" && !config.tool ? (consumer.reads ?? []) : [...(consumer.reads ?? []), ...(consumer.uses.serviceAccount ? consumer.fileVars : [])];
      const keys = config.mode === "plan" ? wanted : [...new Set([...wanted, ...outputKeys({ consumer, ctx, path, output })])];
      const stamp = config.mode === "plan" ? undefined : await output.stamp(path);
      const got = keys.length ? await output.read(path, keys, consumer.format) : undefined;
      const existing = credentialsOf(got, wanted);
      const file = Object.fromEntries((consumer.reads ?? []).flatMap((k) => (existing[k] === undefined ? [] : [[k, existing[k]]])));
      // Whether the output names the consumer's client (not known in plan mode, which reads fewer keys).
      const namesClient = config.mode === "plan" ? undefined : Boolean(consumer.fromFile(got ?? {}).clientId);
      return { consumer, ctx: { ...ctx, file }, path, output, existing, namesClient, ...(got && stamp ? { reading: { keys, values: got, stamp } } : {}) };
    }),
  );
  await checkLocal(config, contexts, output);
  const creds = await credentials(config, output);
  if (config.insecureTls) logger.warn("TLS certificate verification is OFF (AUTHENTIK_INSECURE_TLS=true): anyone on the path can read the API token");

  // The consumers' side first, before authentik is changed: what they need from it, a token to reach them.
  const preparedSteps: Step[] = [];
  const preparedCredentials: { credential: string; expires: string }[] = [];
  for (const c of contexts) {
    if (!c.consumer.prepare) continue;
    const result = await c.consumer.prepare(c.ctx, {
      dryRun: config.mode !== "apply",
      deadline: Date.now() + config.waitTimeoutMs,
      logger: logger.child({ step: "prepare", consumer: c.consumer.id }),
      persist: (entries) => output.persist({ path: c.path, entries, format: c.consumer.format }),
    });
    c.ctx = { ...c.ctx, prepared: result.prepared };
    preparedSteps.push(...(result.steps ?? []));
    preparedCredentials.push(...(result.credentials ?? []));
  }

  const ak =
    client ??
    new AuthentikClient({
      baseUrl: config.authentikUrl,
      token: creds.token,
      timeoutMs: config.requestTimeoutMs,
      caFile: config.caFile,
      insecureTls: config.insecureTls,
      logger,
      ...(deps.pacing?.retryDelayMs !== undefined ? { retryDelayMs: deps.pacing.retryDelayMs } : {}),
    });
  // The image's bundle loads node:crypto and node:fs/promises on first use (scripts/bundle.ts): everything after
  // readiness uses crypto (X.509, secrets), every run that writes uses fs/promises. Load them once the first
  // request is out, while authentik answers it. (With an https URL, node:https has loaded crypto already.)
  ak.whileWaiting(() => {
    process.getBuiltinModule("node:crypto");
    process.getBuiltinModule("node:fs/promises");
  });
  const stats = () => ({ requests: ak.stats.requests + consumerStats.requests, writes: ak.stats.writes + consumerStats.writes });
  try {
    const defaults = await waitUntilReady(ak, readinessNeeds(contexts), { timeoutMs: config.waitTimeoutMs, logger, ...deps.pacing });
    // Every consumer observed and planned before the first write: a conflict anywhere stops everything.
    if (creds.tool)
      logger.info({ account: creds.tool.account, asTool: creds.asTool }, creds.asTool ? "signed in with the least-privilege tool token" : "signed in with AUTHENTIK_TOKEN");
    const units: Unit[] = await Promise.all(
      contexts.map(async (c, i) => {
        const own = c.consumer.desired(c.ctx, defaults);
        // The tool's own account goes with the first consumer only.
        const tool =
          creds.tool && i === 0 ? { ...creds.tool, access: { name: `${creds.tool.account} provisioner`, permissions: toolPermissions(defaults.features.version) } } : undefined;
        const desired: DesiredState = { ...own, ownTokens: creds.asTool, ...(tool ? { tool } : {}) };
        // A re-run (the output names the consumer's client) that will verify, and that is not asked to rotate
        // (which writes), sends verification's first requests beside its observation, once observation's first
        // are out (their answers are the ones the run waits on); if it then writes nothing, their answers count.
        const early = (config.mode === "verify" || (config.mode === "apply" && config.verify && config.rotate.length === 0)) && c.namesClient === true;
        let round: FirstRound | undefined;
        const extras: RunExtras = {
          tokens: accountTokens(ak, config, c, desired, early ? (answer) => round?.loggedIn(answer) : undefined),
          keepToolToken: config.tool ? (key) => output.persist({ path: config.tool!.store.path, entries: [[config.tool!.store.key, key]], format: ENV_FORMAT }) : undefined,
        };
        const seen = observe(ak, desired, {
          readSecrets: config.mode !== "plan",
          known: defaults,
          tokens: extras.tokens,
          fresh: c.namesClient === false,
          createUnlooked: config.mode === "apply" && c.namesClient === false,
        });
        if (early) {
          // Awaited below: a failure meanwhile is the run's error, not an unhandled rejection.
          seen.catch(() => undefined);
          await new Promise((next) => setImmediate(next));
          round = firstRound(ak, { publicUrl: config.publicUrl, slug: c.ctx.names.slug, device: desired.deviceFlow !== undefined });
        }
        return { ...c, desired, plan: plan(desired, await seen), defaults, extras, firstRound: round };
      }),
    );
    const steps: Step[] = [...preparedSteps, ...units.flatMap((u) => stepsOf(u.plan))];
    const base = { mode: config.mode, consumer: config.consumers.join(","), authentikVersion: defaults.features.version };
    switch (config.mode) {
      case "verify": {
        await verifyMode(ak, units, logger);
        return { summary: { ...base, ...summarise(steps), ...stats(), changesPending: false } };
      }
      case "plan": {
        const changesPending = await planMode(ak, config, units, steps, io);
        return { summary: { ...base, ...summarise(steps), ...stats(), changesPending } };
      }
      default: {
        const result = await applyMode(ak, config, units, steps, io);
        const credentials = [...(result.credentials ?? []), ...preparedCredentials];
        return { summary: { ...base, ...summarise(steps), ...result, credentials, ...stats(), changesPending: false } };
      }
    }
  } finally {
    if (!client) await ak.close();
    output.close();
  }
}
