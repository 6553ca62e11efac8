/**
 * The OIDC side for the objects the fake holds: discovery (issuer from the request's Host and
 * X-Forwarded-Proto), JWKS, the token endpoint (client_credentials / password as NetBird sends them, username + app
 * password or the client secret; authorization_code and refresh_token for codes and refresh tokens in the store;
 * device_code polling), id_tokens and access tokens shaped like authentik's `IDToken` with the managed scope
 * mappings' claims, JWE when the provider has an encryption key, the device authorization endpoint, the `/device`
 * page (with a browser session from `store.sessions`) and `/.well-known/webfinger`.
 */
import { constants, createCipheriv, createHash, createHmac, publicEncrypt, randomBytes, sign, X509Certificate, type KeyObject } from "node:crypto";
import { atLeast, brandFor, isExpired } from "./api.ts";
import type { Version } from "./schema.ts";
import { randomKey, type AccessToken, type Flow, type Provider, type RefreshToken, type Store, type User } from "./store.ts";
import { userUid } from "./wire.ts";

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
  // The key pair's certificate too (omitted only with `?exclude_x5`): DER in base64, SHA-1 and SHA-256 thumbprints.
  const der = new X509Certificate(cert.certificatePem).raw;
  const x5 = { x5c: [der.toString("base64")], x5t: createHash("sha1").update(der).digest("base64url"), "x5t#S256": createHash("sha256").update(der).digest("base64url") };
  return { status: 200, body: { keys: [{ kty: "RSA", alg: "RS256", use: "sig", kid: createHash("md5").update(cert.pk).digest("hex"), n: jwk.n, e: jwk.e, ...x5 }] } };
}

/** `CertificateKeyPair.kid` stand-in: a stable id per key pair. */
function kidOf(pk: string): string {
  return createHash("md5").update(pk).digest("hex");
}

/**
 * `OAuth2Provider.encode` (providers/oauth2/models.py): RS256 with the signing key (header `kid`), else HS256 with
 * the client secret; with an `encryption_key` the JWT is then wrapped in a compact JWE (`encrypt`: RSA-OAEP-256 +
 * A256CBC-HS512, header `typ: JWE` and the encryption key's `kid`; from 2024.10, version/2024.10.2 models.py).
 */
export function encodeJwt(store: Store, provider: Provider, claims: Record<string, unknown>): string {
  const cert = provider.signing_key ? store.certificates.get(provider.signing_key) : undefined;
  const header = cert ? { alg: "RS256", typ: "JWT", kid: kidOf(cert.pk) } : { alg: "HS256", typ: "JWT" };
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  const sig = cert ? sign("sha256", Buffer.from(input), cert.privateKey) : createHmac("sha256", provider.client_secret).update(input).digest();
  const jws = `${input}.${b64(sig)}`;
  const enc = provider.encryption_key ? store.certificates.get(provider.encryption_key) : undefined;
  return enc ? encryptJwe(jws, enc.publicKey, kidOf(enc.pk)) : jws;
}

/** RFC 7516 compact serialisation with RSA-OAEP-256 and A256CBC-HS512 (RFC 7518 §5.2.5), what jwcrypto produces. */
function encryptJwe(plaintext: string, key: KeyObject, kid: string): string {
  const header = b64(JSON.stringify({ alg: "RSA-OAEP-256", enc: "A256CBC-HS512", typ: "JWE", kid }));
  const cek = randomBytes(64);
  const encryptedKey = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, cek);
  const iv = randomBytes(16);
  const cipher = createCipheriv("aes-256-cbc", cek.subarray(32), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const aad = Buffer.from(header, "ascii");
  const al = Buffer.alloc(8);
  al.writeBigUInt64BE(BigInt(aad.length * 8));
  const tag = createHmac("sha512", cek.subarray(0, 32))
    .update(Buffer.concat([aad, iv, ciphertext, al]))
    .digest()
    .subarray(0, 32);
  return [header, b64(encryptedKey), b64(iv), b64(ciphertext), b64(tag)].join(".");
}

/**
 * `TokenError.errors` / `DeviceCodeError.errors` (providers/oauth2/errors.py; the texts are the same at
 * version/2024.2.0 and version/2025.10.0, `slow_down` only from 2025.8 — its missing spaces are authentik's).
 */
