/**
 * authentik/providers/oauth2/tests/test_token.py (class TestToken), ported to HTTP against the fake: the token
 * endpoint's authorization_code and refresh_token grants, with codes and refresh tokens arranged in the store like
 * the case creates them in the database. setUp: an application with slug "test" and no provider; `self.keypair`
 * (OAuthTestCase) a test certificate.
 */
import { expect } from "vitest";
import type { AccessToken, Provider, RefreshToken, User } from "../store.ts";
import {
  ALL_TAGS,
  atOrAfter,
  basic,
  conformance,
  createApplication,
  createProvider,
  createTestAdminUser,
  createTestCert,
  createTestFlow,
  decodeJwt,
  decryptJwe,
  generateId,
  jwtParts,
  redirectUri,
  since,
  tokenRequest,
  type Answer,
  type Case,
  type Tag,
} from "./helpers.ts";

const CASES: Record<string, readonly Tag[]> = {
  "TestToken.test_request_auth_code": ALL_TAGS,
  "TestToken.test_request_auth_code_invalid": ALL_TAGS,
  "TestToken.test_request_refresh_token": ALL_TAGS,
  "TestToken.test_extract_client_auth_basic_auth_percent_decodes": since("version/2026.2.2"),
  "TestToken.test_extract_client_auth_basic_auth_preserves_raw_plus": since("version/2026.2.2"),
  "TestToken.test_auth_code_view": ALL_TAGS,
  "TestToken.test_auth_code_enc": since("version/2024.10.2"),
  "TestToken.test_refresh_token_view": ALL_TAGS,
  "TestToken.test_refresh_token_view_invalid_origin": ALL_TAGS,
  "TestToken.test_refresh_token_revoke": ALL_TAGS,
  "TestToken.test_refresh_token_view_threshold": since("version/2025.10.0"),
  "TestToken.test_scope_claim_override_via_property_mapping": since("version/2026.2.2"),
};

const PYTHON = (what: string) => `tests ${what} in Python (RequestFactory, no HTTP request)`;
const NOT_PORTED = {
  "TestToken.test_request_auth_code": { tags: ALL_TAGS, reason: PYTHON("TokenParams.parse") },
  "TestToken.test_request_auth_code_invalid": { tags: ALL_TAGS, reason: PYTHON("TokenParams.parse") },
  "TestToken.test_request_refresh_token": { tags: ALL_TAGS, reason: PYTHON("TokenParams.parse") },
  "TestToken.test_extract_client_auth_basic_auth_percent_decodes": { tags: since("version/2026.2.2"), reason: PYTHON("extract_client_auth") },
  "TestToken.test_extract_client_auth_basic_auth_preserves_raw_plus": { tags: since("version/2026.2.2"), reason: PYTHON("extract_client_auth") },
  "TestToken.test_scope_claim_override_via_property_mapping": {
    tags: since("version/2026.2.2"),
    reason: "needs a custom scope mapping's Python expression evaluated (the fake only knows what the managed mappings return)",
  },
};

const { port, done } = conformance(CASES, NOT_PORTED);

const MAPPINGS = ["openid", "email", "profile", "offline_access"].map((s) => `goauthentik.io/providers/oauth2/scope-${s}`);

function setUp(c: Case) {
  return { app: createApplication(c.store, { name: generateId(), slug: "test", provider: null }), keypair: createTestCert(c.store) };
}

/** `OAuth2Provider.objects.create(name, authorization_flow, redirect_uris, signing_key[, …])`. */
function provider(c: Case, keypair: string, redirect: string, extra: Partial<Provider> = {}): Provider {
  return createProvider(c, {
    name: generateId(),
    authorization_flow: createTestFlow(c.store).pk,
    redirect_uris: [redirectUri(c, redirect)],
    signing_key: keypair,
    ...extra,
  });
}

/** `provider.property_mappings.set(ScopeMapping.objects.filter(managed__in=[openid, email, profile, offline_access]))`. */
function withMappings(c: Case, p: Provider) {
  p.property_mappings = [...c.store.scopeMappings.values()].filter((m) => m.managed !== null && MAPPINGS.includes(m.managed)).map((m) => m.pk);
}

/** `RefreshToken.objects.create(provider, user, token=generate_id(), _id_token="{}", auth_time=now, _scope="offline_access")`. */
function refreshToken(c: Case, p: Provider, user: User, extra: Partial<RefreshToken> = {}): RefreshToken {
  return c.store.addRefreshToken({ provider: p.pk, user: user.pk, token: generateId(), id_token: {}, auth_time: Date.now(), scope: ["offline_access"], ...extra });
}

const accessOf = (c: Case, p: Provider, user: User) => c.store.accessTokens.filter((a) => a.provider === p.pk && a.user === user.pk);
const refreshOf = (c: Case, p: Provider, user: User) => c.store.refreshTokens.filter((t) => t.provider === p.pk && t.user === user.pk);

