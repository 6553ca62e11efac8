/**
 * authentik/core/tests/test_token_api.py (class TestTokenAPI), ported to HTTP against the fake.
 * setUp: a test user (2024.2.0: `User.objects.create(username="testuser")`), a test admin; requests as the user.
 */
import { expect } from "vitest";
import {
  ALL_TAGS,
  anonymousUser,
  atOrAfter,
  conformance,
  createTestAdminUser,
  createTestUser,
  createToken,
  forceLogin,
  generateId,
  isLoginToken,
  since,
  until,
  type Case,
  type Tag,
} from "./helpers.ts";

const CASES: Record<string, readonly Tag[]> = {
  "TestTokenAPI.test_token_create": ALL_TAGS,
  "TestTokenAPI.test_token_set_key": ALL_TAGS,
  "TestTokenAPI.test_token_create_invalid": ALL_TAGS,
  "TestTokenAPI.test_token_create_non_expiring": ALL_TAGS,
  "TestTokenAPI.test_token_create_expiring": since("version/2024.10.2"),
  "TestTokenAPI.test_token_create_expiring_custom_ok": since("version/2024.10.2"),
  "TestTokenAPI.test_token_create_expiring_custom_nok": since("version/2024.10.2"),
  "TestTokenAPI.test_token_create_expiring_custom_api": since("version/2024.10.2"),
  "TestTokenAPI.test_token_change_user": since("version/2024.10.2"),
  "TestTokenAPI.test_list": ALL_TAGS,
  "TestTokenAPI.test_list_admin": until("version/2025.10.0"),
  "TestTokenAPI.test_list_with_permission": since("version/2026.2.2"),
  "TestTokenAPI.test_serializer_no_request": ALL_TAGS,
};

const NOT_PORTED = {
  "TestTokenAPI.test_list_with_permission": { tags: since("version/2026.2.2"), reason: "needs RBAC (assign_perms_to_managed_role view_token)" },
  "TestTokenAPI.test_serializer_no_request": { tags: ALL_TAGS, reason: "tests the TokenSerializer in Python without a request, not HTTP" },
};

const { port, done } = conformance(CASES, NOT_PORTED);

const EXPIRING = "goauthentik.io/user/token-expires";
const MAX_LIFETIME = "goauthentik.io/user/token-maximum-lifetime";

function setUp(c: Case) {
  // 2024.2.0: User.objects.create(username="testuser"); later create_test_user().
  const user = atOrAfter(c.tag, "version/2024.10.2") ? createTestUser(c.store) : c.store.addUser({ username: "testuser", name: "" });
  const admin = createTestAdminUser(c.store);
  return { user, admin, client: forceLogin(c.fake, user) };
}

port("TestTokenAPI.test_token_create", async (c) => {
  const { user, client } = setUp(c);
  expect((await client.post("core/tokens/", { identifier: "test-token" })).status).toBe(201);
  const token = c.store.tokens.get("test-token")!;
  expect(token.user).toBe(user.pk);
  expect(token.intent).toBe("api");
  expect(token.expiring).toBe(true);
  // user.has_perm("authentik_core.view_token_key", token): the user may read the key.
  expect((await client.get("core/tokens/test-token/view_key/")).status).toBe(200);
});

port("TestTokenAPI.test_token_set_key", async (c) => {
  const { user, admin, client } = setUp(c);
  expect((await client.post("core/tokens/", { identifier: "test-token" })).status).toBe(201);
  const token = c.store.tokens.get("test-token")!;
  expect(token.user).toBe(user.pk);
  expect(token.intent).toBe("api");
  expect(token.expiring).toBe(true);
  expect((await client.get("core/tokens/test-token/view_key/")).status).toBe(200);

  const newKey = generateId();
  const res = await forceLogin(c.fake, admin).post(`core/tokens/${token.identifier}/set_key/`, { key: newKey });
  expect(res.status).toBe(204);
  expect(c.store.tokens.get("test-token")!.key).toBe(newKey);
});

port("TestTokenAPI.test_token_create_invalid", async (c) => {
  const { client } = setUp(c);
  expect((await client.post("core/tokens/", { identifier: "test-token", intent: "recovery" })).status).toBe(400);
});

port("TestTokenAPI.test_token_create_non_expiring", async (c) => {
  const { user, client } = setUp(c);
  user.attributes[EXPIRING] = false;
  expect((await client.post("core/tokens/", { identifier: "test-token" })).status).toBe(201);
  const token = c.store.tokens.get("test-token")!;
  expect(token.user).toBe(user.pk);
  expect(token.intent).toBe("api");
  expect(token.expiring).toBe(false);
});