const TOKEN_ERRORS: Record<string, string> = {
  invalid_request: "The request is otherwise malformed",
  invalid_client: "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)",
  invalid_grant: INVALID_GRANT,
  unauthorized_client: "The authenticated client is not authorized to use this authorization grant type",
  unsupported_grant_type: "The authorization grant type is not supported by the authorization server",
  invalid_scope: "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner",
  authorization_pending: "The authorization request is still pending as the end user hasn't yet completed the user-interaction steps",
  access_denied: "The authorization request was denied.",
  expired_token:
    'The "device_code" has expired, and the device authorization session has concluded.  The client MAY commence a new device authorization request but SHOULD wait for user interaction before restarting to avoid unnecessary polling.',
  slow_down:
    'A variant of "authorization_pending", the authorization request isstill pending and polling should continue, but the interval MUSTbe increased by 5 seconds for this and all subsequent requests.',
};

/**
 * `OAuth2Error.create_dict`: `{error, error_description}`, plus `request_id` (the response's `X-authentik-id`) from
 * 2025.8 (errors.py at version/2025.10.0; absent at version/2024.12.0).
 */
function oauthError(ctx: TokenCtx, error: string, status = 400): OidcResult {
  return {
    status,
    body: { error, error_description: TOKEN_ERRORS[error] ?? error, ...(atLeast(ctx.version, 2025, 8) ? { request_id: ctx.requestId } : {}) },
  };
}

/** `User.uid` as the API shows it (wire.ts), which is also the `hashed_user_id` subject (id_token.py). */
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
    case "user_upn":
      return typeof user.attributes.upn === "string" ? user.attributes.upn : userUid(user);
    default:
      return userUid(user);
  }
}

/**
 * What a scope mapping returns, for the managed mappings of `blueprints/system/providers-oauth2.yaml` (the fake
 * cannot run their Python expressions; it knows what they return). `email_verified` is True up to 2025.8 and False
 * from 2025.10 (the blueprint at version/2024.12.0 vs version/2025.10.0). Mappings without a managed id are not
 * evaluated and add nothing.
 */
function mappingClaims(store: Store, version: Version, user: User, managed: string | null): Record<string, unknown> {
  const groups = [...store.groups.values()]
    .filter((g) => g.users.includes(user.pk))
    .map((g) => g.name)
    .sort();
  switch (managed) {
    case "goauthentik.io/providers/oauth2/scope-email":
      return { email: user.email, email_verified: !atLeast(version, 2025, 10) };
    case "goauthentik.io/providers/oauth2/scope-profile":
      return { name: user.name, given_name: user.name, preferred_username: user.username, nickname: user.username, groups };
    case "goauthentik.io/providers/oauth2/scope-entitlements":
      return { entitlements: [], roles: [] };
    default:
      return {};
  }
}

/** `UserInfoView.get_claims`: the provider's mappings for the token's scopes, by scope name, deep-merged (lists appended). */
function userClaims(store: Store, version: Version, provider: Provider, user: User, scope: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const mappings = [...store.scopeMappings.values()]
    .filter((m) => provider.property_mappings.includes(m.pk) && scope.includes(m.scope_name))
    .sort((a, b) => (a.scope_name < b.scope_name ? -1 : a.scope_name > b.scope_name ? 1 : 0));
  for (const m of mappings) {
    for (const [k, v] of Object.entries(mappingClaims(store, version, user, m.managed))) {
      out[k] = Array.isArray(out[k]) && Array.isArray(v) ? [...(out[k] as unknown[]), ...v] : v;
    }
  }
  return out;
}

/** `OAuth2Provider.get_issuer`: the global root, else the application's root; None (left out) without an application. */
function issuerFor(store: Store, provider: Provider, base: string): string | undefined {
  if (provider.issuer_mode === "global") return `${base}/`;
  const app = store.applicationOf(provider);
  return app ? `${base}/application/o/${app.slug}/` : undefined;
}

/**
 * `IDToken.new(provider, token, request)` then `to_dict()` (providers/oauth2/id_token.py): `exp` is the grant's
 * expiry, `acr` authentik's default, `jti` from 2026.2 (absent at version/2025.10.0), the user's claims when the
 * provider includes claims in the id_token. No login event is known to the fake, so no `amr`; no sessions, so no
 * `sid`. Null values are left out.
 */
