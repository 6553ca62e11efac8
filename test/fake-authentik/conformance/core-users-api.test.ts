/**
 * authentik/core/tests/test_users_api.py (class TestUsersAPI), ported to HTTP against the fake: the cases that
 * touch what the tool or NetBird use (users list / retrieve / partial update / delete, service_account).
 * setUp: a test admin and a test user.
 */
import { expect } from "vitest";
import type { Store } from "../store.ts";
import { ALL_TAGS, conformance, createTestAdminUser, createTestUser, forceLogin, sessionCookie, since, until, type Case, type Tag } from "./helpers.ts";

const CASES: Record<string, readonly Tag[]> = {
  "TestUsersAPI.test_filter_type": ALL_TAGS,
  "TestUsersAPI.test_filter_is_superuser": since("version/2025.10.0"),
  "TestUsersAPI.test_list_with_groups": since("version/2024.10.2"),
  "TestUsersAPI.test_metrics": until("version/2024.12.0"),
  "TestUsersAPI.test_metrics_denied": until("version/2024.12.0"),
  "TestUsersAPI.test_recovery_no_flow": ALL_TAGS,
  "TestUsersAPI.test_set_password": ALL_TAGS,
  "TestUsersAPI.test_set_password_blank": since("version/2025.10.0"),
  "TestUsersAPI.test_recovery": ALL_TAGS,
  "TestUsersAPI.test_recovery_duration": since("version/2026.2.2"),
  "TestUsersAPI.test_recovery_duration_update": since("version/2026.2.2"),
  "TestUsersAPI.test_recovery_email_no_flow": ALL_TAGS,
  "TestUsersAPI.test_recovery_email_no_stage": ALL_TAGS,
  "TestUsersAPI.test_recovery_email": ALL_TAGS,
  "TestUsersAPI.test_service_account": ALL_TAGS,
  "TestUsersAPI.test_service_account_no_expire": ALL_TAGS,
  "TestUsersAPI.test_service_account_with_custom_expire": ALL_TAGS,
  "TestUsersAPI.test_service_account_invalid": ALL_TAGS,
  "TestUsersAPI.test_paths": ALL_TAGS,
  "TestUsersAPI.test_path_valid": ALL_TAGS,
  "TestUsersAPI.test_path_invalid": ALL_TAGS,
  "TestUsersAPI.test_me": ALL_TAGS,
  "TestUsersAPI.test_session_delete": ALL_TAGS,
  "TestUsersAPI.test_sort_by_last_updated": since("version/2025.10.0"),
  "TestUsersAPI.test_sort_by_date_joined": since("version/2025.10.0"),
  "TestUsersAPI.test_service_account_validation_empty_username": since("version/2025.10.0"),
  "TestUsersAPI.test_service_account_validation_valid_username": since("version/2025.10.0"),
  "TestUsersAPI.test_service_account_validation_without_group": since("version/2025.10.0"),
  "TestUsersAPI.test_service_account_validation_duplicate_username": since("version/2025.10.0"),
  "TestUsersAPI.test_service_account_validation_invalid_create_group": since("version/2025.10.0"),
  "TestUsersAPI.test_service_account_validation_invalid_expiring": since("version/2025.10.0"),
  "TestUsersAPI.test_service_account_validation_invalid_expires": since("version/2025.10.0"),
  "TestUsersAPI.test_service_account_validation_multiple_errors": since("version/2025.10.0"),
  "TestUsersAPI.test_service_account_validation_user_friendly_duplicate_error": since("version/2025.10.0"),
  "TestUsersAPI.test_filter_last_login": since("version/2026.2.2"),
  "TestUsersAPI.test_sort_by_last_login": since("version/2026.2.2"),
};

