/**
 * NetBird standalone (authentik as NetBird's IdP, legacy setup.env + configure.sh), as authentik's NetBird
 * guide and NetBird's advanced self-hosting guide describe it. Pure data and rendering, no I/O.
 */
import { escapeRegex } from "../authentik/client.ts";
import { NETBIRD_IDP_PERMISSIONS } from "../reconcile/adapters/access.ts";
import type { Features } from "../authentik/version.ts";
import type { Defaults } from "../authentik/wait.ts";
import type { DesiredState, Provisioned } from "../reconcile/desired.ts";
import { SCRIPT_INPUT } from "../netbird/script-input.ts";
import { BASH } from "../output/env-file.ts";
import { desiredProvider, scopeId, type Consumer, type ConsumerContext } from "./types.ts";

const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"];

function scopeMappings(features: Features): string[] {
  return [scopeId("openid"), scopeId("email"), scopeId("profile"), scopeId("offline_access"), ...(features.apiScopeMapping ? [scopeId("authentik_api")] : [])];
}

/**
 * The ports of the CLI's browser login: configure.sh registers `http://localhost:<port>` for each port in
 * `<PREFIX>_AUTH_PKCE_REDIRECT_URL_PORTS` (comma-separated, no spaces; base.setup.env line 61 defaults it to
 * 53000; configure.sh lines 222-228), so authentik must accept each of them.
 */
function pkcePorts(file: Readonly<Record<string, string>>, prefix: string): { ports: number[]; problem?: string } {
  const key = `${prefix}_AUTH_PKCE_REDIRECT_URL_PORTS`;
  const raw = file[key] || "53000";
  const items = raw.split(",");
  const bad = items.filter((p) => !/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535);
  if (bad.length)
    return {
      ports: [],
      problem: `${key} in the existing setup.env is '${raw}': expected port numbers separated by commas without spaces (configure.sh builds http://localhost:<port> from each), e.g. 53000,54000`,
    };
  return { ports: [...new Set(items.map(Number))] };
}

export function localhostRedirects(file: Readonly<Record<string, string>>, prefix: string): { matching_mode: "strict"; url: string }[] {
  return pkcePorts(file, prefix).ports.map((port) => ({ matching_mode: "strict" as const, url: `http://localhost:${port}` }));
}

