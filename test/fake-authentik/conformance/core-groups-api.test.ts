/**
 * authentik/core/tests/test_groups_api.py (class TestGroupsAPI), ported to HTTP against the fake.
 * setUp 2024.2.0: a test admin and `User.objects.create(username="test-user")`; from 2024.10.2 a non-superuser
 * `login_user` given object permissions, and a test user.
 */
import { expect } from "vitest";
import { conformance, createTestAdminUser, generateId, forceLogin, since, until, ALL_TAGS, type Case, type Tag } from "./helpers.ts";

const CASES: Record<string, readonly Tag[]> = {
  "TestGroupsAPI.test_list_with_users": since("version/2024.10.2"),
  "TestGroupsAPI.test_retrieve_with_users": since("version/2024.10.2"),
  "TestGroupsAPI.test_add_user": ALL_TAGS,
  "TestGroupsAPI.test_add_user_404": ALL_TAGS,
  "TestGroupsAPI.test_remove_user": ALL_TAGS,
  "TestGroupsAPI.test_remove_user_404": ALL_TAGS,
  "TestGroupsAPI.test_parent_self": until("version/2025.10.0"),
  "TestGroupsAPI.test_superuser_no_perm": since("version/2025.10.0"),
  "TestGroupsAPI.test_superuser_no_perm_no_superuser": since("version/2025.10.0"),
  "TestGroupsAPI.test_superuser_update_no_perm": since("version/2025.10.0"),
  "TestGroupsAPI.test_superuser_update_no_change": since("version/2025.10.0"),
  "TestGroupsAPI.test_superuser_create": since("version/2025.10.0"),
};

const RBAC = (perms: string) => `needs RBAC: the request is made by a non-superuser given ${perms}`;
const NOT_PORTED = {
  "TestGroupsAPI.test_add_user": { tags: since("version/2024.10.2"), reason: RBAC("add_user_to_group on the group and view_user") },
  "TestGroupsAPI.test_add_user_404": { tags: since("version/2024.10.2"), reason: RBAC("add_user_to_group on the group and view_user") },
  "TestGroupsAPI.test_remove_user": { tags: since("version/2024.10.2"), reason: RBAC("remove_user_from_group on the group and view_user") },
  "TestGroupsAPI.test_remove_user_404": { tags: since("version/2024.10.2"), reason: RBAC("remove_user_from_group on the group and view_user") },
  "TestGroupsAPI.test_parent_self": { tags: ["version/2024.10.2", "version/2024.12.0", "version/2025.10.0"] as Tag[], reason: RBAC("view_group and change_group on the group") },
  "TestGroupsAPI.test_superuser_no_perm": { tags: since("version/2025.10.0"), reason: RBAC("add_group") },
  "TestGroupsAPI.test_superuser_no_perm_no_superuser": { tags: since("version/2025.10.0"), reason: RBAC("add_group") },
  "TestGroupsAPI.test_superuser_update_no_perm": { tags: since("version/2025.10.0"), reason: RBAC("view_group and change_group on the group") },
  "TestGroupsAPI.test_superuser_update_no_change": { tags: since("version/2025.10.0"), reason: RBAC("view_group and change_group on the group") },
  "TestGroupsAPI.test_superuser_create": { tags: since("version/2025.10.0"), reason: RBAC("add_group and enable_group_superuser") },
};

const { port, done } = conformance(CASES, NOT_PORTED);

/** The 2024.2.0 setUp: an admin and a plain user created with the model alone. */
function setUp2024(c: Case) {
  return { admin: createTestAdminUser(c.store), user: c.store.addUser({ username: "test-user", name: "" }) };
}

port("TestGroupsAPI.test_list_with_users", async (c) => {
  const admin = createTestAdminUser(c.store);
  expect((await forceLogin(c.fake, admin).get("core/groups/", { include_users: "true" })).status).toBe(200);
});

port("TestGroupsAPI.test_retrieve_with_users", async (c) => {
  const admin = createTestAdminUser(c.store);
  const group = c.store.addGroup({ name: generateId() });
  expect((await forceLogin(c.fake, admin).get(`core/groups/${group.pk}/`, { include_users: "true" })).status).toBe(200);
});

port("TestGroupsAPI.test_add_user", async (c) => {
  const { admin, user } = setUp2024(c);
  const group = c.store.addGroup({ name: generateId() });
  const res = await forceLogin(c.fake, admin).post(`core/groups/${group.pk}/add_user/`, { pk: user.pk });
  expect(res.status).toBe(204);
  expect(c.store.groups.get(group.pk)!.users).toEqual([user.pk]);
});

port("TestGroupsAPI.test_add_user_404", async (c) => {
  const { admin, user } = setUp2024(c);
  const group = c.store.addGroup({ name: generateId() });
  expect((await forceLogin(c.fake, admin).post(`core/groups/${group.pk}/add_user/`, { pk: user.pk + 3 })).status).toBe(404);
});

port("TestGroupsAPI.test_remove_user", async (c) => {
  const { admin, user } = setUp2024(c);
  const group = c.store.addGroup({ name: generateId(), users: [user.pk] });
  const res = await forceLogin(c.fake, admin).post(`core/groups/${group.pk}/remove_user/`, { pk: user.pk });
  expect(res.status).toBe(204);
  expect(c.store.groups.get(group.pk)!.users).toEqual([]);
});

port("TestGroupsAPI.test_remove_user_404", async (c) => {
  const { admin, user } = setUp2024(c);
  const group = c.store.addGroup({ name: generateId(), users: [user.pk] });
  expect((await forceLogin(c.fake, admin).post(`core/groups/${group.pk}/remove_user/`, { pk: user.pk + 3 })).status).toBe(404);
});

port("TestGroupsAPI.test_parent_self", async (c) => {
  const { admin, user } = setUp2024(c);
  const group = c.store.addGroup({ name: generateId() });
  expect((await forceLogin(c.fake, admin).patch(`core/groups/${group.pk}/`, { pk: user.pk + 3, parent: group.pk })).status).toBe(400);
});

done();