function idToken(ctx: TokenCtx, provider: Provider, grant: { user: number; scope: string[]; auth_time: number; expires: number }): Record<string, unknown> {
  const user = ctx.store.users.get(grant.user)!;
  const out: Record<string, unknown> = {};
  const iss = issuerFor(ctx.store, provider, ctx.base);
  if (iss !== undefined) out.iss = iss;
  Object.assign(out, {
    sub: subject(provider, user),
    aud: provider.client_id,
    exp: Math.floor(grant.expires / 1000),
    iat: Math.floor(Date.now() / 1000),
    auth_time: Math.floor(grant.auth_time / 1000),
    acr: "goauthentik.io/providers/oauth2/default",
  });
  if (atLeast(ctx.version, 2026, 2)) out.jti = randomKey(40);
  if (provider.include_claims_in_id_token) Object.assign(out, userClaims(ctx.store, ctx.version, provider, user, grant.scope));
  return out;
}

/** `IDToken.to_access_token`: the id_token plus `azp`, a random `uid` and (unless a mapping set one) `scope`. */
function accessJwt(ctx: TokenCtx, provider: Provider, id: Record<string, unknown>, scope: string[]): string {
  return encodeJwt(ctx.store, provider, { ...id, azp: provider.client_id, uid: randomKey(40), scope: id.scope ?? scope.join(" ") });
}

/** `AccessToken.at_hash`: base64url of the first half of the hex digest's bytes. */
function atHash(token: string): string {
  const hex = createHash("sha256").update(token, "ascii").digest("hex");
  return b64(Buffer.from(hex.slice(0, hex.length / 2), "hex"));
}

/** Python's `urllib.parse.unquote` (malformed escapes stay as they are, `+` stays a plus). */
function unquote(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "%" && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i]!, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

/**
 * `extract_client_auth` (providers/oauth2/utils.py): an `Authorization: Basic` header wins over the form's
 * `client_id`/`client_secret`; from 2026.2.2 both halves are percent-decoded (absent at version/2026.2.0).
 */
export function clientAuth(version: Version, form: URLSearchParams, authorization: string | undefined): [string, string] {
  if (authorization && /^Basic\s{1}.+$/.test(authorization)) {
    const decoded = Buffer.from(authorization.split(/\s+/)[1] ?? "", "base64").toString("utf8");
    const i = decoded.indexOf(":");
    let id = i < 0 ? decoded : decoded.slice(0, i);
    let secret = i < 0 ? "" : decoded.slice(i + 1);
    if (atLeast(version, 2026, 2)) [id, secret] = [unquote(id), unquote(secret)];
    return [id, secret];
  }
  return [form.get("client_id") ?? "", form.get("client_secret") ?? ""];
}

/**
 * `cors_allow` (providers/oauth2/utils.py): an `Origin` whose scheme, host and port equal one of the provider's
 * redirect URIs gets `Access-Control-Allow-Origin: <origin>` and `Access-Control-Allow-Credentials: true`.
 */
function corsHeaders(provider: Provider | undefined, origin: string | undefined): Record<string, string> {
  if (!origin || !provider) return {};
  const parse = (u: string) => {
    try {
      const x = new URL(u);
      return `${x.protocol}//${x.hostname}:${x.port}`;
    } catch {
      return undefined;
    }
  };
  const want = parse(origin);
  if (!want || !provider.redirect_uris.some((r) => parse(r.url) === want)) return {};
  return { "access-control-allow-origin": origin, "access-control-allow-credentials": "true", vary: "Origin" };
}

export interface TokenCtx {
  store: Store;
  version: Version;
  /** `<scheme>://<host>` of the request. */
  base: string;
  /** The request's id (`X-authentik-id`). */
  requestId: string;
}

/** The token endpoint (providers/oauth2/views/token.py, `TokenView.post` and `TokenParams`). */
export function token(ctx: TokenCtx, form: URLSearchParams, authorization?: string, origin?: string): OidcResult {
  const [clientId, clientSecret] = clientAuth(ctx.version, form, authorization);
  const provider = [...ctx.store.providers.values()].find((p) => p.type === "oauth2" && p.client_id === clientId);
  const result = provider ? grantFor(ctx, provider, clientSecret, form) : oauthError(ctx, "invalid_client");
  // TokenView.dispatch: CORS for the provider's redirect URIs, whatever the outcome.
  return { ...result, headers: { ...result.headers, ...corsHeaders(provider, origin) } };
}

