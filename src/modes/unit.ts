/** One consumer's share of a run, and the checks of its result (apply mode and verify mode both run them). */
import type { AuthentikClient } from "../authentik/client.ts";
import type { Consumer, ConsumerContext } from "../consumers/types.ts";
import type { Logger } from "../log.ts";
import { readVars } from "../output/read-file.ts";
import type { Objects } from "../reconcile/adapter.ts";
import { brand } from "../reconcile/adapters/brand.ts";
import { keepsForeignFlow } from "../reconcile/adapters/device-flow.ts";
import { provider } from "../reconcile/adapters/provider.ts";
import type { DesiredState, Provisioned } from "../reconcile/desired.ts";
import type { Plan } from "../reconcile/plan.ts";
import { scrub } from "../secrets.ts";
import { verify, type CheckResult, type FileReading } from "../verify.ts";

/** A consumer with its names, settings and output file. */
export interface Context {
  consumer: Consumer;
  ctx: ConsumerContext;
  /** The output file. */
  path: string;
}

/** … with what it needs in authentik and the plan to get there. */
export interface Unit extends Context {
  desired: DesiredState;
  plan: Plan;
}

/** The output file read as the consumer reads it (bash `source`, or as docker reads an env file). */
async function readForCheck(u: Unit, expected: readonly (readonly [string, string])[]): Promise<FileReading> {
  const how = u.consumer.format.kind === "bash" ? "sourced by bash" : "read as docker reads an env file";
  try {
    const values = await readVars(
      u.path,
      expected.map(([k]) => k),
      u.consumer.format,
    );
    return { path: u.path, how, expected, read: { values } };
  } catch (error) {
    return { path: u.path, how, expected, read: { error: scrub((error as Error).message.split("\n")[0] ?? "") } };
  }
}

/**
 * Check the result as the consumer will use it. `objects`: as applied (apply mode) or as found (verify mode);
 * `live`: call the throttled device endpoint.
 */
export async function checkUnit(ak: AuthentikClient, u: Unit, values: Provisioned, objects: Objects, live: boolean, logger: Logger): Promise<CheckResult[]> {
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
      redirectUri: strict?.url,
      device:
        d.deviceFlow && serving
          ? {
              brandDomain: serving.domain,
              flowSlug: keepsForeignFlow(d, objects) && serving.flow_device_code ? undefined : d.deviceFlow.slug,
              grantTypes: d.features.grantTypes ? (p?.grant_types ?? []) : undefined,
              live,
            }
          : undefined,
      signingKey: p?.signing_key,
      file: await readForCheck(u, u.consumer.outputs(u.ctx, values)),
    },
    logger.child({ step: "verify", consumer: u.consumer.id }),
  );
}
