/** The registry of consumers. */
import type { Config } from "../config.ts";
import { firezone } from "./firezone.ts";
import { netbird } from "./netbird.ts";
import { netbirdEmbedded } from "./netbird-embedded.ts";
import { netbirdLegacy } from "./netbird-legacy.ts";
import { openzro } from "./openzro.ts";
import { TARGET_IDS, type TargetId } from "./ids.ts";
import type { Names, Target } from "./types.ts";

export const TARGETS = { netbird, openzro, "netbird-embedded": netbirdEmbedded, "netbird-legacy": netbirdLegacy, firezone } as const satisfies Record<TargetId, Target>;

export { TARGET_IDS, type TargetId };

/** The names a consumer uses: the user's overrides where set, else the consumer's defaults. */
export function namesFor(config: Config, target: Target): Names {
  const o = config.names;
  return {
    app: o.app || target.defaults.app,
    slug: o.slug || target.defaults.slug,
    provider: o.provider || target.defaults.provider,
    serviceAccount: o.serviceAccount || target.defaults.serviceAccount,
    adminGroup: o.adminGroup,
    authorizationFlow: o.authorizationFlow || target.defaults.authorizationFlow,
    invalidationFlow: o.invalidationFlow,
    signingKey: o.signingKey,
    deviceFlow: o.deviceFlow,
    outputFile: o.outputFile || target.defaults.outputFile,
  };
}
