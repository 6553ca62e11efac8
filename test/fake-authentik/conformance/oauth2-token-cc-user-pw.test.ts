/**
 * authentik/providers/oauth2/tests/test_token_cc_user_pw.py (class TestTokenClientCredentialsUserNamePassword),
 * ported to HTTP against the fake: the client_credentials / password grant with username + app password, as NetBird
 * uses it. setUp: a provider "test" with a test flow, redirect URI http://testserver, a test certificate as signing
 * key and every scope mapping; application "test"; admin user "sa" made a service account; its app password
 * "sa-token" (not expiring).
 */
import { expect } from "vitest";
import {
  atOrAfter,
  conformance,
  createApplication,
  createProvider,
  createTestAdminUser,
  createTestCert,
  createTestFlow,
  createTestUser,
  createToken,
  decodeJwt,
  redirectUri,
  since,
  tokenRequest,
  type Answer,
  type Case,
  type Tag,
} from "./helpers.ts";

const CASES: Record<string, readonly Tag[]> = {
  "TestTokenClientCredentialsUserNamePassword.test_wrong_user": since("version/2024.10.2"),
  "TestTokenClientCredentialsUserNamePassword.test_wrong_token": since("version/2024.10.2"),
  "TestTokenClientCredentialsUserNamePassword.test_no_provider": since("version/2024.10.2"),
  "TestTokenClientCredentialsUserNamePassword.test_deactivate": since("version/2026.2.2"),
  "TestTokenClientCredentialsUserNamePassword.test_permission_denied": since("version/2024.10.2"),
  "TestTokenClientCredentialsUserNamePassword.test_successful": since("version/2024.10.2"),
  "TestTokenClientCredentialsUserNamePassword.test_successful_two_tokens": since("version/2025.10.0"),
  "TestTokenClientCredentialsUserNamePassword.test_successful_password": since("version/2024.10.2"),
};

const NOT_PORTED = {
  "TestTokenClientCredentialsUserNamePassword.test_permission_denied": {
    tags: since("version/2024.10.2"),
    reason: "needs policies the fake does not model (a PolicyBinding of a group to the application)",
  },
};

const { port, done } = conformance(CASES, NOT_PORTED);

const INVALID_GRANT =
  "The provided authorization grant or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client";

function setUp(c: Case) {
  const provider = createProvider(c, {
    name: "test",
    authorization_flow: createTestFlow(c.store).pk,
    redirect_uris: [redirectUri(c, "http://testserver")],
    signing_key: createTestCert(c.store).pk,
  });
  provider.property_mappings = [...c.store.scopeMappings.keys()];
  const app = createApplication(c.store, { name: "test", slug: "test", provider: provider.pk });
  const user = createTestAdminUser(c.store, "sa");
  user.type = "service_account";
  const token = createToken(c.store, { identifier: "sa-token", user: user.pk, intent: "app_password", expiring: false });
  return { provider, app, user, token };
}

/** The error body the case expects: `request_id` (= the `X-authentik-id` header) only in the 2025.10.0+ sources. */
function expectInvalidGrant(c: Case, res: Answer) {
  expect(res.status).toBe(400);
  expect(res.body).toEqual({
    error: "invalid_grant",
    error_description: INVALID_GRANT,
    ...(atOrAfter(c.tag, "version/2025.10.0") ? { request_id: res.headers["x-authentik-id"] } : {}),
  });
}

port("TestTokenClientCredentialsUserNamePassword.test_wrong_user", async (c) => {
  const { provider, token } = setUp(c);
  const res = await tokenRequest(c.fake, { grant_type: "client_credentials", scope: "openid", client_id: provider.client_id, username: "saa", password: token.key });
  expectInvalidGrant(c, res);
});

port("TestTokenClientCredentialsUserNamePassword.test_wrong_token", async (c) => {
  const { provider, token } = setUp(c);
  const res = await tokenRequest(c.fake, { grant_type: "client_credentials", scope: "openid", client_id: provider.client_id, username: "sa", password: `${token.key}foo` });
  expectInvalidGrant(c, res);
});

port("TestTokenClientCredentialsUserNamePassword.test_no_provider", async (c) => {
  const { provider, app, token } = setUp(c);
  app.provider = null;
  const res = await tokenRequest(c.fake, { grant_type: "client_credentials", scope: "openid", client_id: provider.client_id, username: "sa", password: token.key });
  expectInvalidGrant(c, res);
});

port("TestTokenClientCredentialsUserNamePassword.test_deactivate", async (c) => {
  const { provider, user, token } = setUp(c);
  user.is_active = false;
  const res = await tokenRequest(c.fake, { grant_type: "client_credentials", scope: "openid", client_id: provider.client_id, username: "sa", password: token.key });
  expectInvalidGrant(c, res);
});

/** The success assertions: Bearer, and both JWTs (RS256 with the signing key, audience the client id) carry the profile claims. */
function expectTokens(c: Case, res: Answer, provider: ReturnType<typeof setUp>["provider"], user: ReturnType<typeof setUp>["user"], withIdToken: boolean) {
  expect(res.status).toBe(200);
  expect(res.body.token_type).toBe("Bearer");
  const key = c.store.certificates.get(provider.signing_key!)!.publicKey;
  const jwts = withIdToken ? [res.body.access_token, res.body.id_token] : [res.body.access_token];
  for (const jwt of jwts) {
    const claims = decodeJwt(jwt, key, "RS256", provider.client_id);
    expect(claims.given_name).toBe(user.name);
    expect(claims.preferred_username).toBe(user.username);
  }
}

port("TestTokenClientCredentialsUserNamePassword.test_successful", async (c) => {
  const { provider, user, token } = setUp(c);
  const res = await tokenRequest(c.fake, {
    grant_type: "client_credentials",
    scope: "openid email profile",
    client_id: provider.client_id,
    username: "sa",
    password: token.key,
  });
  expectTokens(c, res, provider, user, true);
});

port("TestTokenClientCredentialsUserNamePassword.test_successful_two_tokens", async (c) => {
  const { provider, user, token } = setUp(c);
  createToken(c.store, { identifier: "sa-token-two", user: createTestUser(c.store).pk, intent: "app_password", expiring: false, key: token.key });
  const res = await tokenRequest(c.fake, {
    grant_type: "client_credentials",
    scope: "openid email profile",
    client_id: provider.client_id,
    username: "sa",
    password: token.key,
  });
  expectTokens(c, res, provider, user, true);
});

port("TestTokenClientCredentialsUserNamePassword.test_successful_password", async (c) => {
  const { provider, user, token } = setUp(c);
  const res = await tokenRequest(c.fake, { grant_type: "password", scope: "openid email profile", client_id: provider.client_id, username: "sa", password: token.key });
  expectTokens(c, res, provider, user, false);
});

done();
