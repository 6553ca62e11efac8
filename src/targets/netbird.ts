/**
 * NetBird standalone (authentik as NetBird's IdP, legacy setup.env + configure.sh), as authentik's NetBird
 * guide and NetBird's advanced self-hosting guide describe it. Pure data and rendering, no I/O.
 */
import { escapeRegex } from "../authentik/client.ts";
import type { Config } from "../config.ts";
import type { Features } from "../authentik/version.ts";
import type { Defaults } from "../authentik/wait.ts";
import type { DesiredState, Provisioned } from "../reconcile/desired.ts";
import { desiredProvider, scopeId, type Target, type TargetContext } from "./types.ts";

export const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"];

function scopeMappings(features: Features): string[] {
  return [scopeId("openid"), scopeId("email"), scopeId("profile"), scopeId("offline_access"), ...(features.apiScopeMapping ? [scopeId("authentik_api")] : [])];
}

/** The desired state shared by NetBird and openZro standalone (same guide, other names). */
export function standaloneDesired({ config, names }: TargetContext, defaults: Defaults, domain: string): DesiredState {
  return {
    provider: desiredProvider({ config, names }, defaults, {
      clientType: "public",
      redirectUris: [
        { matching_mode: "strict", url: "http://localhost:53000" },
        { matching_mode: "strict", url: `https://${domain}` },
        { matching_mode: "regex", url: `https://${escapeRegex(domain)}/.*` },
      ],
      scopes: scopeMappings(defaults.features),
      subMode: "user_id",
      accessCodeValidity: "minutes=10",
      grantTypes: GRANT_TYPES,
    }),
    application: { name: names.app, slug: names.slug },
    serviceAccount: { username: names.serviceAccount },
    adminGroup: defaults.adminGroup,
    deviceFlow: { slug: names.deviceFlow, name: "Device code flow", title: "Device code flow" },
    replaceDeviceFlow: config.replaceDeviceFlow,
    publicHost: new URL(config.publicUrl).host,
    brands: defaults.brands,
    features: defaults.features,
    rotate: { appPassword: config.rotate.includes("app-password"), clientSecret: false, graceMs: config.rotateGraceMs },
  };
}

/** setup.env keys of the standalone guide; `prefix` is NETBIRD or OPENZRO. */
export function standaloneOutputs({ config, names }: TargetContext, values: Provisioned, prefix: string, domain: string): [string, string][] {
  const id = values.clientId;
  return [
    [`${prefix}_DOMAIN`, domain],
    [`${prefix}_AUTH_OIDC_CONFIGURATION_ENDPOINT`, `${config.publicUrl}/application/o/${names.slug}/.well-known/openid-configuration`],
    [`${prefix}_USE_AUTH0`, "false"],
    [`${prefix}_AUTH_CLIENT_ID`, id],
    [`${prefix}_AUTH_AUDIENCE`, id],
    [`${prefix}_AUTH_SUPPORTED_SCOPES`, "openid profile email offline_access api"],
    [`${prefix}_AUTH_REDIRECT_URI`, "/auth"],
    [`${prefix}_AUTH_SILENT_REDIRECT_URI`, "/silent-auth"],
    [`${prefix}_AUTH_PKCE_DISABLE_PROMPT_LOGIN`, "true"],
    [`${prefix}_AUTH_DEVICE_AUTH_CLIENT_ID`, id],
    [`${prefix}_AUTH_DEVICE_AUTH_AUDIENCE`, id],
    [`${prefix}_MGMT_IDP`, "authentik"],
    [`${prefix}_IDP_MGMT_CLIENT_ID`, id],
    [`${prefix}_IDP_MGMT_EXTRA_USERNAME`, values.username ?? ""],
    [`${prefix}_IDP_MGMT_EXTRA_PASSWORD`, values.appPassword ?? ""],
  ];
}

export function standaloneChecks(config: Config, consumer: string, domainVar: string, domain: string): string[] {
  const problems: string[] = [];
  if (!domain) problems.push(`${domainVar} is required for CONSUMER=${consumer}; example: ${domainVar}=${consumer}.example.com`);
  if (config.rotate.includes("client-secret")) {
    problems.push(`ROTATE=client-secret applies to confidential clients only; CONSUMER=${consumer} uses a public client (rotate app-password instead)`);
  }
  return problems;
}

export function standaloneReadBack(prefix: string): Pick<Target, "fileVars" | "fromFile" | "rawJsonSubstitution"> {
  const [id, user, password] = [`${prefix}_AUTH_CLIENT_ID`, `${prefix}_IDP_MGMT_EXTRA_USERNAME`, `${prefix}_IDP_MGMT_EXTRA_PASSWORD`];
  return {
    fileVars: [id, user, password],
    fromFile: (v) => ({ clientId: v[id] ?? "", username: v[user] ?? "", appPassword: v[password] ?? "" }),
    rawJsonSubstitution: true,
  };
}

export const netbird: Target = {
  id: "netbird",
  title: "NetBird standalone (authentik as NetBird's IdP, setup.env + configure.sh)",
  defaults: {
    app: "NetBird",
    slug: "netbird",
    provider: "NetBird",
    serviceAccount: "NetBird",
    authorizationFlow: "default-provider-authorization-implicit-consent",
    outputFile: "setup.env",
  },
  uses: { serviceAccount: true, deviceFlow: true },
  checkConfig: (config) => standaloneChecks(config, "netbird", "NETBIRD_DOMAIN", config.domain),
  scopeMappings,
  desired: (ctx, defaults) => standaloneDesired(ctx, defaults, ctx.config.domain),
  outputs: (ctx, values) => standaloneOutputs(ctx, values, "NETBIRD", ctx.config.domain),
  ...standaloneReadBack("NETBIRD"),
};
