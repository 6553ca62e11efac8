/**
 * NetBird with its embedded IdP (v0.62+), authentik added as a connector — NetBird's recommended path today.
 *
 * NetBird side first, before authentik is changed (`prepare`): management's embedded IdP issuer gives the
 * callback authentik must accept (idp/dex/connector.go `GetRedirectURI`: the issuer, `/oauth2` if missing,
 * `/callback`), and a personal access token is made sure of: the user's `NETBIRD_PAT`, else the one this tool
 * keeps in its output file (renewed a month before it expires: a new one is made with the old one, kept, then the
 * old one deleted), else one from NetBird's first-run `/api/setup` (v0.70.5+ with `NB_SETUP_PAT_ENABLED=true`),
 * kept in the file at once. Then the authentik side: a confidential client, explicit consent, a signing key.
 * Last, the connector (`publish`): adopted whatever its type (the dashboard makes `authentik-…` ones), never
 * changed in type (NetBird refuses that from v0.70.5), created as `authentik`, duplicates of a concurrent run
 * removed. Without `NETBIRD_MGMT_URL` the values are written and the fields to paste are printed.
 */
import { ConfigError, ConsumerApiError } from "../errors.ts";
import { duplicatesToDelete, matchConnectors, NetbirdManagement, PAT_MAX_DAYS, redirectFromIssuer, type IdentityProviderRequest } from "../netbird/management.ts";
import type { Provisioned } from "../reconcile/desired.ts";
import { show, type FieldChange, type Step } from "../reconcile/types.ts";
import { scopeId, simpleDesired, type Publisher, type Consumer, type ConsumerContext } from "./types.ts";

const SCOPES = [scopeId("openid"), scopeId("email"), scopeId("profile")];
/** A kept PAT is renewed when it has less than this left. */
const RENEW_BEFORE_MS = 30 * 86_400_000;
const PAT_NAME = "authentik-bootstrap";
/** The PAT `/api/setup` creates is named so (management/server/instance/setup_service.go `setupPATTokenName`). */
const SETUP_PAT_NAME = "setup-token";

/** Keys of the output file that hold the PAT this tool keeps (written and read back, never the user's own). */
const PAT_KEYS = ["NETBIRD_PAT", "NETBIRD_PAT_ID", "NETBIRD_PAT_USER", "NETBIRD_PAT_EXPIRES"] as const;

export function issuerOf({ config, names }: ConsumerContext): string {
  return `${config.publicUrl}/application/o/${names.slug}/`;
}

/** The callback authentik must accept: the explicit setting, else NetBird's own (prepare), else the guide's. */
function redirectOf(ctx: ConsumerContext): string {
  return ctx.config.netbirdMgmt.redirectUri || ctx.prepared.NETBIRD_IDP_REDIRECT_URI || `https://${ctx.config.domain}/oauth2/callback`;
}

/** NetBird's authentik guide lists `<base>/oauth2/logout/callback` as a post-logout redirect (authentik 2026.5+ checks those). */
function logoutOf(ctx: ConsumerContext): string {
  return redirectOf(ctx).replace(/\/callback$/, "/logout/callback");
}

function connectorBody(ctx: ConsumerContext, values: Provisioned, type: string): IdentityProviderRequest {
  return { type, name: ctx.config.netbirdMgmt.idpName, issuer: issuerOf(ctx), client_id: values.clientId, client_secret: values.clientSecret ?? "" };
}

/** Where the output went: the file, or the Secret (KUBERNETES_SECRET). */
function where(ctx: ConsumerContext): string {
  const k = ctx.config.kubernetes;
  return k ? `Secret ${k.namespace}/${k.secret}` : ctx.names.outputFile;
}

function pasteInstructions(ctx: ConsumerContext, values: Provisioned | undefined): string {
  return [
    "NetBird → Settings → Identity Providers → Add Identity Provider:",
    "  Type:          Authentik",
    `  Name:          ${ctx.config.netbirdMgmt.idpName}`,
    `  Issuer:        ${issuerOf(ctx)}`,
    `  Client ID:     ${values?.clientId ?? "(known after the first run)"}`,
    `  Client Secret: NETBIRD_IDP_CLIENT_SECRET in ${where(ctx)} (not printed)`,
  ].join("\n");
}

const STEP = { kind: "NetBird identity provider" } as const;

function managementOf(ctx: ConsumerContext): NetbirdManagement | undefined {
  const m = ctx.config.netbirdMgmt;
  const pat = m.pat || ctx.prepared.NETBIRD_PAT;
  return m.url && pat ? new NetbirdManagement(m.url, pat, ctx.config.requestTimeoutMs, ctx.stats) : undefined;
}

