/**
 * Firezone 0.7 (the self-hostable line): a confidential client with the strict callback
 * `<EXTERNAL_URL>/auth/oidc/<config id>/callback/` (trailing slash), and `OPENID_CONNECT_PROVIDERS` — a JSON
 * array read from the environment (0.7.14+) — in an env file for compose's `env_file:` (Firezone's own
 * docker-compose.prod.yml) and `docker run --env-file`. The two read quotes differently (docker keeps them), so
 * the line is unquoted, one line of compact JSON, with `$` and `#` written as JSON escapes (`\u0024`, `\u0023`:
 * the same string once parsed) because compose interpolates the one and starts comments with the other.
 */
import { ENV_FORMAT } from "../output/env-file.ts";
import { scopeId, simpleDesired, type Consumer } from "./types.ts";

const SCOPES = [scopeId("openid"), scopeId("email"), scopeId("profile")];

/** Ids Firezone keeps for its other providers (apps/fz_http/lib/fz_http/configuration/openid_connect_provider.ex @0.7.36, lines 9-13). */
export const RESERVED_IDS = ["identity", "saml", "magic_link"];

/** Compact JSON whose `$` and `#` are escaped, so compose and docker read the same line the same way. */
export function envSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/\$/g, "\\u0024").replace(/#/g, "\\u0023");
}

function firezoneRedirect(url: string, id: string): string {
  return `${url.replace(/\/+$/, "")}/auth/oidc/${id}/callback/`;
}

export const firezone: Consumer = {
  id: "firezone",
  title: "Firezone 0.7 (OPENID_CONNECT_PROVIDERS in an env file)",
  defaults: {
    app: "Firezone",
    slug: "firezone",
    provider: "Firezone",
    serviceAccount: "",
    authorizationFlow: "default-provider-authorization-implicit-consent",
    outputFile: "firezone.env",
  },
  uses: { serviceAccount: false, deviceFlow: false },
  checkConfig: ({ config }) =>
    (config.firezone.url ? [] : ["FIREZONE_URL is required for CONSUMER=firezone (Firezone's EXTERNAL_URL); example: FIREZONE_URL=https://firezone.example.com"])
      .concat(config.rotate.includes("app-password") ? ["ROTATE=app-password does not apply to CONSUMER=firezone (no service account); use ROTATE=client-secret"] : [])
      .concat(
        RESERVED_IDS.includes(config.firezone.oidcId)
          ? [`FIREZONE_OIDC_ID '${config.firezone.oidcId}' is reserved by Firezone for another provider (${RESERVED_IDS.join(", ")}); Firezone would refuse to boot`]
          : [],
      ),
  scopeMappings: () => SCOPES,
  desired: (ctx, defaults) =>
    simpleDesired(ctx, defaults, {
      clientType: "confidential",
      redirectUris: [{ matching_mode: "strict", url: firezoneRedirect(ctx.config.firezone.url, ctx.config.firezone.oidcId) }],
      scopes: SCOPES,
      subMode: "hashed_user_id",
      accessCodeValidity: "minutes=1",
      grantTypes: ["authorization_code", "refresh_token"],
    }),
  outputs: ({ config, names }, values) => [
    [
      "OPENID_CONNECT_PROVIDERS",
      envSafeJson([
        {
          id: config.firezone.oidcId,
          label: "authentik",
          client_id: values.clientId,
          client_secret: values.clientSecret ?? "",
          discovery_document_uri: `${config.publicUrl}/application/o/${names.slug}/.well-known/openid-configuration`,
          redirect_uri: firezoneRedirect(config.firezone.url, config.firezone.oidcId),
          response_type: "code",
          scope: "openid email profile",
          auto_create_users: true,
        },
      ]),
    ],
  ],
  fileVars: ["OPENID_CONNECT_PROVIDERS"],
  fromFile: (v) => {
    // Whatever the file holds: anything but a list whose first entry has string fields names no client.
    let parsed: unknown;
    try {
      parsed = JSON.parse(v.OPENID_CONNECT_PROVIDERS ?? "[]");
    } catch {
      /* verified as a mismatch */
    }
    const entry: unknown = Array.isArray(parsed) ? parsed[0] : undefined;
    const field = (k: string) => {
      const value = entry !== null && typeof entry === "object" ? (entry as Record<string, unknown>)[k] : undefined;
      return typeof value === "string" ? value : "";
    };
    return { clientId: field("client_id"), clientSecret: field("client_secret") };
  },
  format: ENV_FORMAT,
};
