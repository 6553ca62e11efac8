/**
 * NetBird standalone (authentik as NetBird's IdP, legacy setup.env + configure.sh): what it needs in authentik
 * and what it reads from setup.env. Pure data and rendering, no I/O.
 */
import type { Config } from "../config.ts";
import { escapeRegex } from "../authentik/client.ts";
import type { DesiredProvider } from "../authentik/resources/provider.ts";
import type { Features } from "../authentik/version.ts";
import type { ReadinessNeeds, Defaults } from "../authentik/wait.ts";
import type { DesiredState, Provisioned } from "../reconcile/desired.ts";

const SCOPE = (name: string) => `goauthentik.io/providers/oauth2/scope-${name}`;

export function scopeMappingIds(features: Features): string[] {
  return [SCOPE("openid"), SCOPE("email"), SCOPE("profile"), SCOPE("offline_access"), ...(features.apiScopeMapping ? [SCOPE("authentik_api")] : [])];
}

/** NetBird's CLI and dashboard use a public client: it has no secret to rotate. */
export function checkConfig(config: Config): string[] {
  return config.rotate.includes("client-secret") ? ["ROTATE=client-secret applies to confidential clients only; NetBird standalone uses a public client (rotate app-password instead)"] : [];
}

export function readinessNeeds(config: Config): ReadinessNeeds {
  return {
    flows: [config.names.authorizationFlow],
    optionalFlows: (f) => (f.invalidationFlow ? [config.names.invalidationFlow] : []),
    scopeMappings: scopeMappingIds,
    certificate: config.names.signingKey,
    adminGroup: config.names.adminGroup,
  };
}

export const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"];

export function desiredState(config: Config, defaults: Defaults): DesiredState {
  const f = defaults.features;
  const domain = config.domain;
  const provider: DesiredProvider = {
    name: config.names.provider,
    clientType: "public",
    redirectUris: [
      { matching_mode: "strict", url: "http://localhost:53000" },
      { matching_mode: "strict", url: `https://${domain}` },
      { matching_mode: "regex", url: `https://${escapeRegex(domain)}/.*` },
    ],
    signingKey: defaults.certificate.pk,
    accessCodeValidity: "minutes=10",
    subMode: "user_id",
    propertyMappings: scopeMappingIds(f).map((id) => defaults.scopeMappings.get(id)!.pk),
    grantTypes: f.grantTypes ? GRANT_TYPES : undefined,
    authorizationFlow: defaults.flows.get(config.names.authorizationFlow)!.pk,
    invalidationFlow: f.invalidationFlow ? defaults.flows.get(config.names.invalidationFlow)?.pk : undefined,
  };
  return {
    provider,
    application: { name: config.names.app, slug: config.names.slug },
    serviceAccount: { username: config.names.serviceAccount },
    adminGroup: defaults.adminGroup,
    deviceFlow: { slug: config.names.deviceFlow, name: "Device code flow", title: "Device code flow" },
    replaceDeviceFlow: config.replaceDeviceFlow,
    publicHost: new URL(config.publicUrl).hostname,
    brands: defaults.brands,
    rotate: { appPassword: config.rotate.includes("app-password"), clientSecret: config.rotate.includes("client-secret"), graceMs: config.rotateGraceMs },
  };
}

/** The keys this tool owns in setup.env, in the order they are written. */
export function outputs(config: Config, values: Provisioned): [string, string][] {
  const id = values.clientId;
  return [
    ["NETBIRD_DOMAIN", config.domain],
    ["NETBIRD_AUTH_OIDC_CONFIGURATION_ENDPOINT", `${config.publicUrl}/application/o/${config.names.slug}/.well-known/openid-configuration`],
    ["NETBIRD_USE_AUTH0", "false"],
    ["NETBIRD_AUTH_CLIENT_ID", id],
    ["NETBIRD_AUTH_AUDIENCE", id],
    ["NETBIRD_AUTH_SUPPORTED_SCOPES", "openid profile email offline_access api"],
    ["NETBIRD_AUTH_REDIRECT_URI", "/auth"],
    ["NETBIRD_AUTH_SILENT_REDIRECT_URI", "/silent-auth"],
    ["NETBIRD_AUTH_PKCE_DISABLE_PROMPT_LOGIN", "true"],
    ["NETBIRD_AUTH_DEVICE_AUTH_CLIENT_ID", id],
    ["NETBIRD_AUTH_DEVICE_AUTH_AUDIENCE", id],
    ["NETBIRD_MGMT_IDP", "authentik"],
    ["NETBIRD_IDP_MGMT_CLIENT_ID", id],
    ["NETBIRD_IDP_MGMT_EXTRA_USERNAME", values.username],
    ["NETBIRD_IDP_MGMT_EXTRA_PASSWORD", values.appPassword],
  ];
}

/** Verify mode: where the values NetBird will use are found in its file. */
export const FILE_KEYS = { clientId: "NETBIRD_AUTH_CLIENT_ID", username: "NETBIRD_IDP_MGMT_EXTRA_USERNAME", appPassword: "NETBIRD_IDP_MGMT_EXTRA_PASSWORD" } as const;

/** Keys whose values are secrets (masked in plan output and logs). */
export const SECRET_KEYS = new Set(["NETBIRD_IDP_MGMT_EXTRA_PASSWORD", "NETBIRD_IDP_MGMT_CLIENT_SECRET", "NETBIRD_AUTH_CLIENT_SECRET"]);