port("TestTokenAPI.test_token_create_expiring", async (c) => {
  const { user, client } = setUp(c);
  user.attributes[EXPIRING] = true;
  expect((await client.post("core/tokens/", { identifier: "test-token" })).status).toBe(201);
  const token = c.store.tokens.get("test-token")!;
  expect(token.user).toBe(user.pk);
  expect(token.intent).toBe("api");
  expect(token.expiring).toBe(true);
});

port("TestTokenAPI.test_token_create_expiring_custom_ok", async (c) => {
  const { user, client } = setUp(c);
  user.attributes[EXPIRING] = true;
  user.attributes[MAX_LIFETIME] = "hours=2";
  const expires = new Date(Date.now() + 3_600_000);
  const res = await client.post("core/tokens/", { identifier: "test-token", expires: expires.toISOString(), intent: "app_password" });
  expect(res.status).toBe(201);
  const token = c.store.tokens.get("test-token")!;
  expect(token.user).toBe(user.pk);
  expect(token.intent).toBe("app_password");
  expect(token.expiring).toBe(true);
  expect(Date.parse(token.expires!)).toBe(expires.getTime());
});

port("TestTokenAPI.test_token_create_expiring_custom_nok", async (c) => {
  const { user, client } = setUp(c);
  user.attributes[EXPIRING] = true;
  user.attributes[MAX_LIFETIME] = "hours=2";
  const expires = new Date(Date.now() + 3 * 3_600_000);
  const res = await client.post("core/tokens/", { identifier: "test-token", expires: expires.toISOString(), intent: "app_password" });
  expect(res.status).toBe(400);
});

port("TestTokenAPI.test_token_create_expiring_custom_api", async (c) => {
  const { user, client } = setUp(c);
  user.attributes[EXPIRING] = true;
  user.attributes[MAX_LIFETIME] = "hours=2";
  const expires = new Date(Date.now() + 3000);
  const res = await client.post("core/tokens/", { identifier: "test-token", expires: expires.toISOString(), intent: "api" });
  expect(res.status).toBe(201);
  const token = c.store.tokens.get("test-token")!;
  expect(token.user).toBe(user.pk);
  expect(token.intent).toBe("api");
  expect(token.expiring).toBe(true);
  expect(Date.parse(token.expires!)).not.toBe(expires.getTime());
});

port("TestTokenAPI.test_token_change_user", async (c) => {
  const { user, admin, client } = setUp(c);
  const ident = generateId();
  expect((await client.post("core/tokens/", { identifier: ident })).status).toBe(201);
  const token = c.store.tokens.get(ident)!;
  expect(token.user).toBe(user.pk);
  expect(token.intent).toBe("api");
  expect(token.expiring).toBe(true);
  expect((await client.get(`core/tokens/${ident}/view_key/`)).status).toBe(200);
  const res = await client.put(`core/tokens/${ident}/`, { identifier: "user_token_poc_v3", intent: "api", user: admin.pk });
  expect(res.status).toBe(400);
  expect(c.store.tokens.get(ident)!.user).toBe(user.pk);
});

/** `Token.objects.all().delete()`, except the API tokens that stand in for `force_login`. */
function deleteTokens(c: Case) {
  for (const t of [...c.store.tokens.values()]) if (!isLoginToken(t)) c.store.tokens.delete(t.identifier);
}

// Counted without the token that stands in for force_login (it is the caller's own, so the list includes it).
const listed = (body: { results: { identifier: string }[] }) => body.results.filter((t) => !isLoginToken(t));

port("TestTokenAPI.test_list", async (c) => {
  const { user, client } = setUp(c);
  deleteTokens(c);
  const should = createToken(c.store, { identifier: "test", expiring: false, user: user.pk });
  createToken(c.store, { identifier: "test-2", expiring: false, user: anonymousUser(c.store).pk });
  const res = await client.get("core/tokens/");
  expect(listed(res.body)).toHaveLength(1);
  expect(listed(res.body)[0]!.identifier).toBe(should.identifier);
});

port("TestTokenAPI.test_list_admin", async (c) => {
  const { user, admin } = setUp(c);
  deleteTokens(c);
  const client = forceLogin(c.fake, admin);
  const should = createToken(c.store, { identifier: "test", expiring: false, user: user.pk });
  const shouldNot = createToken(c.store, { identifier: "test-2", expiring: false, user: anonymousUser(c.store).pk });
  const res = await client.get("core/tokens/");
  expect(listed(res.body)).toHaveLength(2);
  expect(listed(res.body)[0]!.identifier).toBe(should.identifier);
  expect(listed(res.body)[1]!.identifier).toBe(shouldNot.identifier);
});

done();
