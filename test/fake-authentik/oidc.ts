/**
 * The OIDC side for the objects the fake holds: discovery (issuer from the request's Host and
 * X-Forwarded-Proto), JWKS, the token endpoint's client_credentials grant as NetBird sends it (username +
 * app password), a client-authentication check for the authorization_code grant, the device authorization
 * endpoint and the `/device` page (404 without a device-code flow on the brand serving the host).
 */
import { createHash, createHmac, randomBytes, sign } from "node:crypto";
import { atLeast, isExpired } from "./api.ts";
import type { Version } from "./schema.ts";
import type { Provider, Store, User } from "./store.ts";

export interface IssuedToken {
  user: number;
  scope: string[];
  exp: number;
}

export interface OidcResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const b64 = (v: Buffer | string) => Buffer.from(v).toString("base64url");

const INVALID_GRANT =
  "The provided authorization grant or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client";

/** The entries the authorization and token endpoints accept: from 2026.5 only `redirect_uri_type: authorization`. */
export function authorizationRedirects(provider: Provider, version: Version): Provider["redirect_uris"] {
  return provider.redirect_uris.filter((r) => !atLeast(version, 2026, 5) || (r.redirect_uri_type ?? "authorization") === "authorization");
}

/** `__check_redirect_uri`: strict is string equality, regex is Python's `fullmatch`. */
export function redirectMatches(entry: Provider["redirect_uris"][number], uri: string): boolean {
  if (entry.matching_mode === "strict") return entry.url === uri;
  try {
    return new RegExp(`^(?:${entry.url})$`).test(uri);
  } catch {
    return false;
  }
}

function seconds(validity: string): number {
  let total = 0;
  for (const part of validity.split(";")) {
    const [unit, n] = part.split("=");
    const f = { weeks: 604800, days: 86400, hours: 3600, minutes: 60, seconds: 1, milliseconds: 0.001, microseconds: 0.000001 }[unit as "days"] ?? 0;
    total += f * Number(n);
  }
  return Math.round(total);
}

function appOf(store: Store, slug: string): { provider: Provider } | undefined {
  const app = [...store.applications.values()].find((a) => a.slug === slug);
  const provider = app?.provider != null ? store.providers.get(app.provider) : undefined;
  return provider && provider.type === "oauth2" ? { provider } : undefined;
}

/** `per_provider`: `<base>/application/o/<slug>/`; `global`: the site root `<base>/`. */
export function issuerOf(provider: Provider, base: string, slug: string): string {
  return provider.issuer_mode === "global" ? `${base}/` : `${base}/application/o/${slug}/`;
}

const ALL_GRANTS = ["authorization_code", "refresh_token", "implicit", "client_credentials", "password", "urn:ietf:params:oauth:grant-type:device_code"];

export function discovery(store: Store, slug: string, base: string, version?: Version): OidcResult {
  const found = appOf(store, slug);
  if (!found) return { status: 404, body: { detail: "Not found." } };
  const o = `${base}/application/o`;
  return {
    status: 200,
    body: {
      issuer: issuerOf(found.provider, base, slug),
      authorization_endpoint: `${o}/authorize/`,
      token_endpoint: `${o}/token/`,
      userinfo_endpoint: `${o}/userinfo/`,
      end_session_endpoint: `${o}/${slug}/end-session/`,
      introspection_endpoint: `${o}/introspect/`,
      revocation_endpoint: `${o}/revoke/`,
      device_authorization_endpoint: `${o}/device/`,
      response_types_supported: ["code", "id_token", "id_token token", "code token", "code id_token", "code id_token token"],
      response_modes_supported: ["query", "fragment", "form_post"],
      jwks_uri: `${o}/${slug}/jwks/`,
      // From 2026.5 a provider allows only its configured grant types.
      grant_types_supported: version && atLeast(version, 2026, 5) ? [...found.provider.grant_types] : ALL_GRANTS,
      id_token_signing_alg_values_supported: [found.provider.signing_key ? "RS256" : "HS256"],
      subject_types_supported: ["public"],
      token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
      scopes_supported: [...store.scopeMappings.values()].filter((m) => found.provider.property_mappings.includes(m.pk)).map((m) => m.scope_name),
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce", "email", "email_verified", "name", "given_name", "preferred_username", "nickname"],
      code_challenge_methods_supported: ["plain", "S256"],
    },
  };
}

