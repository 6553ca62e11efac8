/** One consumer's share of a run, and the checks of its result (apply mode and verify mode both run them). */
import type { AuthentikClient } from "../authentik/client.ts";
import type { Defaults } from "../authentik/wait.ts";
import type { Consumer, ConsumerContext } from "../consumers/types.ts";
import type { Logger } from "../log.ts";
import type { FileShare } from "../output/files.ts";
import type { Output } from "../output/output.ts";
import type { Objects, RunExtras } from "../reconcile/adapter.ts";
import { brand, keepsForeignFlow } from "../reconcile/adapters/device-login.ts";
import { adminMembership } from "../reconcile/adapters/membership.ts";
import { provider } from "../reconcile/adapters/provider.ts";
import type { DesiredState, Provisioned } from "../reconcile/desired.ts";
import type { Plan } from "../reconcile/plan.ts";
import { scrub } from "../secrets.ts";
import { verify, type CheckResult, type DeviceCall, type FileReading, type FirstRound, type VerifyInput } from "../verify.ts";

/** A consumer with its names, settings and output file. */
export interface Context {
  consumer: Consumer;
  ctx: ConsumerContext;
  /** The output file. */
  path: string;
  /** Where the output goes: the file at `path`, or a Kubernetes Secret. */
  output: Output;
  /** The output's values as they were when the run started (the consumer's own settings, the credentials it holds). */
  existing?: Readonly<Record<string, string>>;
  /** The run's one reading of the output at its start, as the consumer reads it. */
  reading?: OutputReading;
  /**
   * Whether the output names the consumer's client (undefined: not known). No: most likely its first run
   * (observe reads accordingly). Yes: a re-run, which sends verification's first requests beside observation.
   */
  namesClient?: boolean | undefined;
}

export interface OutputReading {
  /** The keys asked for, and what they gave. */
  keys: readonly string[];
  values: Readonly<Record<string, string>>;
  /** The output's stamp, taken before the reading (Output.stamp). */
  stamp: string;
}

/**
 * `keys` of the output as the consumer reads them: the run's reading at its start while the output is unchanged
 * since (same stamp: not written by this run, nor by another) and that reading asked for them all, else read
 * now. Undefined: nothing to read.
 */
export async function readOutput(u: Context, keys: readonly string[]): Promise<Readonly<Record<string, string>> | undefined> {
  const start = u.reading;
  if (start && keys.every((k) => start.keys.includes(k)) && (await u.output.stamp(u.path)) === start.stamp) return start.values;
  return u.output.read(u.path, keys, u.consumer.format);
}

/** … with what it needs in authentik and the plan to get there. */
export interface Unit extends Context {
  desired: DesiredState;
  plan: Plan;
  /** What readiness read (verification compares the JWKS with the signing key pair's fingerprint from it). */
  defaults: Defaults;
  /** The least-privilege run's account session and where the tool token is kept. */
  extras: RunExtras;
  /** Verification's first requests, sent beside observation when the output named the client (run.ts). */
  firstRound?: FirstRound | undefined;
}

/** A consumer's share of the output: its file's entries, and what only a Kubernetes Secret gets. */
export function shareOf(u: Context, values: Provisioned): FileShare {
  const k8s = u.consumer.kubernetes;
  return {
    path: u.path,
    entries: u.consumer.outputs(u.ctx, values),
    format: u.consumer.format,
    ...(k8s ? { kubernetes: { entries: k8s.entries(u.ctx, values), generated: k8s.generated ?? [] } } : {}),
  };
}

/** The output read as the consumer reads it (bash `source`, as docker reads an env file, a Secret's data). */
async function readForCheck(u: Unit, expected: readonly (readonly [string, string])[]): Promise<FileReading> {
  const how = u.output.how(u.consumer.format);
  const path = u.output.name(u.path);
  try {
    const values = await readOutput(
      u,
      expected.map(([k]) => k),
    );
    return { path, how, expected, read: values ? { values } : { error: "it does not exist (or holds none of the keys)" } };
  } catch (error) {
    return { path, how, expected, read: { error: scrub((error as Error).message.split("\n")[0] ?? "") } };
  }
}

/** The run's own login as NetBird's account, if it was NetBird's request: same client id and password. */
function ownLogin(u: Unit, values: Provisioned): VerifyInput["grant"] {
  const t = u.extras.tokens;
  return t?.answer && t.key === values.appPassword && t.clientId === values.clientId ? { endpoint: t.tokenUrl, answer: t.answer } : undefined;
}

/**
 * Check the result as the consumer will use it. `objects`: as applied (apply mode) or as found (verify mode);
 * `live.device`: when to call the throttled device endpoint (`DeviceCall`); `live.access`: probe the service
 * account's rights beyond NetBird's user list (an admin-only call refused) — in verify mode, and when they
 * changed;
 * `live.grant`: NetBird's token request may be the run's own login (nothing it depends on changed).
 */
export async function checkUnit(
  ak: AuthentikClient,
  u: Unit,
  values: Provisioned,
  objects: Objects,
  live: { device: DeviceCall; access: boolean; grant: boolean },
  logger: Logger,
  /** The output is read once this settles (apply mode: its write). */
  fileReady: Promise<void> = Promise.resolve(),
): Promise<CheckResult[]> {
  const d = u.desired;
  const strict = d.provider.redirectUris.find((r) => r.matching_mode === "strict" && (r.redirect_uri_type ?? "authorization") === "authorization");
  const p = objects.get(provider);
  const serving = objects.get(brand)?.brand;
  return verify(
    ak,
    {
      publicUrl: u.ctx.config.publicUrl,
      slug: u.ctx.names.slug,
      clientId: values.clientId,
      clientSecret: values.clientSecret,
      username: values.username,
      appPassword: values.appPassword,
      grant: live.grant ? ownLogin(u, values) : undefined,
      // Least privilege is checked once the account holds only its role (not while it is left in the superuser group).
      probeAccess: live.access,
      leastPrivilege: d.access !== undefined && !(objects.get(adminMembership)?.member ?? false),
      redirectUri: strict?.url,
      device:
        d.deviceFlow && serving
          ? {
              brandDomain: serving.domain,
              flowSlug: keepsForeignFlow(d, objects) && serving.flow_device_code ? undefined : d.deviceFlow.slug,
              grantTypes: d.features.grantTypes ? (p?.grant_types ?? []) : undefined,
              call: live.device,
            }
          : undefined,
      signingKey: p?.signing_key,
      certificate: u.defaults.certificate,
      file: () => fileReady.then(() => readForCheck(u, u.output.expected(shareOf(u, values)))),
      // Their answers are the result's only if nothing was written to authentik since they were asked.
      firstRound: ak.stats.writes === 0 ? u.firstRound : undefined,
    },
    logger.child({ step: "verify", consumer: u.consumer.id }),
  );
}