function verifyKey(c: Case, p: Provider): [import("node:crypto").KeyObject | string, "RS256" | "HS256"] {
  return p.signing_key ? [c.store.certificates.get(p.signing_key)!.publicKey, "RS256"] : [p.client_secret, "HS256"];
}

/** `OAuthTestCase.validate_jwt`: the access token decodes for the client; both it and the id_token have the required keys. */
function validateJwt(c: Case, token: string, idToken: Record<string, unknown>, p: Provider) {
  const [key, alg] = verifyKey(c, p);
  const jwt = decodeJwt(token, key, alg, p.client_id);
  for (const k of ["at_hash", "nonce", "c_hash", "amr", "auth_time"]) if (k in idToken) expect(idToken[k]).not.toBeNull();
  for (const k of ["exp", "iat", "acr", "sub", "iss"]) {
    expect(jwt[k], `Key ${k} is missing in access_token`).toBeDefined();
    expect(jwt[k]).not.toBeNull();
    expect(idToken[k], `Key ${k} is missing in id_token`).toBeDefined();
    expect(idToken[k]).not.toBeNull();
  }
  return jwt;
}

/**
 * `assertJSONEqual(response, {…, "id_token": provider.encode(<id token>.to_dict()), …})`: the same keys and values;
 * the id_token is the provider's signature over that id token (decoded and compared).
 */
function expectBody(c: Case, res: Answer, p: Provider, expected: Record<string, unknown>, idToken: Record<string, unknown>) {
  expect(Object.keys(res.body).sort()).toEqual([...Object.keys(expected), "id_token"].sort());
  for (const [k, v] of Object.entries(expected)) expect(res.body[k], k).toEqual(v);
  const [key, alg] = verifyKey(c, p);
  const { header, payload } = jwtParts(res.body.id_token);
  decodeJwt(res.body.id_token, key, alg, p.client_id);
  expect(header.alg).toBe(alg);
  expect(payload).toEqual(idToken);
}

const scopeField = (c: Case, scope: string) => (atOrAfter(c.tag, "version/2025.10.0") ? { scope } : {});

port("TestToken.test_auth_code_view", async (c) => {
  const { app, keypair } = setUp(c);
  const p = provider(c, keypair.pk, "http://local.invalid");
  app.provider = p.pk;
  const user = createTestAdminUser(c.store);
  c.store.addAuthorizationCode({ code: "foobar", provider: p.pk, user: user.pk, auth_time: Date.now() });
  const res = await tokenRequest(
    c.fake,
    { grant_type: "authorization_code", code: "foobar", redirect_uri: "http://local.invalid" },
    { basic: basic(p.client_id, p.client_secret) },
  );
  const access = accessOf(c, p, user)[0]!;
  expectBody(c, res, p, { access_token: access.token, token_type: "Bearer", expires_in: 3600, ...scopeField(c, "") }, access.id_token);
  validateJwt(c, access.token, access.id_token, p);
});

port("TestToken.test_auth_code_enc", async (c) => {
  const { app, keypair } = setUp(c);
  const p = provider(c, keypair.pk, "http://local.invalid", { encryption_key: keypair.pk });
  app.provider = p.pk;
  const user = createTestAdminUser(c.store);
  c.store.addAuthorizationCode({ code: "foobar", provider: p.pk, user: user.pk, auth_time: Date.now() });
  const res = await tokenRequest(
    c.fake,
    { grant_type: "authorization_code", code: "foobar", redirect_uri: "http://local.invalid" },
    { basic: basic(p.client_id, p.client_secret) },
  );
  expect(res.status).toBe(200);
  const access: AccessToken = accessOf(c, p, user)[0]!;
  // validate_jwe: decrypt with the encryption key's private key, then validate_jwt.
  const inner = decryptJwe(access.token, c.store.certificates.get(p.encryption_key!)!.privateKey);
  validateJwt(c, inner, access.id_token, p);
});

/** POST the refresh_token grant as the cases do (Basic auth, redirect_uri, optional Origin). */
const refresh = (c: Case, p: Provider, token: string, redirect: string, origin?: string) =>
  tokenRequest(
    c.fake,
    { grant_type: "refresh_token", refresh_token: token, redirect_uri: redirect },
    { basic: basic(p.client_id, p.client_secret), ...(origin ? { origin } : {}) },
  );

/** The id_token the refresh answer carries: the new refresh token's in the 2024.2.0 source, later the access token's. */
const refreshIdToken = (c: Case, access: AccessToken, newRefresh: RefreshToken) => (atOrAfter(c.tag, "version/2024.10.2") ? access.id_token : newRefresh.id_token);

