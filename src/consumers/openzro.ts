/** openZro standalone: NetBird's fork, same guide and mechanics with OPENZRO_* keys and its own names. */
import { SCRIPT_INPUT } from "../netbird/script-input.ts";
import type { Consumer } from "./types.ts";
import { netbird, standaloneChecks, standaloneDesired, standaloneOutputs, standaloneReadBack } from "./netbird.ts";

export const openzro: Consumer = {
  id: "openzro",
  title: "openZro standalone (authentik as openZro's IdP, setup.env + openZro's configure.sh)",
  defaults: {
    app: "openZro",
    slug: "openzro",
    provider: "openZro",
    serviceAccount: "openZro",
    authorizationFlow: "default-provider-authorization-implicit-consent",
    outputFile: SCRIPT_INPUT,
  },
  uses: { serviceAccount: true, deviceFlow: true },
  checkConfig: (ctx) => standaloneChecks(ctx, "openzro", "OPENZRO_DOMAIN", ctx.config.openzroDomain, "OPENZRO"),
  reads: ["OPENZRO_AUTH_PKCE_REDIRECT_URL_PORTS"],
  scopeMappings: (features) => netbird.scopeMappings(features),
  desired: (ctx, defaults) => standaloneDesired(ctx, defaults, ctx.config.openzroDomain, "OPENZRO"),
  outputs: (ctx, values) => standaloneOutputs(ctx, values, "OPENZRO", ctx.config.openzroDomain),
  ...standaloneReadBack("OPENZRO"),
};