const publisher: Publisher = {
  async plan(ctx, values) {
    const name = ctx.config.netbirdMgmt.idpName;
    if (!ctx.config.netbirdMgmt.url) return { ...STEP, name, action: "noop", changes: [], note: "no NETBIRD_MGMT_URL: the fields to paste are printed" };
    const api = managementOf(ctx);
    if (!api) {
      return ctx.prepared.NETBIRD_SETUP_PENDING
        ? { ...STEP, name, action: "create", changes: [{ field: "issuer", from: "(none)", to: issuerOf(ctx) }], note: "after NetBird's first-run setup" }
        : { ...STEP, name, action: "noop", changes: [], note: "no NETBIRD_PAT or setup credentials: the fields to paste are printed" };
    }
    if (!values) return { ...STEP, name, action: "create", changes: [{ field: "issuer", from: "(none)", to: issuerOf(ctx) }] };
    const [found] = matchConnectors(await api.listIdentityProviders(), issuerOf(ctx), values.clientId);
    if (!found) return { ...STEP, name, action: "create", changes: [{ field: "issuer", from: "(none)", to: issuerOf(ctx) }] };
    const want = connectorBody(ctx, values, found.type);
    const changes = (["name", "client_id"] as const).filter((k) => found[k] !== want[k]).map((k) => ({ field: k, from: show(found[k]), to: show(want[k]) }));
    return { ...STEP, name, action: changes.length ? "update" : "noop", changes };
  },

  async apply(ctx, values, { secretRotated, logger, print }) {
    const name = ctx.config.netbirdMgmt.idpName;
    const api = managementOf(ctx);
    if (!api) {
      print(pasteInstructions(ctx, values));
      return {
        step: {
          ...STEP,
          name,
          action: "noop",
          changes: [],
          note: ctx.config.netbirdMgmt.url ? "no NETBIRD_PAT or setup credentials: printed the fields to paste" : "no NETBIRD_MGMT_URL: printed the fields to paste",
        },
      };
    }
    const issuer = issuerOf(ctx);
    const [found] = matchConnectors(await api.listIdentityProviders(), issuer, values.clientId);
    if (!found) {
      await api.createIdentityProvider(connectorBody(ctx, values, "authentik"));
      // Two runs at once may each have created one (NetBird has no uniqueness check): keep the oldest.
      for (const extra of duplicatesToDelete(await api.listIdentityProviders(), issuer, values.clientId)) {
        logger.info({ id: extra.id }, "removing a duplicate NetBird identity provider a concurrent run created");
        await api.deleteIdentityProvider(extra.id).catch((e: unknown) => {
          if (!(e instanceof ConsumerApiError && e.status === 404)) throw e;
        });
      }
      return { step: { ...STEP, name, action: "create", changes: [{ field: "issuer", from: "(none)", to: issuer }] } };
    }
    // The type is never changed (NetBird ≥ 0.70.5 refuses it; before, the listed type stays what the id says).
    const want = connectorBody(ctx, values, found.type);
    const changes: FieldChange[] = (["name", "client_id"] as const).filter((k) => found[k] !== want[k]).map((k) => ({ field: k, from: show(found[k]), to: show(want[k]) }));
    if (secretRotated) changes.push({ field: "client_secret", from: "(current)", to: "(new)" });
    if (changes.length === 0) return { step: { ...STEP, name, action: "noop", changes } };
    // The secret is always sent: NetBird before v0.64 wipes it from a PUT without one.
    await api.updateIdentityProvider(found.id, want);
    // NetBird's Dex keeps the connector it opened, with the old secret, until management restarts (NetBird issue
    // 5800, not fixed at v0.77.1): a new secret only works after a restart. Deleting and re-creating the connector
    // would make it take effect too, but gives it a new id, and NetBird ties its users to the connector id.
    const secretChanged = secretRotated || found.client_id !== want.client_id;
    return {
      step: { ...STEP, name, action: "update", changes },
      ...(secretChanged
        ? {
            restart: {
              services: ["management"],
              command: "docker compose restart management",
              directory: "(NetBird's compose directory)",
              reason: "NetBird's embedded IdP keeps using the previous client secret until management restarts (NetBird issue 5800): logins through authentik fail until then",
            },
          }
        : {}),
    };
  },
};

/** Go's `net/mail.ParseAddress`, as far as NetBird's setup needs it: `local@domain` or `Name <local@domain>`. */
function looksLikeMailAddress(email: string): boolean {
  const addr = /^[^<>]*<([^<>]+)>$/.exec(email)?.[1] ?? email;
  return /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(addr) && !addr.startsWith(".") && !addr.includes("..");
}