function grantFor(ctx: TokenCtx, provider: Provider, clientSecret: string, form: URLSearchParams): OidcResult {
  const { store, version } = ctx;
  const grant = form.get("grant_type") ?? "";
  if (atLeast(version, 2026, 5) && !provider.grant_types.includes(grant)) return oauthError(ctx, "invalid_grant");
  if (grant === "authorization_code" || grant === "refresh_token") {
    // TokenParams.__post_init__: the secret first (confidential clients only) …
    if (provider.client_type === "confidential" && clientSecret !== provider.client_secret) return oauthError(ctx, "invalid_client");
  }
  // … then __check_scopes: requested scopes outside the provider's mappings are dropped (from 2024.12).
  const requested = [...new Set((form.get("scope") ?? "").split(/\s+/).filter(Boolean))];
  const allowed = new Set([...store.scopeMappings.values()].filter((m) => provider.property_mappings.includes(m.pk)).map((m) => m.scope_name));
  const scope = atLeast(version, 2024, 12) ? requested.filter((s) => allowed.has(s)) : requested;
  if (grant === "authorization_code") return codeGrant(ctx, provider, form);
  if (grant === "refresh_token") return refreshGrant(ctx, provider, form, scope);
  if (grant === "urn:ietf:params:oauth:grant-type:device_code") {
    // Nobody confirms device codes in the fake: a known one stays pending until it expires.
    const code = store.deviceCodes.find((d) => d.device_code === form.get("device_code") && d.client_id === provider.client_id);
    if (!code) return oauthError(ctx, "invalid_grant");
    if (code.expires < Date.now()) return oauthError(ctx, "expired_token");
    return oauthError(ctx, "authorization_pending");
  }
  // authentik handles the password grant like client_credentials.
  if (grant !== "client_credentials" && grant !== "password") return oauthError(ctx, "unsupported_grant_type");
  return clientCredentialsGrant(ctx, provider, clientSecret, form, scope);
}

/** `__post_init_client_credentials` and `create_client_credentials_response`. */
function clientCredentialsGrant(ctx: TokenCtx, provider: Provider, clientSecret: string, form: URLSearchParams, scope: string[]): OidcResult {
  const { store, version } = ctx;
  const app = store.applicationOf(provider);
  const username = form.get("username") ?? "";
  let user: User | undefined;
  if (username) {
    // __post_init_client_credentials_creds: the user by name (active only from 2025.12; version/2026.2.2) …
    user = [...store.users.values()].find((u) => u.username === username && (u.is_active || !atLeast(version, 2025, 12)));
    if (!user) return oauthError(ctx, "invalid_grant");
    const password = form.get("password") ?? "";
    // … then `Token.filter_not_expired(key=…, intent=app_password[, user=…])`, which deletes the expired matches
    // first and takes the first one left. Up to 2025.8 it does not filter by user (version/2024.12.0), so the first
    // app password with that key decides; from 2025.10 the user's own (version/2025.10.0).
    const byUser = atLeast(version, 2025, 10);
    const matches = [...store.tokens.values()].filter((x) => x.key === password && x.intent === "app_password" && (!byUser || x.user === user!.pk));
    for (const x of matches.filter(isExpired)) store.tokens.delete(x.identifier);
    const t = matches.find((x) => !isExpired(x));
    if (!t || t.user !== user.pk) return oauthError(ctx, "invalid_grant");
    if (!app) return oauthError(ctx, "invalid_grant");
  } else if (clientSecret && clientSecret === provider.client_secret && atLeast(version, 2024, 4)) {
    if (!app) return oauthError(ctx, "invalid_grant");
    const name = `ak-${provider.name}-client_credentials`;
    user = store.userByName(name) ?? store.addUser({ username: name, type: "internal_service_account" });
  } else return oauthError(ctx, "invalid_grant");
  const now = Date.now();
  const expires = now + seconds(provider.access_token_validity) * 1000;
  const id = idToken(ctx, provider, { user: user.pk, scope, auth_time: now, expires });
  const access = issueAccess(ctx, provider, { user: user.pk, scope, auth_time: now, expires }, id);
  return { status: 200, body: tokenResponse(ctx, provider, access, encodeJwt(store, provider, id)) };
}