const OUT_OF_SCOPE = (endpoint: string) => `out of scope: ${endpoint}, which neither the tool nor NetBird uses`;
const NOT_PORTED = {
  "TestUsersAPI.test_metrics": { tags: until("version/2024.12.0"), reason: OUT_OF_SCOPE("GET /core/users/{id}/metrics/") },
  "TestUsersAPI.test_metrics_denied": { tags: until("version/2024.12.0"), reason: OUT_OF_SCOPE("GET /core/users/{id}/metrics/") },
  "TestUsersAPI.test_recovery_no_flow": { tags: ALL_TAGS, reason: OUT_OF_SCOPE("POST /core/users/{id}/recovery/") },
  "TestUsersAPI.test_recovery": { tags: ALL_TAGS, reason: OUT_OF_SCOPE("POST /core/users/{id}/recovery/") },
  "TestUsersAPI.test_recovery_duration": { tags: since("version/2026.2.2"), reason: OUT_OF_SCOPE("POST /core/users/{id}/recovery/") },
  "TestUsersAPI.test_recovery_duration_update": { tags: since("version/2026.2.2"), reason: OUT_OF_SCOPE("POST /core/users/{id}/recovery/") },
  "TestUsersAPI.test_recovery_email_no_flow": { tags: ALL_TAGS, reason: OUT_OF_SCOPE("POST /core/users/{id}/recovery_email/") },
  "TestUsersAPI.test_recovery_email_no_stage": { tags: ALL_TAGS, reason: OUT_OF_SCOPE("POST /core/users/{id}/recovery_email/") },
  "TestUsersAPI.test_recovery_email": { tags: ALL_TAGS, reason: OUT_OF_SCOPE("POST /core/users/{id}/recovery_email/") },
  "TestUsersAPI.test_set_password": { tags: ALL_TAGS, reason: OUT_OF_SCOPE("POST /core/users/{id}/set_password/") },
  "TestUsersAPI.test_set_password_blank": { tags: since("version/2025.10.0"), reason: OUT_OF_SCOPE("POST /core/users/{id}/set_password/") },
  "TestUsersAPI.test_paths": { tags: ALL_TAGS, reason: OUT_OF_SCOPE("GET /core/users/paths/") },
  "TestUsersAPI.test_path_valid": { tags: ALL_TAGS, reason: OUT_OF_SCOPE("POST /core/users/ (user creation)") },
  "TestUsersAPI.test_path_invalid": { tags: ALL_TAGS, reason: OUT_OF_SCOPE("POST /core/users/ (user creation)") },
  "TestUsersAPI.test_me": { tags: ALL_TAGS, reason: OUT_OF_SCOPE("GET /core/users/me/") },
};

const { port, done } = conformance(CASES, NOT_PORTED);

const EXPIRING = "goauthentik.io/user/token-expires";

function setUp(c: Case) {
  return { admin: createTestAdminUser(c.store), user: createTestUser(c.store) };
}

/** `User.objects.all().delete()`: users, their group memberships, tokens and sessions (cascades). */
function deleteAllUsers(store: Store) {
  for (const g of store.groups.values()) g.users = [];
  for (const t of [...store.tokens.values()]) store.tokens.delete(t.identifier);
  store.sessions.clear();
  store.users.clear();
}

/** `User.objects.filter(username=…, type=service_account, attributes={token-expires: …}).first()`. */
function serviceAccount(store: Store, username: string, expiring: boolean) {
  return [...store.users.values()].find(
    (u) => u.username === username && u.type === "service_account" && JSON.stringify(u.attributes) === JSON.stringify({ [EXPIRING]: expiring }),
  );
}

const tokensOf = (store: Store, user: number) => [...store.tokens.values()].filter((t) => t.user === user);

port("TestUsersAPI.test_filter_type", async (c) => {
  const { admin } = setUp(c);
  const client = forceLogin(c.fake, admin);
  const user = createTestAdminUser(c.store, undefined, { type: "external" });
  expect((await client.get("core/users/", { type: "external", username: user.username })).status).toBe(200);
});

port("TestUsersAPI.test_filter_is_superuser", async (c) => {
  setUp(c);
  deleteAllUsers(c.store);
  const admin = createTestAdminUser(c.store);
  const client = forceLogin(c.fake, admin);
  let res = await client.get("core/users/", { is_superuser: "True" });
  expect(res.status).toBe(200);
  expect(res.body.results).toHaveLength(1);
  expect(res.body.results[0].username).toBe(admin.username);
  const user = createTestUser(c.store);
  res = await client.get("core/users/", { is_superuser: "False" });
  expect(res.status).toBe(200);
  expect(res.body.results).toHaveLength(1);
  expect(res.body.results[0].username).toBe(user.username);
});

port("TestUsersAPI.test_list_with_groups", async (c) => {
  const { admin } = setUp(c);
  expect((await forceLogin(c.fake, admin).get("core/users/", { include_groups: "true" })).status).toBe(200);
});

port("TestUsersAPI.test_service_account", async (c) => {
  const { admin } = setUp(c);
  const client = forceLogin(c.fake, admin);
  expect((await client.post("core/users/service_account/")).status).toBe(400);
  expect((await client.post("core/users/service_account/", { name: "test-sa", create_group: true })).status).toBe(200);
  // user.has_usable_password() is not observable (the fake has no passwords).
  const user = serviceAccount(c.store, "test-sa", true);
  expect(user).toBeDefined();
  const tokens = tokensOf(c.store, user!.pk);
  expect(tokens.length).toBeGreaterThan(0);
  expect(tokens[0]!.expiring).toBe(true);
});