export function jwks(store: Store, slug: string): OidcResult {
  const found = appOf(store, slug);
  if (!found) return { status: 404, body: { detail: "Not found." } };
  const cert = found.provider.signing_key ? store.certificates.get(found.provider.signing_key) : undefined;
  if (!cert) return { status: 200, body: { keys: [] } };
  const jwk = cert.publicKey.export({ format: "jwk" }) as { n: string; e: string };
  return { status: 200, body: { keys: [{ kty: "RSA", alg: "RS256", use: "sig", kid: createHash("md5").update(cert.pk).digest("hex"), n: jwk.n, e: jwk.e }] } };
}

function jwt(store: Store, provider: Provider, claims: Record<string, unknown>): string {
  const cert = provider.signing_key ? store.certificates.get(provider.signing_key) : undefined;
  const header = cert ? { alg: "RS256", typ: "JWT", kid: createHash("md5").update(cert.pk).digest("hex") } : { alg: "HS256", typ: "JWT" };
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  const sig = cert ? sign("sha256", Buffer.from(input), cert.privateKey) : createHmac("sha256", provider.client_secret).update(input).digest();
  return `${input}.${b64(sig)}`;
}

const oauthError = (error: string, description: string, status = 400): OidcResult => ({
  status,
  body: { error, error_description: description, request_id: randomBytes(8).toString("hex") },
});

function subject(provider: Provider, user: User): string {
  switch (provider.sub_mode) {
    case "user_id":
      return String(user.pk);
    case "user_uuid":
      return user.uuid;
    case "user_username":
      return user.username;
    case "user_email":
      return user.email;
    default:
      return createHash("sha256").update(`${user.pk}-${provider.client_id}`).digest("hex");
  }
}

export function token(
  store: Store,
  version: Version,
  form: URLSearchParams,
  base: string,
  issued: Map<string, IssuedToken>,
  basicAuth?: { id: string; secret: string },
): OidcResult {
  const clientId = form.get("client_id") ?? basicAuth?.id ?? "";
  const clientSecret = form.get("client_secret") ?? basicAuth?.secret ?? "";
  const provider = [...store.providers.values()].find((p) => p.type === "oauth2" && p.client_id === clientId);
  if (!provider)
    return oauthError("invalid_client", "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)");
  const grant = form.get("grant_type") ?? "";
  if (atLeast(version, 2026, 5) && !provider.grant_types.includes(grant)) return oauthError("invalid_grant", INVALID_GRANT);
  if (grant === "authorization_code" || grant === "refresh_token") {
    // views/token.py TokenParams.__post_init__: the secret first (confidential clients only) …
    if (provider.client_type === "confidential" && clientSecret !== provider.client_secret) return oauthError("invalid_client", "Client authentication failed");
    if (grant === "authorization_code") {
      // … then __post_init_code: a missing code, then the redirect URI (before the code is looked up) …
      if (!form.get("code")) return oauthError("invalid_grant", INVALID_GRANT);
      const redirect = form.get("redirect_uri") ?? "";
      if (!authorizationRedirects(provider, version).some((r) => redirectMatches(r, redirect))) {
        store.addEvent("configuration_error", "Invalid redirect URI used by provider", { provider: provider.name, redirect_uri: redirect });
        return oauthError("invalid_client", "Client authentication failed");
      }
    }
    // … and no code or refresh token is ever issued by the fake.
    return oauthError("invalid_grant", INVALID_GRANT);
  }
  if (grant === "urn:ietf:params:oauth:grant-type:device_code") {
    // Nobody confirms device codes in the fake: a known one stays pending until it expires.
    const code = store.deviceCodes.find((d) => d.device_code === form.get("device_code") && d.client_id === provider.client_id);
    if (!code) return oauthError("invalid_grant", INVALID_GRANT);
    if (code.expires < Date.now()) return oauthError("expired_token", "The device_code has expired, and the device authorization session has concluded.");
    return oauthError("authorization_pending", "The authorization request is still pending as the end user hasn't yet completed the user-interaction steps.");
  }
  // authentik handles the password grant like client_credentials with username + app password.
  if (grant !== "client_credentials" && !(grant === "password" && form.get("username")))
    return oauthError("unsupported_grant_type", "The authorization grant type is not supported by the authorization server.");

  const app = store.applicationOf(provider);
  const username = form.get("username") ?? "";
  let user: User | undefined;
  if (username) {
    user = store.userByName(username);
    const password = form.get("password") ?? "";
    // `Token.filter_not_expired(key=…, intent=app_password, user=…)` deletes the expired matches first.
    const matches = [...store.tokens.values()].filter((x) => x.key === password && x.intent === "app_password" && x.user === user?.pk);
    for (const x of matches.filter(isExpired)) store.tokens.delete(x.identifier);
    const t = matches.find((x) => !isExpired(x));
    if (!user || !t || (atLeast(version, 2025, 12) && !user.is_active)) return oauthError("invalid_grant", INVALID_GRANT);
  } else if (clientSecret && clientSecret === provider.client_secret && atLeast(version, 2024, 4)) {
    const name = `ak-${provider.name}-client_credentials`;
    user = store.userByName(name) ?? store.addUser({ username: name, type: "internal_service_account" });
  } else return oauthError("invalid_grant", INVALID_GRANT);
  if (!app) return oauthError("invalid_grant", INVALID_GRANT);

  const requested = (form.get("scope") ?? "").split(/\s+/).filter(Boolean);
  const allowed = new Set([...store.scopeMappings.values()].filter((m) => provider.property_mappings.includes(m.pk)).map((m) => m.scope_name));
  const scope = atLeast(version, 2024, 12) ? requested.filter((s) => allowed.has(s)) : requested;
  const now = Math.floor(Date.now() / 1000);
  const exp = now + seconds(provider.access_token_validity);
  const claims = {
    iss: issuerOf(provider, base, app.slug),
    sub: subject(provider, user),
    aud: provider.client_id,
    exp,
    iat: now,
    scope: scope.join(" "),
    azp: provider.client_id,
    uid: randomBytes(8).toString("hex"),
  };
  const access = jwt(store, provider, claims);
  issued.set(access, { user: user.pk, scope, exp: exp * 1000 });
  return {
    status: 200,
    body: { access_token: access, token_type: "Bearer", scope: scope.join(" "), expires_in: exp - now, id_token: jwt(store, provider, { ...claims, scope: undefined }) },
  };
}

