/**
 * NetBird, older guide: a public client with the regex redirect `https://<domain>/.*`, subject mode by
 * username, audience = client id, no IdP manager and no device flow. For installations that still run it.
 * Today's configure.sh always configures the CLI's browser login on `http://localhost:<port>` (lines 222-228,
 * management.json.tmpl `PKCEAuthorizationFlow`), so those redirects are registered too, and NetBird ≥ 0.40's
 * `prompt=login` (which authentik does not handle, NetBird issue 3654) is turned off as in the current guide.
 */
import { escapeRegex } from "../authentik/client.ts";
import { SCRIPT_INPUT } from "../netbird/script-input.ts";
import { BASH } from "../output/env-file.ts";
import { configureShChecks, localhostRedirects } from "./netbird.ts";
import { scopeId, simpleDesired, type Consumer } from "./types.ts";

const SCOPES = [scopeId("openid"), scopeId("email"), scopeId("profile")];

export const netbirdLegacy: Consumer = {
  id: "netbird-legacy",
  title: "NetBird, older guide (public client, regex redirect, no IdP manager, no device flow)",
  defaults: {
    app: "NetBird",
    slug: "netbird",
    provider: "netbird-client",
    serviceAccount: "",
    authorizationFlow: "default-provider-authorization-implicit-consent",
    outputFile: SCRIPT_INPUT,
  },
  uses: { serviceAccount: false, deviceFlow: false },
  checkConfig: (ctx) =>
    configureShChecks(ctx, "netbird-legacy", "NETBIRD_DOMAIN", ctx.config.domain, "NETBIRD").concat(
      ctx.config.rotate.length ? ["ROTATE has nothing to rotate for CONSUMER=netbird-legacy (a public client without service account)"] : [],
    ),
  reads: ["NETBIRD_AUTH_PKCE_REDIRECT_URL_PORTS"],
  scopeMappings: () => SCOPES,
  desired: (ctx, defaults) =>
    simpleDesired(ctx, defaults, {
      clientType: "public",
      redirectUris: [...localhostRedirects(ctx.file, "NETBIRD"), { matching_mode: "regex", url: `https://${escapeRegex(ctx.config.domain)}/.*` }],
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
    ["NETBIRD_AUTH_PKCE_DISABLE_PROMPT_LOGIN", "true"],
  ],
  fileVars: ["NETBIRD_AUTH_CLIENT_ID"],
  fromFile: (v) => ({ clientId: v.NETBIRD_AUTH_CLIENT_ID ?? "" }),
  format: BASH,
  configure: {
    provisioned: ["NETBIRD_AUTH_OIDC_CONFIGURATION_ENDPOINT", "NETBIRD_AUTH_CLIENT_ID", "NETBIRD_AUTH_AUDIENCE"],
    discovery: ["NETBIRD_AUTH_OIDC_CONFIGURATION_ENDPOINT"],
  },
};