port("TestUsersAPI.test_service_account_no_expire", async (c) => {
  const { admin } = setUp(c);
  const res = await forceLogin(c.fake, admin).post("core/users/service_account/", { name: "test-sa", create_group: true, expiring: false });
  expect(res.status).toBe(200);
  const user = serviceAccount(c.store, "test-sa", false);
  expect(user).toBeDefined();
  const tokens = tokensOf(c.store, user!.pk);
  expect(tokens.length).toBeGreaterThan(0);
  expect(tokens[0]!.expiring).toBe(false);
});

port("TestUsersAPI.test_service_account_with_custom_expire", async (c) => {
  const { admin } = setUp(c);
  // datetime(2050, 11, 11, 11, 11, 11).astimezone().isoformat() in UTC
  const expireOn = "2050-11-11T11:11:11+00:00";
  const res = await forceLogin(c.fake, admin).post("core/users/service_account/", { name: "test-sa", create_group: true, expires: expireOn });
  expect(res.status).toBe(200);
  const user = serviceAccount(c.store, "test-sa", true);
  expect(user).toBeDefined();
  const tokens = tokensOf(c.store, user!.pk);
  expect(tokens.length).toBeGreaterThan(0);
  expect(tokens[0]!.expiring).toBe(true);
  expect(Date.parse(tokens[0]!.expires!)).toBe(Date.parse(expireOn));
});

port("TestUsersAPI.test_service_account_invalid", async (c) => {
  const { admin } = setUp(c);
  const client = forceLogin(c.fake, admin);
  expect((await client.post("core/users/service_account/", { name: "test-sa", create_group: true })).status).toBe(200);
  const user = serviceAccount(c.store, "test-sa", true);
  expect(user).toBeDefined();
  const tokens = tokensOf(c.store, user!.pk);
  expect(tokens.length).toBeGreaterThan(0);
  expect(tokens[0]!.expiring).toBe(true);
  expect((await client.post("core/users/service_account/", { name: "test-sa", create_group: true })).status).toBe(400);
});

port("TestUsersAPI.test_session_delete", async (c) => {
  const { admin } = setUp(c);
  const user = createTestAdminUser(c.store);
  // AuthenticatedSession.objects.create(user=user, …): a browser session of that user.
  const session = sessionCookie(c.store, user).split("=")[1]!;
  const res = await forceLogin(c.fake, admin).patch(`core/users/${user.pk}/`, { is_active: false });
  expect(res.status).toBe(200);
  expect(c.store.sessions.has(session)).toBe(false);
});

port("TestUsersAPI.test_sort_by_last_updated", async (c) => {
  setUp(c);
  deleteAllUsers(c.store);
  const admin = createTestAdminUser(c.store);
  const client = forceLogin(c.fake, admin);
  const user = createTestUser(c.store);
  // admin.first_name = …; admin.save(): `last_updated` is auto_now.
  admin.last_updated = c.store.stamp();
  let res = await client.get("core/users/", { ordering: "last_updated" });
  expect(res.status).toBe(200);
  expect(res.body.results).toHaveLength(2);
  expect(res.body.results[0].pk).toBe(user.pk);
  res = await client.get("core/users/", { ordering: "-last_updated" });
  expect(res.status).toBe(200);
  expect(res.body.results).toHaveLength(2);
  expect(res.body.results[0].pk).toBe(admin.pk);
});

port("TestUsersAPI.test_sort_by_date_joined", async (c) => {
  setUp(c);
  deleteAllUsers(c.store);
  const admin = createTestAdminUser(c.store);
  const client = forceLogin(c.fake, admin);
  const user = createTestUser(c.store);
  let res = await client.get("core/users/", { ordering: "date_joined" });
  expect(res.status).toBe(200);
  expect(res.body.results).toHaveLength(2);
  expect(res.body.results[0].pk).toBe(admin.pk);
  res = await client.get("core/users/", { ordering: "-date_joined" });
  expect(res.status).toBe(200);
  expect(res.body.results).toHaveLength(2);
  expect(res.body.results[0].pk).toBe(user.pk);
});

const BLANK = { name: ["This field may not be blank."] };
const NOT_BOOLEAN = ["Must be a valid boolean."];
const BAD_DATETIME = ["Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."];

port("TestUsersAPI.test_service_account_validation_empty_username", async (c) => {
  const { admin } = setUp(c);
  const client = forceLogin(c.fake, admin);
  for (const name of ["", "   ", "\t\n"]) {
    const res = await client.post("core/users/service_account/", { name, create_group: true });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(BLANK);
  }
});