/** The common response: `scope` from 2025.2 (create_*_response at version/2025.10.0; absent at version/2024.12.0). */
function tokenResponse(ctx: TokenCtx, provider: Provider, access: AccessToken, idJwt: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    access_token: access.token,
    token_type: "Bearer",
    ...(atLeast(ctx.version, 2025, 2) ? { scope: access.scope.join(" ") } : {}),
    expires_in: seconds(provider.access_token_validity),
    id_token: idJwt,
    ...extra,
  };
}

function issueAccess(ctx: TokenCtx, provider: Provider, grant: Omit<AccessToken, "token" | "id_token" | "provider" | "revoked">, id: Record<string, unknown>): AccessToken {
  const access: AccessToken = { ...grant, provider: provider.pk, revoked: false, id_token: id, token: accessJwt(ctx, provider, id, grant.scope) };
  ctx.store.accessTokens.push(access);
  return access;
}

/** `__post_init_code` + `create_code_response`. */
function codeGrant(ctx: TokenCtx, provider: Provider, form: URLSearchParams): OidcResult {
  const { store, version } = ctx;
  const raw = form.get("code") ?? "";
  if (!raw) return oauthError(ctx, "invalid_grant");
  // __check_redirect_uri comes before the code is looked up.
  const redirect = form.get("redirect_uri") ?? "";
  if (!authorizationRedirects(provider, version).some((r) => redirectMatches(r, redirect))) {
    store.addEvent("configuration_error", "Invalid redirect URI used by provider", { provider: provider.name, redirect_uri: redirect });
    return oauthError(ctx, "invalid_client");
  }
  const code = store.authorizationCodes.find((c) => c.code === raw);
  if (!code || code.expires < Date.now() || code.provider !== provider.pk) return oauthError(ctx, "invalid_grant");
  const verifier = form.get("code_verifier");
  if (code.code_challenge) {
    if (!verifier) return oauthError(ctx, "invalid_grant");
    const challenge = code.code_challenge_method === "S256" ? b64(createHash("sha256").update(verifier, "ascii").digest()) : verifier;
    if (challenge !== code.code_challenge) return oauthError(ctx, "invalid_grant");
  } else if (verifier) return oauthError(ctx, "invalid_grant");
  const now = Date.now();
  const grant = { user: code.user, scope: code.scope, auth_time: code.auth_time, expires: now + seconds(provider.access_token_validity) * 1000 };
  const id = idToken(ctx, provider, grant);
  if (code.nonce !== null) id.nonce = code.nonce;
  const access = issueAccess(ctx, provider, grant, id);
  const extra: Record<string, unknown> = {};
  if (code.scope.includes("offline_access")) {
    const refresh = newRefresh(ctx, provider, code, access, code.nonce);
    extra.refresh_token = refresh.token;
  }
  store.authorizationCodes = store.authorizationCodes.filter((c) => c !== code);
  return { status: 200, body: tokenResponse(ctx, provider, access, encodeJwt(store, provider, id), extra) };
}

function newRefresh(ctx: TokenCtx, provider: Provider, from: { user: number; scope: string[]; auth_time: number }, access: AccessToken, nonce: unknown): RefreshToken {
  const expires = Date.now() + seconds(String(provider.refresh_token_validity)) * 1000;
  const id = idToken(ctx, provider, { user: from.user, scope: from.scope, auth_time: from.auth_time, expires });
  if (nonce !== null && nonce !== undefined) id.nonce = nonce;
  id.at_hash = atHash(access.token);
  return ctx.store.addRefreshToken({ provider: provider.pk, user: from.user, scope: [...from.scope], auth_time: from.auth_time, expires, id_token: id });
}