/**
 * `POST /application/o/device/` (views/device_backchannel.py): anonymous, throttled per client IP
 * (`throttle.providers.oauth2.device`, default 20/hour; the 21st answer is an empty 429 before 2025.8, then
 * `{"error": "slow_down"}`); the provider must back an application; no secret and no brand are checked.
 */
export function deviceAuthorization(store: Store, version: Version, form: URLSearchParams, base: string, clientIp: string, limitPerHour = 20): OidcResult {
  const now = Date.now();
  const seen = (store.deviceRequests.get(clientIp) ?? []).filter((at) => at > now - 3_600_000);
  if (seen.length >= limitPerHour) {
    return atLeast(version, 2025, 8)
      ? oauthError(
          "slow_down",
          "A variant of authorization_pending, the authorization request is still pending and polling should continue, but the interval MUST be increased by 5 seconds for this and all subsequent requests.",
          429,
        )
      : { status: 429 };
  }
  store.deviceRequests.set(clientIp, [...seen, now]);
  const provider = [...store.providers.values()].find((p) => p.type === "oauth2" && p.client_id === (form.get("client_id") ?? ""));
  if (!provider || !store.applicationOf(provider)) return oauthError("invalid_client", "Client authentication failed");
  // Guess (2026.5+ not verified in source): a provider without the device-code grant refuses it.
  if (atLeast(version, 2026, 5) && !provider.grant_types.includes("urn:ietf:params:oauth:grant-type:device_code")) return oauthError("invalid_grant", "grant type not configured");
  const userCode = randomBytes(4).toString("hex").toUpperCase();
  const expiresIn = seconds(provider.access_code_validity);
  store.deviceCodes.push({ device_code: randomBytes(32).toString("hex"), user_code: userCode, client_id: provider.client_id, expires: now + expiresIn * 1000 });
  const code = store.deviceCodes.at(-1)!;
  return {
    status: 200,
    body: {
      device_code: code.device_code,
      verification_uri: `${base}/device`,
      verification_uri_complete: `${base}/device?code=${userCode}`,
      user_code: userCode,
      expires_in: expiresIn,
      interval: 5,
    },
  };
}

/**
 * The code-entry page `/device` is `login_required(DeviceEntryView)` (providers/oauth2/urls_root.py): without a
 * session (the fake has none) it always redirects to the login flow, whatever the brand has. The 404 for a brand
 * without `flow_device_code` only happens after login.
 */
export function devicePage(): OidcResult {
  return { status: 302, headers: { location: "/flows/-/default/authentication/?next=/device" } };
}
