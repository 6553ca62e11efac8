/**
 * NetBird with its embedded IdP (v0.62+), authentik added as a connector — NetBird's recommended path today.
 * authentik side: a confidential client, explicit-consent authorization, a signing key, and the fixed strict
 * redirect `https://<NETBIRD_DOMAIN>/oauth2/callback`. NetBird side: the connector is created or updated
 * through management's `/api/identity-providers` when a URL and a PAT (or first-run setup credentials) are
 * given; otherwise the values are written and the fields to paste are printed.
 */
import { NetbirdManagement, matchConnector, type IdentityProviderRequest } from "../netbird/management.ts";
import type { Provisioned } from "../reconcile/desired.ts";
import { ConfigError } from "../errors.ts";
import { show, type FieldChange } from "../reconcile/types.ts";
import { scopeId, simpleDesired, type Publisher, type Target, type TargetContext } from "./types.ts";

const SCOPES = [scopeId("openid"), scopeId("email"), scopeId("profile")];

export function issuerOf({ config, names }: TargetContext): string {
  return `${config.publicUrl}/application/o/${names.slug}/`;
}

function connectorBody(ctx: TargetContext, values: Provisioned): IdentityProviderRequest {
  return { type: "oidc", name: ctx.config.netbirdMgmt.idpName, issuer: issuerOf(ctx), client_id: values.clientId, client_secret: values.clientSecret ?? "" };
}

function pasteInstructions(ctx: TargetContext, values: Provisioned | undefined): string {
  return [
    "NetBird → Settings → Identity Providers → Add Identity Provider:",
    "  Type:          Generic OIDC",
    `  Name:          ${ctx.config.netbirdMgmt.idpName}`,
    `  Issuer:        ${issuerOf(ctx)}`,
    `  Client ID:     ${values?.clientId ?? "(known after the first run)"}`,
    `  Client Secret: NETBIRD_IDP_CLIENT_SECRET in ${ctx.names.outputFile} (not printed)`,
  ].join("\n");
}

const STEP = { kind: "NetBird identity provider" } as const;

const publisher: Publisher = {
  fileVars: ["NETBIRD_PAT"],
  async plan(ctx, values, existingFile) {
    const m = ctx.config.netbirdMgmt;
    const name = m.idpName;
    if (!m.url) return { ...STEP, name, action: "noop", changes: [], note: "no NETBIRD_MGMT_URL: the fields to paste are printed" };
    const pat = m.pat || existingFile.NETBIRD_PAT;
    if (!pat && !(m.setupEmail && m.setupPassword))
      return { ...STEP, name, action: "noop", changes: [], note: "no NETBIRD_PAT or setup credentials: the fields to paste are printed" };
    if (!pat || !values)
      return { ...STEP, name, action: "create", changes: [{ field: "issuer", from: "(none)", to: issuerOf(ctx) }], ...(pat ? {} : { note: "after NetBird's first-run setup" }) };
    const api = new NetbirdManagement(m.url, pat, ctx.config.requestTimeoutMs);
    const found = matchConnector(await api.listIdentityProviders(), issuerOf(ctx), values.clientId);
    if (!found) return { ...STEP, name, action: "create", changes: [{ field: "issuer", from: "(none)", to: issuerOf(ctx) }] };
    const want = connectorBody(ctx, values);
    const changes = (["name", "type", "client_id"] as const).filter((k) => found[k] !== want[k]).map((k) => ({ field: k, from: show(found[k]), to: show(want[k]) }));
    return { ...STEP, name, action: changes.length ? "update" : "noop", changes };
  },
  async apply(ctx, values, { secretRotated, existingFile, logger, print }) {
    const m = ctx.config.netbirdMgmt;
    const name = m.idpName;
    if (!m.url) {
      print(pasteInstructions(ctx, values));
      return { ...STEP, name, action: "noop", changes: [], note: "no NETBIRD_MGMT_URL: printed the fields to paste" };
    }
    let pat = m.pat || existingFile.NETBIRD_PAT || undefined;
    const api = new NetbirdManagement(m.url, pat, ctx.config.requestTimeoutMs);
    if (!pat) {
      if (!m.setupEmail || !m.setupPassword) {
        print(pasteInstructions(ctx, values));
        return { ...STEP, name, action: "noop", changes: [], note: "no NETBIRD_PAT or NETBIRD_SETUP_EMAIL/PASSWORD: printed the fields to paste" };
      }
      const didSetup = await api.setupIfRequired(m.setupEmail, m.setupPassword);
      if (!didSetup) {
        throw new ConfigError(["NetBird management is already set up, so /api/setup cannot issue a token: pass NETBIRD_PAT (a personal access token of an owner or admin)"]);
      }
      pat = api.currentToken!;
      values.extra = { ...(values.extra ?? {}), NETBIRD_PAT: pat };
      logger.info("NetBird first-run setup done; its personal access token is kept in the output file for later runs");
    }
    const want = connectorBody(ctx, values);
    const found = matchConnector(await api.listIdentityProviders(), want.issuer, want.client_id);
    if (!found) {
      await api.createIdentityProvider(want);
      return { ...STEP, name, action: "create", changes: [{ field: "issuer", from: "(none)", to: want.issuer }] };
    }
    const changes: FieldChange[] = (["name", "type", "client_id"] as const).filter((k) => found[k] !== want[k]).map((k) => ({ field: k, from: show(found[k]), to: show(want[k]) }));
    if (secretRotated) changes.push({ field: "client_secret", from: "(current)", to: "(new)" });
    if (changes.length === 0) return { ...STEP, name, action: "noop", changes };
    await api.updateIdentityProvider(found.id, want);
    return { ...STEP, name, action: "update", changes };
  },
};