/** The desired state shared by NetBird and openZro standalone (same guide, other names). */
export function standaloneDesired(ctx: ConsumerContext, defaults: Defaults, domain: string, prefix: string): DesiredState {
  const { config, names, file } = ctx;
  return {
    provider: desiredProvider(ctx, defaults, {
      clientType: "public",
      redirectUris: [
        ...localhostRedirects(file, prefix),
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
    ...(config.serviceAccountAccess === "role"
      ? { access: { name: names.accessRole, permissions: NETBIRD_IDP_PERMISSIONS }, leaveAdminGroup: config.leaveAdminGroup, adminGroupName: names.adminGroup }
      : {}),
    deviceFlow: { slug: names.deviceFlow, name: "Device code flow", title: "Device code flow" },
    replaceDeviceFlow: config.replaceDeviceFlow,
    publicHost: new URL(config.publicUrl).host,
    brands: defaults.brands,
    features: defaults.features,
    rotate: { appPassword: config.rotate.includes("app-password"), clientSecret: false, graceMs: config.rotateGraceMs },
  };
}

/** setup.env keys of the standalone guide; `prefix` is NETBIRD or OPENZRO. */
export function standaloneOutputs({ config, names }: ConsumerContext, values: Provisioned, prefix: string, domain: string): [string, string][] {
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

/** Checks of the consumers whose setup.env configure.sh reads (NetBird, openZro, NetBird legacy). */
export function configureShChecks(ctx: ConsumerContext, consumer: string, domainVar: string, domain: string, prefix: string): string[] {
  const problems: string[] = [];
  if (!domain) problems.push(`${domainVar} is required for CONSUMER=${consumer}; example: ${domainVar}=${consumer}.example.com`);
  // base.setup.env builds `https://$DOMAIN:$PORT` and certificate paths from it (lines 8-13): a port breaks them.
  else if (domain.includes(":"))
    problems.push(
      `${domainVar} must be a host name without a port for CONSUMER=${consumer} (got '${domain}'): configure.sh builds URLs like https://${domain}:33073 and certificate paths from it; set the ports in setup.env (${prefix}_MGMT_API_PORT, …) instead`,
    );
  const { problem } = pkcePorts(ctx.file, prefix);
  if (problem) problems.push(problem);
  return problems;
}

export function standaloneChecks(ctx: ConsumerContext, consumer: string, domainVar: string, domain: string, prefix: string): string[] {
  const config = ctx.config;
  const problems = configureShChecks(ctx, consumer, domainVar, domain, prefix);
  if (config.rotate.includes("client-secret")) {
    problems.push(`ROTATE=client-secret applies to confidential clients only; CONSUMER=${consumer} uses a public client (rotate app-password instead)`);
  }
  return problems;
}

export function standaloneReadBack(prefix: string): Pick<Consumer, "fileVars" | "fromFile" | "format" | "configure"> {
  const [id, user, password] = [`${prefix}_AUTH_CLIENT_ID`, `${prefix}_IDP_MGMT_EXTRA_USERNAME`, `${prefix}_IDP_MGMT_EXTRA_PASSWORD`];
  const endpoint = `${prefix}_AUTH_OIDC_CONFIGURATION_ENDPOINT`;
  return {
    fileVars: [id, user, password],
    fromFile: (v) => ({ clientId: v[id] ?? "", username: v[user] ?? "", appPassword: v[password] ?? "" }),
    format: BASH,
    configure: {
      provisioned: [
        endpoint,
        id,
        `${prefix}_AUTH_AUDIENCE`,
        `${prefix}_AUTH_DEVICE_AUTH_CLIENT_ID`,
        `${prefix}_AUTH_DEVICE_AUTH_AUDIENCE`,
        `${prefix}_IDP_MGMT_CLIENT_ID`,
        user,
        password,
      ],
      discovery: [endpoint],
    },
  };
}

/**
 * On Kubernetes there is no configure.sh: NetBird's Helm chart (netbirdio/helms, charts/netbird) renders
 * management.json from its values and takes the secrets from a Secret through `envFromSecret` (`ENV: secret/key`)
 * and `…Ref: {name, key}`. Its authentik examples (examples/*-ingress/authentik/values.yaml and README.md) read
 * `idpClientID`, `idpServiceAccountUser`, `idpServiceAccountPassword` — ours on every run — and
 * `datastoreEncryptionKey`, `relayPassword`, which configure.sh (or management itself) would have generated: made
 * here once, a base64 32-byte value as the chart asks, and never changed (a new datastore key makes NetBird's stored
 * data unreadable). The keys of setup.env are there too, for `envFrom`.
 */
export const NETBIRD_CHART_KEYS: NonNullable<Consumer["kubernetes"]> = {
  entries: (_ctx, values) => [
    ["idpClientID", values.clientId],
    ["idpServiceAccountUser", values.username ?? ""],
    ["idpServiceAccountPassword", values.appPassword ?? ""],
  ],
  generated: ["datastoreEncryptionKey", "relayPassword"],
};

export const netbird: Consumer = {
  id: "netbird",
  title: "NetBird standalone (authentik as NetBird's IdP, setup.env + configure.sh)",
  defaults: {
    app: "NetBird",
    slug: "netbird",
    provider: "NetBird",
    serviceAccount: "NetBird",
    authorizationFlow: "default-provider-authorization-implicit-consent",
    outputFile: SCRIPT_INPUT,
  },
  uses: { serviceAccount: true, deviceFlow: true },
  checkConfig: (ctx) => standaloneChecks(ctx, "netbird", "NETBIRD_DOMAIN", ctx.config.domain, "NETBIRD"),
  reads: ["NETBIRD_AUTH_PKCE_REDIRECT_URL_PORTS"],
  scopeMappings,
  desired: (ctx, defaults) => standaloneDesired(ctx, defaults, ctx.config.domain, "NETBIRD"),
  outputs: (ctx, values) => standaloneOutputs(ctx, values, "NETBIRD", ctx.config.domain),
  ...standaloneReadBack("NETBIRD"),
  kubernetes: NETBIRD_CHART_KEYS,
};
