/**
 * NetBird, older guide: a public client with only the regex redirect `https://<domain>/.*`, subject mode by
 * username, audience = client id, no IdP manager and no device flow. For installations that still run it.
 */
import { escapeRegex } from "../authentik/client.ts";
import { scopeId, simpleDesired, type Target } from "./types.ts";

const SCOPES = [scopeId("openid"), scopeId("email"), scopeId("profile")];

export const netbirdLegacy: Target = {
  id: "netbird-legacy",
  title: "NetBird, older guide (public client, regex redirect, no IdP manager, no device flow)",
  defaults: {
    app: "NetBird",
    slug: "netbird",
    provider: "netbird-client",
    serviceAccount: "",
    authorizationFlow: "default-provider-authorization-implicit-consent",
    outputFile: "setup.env",
  },
  uses: { serviceAccount: false, deviceFlow: false },
  checkConfig: (config) =>
    (config.domain ? [] : ["NETBIRD_DOMAIN is required for CONSUMER=netbird-legacy; example: NETBIRD_DOMAIN=netbird.example.com"]).concat(
      config.rotate.length ? ["ROTATE has nothing to rotate for CONSUMER=netbird-legacy (a public client without service account)"] : [],
    ),
  scopeMappings: () => SCOPES,
  desired: (ctx, defaults) =>
    simpleDesired(ctx, defaults, {
      clientType: "public",
      redirectUris: [{ matching_mode: "regex", url: `https://${escapeRegex(ctx.config.domain)}/.*` }],
      scopes: SCOPES,
      subMode: "user_username",
      accessCodeValidity: "minutes=1",
      grantTypes: ["authorization_code", "refresh_token"],
    }),
  outputs: ({ config, names }, values) => [
    ["NETBIRD_DOMAIN", config.domain],
    ["NETBIRD_AUTH_OIDC_CONFIGURATION_ENDPOINT", `${config.publicUrl}/application/o/${names.slug}/.well-known/openid-configuration`],
    ["NETBIRD_USE_AUTH0", "false"],
    ["NETBIRD_AUTH_CLIENT_ID", values.clientId],
    ["NETBIRD_AUTH_AUDIENCE", values.clientId],
    ["NETBIRD_AUTH_SUPPORTED_SCOPES", "openid profile email"],
  ],
  fileVars: ["NETBIRD_AUTH_CLIENT_ID"],
  fromFile: (v) => ({ clientId: v.NETBIRD_AUTH_CLIENT_ID ?? "" }),
  rawJsonSubstitution: true,
};