export const netbirdEmbedded: Target = {
  id: "netbird-embedded",
  title: "NetBird with the embedded IdP, authentik as a connector",
  defaults: {
    app: "NetBird",
    slug: "netbird",
    provider: "NetBird",
    serviceAccount: "",
    authorizationFlow: "default-provider-authorization-explicit-consent",
    outputFile: "netbird-idp.env",
  },
  uses: { serviceAccount: false, deviceFlow: false },
  checkConfig: ({ config }) => {
    const problems: string[] = [];
    if (!config.domain)
      problems.push(
        "NETBIRD_DOMAIN is required for CONSUMER=netbird-embedded (the redirect is https://<NETBIRD_DOMAIN>/oauth2/callback); example: NETBIRD_DOMAIN=netbird.example.com",
      );
    if (config.rotate.includes("app-password")) problems.push("ROTATE=app-password does not apply to CONSUMER=netbird-embedded (no service account); use ROTATE=client-secret");
    if (config.netbirdMgmt.setupEmail && config.netbirdMgmt.setupPassword.length < 8)
      problems.push("NETBIRD_SETUP_PASSWORD (at least 8 characters) is required with NETBIRD_SETUP_EMAIL");
    return problems;
  },
  scopeMappings: () => SCOPES,
  desired: (ctx, defaults) =>
    simpleDesired(ctx, defaults, {
      clientType: "confidential",
      redirectUris: [{ matching_mode: "strict", url: `https://${ctx.config.domain}/oauth2/callback` }],
      scopes: SCOPES,
      subMode: "hashed_user_id",
      accessCodeValidity: "minutes=1",
      grantTypes: ["authorization_code", "refresh_token"],
    }),
  outputs: (ctx, values) => [
    ["NETBIRD_IDP_TYPE", "oidc"],
    ["NETBIRD_IDP_NAME", ctx.config.netbirdMgmt.idpName],
    ["NETBIRD_IDP_ISSUER", issuerOf(ctx)],
    ["NETBIRD_IDP_CLIENT_ID", values.clientId],
    ["NETBIRD_IDP_CLIENT_SECRET", values.clientSecret ?? ""],
    ["NETBIRD_IDP_REDIRECT_URI", `https://${ctx.config.domain}/oauth2/callback`],
    ...(values.extra?.NETBIRD_PAT ? ([["NETBIRD_PAT", values.extra.NETBIRD_PAT]] as [string, string][]) : []),
  ],
  fileVars: ["NETBIRD_IDP_CLIENT_ID", "NETBIRD_IDP_CLIENT_SECRET"],
  fromFile: (v) => ({ clientId: v.NETBIRD_IDP_CLIENT_ID ?? "", clientSecret: v.NETBIRD_IDP_CLIENT_SECRET ?? "" }),
  rawJsonSubstitution: false,
  publish: publisher,
};

export { pasteInstructions };