/** `__post_init_refresh` + `create_refresh_response`, per release. */
function refreshGrant(ctx: TokenCtx, provider: Provider, form: URLSearchParams, requested: string[]): OidcResult {
  const { store, version } = ctx;
  const raw = form.get("refresh_token") ?? "";
  if (!raw) return oauthError(ctx, "invalid_grant");
  const old = store.refreshTokens.find((t) => t.token === raw && t.provider === provider.pk);
  if (!old || old.expires < Date.now()) return oauthError(ctx, "invalid_grant");
  // RFC 6749 §6: without a scope the refresh token's scopes apply.
  const scope = requested.length ? requested : old.scope;
  if (old.revoked) {
    store.addEvent("suspicious_request", "Revoked refresh token was used", { provider: provider.name, user: old.user });
    return oauthError(ctx, "invalid_grant");
  }
  if (scope.some((s) => !old.scope.includes(s)) || !scope.includes("offline_access")) return oauthError(ctx, "invalid_scope");
  const now = Date.now();
  const grant = { user: old.user, scope: old.scope, auth_time: old.auth_time, expires: now + seconds(provider.access_token_validity) * 1000 };
  const id = idToken(ctx, provider, grant);
  const access = issueAccess(ctx, provider, grant, id);
  // Up to 2024.12 a new refresh token every time; from 2025.10 only at `refresh_token_threshold` "seconds=0" or when
  // the condition holds: `(now - expires) > threshold` at version/2025.10.0 and version/2026.2.2 (so never for an
  // unexpired token), `(expires - now) < threshold` on main at addbf5a2f (2026.5.0-rc1).
  const threshold = seconds(String(provider.refresh_token_threshold ?? "seconds=0")) * 1000;
  const renew = !atLeast(version, 2025, 10) || threshold === 0 || (atLeast(version, 2026, 5) ? old.expires - now < threshold : now - old.expires > threshold);
  if (!renew) return { status: 200, body: tokenResponse(ctx, provider, access, encodeJwt(store, provider, id)) };
  const refresh = newRefresh(ctx, provider, old, access, old.id_token.nonce);
  old.revoked = true;
  // At 2024.2 the answer's id_token is the new refresh token's (views/token.py at version/2024.2.0), from 2024.10 the
  // access token's (version/2024.10.2).
  const idJwt = encodeJwt(store, provider, atLeast(version, 2024, 4) ? id : refresh.id_token);
  return { status: 200, body: tokenResponse(ctx, provider, access, idJwt, { refresh_token: refresh.token }) };
}

/**
 * `POST /application/o/device/` (views/device_backchannel.py): anonymous, throttled per client IP
 * (`throttle.providers.oauth2.device`, default 20/hour); the provider must back an application; no secret and no
 * brand are checked. The client id comes from the form up to 2026.2.0 and from `extract_client_auth` from 2026.2.2
 * (Basic header first). Errors: an empty 400 (429 when throttled) up to 2025.6 (version/2024.12.0), from 2025.8 a
 * JSON `DeviceCodeError` (version/2025.10.0).
 */
export function deviceAuthorization(ctx: TokenCtx, form: URLSearchParams, clientIp: string, authorization?: string, limitPerHour = 20): OidcResult {
  const { store, version } = ctx;
  const json = atLeast(version, 2025, 8);
  const now = Date.now();
  const seen = (store.deviceRequests.get(clientIp) ?? []).filter((at) => at > now - 3_600_000);
  if (seen.length >= limitPerHour) return json ? oauthError(ctx, "slow_down", 429) : { status: 429 };
  store.deviceRequests.set(clientIp, [...seen, now]);
  const clientId = atLeast(version, 2026, 2) ? clientAuth(version, form, authorization)[0] : (form.get("client_id") ?? "");
  const provider = clientId ? [...store.providers.values()].find((p) => p.type === "oauth2" && p.client_id === clientId) : undefined;
  if (!provider || !store.applicationOf(provider)) return json ? oauthError(ctx, "invalid_client") : { status: 400 };
  // 2026.5+: a provider without the device-code grant is `invalid_client` (branch providers/oauth2/allowed-grant-types
  // @bce868b, authentik PR #20363; no release tag was available).
  if (atLeast(version, 2026, 5) && !provider.grant_types.includes("urn:ietf:params:oauth:grant-type:device_code")) return oauthError(ctx, "invalid_client");
  const userCode = randomBytes(4).toString("hex").toUpperCase();
  const expiresIn = seconds(provider.access_code_validity);
  store.deviceCodes.push({
    device_code: randomBytes(32).toString("hex"),
    user_code: userCode,
    client_id: provider.client_id,
    expires: now + expiresIn * 1000,
    scope: form.get("scope") ?? "",
  });
  const code = store.deviceCodes.at(-1)!;
  return {
    status: 200,
    body: {
      device_code: code.device_code,
      verification_uri: `${ctx.base}/device`,
      verification_uri_complete: `${ctx.base}/device?code=${userCode}`,
      user_code: userCode,
      expires_in: expiresIn,
      interval: 5,
    },
  };
}

