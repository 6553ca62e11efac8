/**
 * Re-runs users can trust: rotation on purpose (with a grace period), drift repair of membership and brand,
 * a foreign device flow kept, and concurrent runs converging on one set of objects.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeAuthentik } from "../fake-authentik/index.ts";
import { admin, netbirdToken } from "../helpers/admin.ts";
import { sourceWithBash } from "../helpers/bash.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { runMain } from "../helpers/run-main.ts";

const ID = "service-account-netbird-password";

describe("rotation", () => {
  it("ROTATE=app-password: new key in authentik and setup.env together; the old one works until the grace period ends", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const env = baseEnv(fake.url, out);
    expect((await runMain(env)).code).toBe(0);
    const api = admin(fake.url);
    const oldKey = await api.key(ID);
    const [provider] = await api.provider();

    const started = Date.now();
    fake.resetLog();
    const rotated = await runMain({ ...env, ROTATE: "app-password", ROTATE_GRACE: "600" });
    expect(rotated.code).toBe(0);
    const newKey = await api.key(ID);
    expect(newKey).not.toBe(oldKey);
    expect(sourceWithBash(join(out, "setup.env"), ["NETBIRD_IDP_MGMT_EXTRA_PASSWORD"]).NETBIRD_IDP_MGMT_EXTRA_PASSWORD).toBe(newKey);
    const summary = rotated.summary as any;
    expect(summary.rotated).toHaveLength(1);
    const until = Date.parse(summary.rotated[0].previousValidUntil);
    expect(until).toBeGreaterThanOrEqual(started + 600_000 - 5_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 600_000 + 5_000);
    for (const secret of [oldKey, newKey]) expect(rotated.stdout + rotated.stderr).not.toContain(secret);
    // A run asked to rotate writes: verification's first requests are not sent beside its observation.
    expect(fake.log.filter((r) => r.path === "/application/o/netbird/.well-known/openid-configuration")).toHaveLength(1);

    // Both keys work for NetBird's token request during the grace period.
    expect((await netbirdToken(fake.url, provider.client_id, "NetBird", newKey)).status).toBe(200);
    expect((await netbirdToken(fake.url, provider.client_id, "NetBird", oldKey)).status).toBe(200);

    // Without ROTATE nothing changes again.
    fake.resetLog();
    expect((await runMain(env)).code).toBe(0);
    expect(fake.writes()).toEqual([]);
    expect(await api.key(ID)).toBe(newKey);
  });

  it("a later run deletes the retired app password once it has expired, and nothing else", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const env = baseEnv(fake.url, out);
    expect((await runMain(env)).code).toBe(0);
    expect((await runMain({ ...env, ROTATE: "app-password" })).code).toBe(0);
    const api = admin(fake.url);
    const all = (await api.get("/core/tokens/?intent=app_password")).results as any[];
    const retired = all.find((t) => t.identifier.startsWith(`${ID}-retired-`));
    expect(retired).toBeDefined();
    await api.patch(`/core/tokens/${retired.identifier}/`, { expires: new Date(Date.now() - 1000).toISOString() });
    const cleaned = await runMain(env);
    expect(cleaned.code).toBe(0);
    const left = ((await api.get("/core/tokens/?intent=app_password")).results as any[]).map((t) => t.identifier);
    expect(left).toContain(ID);
    expect(left.filter((i) => i.startsWith(`${ID}-retired-`))).toEqual([]);
  });

  it("ROTATE=client-secret is refused for NetBird's public client, before any request", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const result = await runMain({ ...baseEnv(fake.url, tempDir()), ROTATE: "client-secret" });
    expect(result.code).toBe(3);
    expect(result.summary.error?.message).toContain("public client");
    expect(fake.log).toEqual([]);
  });
});

describe("drift repair", () => {
  it("re-adds the service account to its role's group with add_user only", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const env = baseEnv(fake.url, tempDir());
    expect((await runMain(env)).code).toBe(0);
    const api = admin(fake.url);
    const group = await api.group("NetBird IdP manager");
    const [user] = await api.users("NetBird");
    await api.post(`/core/groups/${group.pk}/remove_user/`, { pk: user.pk });
    const plan = await runMain(env, ["--plan"]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain("~ group membership 'NetBird in NetBird IdP manager': update");
    fake.resetLog();
    expect((await runMain(env)).code).toBe(0);
    expect(fake.writes().map((w) => `${w.method} ${w.path}`)).toEqual([`POST /api/v3/core/groups/${group.pk}/add_user/`]);
  });

  it("repairs the role: a lost permission is given back, one added by hand taken away; a group without the role gets it again", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const env = baseEnv(fake.url, tempDir());
    expect((await runMain(env)).code).toBe(0);
    const role = [...fake.store.roles.values()].find((r) => r.name === "NetBird IdP manager")!;
    role.permissions.delete("authentik_core.delete_user");
    role.permissions.add("authentik_core.change_user");
    const plan = await runMain(env, ["--plan"]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain("~ role 'NetBird IdP manager': update");
    fake.resetLog();
    expect((await runMain(env)).code).toBe(0);
    expect([...role.permissions].sort()).toEqual(["authentik_core.delete_user", "authentik_core.view_user"]);
    expect(fake.writes().map((w) => `${w.method} ${w.path}`)).toEqual([
      `POST /api/v3/rbac/permissions/assigned_by_roles/${role.pk}/assign/`,
      `PATCH /api/v3/rbac/permissions/assigned_by_roles/${role.pk}/unassign/`,
    ]);
    const group = fake.store.groupByName("NetBird IdP manager")!;
    group.roles = [];
    expect((await runMain(env)).code).toBe(0);
    expect(group.roles).toEqual([role.pk]);
  });

  it("SERVICE_ACCOUNT_ACCESS=admin-group keeps the guides' set-up: the account in the admin group, no role", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const env = { ...baseEnv(fake.url, tempDir()), SERVICE_ACCOUNT_ACCESS: "admin-group" };
    expect((await runMain(env)).code).toBe(0);
    const api = admin(fake.url);
    const group = await api.group("authentik Admins");
    const [user] = await api.users("NetBird");
    await api.post(`/core/groups/${group.pk}/remove_user/`, { pk: user.pk });
    const plan = await runMain(env, ["--plan"]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain("~ group membership 'NetBird in authentik Admins': update");
    fake.resetLog();
    expect((await runMain(env)).code).toBe(0);
    expect(fake.writes().map((w) => `${w.method} ${w.path}`)).toEqual([`POST /api/v3/core/groups/${group.pk}/add_user/`]);
    expect((await api.group("authentik Admins")).users).toEqual(expect.arrayContaining([user.pk, ...group.users.filter((p: number) => p !== user.pk)]));
    expect(fake.store.roles.size).toBe(0);
  });

  it("an account an earlier set-up put in the admin group: told in the plan and the summary, moved only with LEAVE_ADMIN_GROUP", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    expect((await runMain({ ...baseEnv(fake.url, out), SERVICE_ACCOUNT_ACCESS: "admin-group" })).code).toBe(0);
    const env = baseEnv(fake.url, out);
    const plan = await runMain(env, ["--plan"]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain("superuser group membership 'NetBird in authentik Admins': unchanged (the service account is still in 'authentik Admins'");
    expect(plan.stdout).toContain("LEAVE_ADMIN_GROUP=true");
    const kept = await runMain(env);
    expect(kept.code).toBe(0);
    expect(kept.summary.warnings).toEqual([
      expect.stringContaining("superuser group membership 'NetBird in authentik Admins': the service account is still in 'authentik Admins'"),
    ]);
    const sa = fake.store.userByName("NetBird")!;
    expect(fake.store.groupByName("authentik Admins")!.users).toContain(sa.pk);
    expect(fake.store.groupByName("NetBird IdP manager")!.users).toContain(sa.pk);
    fake.resetLog();
    const moved = await runMain({ ...env, LEAVE_ADMIN_GROUP: "true" });
    expect(moved.code).toBe(0);
    expect(moved.summary.warnings).toBeUndefined();
    expect(fake.writes().map((w) => w.path)).toEqual([`/api/v3/core/groups/${fake.store.groupByName("authentik Admins")!.pk}/remove_user/`]);
    expect(fake.store.groupByName("authentik Admins")!.users).not.toContain(sa.pk);
    expect(fake.store.isSuperuser(sa)).toBe(false);
  });

  it("restores the brand's device-code flow when it was cleared, and keeps a flow an admin chose", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const env = baseEnv(fake.url, tempDir());
    expect((await runMain(env)).code).toBe(0);
    const api = admin(fake.url);
    const brand = await api.defaultBrand();
    const ours = brand.flow_device_code;
    await api.patch(`/core/brands/${brand.brand_uuid}/`, { flow_device_code: null });
    fake.resetLog();
    expect((await runMain(env)).code).toBe(0);
    expect(fake.writes().map((w) => `${w.method} ${w.path}`)).toEqual([`PATCH /api/v3/core/brands/${brand.brand_uuid}/`]);
    expect((await api.defaultBrand()).flow_device_code).toBe(ours);
    // The brand as served was asked beside observation (its device-code flow cleared) and, the run having written,
    // again after the write: verification judged the repaired brand, not the first answer.
    expect(fake.log.filter((r) => r.path === "/api/v3/core/brands/current/")).toHaveLength(2);

    const mine = await api.post("/flows/instances/", {
      name: "My device flow",
      slug: "my-device-flow",
      title: "Device",
      designation: "stage_configuration",
      authentication: "require_authenticated",
    });
    await api.patch(`/core/brands/${brand.brand_uuid}/`, { flow_device_code: mine.pk });
    fake.resetLog();
    const kept = await runMain(env);
    expect(kept.code).toBe(0);
    expect(fake.writes()).toEqual([]);
    expect((await api.defaultBrand()).flow_device_code).toBe(mine.pk);
    const replaced = await runMain({ ...env, DEVICE_FLOW_REPLACE: "true" });
    expect(replaced.code).toBe(0);
    expect((await api.defaultBrand()).flow_device_code).toBe(ours);
  });
});

describe("concurrent runs", () => {
  it.each([1, 2, 3, 4, 5])("two runs started together end with one set of objects and the same file (round %i)", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, latencyMs: 5 });
    const [outA, outB] = [tempDir(), tempDir()];
    const [a, b] = await Promise.all([runMain(baseEnv(fake.url, outA)), runMain(baseEnv(fake.url, outB))]);
    expect([a.code, b.code, a.summary.error?.message, b.summary.error?.message]).toEqual([0, 0, undefined, undefined]);
    const api = admin(fake.url);
    expect(await api.provider()).toHaveLength(1);
    expect(await api.users("NetBird")).toHaveLength(1);
    const flows = ((await api.get("/flows/instances/?slug=default-device-code-flow")).results as any[]).filter((f) => f.slug === "default-device-code-flow");
    expect(flows).toHaveLength(1);
    expect(readFileSync(join(outA, "setup.env"), "utf8")).toBe(readFileSync(join(outB, "setup.env"), "utf8"));
  });
});
