/** The registry of consumers. */
import type { Config } from "../config.ts";
import { firezone } from "./firezone.ts";
import { netbird } from "./netbird.ts";
import { netbirdEmbedded } from "./netbird-embedded.ts";
import { netbirdLegacy } from "./netbird-legacy.ts";
import { openzro } from "./openzro.ts";
import { CONSUMER_IDS, type ConsumerId } from "../consumer-ids.ts";
import type { Names, Consumer } from "./types.ts";

export const CONSUMERS = { netbird, openzro, "netbird-embedded": netbirdEmbedded, "netbird-legacy": netbirdLegacy, firezone } as const satisfies Record<ConsumerId, Consumer>;

export { CONSUMER_IDS, type ConsumerId };

/** The names a consumer uses: the user's overrides where set, else the consumer's defaults. */
export function namesFor(config: Config, consumer: Consumer): Names {
  const o = config.names;
  return {
    app: o.app || consumer.defaults.app,
    slug: o.slug || consumer.defaults.slug,
    provider: o.provider || consumer.defaults.provider,
    serviceAccount: o.serviceAccount || consumer.defaults.serviceAccount,
    adminGroup: o.adminGroup,
    accessRole: o.accessRole || `${o.serviceAccount || consumer.defaults.serviceAccount} IdP manager`,
    authorizationFlow: o.authorizationFlow || consumer.defaults.authorizationFlow,
    invalidationFlow: o.invalidationFlow,
    signingKey: o.signingKey,
    deviceFlow: o.deviceFlow,
    outputFile: o.outputFile || consumer.defaults.outputFile,
  };
}