/** `FlowPlanner._check_authentication` (flows/planner.py): may this user run the flow? Policies are not modelled. */
function applicable(store: Store, flow: Flow, user: User): boolean {
  switch (flow.authentication) {
    case "require_unauthenticated":
      return false;
    case "require_superuser":
      return store.isSuperuser(user);
    case "require_redirect":
    case "require_outpost":
      return false;
    default:
      return true;
  }
}

/**
 * Redirect to the flow interface keeping the query (`redirect_with_qs`); from 2025.10 `FlowPlan.to_redirect` adds
 * `inspector=available` for a user who may inspect flows (superusers) (flows/planner.py at version/2025.10.0, not at
 * version/2024.12.0).
 */
function toFlow(store: Store, version: Version, flow: Flow, query: URLSearchParams, user: User): OidcResult {
  const qs = new URLSearchParams(query);
  if (atLeast(version, 2025, 10) && store.isSuperuser(user)) qs.set("inspector", "available");
  const text = qs.toString();
  return { status: 302, headers: { location: `/if/flow/${flow.slug}/${text ? `?${text}` : ""}` } };
}

/**
 * The code-entry page `/device` is `login_required(DeviceEntryView)` (providers/oauth2/urls_root.py): without a
 * session it redirects to the login flow. With one (the `authentik_session` cookie of a session in
 * `store.sessions`): a bare 404 when the brand serving the host has no `flow_device_code`; a `code` query naming a
 * device code whose provider backs an application sends the user to the provider's authorization flow (2024.2:
 * `validate_code`, an unknown code falls through; from 2024.10 `CodeValidatorView`, a `PolicyAccessView`, so an
 * unknown code is the "Permission denied" page); otherwise to the brand's device-code flow (views/device_init.py).
 */
export function devicePage(store: Store, version: Version, host: string, query: URLSearchParams, user: User | undefined): OidcResult {
  if (!user) return { status: 302, headers: { location: "/flows/-/default/authentication/?next=/device" } };
  const brand = brandFor(store, host, version);
  const deviceFlow = brand?.flow_device_code ? store.flows.get(brand.flow_device_code) : undefined;
  if (!deviceFlow) return { status: 404 };
  const code = query.get("code");
  if (code !== null) {
    const token = store.deviceCodes.find((d) => d.user_code === code);
    const provider = token ? [...store.providers.values()].find((p) => p.type === "oauth2" && p.client_id === token.client_id) : undefined;
    const app = provider ? store.applicationOf(provider) : undefined;
    if (!app && atLeast(version, 2024, 10)) return { status: 200, headers: { "content-type": "text/html; charset=utf-8" }, body: ACCESS_DENIED };
    const authFlow = provider?.authorization_flow ? store.flows.get(provider.authorization_flow) : undefined;
    if (app && authFlow && applicable(store, authFlow, user)) return toFlow(store, version, authFlow, query, user);
  }
  if (!applicable(store, deviceFlow, user)) return { status: 404 };
  return toFlow(store, version, deviceFlow, query, user);
}

const ACCESS_DENIED = "<!DOCTYPE html><html><head><title>Permission denied - authentik</title></head><body><h1>Permission denied</h1></body></html>";

/**
 * `WebFingerView` (brands/views/webfinger.py, from 2024.8): the brand serving the host; when its
 * `default_application` is bound to an OAuth2 provider (the only `WebfingerProvider`), the issuer link
 * (`OAuth2Provider.webfinger`), else `{}`. Always `application/jrd+json` with `Access-Control-Allow-Origin: *`.
 */
export function webfinger(store: Store, version: Version, host: string, base: string, resource: string | null): OidcResult {
  const headers = { "content-type": "application/jrd+json", "access-control-allow-origin": "*" };
  const brand = brandFor(store, host, version);
  const app = brand?.default_application ? store.applications.get(String(brand.default_application)) : undefined;
  const provider = app?.provider != null ? store.providers.get(app.provider) : undefined;
  if (!app || !provider || provider.type !== "oauth2") return { status: 200, headers, body: {} };
  return { status: 200, headers, body: { subject: resource, links: [{ rel: "http://openid.net/specs/connect/1.0/issuer", href: `${base}/application/o/${app.slug}/` }] } };
}