port("TestToken.test_refresh_token_view", async (c) => {
  const { app, keypair } = setUp(c);
  const p = provider(c, keypair.pk, "http://local.invalid");
  withMappings(c, p);
  app.provider = p.pk;
  const user = createTestAdminUser(c.store);
  const token = refreshToken(c, p, user);
  const res = await refresh(c, p, token.token, "http://local.invalid", "http://local.invalid");
  expect(res.headers["access-control-allow-credentials"]).toBe("true");
  expect(res.headers["access-control-allow-origin"]).toBe("http://local.invalid");
  const access = accessOf(c, p, user)[0]!;
  const newRefresh = refreshOf(c, p, user).find((t) => !t.revoked)!;
  expectBody(
    c,
    res,
    p,
    { access_token: access.token, refresh_token: newRefresh.token, token_type: "Bearer", expires_in: 3600, ...scopeField(c, "offline_access") },
    refreshIdToken(c, access, newRefresh),
  );
  validateJwt(c, access.token, access.id_token, p);
});

port("TestToken.test_refresh_token_view_invalid_origin", async (c) => {
  const { keypair } = setUp(c);
  const p = provider(c, keypair.pk, "http://local.invalid");
  withMappings(c, p);
  const user = createTestAdminUser(c.store);
  const token = refreshToken(c, p, user);
  const res = await refresh(c, p, token.token, "http://local.invalid", "http://another.invalid");
  const access = accessOf(c, p, user)[0]!;
  const newRefresh = refreshOf(c, p, user).find((t) => !t.revoked)!;
  expect(res.headers).not.toHaveProperty("access-control-allow-credentials");
  expect(res.headers).not.toHaveProperty("access-control-allow-origin");
  expectBody(
    c,
    res,
    p,
    { access_token: access.token, refresh_token: newRefresh.token, token_type: "Bearer", expires_in: 3600, ...scopeField(c, "offline_access") },
    refreshIdToken(c, access, newRefresh),
  );
});

port("TestToken.test_refresh_token_revoke", async (c) => {
  const { app, keypair } = setUp(c);
  const p = provider(c, keypair.pk, "http://testserver");
  withMappings(c, p);
  app.provider = p.pk;
  const user = createTestAdminUser(c.store);
  const token = refreshToken(c, p, user);
  // Create initial refresh token
  await refresh(c, p, token.token, "http://testserver");
  const newToken = refreshOf(c, p, user).find((t) => t !== token)!;
  // Post again with initial token -> get new refresh token and revoke old one
  expect((await refresh(c, p, newToken.token, "http://local.invalid")).status).toBe(200);
  // Post again with old token, is now revoked and should error
  expect((await refresh(c, p, newToken.token, "http://local.invalid")).status).toBe(400);
  expect(c.store.events.some((e) => e.action === "suspicious_request")).toBe(true);
});

port("TestToken.test_refresh_token_view_threshold", async (c) => {
  const { app, keypair } = setUp(c);
  const p = provider(c, keypair.pk, "http://local.invalid", { refresh_token_threshold: "hours=1" });
  withMappings(c, p);
  app.provider = p.pk;
  const user = createTestAdminUser(c.store);
  const fixed = c.tag === "addbf5a2f";
  // 2025.10.0 / 2026.2.2: the refresh token keeps the model's default expiry; addbf5a2f: now + 2 hours.
  const token = refreshToken(c, p, user, fixed ? { expires: Date.now() + 2 * 3_600_000 } : {});
  const res = await refresh(c, p, token.token, "http://local.invalid", "http://local.invalid");
  if (!fixed) {
    expect(res.headers["access-control-allow-credentials"]).toBe("true");
    expect(res.headers["access-control-allow-origin"]).toBe("http://local.invalid");
  }
  const access = accessOf(c, p, user)[0]!;
  expectBody(c, res, p, { access_token: access.token, token_type: "Bearer", expires_in: 3600, scope: "offline_access" }, access.id_token);
  validateJwt(c, access.token, access.id_token, p);
  if (!fixed) return;

  // with freeze_time(now() + 1h10m): the fake has no clock to move, so the refresh token's expiry moves 1h10m closer
  // instead (all the threshold looks at). The access token compared is this request's: in frozen time the first one
  // has expired and `AccessToken.objects` no longer returns it.
  token.expires -= 70 * 60_000;
  const again = await refresh(c, p, token.token, "http://local.invalid", "http://local.invalid");
  const latest = accessOf(c, p, user).at(-1)!;
  const newRefresh = refreshOf(c, p, user).at(-1)!;
  expect(newRefresh).not.toBe(token);
  expectBody(c, again, p, { access_token: latest.token, token_type: "Bearer", expires_in: 3600, scope: "offline_access", refresh_token: newRefresh.token }, latest.id_token);
  validateJwt(c, latest.token, latest.id_token, p);
});

done();