export const netbirdEmbedded: Consumer = {
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
  reads: PAT_KEYS,
  checkConfig: ({ config }) => {
    const problems: string[] = [];
    const m = config.netbirdMgmt;
    if (!config.domain && !m.redirectUri && !m.url)
      problems.push(
        "CONSUMER=netbird-embedded needs NetBird's callback: NETBIRD_MGMT_URL (it is read from NetBird's issuer), NETBIRD_IDP_REDIRECT_URI, or NETBIRD_DOMAIN; example: NETBIRD_DOMAIN=netbird.example.com",
      );
    if (config.rotate.includes("app-password")) problems.push("ROTATE=app-password does not apply to CONSUMER=netbird-embedded (no service account); use ROTATE=client-secret");
    // instance/manager.go validateSetupInfo: checked here, before anything is touched (NetBird answers 422).
    if (m.setupEmail && !looksLikeMailAddress(m.setupEmail)) problems.push(`NETBIRD_SETUP_EMAIL is not an e-mail address NetBird accepts (got ${JSON.stringify(m.setupEmail)})`);
    if (m.setupEmail && !m.setupPassword) problems.push("NETBIRD_SETUP_PASSWORD is required with NETBIRD_SETUP_EMAIL");
    const bytes = Buffer.byteLength(m.setupPassword);
    if (m.setupPassword && bytes < 8) problems.push("NETBIRD_SETUP_PASSWORD must have at least 8 bytes (NetBird's rule)");
    if (bytes > 72) problems.push(`NETBIRD_SETUP_PASSWORD has ${bytes} bytes: NetBird (bcrypt) allows at most 72 (older NetBird answers 500 and leaves setup open)`);
    return problems;
  },

  async prepare(ctx, io) {
    const m = ctx.config.netbirdMgmt;
    if (!m.url) return { prepared: {} };
    const steps: Step[] = [];
    const credentials: { credential: string; expires: string }[] = [];
    const api = new NetbirdManagement(m.url, undefined, ctx.config.requestTimeoutMs, ctx.stats);
    const instance = await api.waitReachable(io.deadline);
    const issuer = await api.embeddedIssuer();
    if (issuer === undefined && !m.redirectUri) {
      throw new ConsumerApiError(
        `read NetBird's embedded IdP issuer at ${m.url}/oauth2/.well-known/openid-configuration`,
        404,
        "management serves no embedded IdP there (NetBird before v0.62, or the embedded IdP is off): use CONSUMER=netbird, or set NETBIRD_IDP_REDIRECT_URI",
      );
    }
    const prepared: Record<string, string> = { NETBIRD_IDP_REDIRECT_URI: m.redirectUri || redirectFromIssuer(issuer!) };
    const keep = (entries: Record<string, string>) => Object.assign(prepared, entries);

    if (m.pat) {
      // The user's own token: used as it is, never renewed or deleted by this tool.
      api.useToken(m.pat);
      await api.currentUser();
      return { prepared, steps, credentials };
    }
    const file = ctx.file;
    if (file.NETBIRD_PAT) {
      api.useToken(file.NETBIRD_PAT);
      const user = file.NETBIRD_PAT_USER || (await api.currentUser()).id;
      keep({ NETBIRD_PAT: file.NETBIRD_PAT, NETBIRD_PAT_USER: user, NETBIRD_PAT_ID: file.NETBIRD_PAT_ID ?? "", NETBIRD_PAT_EXPIRES: file.NETBIRD_PAT_EXPIRES ?? "" });
      const tokens = await api.tokens(user);
      const current = tokens.find((t) => t.id === file.NETBIRD_PAT_ID) ?? tokens.find((t) => t.name === SETUP_PAT_NAME && !file.NETBIRD_PAT_ID);
      const expires = current ? Date.parse(current.expiration_date) : Date.parse(file.NETBIRD_PAT_EXPIRES ?? "");
      if (current) keep({ NETBIRD_PAT_ID: current.id, NETBIRD_PAT_EXPIRES: current.expiration_date });
      if (Number.isFinite(expires) && expires - Date.now() < RENEW_BEFORE_MS) {
        if (io.dryRun) {
          steps.push({
            kind: "NetBird personal access token",
            name: PAT_NAME,
            action: "update",
            changes: [{ field: "expires", from: new Date(expires).toISOString(), to: `(+${PAT_MAX_DAYS} days)` }],
            note: "renewed a month before it expires",
          });
        } else {
          // The new token first, kept in the file; only then the old one goes.
          const made = await api.createToken(user, PAT_NAME, PAT_MAX_DAYS);
          keep({ NETBIRD_PAT: made.plain, NETBIRD_PAT_ID: made.token.id, NETBIRD_PAT_EXPIRES: made.token.expiration_date });
          await io.persist(PAT_KEYS.map((k) => [k, prepared[k] ?? ""]));
          if (current) await api.deleteToken(user, current.id);
          io.logger.info({ expires: made.token.expiration_date }, "NetBird personal access token renewed (the previous one is deleted)");
        }
      }
      credentials.push({ credential: "NetBird personal access token (kept in the output file)", expires: prepared.NETBIRD_PAT_EXPIRES || "unknown" });
      return { prepared, steps, credentials };
    }
    if (m.setupEmail) {
      if (instance && !instance.setup_required) {
        throw new ConfigError([
          "NetBird management is already set up, so /api/setup cannot issue a token: pass NETBIRD_PAT (a personal access token of an owner or admin, Settings → Personal Access Tokens)",
        ]);
      }
      if (io.dryRun) {
        keep({ NETBIRD_SETUP_PENDING: "true" });
        steps.push({
          kind: "NetBird owner",
          name: m.setupEmail,
          action: "create",
          changes: [],
          note: "NetBird's first-run setup, with a personal access token kept in the output file",
        });
        return { prepared, steps, credentials };
      }
      const done = await api.setup(m.setupEmail, m.setupPassword, PAT_MAX_DAYS);
      if (!done.pat) {
        throw new ConsumerApiError(
          "set up the NetBird owner",
          200,
          `NetBird created the owner '${m.setupEmail}' but returned no personal access token: management is older than v0.70.5 or runs without NB_SETUP_PAT_ENABLED=true. The one-time setup is used up and authentik was not changed: log in to NetBird as that owner, create a personal access token (Settings → Personal Access Tokens) and pass it as NETBIRD_PAT`,
        );
      }
      api.useToken(done.pat);
      const setupToken = (await api.tokens(done.userId)).find((t) => t.name === SETUP_PAT_NAME);
      keep({ NETBIRD_PAT: done.pat, NETBIRD_PAT_USER: done.userId, NETBIRD_PAT_ID: setupToken?.id ?? "", NETBIRD_PAT_EXPIRES: setupToken?.expiration_date ?? "" });
      // Kept at once: the setup cannot be repeated, so its token must survive whatever fails later.
      await io.persist(PAT_KEYS.map((k) => [k, prepared[k] ?? ""]));
      io.logger.info({ expires: prepared.NETBIRD_PAT_EXPIRES }, "NetBird first-run setup done; its personal access token is kept in the output file for later runs");
      credentials.push({ credential: "NetBird personal access token (kept in the output file)", expires: prepared.NETBIRD_PAT_EXPIRES || "unknown" });
    }
    return { prepared, steps, credentials };
  },

  scopeMappings: () => SCOPES,
  desired: (ctx, defaults) =>
    simpleDesired(ctx, defaults, {
      clientType: "confidential",
      redirectUris: [
        { matching_mode: "strict", url: redirectOf(ctx) },
        // authentik checks post-logout redirects only from 2026.5 (logout entries; dropped before).
        { matching_mode: "strict", url: logoutOf(ctx), redirect_uri_type: "logout" },
      ],
      scopes: SCOPES,
      subMode: "hashed_user_id",
      accessCodeValidity: "minutes=1",
      grantTypes: ["authorization_code", "refresh_token"],
    }),
  outputs: (ctx, values) => [
    ["NETBIRD_IDP_TYPE", "authentik"],
    ["NETBIRD_IDP_NAME", ctx.config.netbirdMgmt.idpName],
    ["NETBIRD_IDP_ISSUER", issuerOf(ctx)],
    ["NETBIRD_IDP_CLIENT_ID", values.clientId],
    ["NETBIRD_IDP_CLIENT_SECRET", values.clientSecret ?? ""],
    ["NETBIRD_IDP_REDIRECT_URI", redirectOf(ctx)],
    ...(ctx.prepared.NETBIRD_PAT ? PAT_KEYS.map((k) => [k, ctx.prepared[k] ?? ""] as [string, string]) : []),
  ],
  fileVars: ["NETBIRD_IDP_CLIENT_ID", "NETBIRD_IDP_CLIENT_SECRET"],
  fromFile: (v) => ({ clientId: v.NETBIRD_IDP_CLIENT_ID ?? "", clientSecret: v.NETBIRD_IDP_CLIENT_SECRET ?? "" }),
  format: { kind: "bash", rawJson: false },
  publish: publisher,
};