port("TestUsersAPI.test_service_account_validation_valid_username", async (c) => {
  const { admin } = setUp(c);
  const res = await forceLogin(c.fake, admin).post("core/users/service_account/", { name: "valid-service-account", create_group: true });
  expect(res.status).toBe(200);
  for (const key of ["username", "user_uid", "user_pk", "group_pk", "token"]) expect(res.body).toHaveProperty(key);
  expect(res.body.username).toBe("valid-service-account");
  expect(Number.isInteger(res.body.user_pk)).toBe(true);
  expect(typeof res.body.user_uid).toBe("string");
  expect(typeof res.body.token).toBe("string");
  expect(typeof res.body.group_pk).toBe("string");
});

port("TestUsersAPI.test_service_account_validation_without_group", async (c) => {
  const { admin } = setUp(c);
  const res = await forceLogin(c.fake, admin).post("core/users/service_account/", { name: "no-group-service-account", create_group: false });
  expect(res.status).toBe(200);
  for (const key of ["username", "user_uid", "user_pk", "token"]) expect(res.body).toHaveProperty(key);
  expect(res.body).not.toHaveProperty("group_pk");
});

for (const name of ["TestUsersAPI.test_service_account_validation_duplicate_username", "TestUsersAPI.test_service_account_validation_user_friendly_duplicate_error"]) {
  port(name, async (c) => {
    const { admin } = setUp(c);
    const client = forceLogin(c.fake, admin);
    const sa = name.endsWith("duplicate_username") ? "duplicate-test" : "duplicate-username-test";
    expect((await client.post("core/users/service_account/", { name: sa, create_group: true })).status).toBe(200);
    const res = await client.post("core/users/service_account/", { name: sa, create_group: true });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ name: ["This field must be unique."] });
  });
}

port("TestUsersAPI.test_service_account_validation_invalid_create_group", async (c) => {
  const { admin } = setUp(c);
  const client = forceLogin(c.fake, admin);
  for (const value of ["invalid", 123]) {
    const res = await client.post("core/users/service_account/", { name: "test-sa", create_group: value });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ create_group: NOT_BOOLEAN });
  }
});

port("TestUsersAPI.test_service_account_validation_invalid_expiring", async (c) => {
  const { admin } = setUp(c);
  const res = await forceLogin(c.fake, admin).post("core/users/service_account/", { name: "test-sa", expiring: "invalid" });
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ expiring: NOT_BOOLEAN });
});

port("TestUsersAPI.test_service_account_validation_invalid_expires", async (c) => {
  const { admin } = setUp(c);
  const client = forceLogin(c.fake, admin);
  for (const expires of ["invalid-datetime", "2024-13-45"]) {
    const res = await client.post("core/users/service_account/", { name: "test-sa", expires });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ expires: BAD_DATETIME });
  }
});

port("TestUsersAPI.test_service_account_validation_multiple_errors", async (c) => {
  const { admin } = setUp(c);
  const res = await forceLogin(c.fake, admin).post("core/users/service_account/", { name: "", create_group: "invalid", expiring: 123, expires: "not-a-date" });
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ ...BLANK, create_group: NOT_BOOLEAN, expiring: NOT_BOOLEAN, expires: BAD_DATETIME });
});

const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

port("TestUsersAPI.test_filter_last_login", async (c) => {
  setUp(c);
  deleteAllUsers(c.store);
  const admin = createTestAdminUser(c.store);
  const client = forceLogin(c.fake, admin);
  const recent = createTestUser(c.store);
  recent.last_login = ago(0);
  const old = createTestUser(c.store);
  old.last_login = ago(400);
  const never = createTestUser(c.store);
  never.last_login = null;
  let res = await client.get("core/users/", { last_login__lt: ago(365) });
  expect(res.status).toBe(200);
  expect(res.body.results).toHaveLength(1);
  expect(res.body.results[0].pk).toBe(old.pk);
  res = await client.get("core/users/", { last_login__isnull: "True" });
  expect(res.status).toBe(200);
  expect(res.body.results.map((r: { pk: number }) => r.pk)).toContain(never.pk);
});

port("TestUsersAPI.test_sort_by_last_login", async (c) => {
  setUp(c);
  deleteAllUsers(c.store);
  const admin = createTestAdminUser(c.store);
  const client = forceLogin(c.fake, admin);
  const user1 = createTestUser(c.store);
  user1.last_login = ago(10);
  const user2 = createTestUser(c.store);
  user2.last_login = ago(5);
  let res = await client.get("core/users/", { ordering: "last_login" });
  expect(res.status).toBe(200);
  expect(res.body.results).toHaveLength(3);
  res = await client.get("core/users/", { ordering: "-last_login" });
  expect(res.status).toBe(200);
  const pks = res.body.results.map((r: { pk: number }) => r.pk);
  expect(pks).toContain(user1.pk);
  expect(pks).toContain(user2.pk);
  expect(pks.indexOf(user2.pk)).toBeLessThan(pks.indexOf(user1.pk));
});

done();
