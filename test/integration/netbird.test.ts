/**
 * The whole run through the real entry point (`node dist/main.js`) against the fake authentik over HTTP:
 * fresh install, no-op re-run, plan mode, drift repair, adoption, conflicts, lost secrets, and every
 * emulated authentik version.
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeAuthentik } from "../fake-authentik/index.ts";
import { admin } from "../helpers/admin.ts";
import { sourceWithBash } from "../helpers/bash.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { runMain } from "../helpers/run-main.ts";

const KEYS = [
  "NETBIRD_DOMAIN",
  "NETBIRD_AUTH_OIDC_CONFIGURATION_ENDPOINT",
  "NETBIRD_USE_AUTH0",
  "NETBIRD_AUTH_CLIENT_ID",
  "NETBIRD_AUTH_AUDIENCE",
  "NETBIRD_AUTH_SUPPORTED_SCOPES",
  "NETBIRD_AUTH_REDIRECT_URI",
  "NETBIRD_AUTH_SILENT_REDIRECT_URI",
  "NETBIRD_AUTH_PKCE_DISABLE_PROMPT_LOGIN",
  "NETBIRD_AUTH_DEVICE_AUTH_CLIENT_ID",
  "NETBIRD_AUTH_DEVICE_AUTH_AUDIENCE",
  "NETBIRD_MGMT_IDP",
  "NETBIRD_IDP_MGMT_CLIENT_ID",
  "NETBIRD_IDP_MGMT_EXTRA_USERNAME",
  "NETBIRD_IDP_MGMT_EXTRA_PASSWORD",
];

/** An OAuth2 provider made by hand in authentik, as an admin would (implicit consent, no redirect URIs). */
async function handMadeProvider(api: ReturnType<typeof admin>, name: string): Promise<{ pk: number }> {
  const flow = await api.get("/flows/instances/default-provider-authorization-implicit-consent/");
  const inval = await api.get("/flows/instances/default-provider-invalidation-flow/");
  return api.post("/providers/oauth2/", { name, authorization_flow: flow.pk, invalidation_flow: inval.pk, redirect_uris: [] });
}
describe("NetBird standalone, fresh authentik (2026.8)", () => {
  it("provisions every object, writes setup.env, and a second run writes nothing", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    // Internal and public URL differ (127.0.0.1 vs localhost), as authentik-server:9000 vs auth.example.com do.
    const publicUrl = fake.url.replace("127.0.0.1", "localhost");
    const env = baseEnv(fake.url, out, { AUTHENTIK_PUBLIC_URL: publicUrl });

    const first = await runMain(env);
    expect(first.stderr).not.toContain('"level":50');
    expect(first.code).toBe(0);
    expect(first.summary.result).toBe("ok");
    // Readiness 5 (the version answer passes three stages; every flow in one list; the superuser group is not
    // looked up with role access: the account's groups name it), observe 3 (an empty output: providers of every
    // type searched first, which answers for the missing OAuth2 provider too; the application; the account — the
    // role and its group are not looked for: they are made, or adopted on the 400), writes 8 (+ role, its
    // permissions, its group made with the account in it), verify 6 (+ an admin call refused; no device code asked
    // for: NetBird's login with the same client id proves what that endpoint checks; no user read: authentik
    // allows a read of each user the list shows).
    expect(first.summary.requests).toBe(22);
    expect(fake.log.filter((r) => r.path === "/application/o/device/" || /^\/api\/v3\/core\/users\/\d+\/$/.test(r.path))).toEqual([]);
    expect(first.stderr).toContain("lists users through the API, so it may read each of them, and is refused an admin-only call (least privilege)");
    expect(fake.log.filter((r) => r.path === "/api/v3/rbac/roles/").map((r) => r.method)).toEqual(["POST"]);
    expect(fake.log.filter((r) => r.path === "/api/v3/core/groups/").map((r) => r.method)).toEqual(["POST"]);
    const observed = fake.log.slice(
      0,
      fake.log.findIndex((r) => r.method !== "GET"),
    );
    expect(observed.filter((r) => r.path.startsWith("/api/v3/providers/")).map((r) => r.path)).toEqual(["/api/v3/providers/all/"]);
    expect(fake.log.filter((r) => r.path.endsWith("/add_user/"))).toEqual([]);
    expect(first.summary.created).toEqual(
      expect.arrayContaining(["OAuth2 provider 'NetBird'", "application 'netbird'", "service account 'NetBird'", "device-code flow 'default-device-code-flow'"]),
    );

    const api = admin(fake.url);
    const [provider] = await api.provider();
    expect(provider).toMatchObject({ client_type: "public", sub_mode: "user_id", access_code_validity: "minutes=10" });
    expect(provider.signing_key).toBeTruthy();
    expect(provider.property_mappings).toHaveLength(5);
    expect(provider.grant_types).toEqual(expect.arrayContaining(["client_credentials", "urn:ietf:params:oauth:grant-type:device_code"]));
    expect(provider.redirect_uris).toEqual(
      expect.arrayContaining([
        { matching_mode: "strict", url: "http://localhost:53000", redirect_uri_type: "authorization" },
        { matching_mode: "strict", url: "https://netbird.example.com", redirect_uri_type: "authorization" },
        { matching_mode: "regex", url: "https://netbird\\.example\\.com/.*", redirect_uri_type: "authorization" },
      ]),
    );
    const app = await api.get("/core/applications/netbird/");
    expect(app.provider).toBe(provider.pk);
    const users = (await api.get("/core/users/?username=NetBird")).results.filter((u: any) => u.username === "NetBird");
    expect(users).toHaveLength(1);
    expect(users[0].type).toBe("service_account");
    // Least privilege: a role with exactly what NetBird's IdP manager calls, through its own group; not a superuser.
    const admins = (await api.get("/core/groups/?name=authentik%20Admins")).results[0];
    expect(admins.users).not.toContain(users[0].pk);
    const group = (await api.get("/core/groups/?name=NetBird%20IdP%20manager")).results[0];
    expect(group).toMatchObject({ is_superuser: false });
    expect(group.users).toContain(users[0].pk);
    expect(group.roles_obj).toEqual([{ pk: group.roles[0], name: "NetBird IdP manager" }]);
    const perms = (await api.get(`/rbac/permissions/?role=${group.roles[0]}`)).results.map((p: any) => `${p.app_label}.${p.codename}`);
    expect(perms.sort()).toEqual(["authentik_core.delete_user", "authentik_core.view_user"]);
    const token = await api.get("/core/tokens/service-account-netbird-password/");
    expect(token).toMatchObject({ intent: "app_password", expiring: false });
    const key = (await api.get("/core/tokens/service-account-netbird-password/view_key/")).key as string;
    const brand = (await api.get("/core/brands/")).results.find((b: any) => b.default);
    const flow = await api.get("/flows/instances/default-device-code-flow/");
    expect(brand.flow_device_code).toBe(flow.pk);
    expect(flow).toMatchObject({ designation: "stage_configuration", authentication: "require_authenticated" });

    const file = join(out, "setup.env");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const vars = sourceWithBash(file, KEYS);
    expect(vars).toEqual({
      NETBIRD_DOMAIN: "netbird.example.com",
      NETBIRD_AUTH_OIDC_CONFIGURATION_ENDPOINT: `${publicUrl}/application/o/netbird/.well-known/openid-configuration`,
      NETBIRD_USE_AUTH0: "false",
      NETBIRD_AUTH_CLIENT_ID: provider.client_id,
      NETBIRD_AUTH_AUDIENCE: provider.client_id,
      NETBIRD_AUTH_SUPPORTED_SCOPES: "openid profile email offline_access api",
      NETBIRD_AUTH_REDIRECT_URI: "/auth",
      NETBIRD_AUTH_SILENT_REDIRECT_URI: "/silent-auth",
      NETBIRD_AUTH_PKCE_DISABLE_PROMPT_LOGIN: "true",
      NETBIRD_AUTH_DEVICE_AUTH_CLIENT_ID: provider.client_id,
      NETBIRD_AUTH_DEVICE_AUTH_AUDIENCE: provider.client_id,
      NETBIRD_MGMT_IDP: "authentik",
      NETBIRD_IDP_MGMT_CLIENT_ID: provider.client_id,
      NETBIRD_IDP_MGMT_EXTRA_USERNAME: "NetBird",
      NETBIRD_IDP_MGMT_EXTRA_PASSWORD: key,
    });
    // Secrets never reach stdout or stderr, even at debug level.
    for (const secret of [key, TOKEN, provider.client_secret]) {
      expect(first.stdout).not.toContain(secret);
      expect(first.stderr).not.toContain(secret);
    }

    const before = { text: readFileSync(file, "utf8"), mtime: statSync(file).mtimeMs, ino: statSync(file).ino };
    fake.resetLog();
    const second = await runMain(env);
    expect(second.code).toBe(0);
    expect(fake.writes()).toEqual([]);
    expect(second.summary.writes).toBe(0);
    // Readiness 5, observe 5 (the application from its provider; the account's app passwords, each naming the
    // account, so no lookup of its own; its key proven by NetBird's own login; the role's group naming the role;
    // the role's permissions), verify 4 (that login is NetBird's token request; the account's rights probed only
    // on change).
    expect(second.summary.requests).toBe(14);
    expect(fake.log).toHaveLength(14);
    // Verification asked discovery once (its first requests went out beside observation: verify.test.ts).
    expect(fake.log.filter((r) => r.path === "/application/o/netbird/.well-known/openid-configuration")).toHaveLength(1);
    expect(fake.log.filter((r) => r.path === "/api/v3/core/users/" && r.caller === "akadmin")).toEqual([]);
    expect(second.summary.created).toEqual([]);
    expect(second.summary.updated).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(before.text);
    expect(statSync(file).mtimeMs).toBe(before.mtime);
    expect(statSync(file).ino).toBe(before.ino);
    expect((await api.provider()).length).toBe(1);
  });

  it("plan mode lists what would be created, exits 2, and sends no write; on a converged authentik exits 0", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const env = baseEnv(fake.url, out);
    const planned = await runMain(env, ["--plan"]);
    expect(planned.code).toBe(2);
    expect(fake.writes()).toEqual([]);
    expect(planned.stdout).toContain("+ OAuth2 provider 'NetBird': create");
    expect(planned.stdout).toMatch(/Plan: \d+ to create/);
    expect(() => statSync(join(out, "setup.env"))).toThrow();

    expect((await runMain(env)).code).toBe(0);
    fake.resetLog();
    const again = await runMain({ ...env, PLAN: "true" });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Plan: 0 to create, 0 to update");
    expect(again.stdout).toContain("0 file(s) to write");
    expect(fake.writes()).toEqual([]);
    const key = (await admin(fake.url).get("/core/tokens/service-account-netbird-password/view_key/")).key as string;
    expect(again.stdout).not.toContain(key);
  });

  it("repairs drifted owned fields with a partial update that carries only those fields", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const env = baseEnv(fake.url, out);
    expect((await runMain(env)).code).toBe(0);
    const api = admin(fake.url);
    const [provider] = await api.provider();
    await api.patch(`/providers/oauth2/${provider.pk}/`, { sub_mode: "hashed_user_id", access_code_validity: "minutes=1", include_claims_in_id_token: false });

    const planned = await runMain(env, ["--plan"]);
    expect(planned.code).toBe(2);
    expect(planned.stdout).toContain("~ OAuth2 provider 'NetBird': update");
    expect(planned.stdout).toContain("sub_mode: hashed_user_id → user_id");

    fake.resetLog();
    const fixed = await runMain(env);
    expect(fixed.code).toBe(0);
    const writes = fake.writes();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ method: "PATCH", path: `/api/v3/providers/oauth2/${provider.pk}/` });
    expect(Object.keys(writes[0]!.body as object).sort()).toEqual(["access_code_validity", "sub_mode"]);
    const [after] = await api.provider();
    expect(after).toMatchObject({ sub_mode: "user_id", access_code_validity: "minutes=10", include_claims_in_id_token: false });
  });

  it("keeps keys of an existing setup.env it does not own, and re-harvests (never rotates) a lost file", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const file = join(out, "setup.env");
    writeFileSync(file, "# my settings\nNETBIRD_TURN_EXTERNAL_IP='203.0.113.7'\nexport NETBIRD_LETSENCRYPT_EMAIL=\"ops@example.com\"\nNETBIRD_AUTH_CLIENT_ID='stale'\n");
    const env = baseEnv(fake.url, out);
    expect((await runMain(env)).code).toBe(0);
    const vars = sourceWithBash(file, ["NETBIRD_TURN_EXTERNAL_IP", "NETBIRD_LETSENCRYPT_EMAIL", "NETBIRD_AUTH_CLIENT_ID", "NETBIRD_IDP_MGMT_EXTRA_PASSWORD"]);
    expect(vars.NETBIRD_TURN_EXTERNAL_IP).toBe("203.0.113.7");
    expect(vars.NETBIRD_LETSENCRYPT_EMAIL).toBe("ops@example.com");
    expect(vars.NETBIRD_AUTH_CLIENT_ID).not.toBe("stale");
    const text = readFileSync(file, "utf8");
    expect(text.startsWith("# my settings\nNETBIRD_TURN_EXTERNAL_IP='203.0.113.7'\nexport NETBIRD_LETSENCRYPT_EMAIL=\"ops@example.com\"\n")).toBe(true);

    // The file is lost: the next run writes the same secrets again, and changes nothing in authentik.
    const password = vars.NETBIRD_IDP_MGMT_EXTRA_PASSWORD;
    writeFileSync(file, "");
    fake.resetLog();
    expect((await runMain(env)).code).toBe(0);
    expect(fake.writes()).toEqual([]);
    // Taken for a first run: every type searched first, then the OAuth2 provider that has the name read.
    const providerReads = fake.log.filter((r) => r.path.startsWith("/api/v3/providers/") && r.caller === "akadmin").map((r) => r.path);
    expect(providerReads).toEqual(["/api/v3/providers/all/", "/api/v3/providers/oauth2/"]);
    expect(sourceWithBash(file, ["NETBIRD_IDP_MGMT_EXTRA_PASSWORD"]).NETBIRD_IDP_MGMT_EXTRA_PASSWORD).toBe(password);
  });

  it("recreates an app password that was deleted, and updates the file with it", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const env = baseEnv(fake.url, out);
    expect((await runMain(env)).code).toBe(0);
    const api = admin(fake.url);
    await api.del("/core/tokens/service-account-netbird-password/");
    const again = await runMain(env);
    expect(again.code).toBe(0);
    expect(again.summary.created).toEqual(["app password 'service-account-netbird-password'"]);
    const key = (await api.get("/core/tokens/service-account-netbird-password/view_key/")).key as string;
    expect(sourceWithBash(join(out, "setup.env"), ["NETBIRD_IDP_MGMT_EXTRA_PASSWORD"]).NETBIRD_IDP_MGMT_EXTRA_PASSWORD).toBe(key);
  });

  it("adopts a provider made by hand with the guide's name instead of duplicating it", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const api = admin(fake.url);
    const flow = await api.get("/flows/instances/default-provider-authorization-explicit-consent/");
    const inval = await api.get("/flows/instances/default-provider-invalidation-flow/");
    await api.post("/providers/oauth2/", {
      name: "NetBird",
      authorization_flow: flow.pk,
      invalidation_flow: inval.pk,
      redirect_uris: [{ matching_mode: "strict", url: "https://other.example.com/cb" }],
    });
    const out = tempDir();
    const result = await runMain(baseEnv(fake.url, out));
    expect(result.code).toBe(0);
    const providers = await api.provider();
    expect(providers).toHaveLength(1);
    // Owned fields were fixed; the flow the admin chose and the extra redirect URI were kept.
    expect(providers[0]).toMatchObject({ client_type: "public", sub_mode: "user_id", authorization_flow: flow.pk });
    expect(providers[0].redirect_uris).toContainEqual({ matching_mode: "strict", url: "https://other.example.com/cb", redirect_uri_type: "authorization" });
  });

  it("stops before any write when the application slug is bound to another provider", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const api = admin(fake.url);
    const other = await handMadeProvider(api, "Something else");
    await api.post("/core/applications/", { name: "NetBird", slug: "netbird", provider: other.pk });
    fake.resetLog();
    const out = tempDir();
    const result = await runMain(baseEnv(fake.url, out));
    expect(result.code).toBe(7);
    expect(result.summary.error?.message).toContain("application 'netbird'");
    expect(result.summary.error?.message).toContain("APP_SLUG");
    expect(fake.writes()).toEqual([]);
    expect(() => statSync(join(out, "setup.env"))).toThrow();
  });

  it.each([
    ["a SAML provider named NetBird", (fake: any) => fake.store.addProvider({ name: "NetBird", type: "saml" }), "PROVIDER_NAME"],
    ["a user NetBird that is not a service account", (fake: any) => fake.store.addUser({ username: "NetBird", type: "internal" }), "SERVICE_ACCOUNT"],
  ])("stops before any write on a conflict: %s, saying what to rename", async (_name, arrange, variable) => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    arrange(fake);
    const result = await runMain(baseEnv(fake.url, tempDir()));
    expect(result.code).toBe(7);
    expect(result.summary.error?.message).toContain(variable);
    expect(fake.writes()).toEqual([]);
  });

  it("stops before any write on a re-run whose OAuth2 provider was replaced by another type of the same name", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    expect((await runMain(baseEnv(fake.url, out))).code).toBe(0);
    const api = admin(fake.url);
    const [ours] = await api.provider();
    await api.del(`/providers/oauth2/${ours.pk}/`);
    fake.store.addProvider({ name: "NetBird", type: "saml" });
    fake.resetLog();
    // The output names a client: the OAuth2 provider is looked up by name first, then every type.
    const result = await runMain(baseEnv(fake.url, out));
    expect(result.code).toBe(7);
    expect(result.summary.error?.message).toContain("PROVIDER_NAME");
    expect(fake.writes()).toEqual([]);
    const reads = fake.log.filter((r) => r.path.startsWith("/api/v3/providers/")).map((r) => r.path);
    expect(reads).toEqual(["/api/v3/providers/oauth2/", "/api/v3/providers/all/"]);
  });

  it("a first run takes only the provider with exactly its name from the search, which also matches applications' names", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const api = admin(fake.url);
    // Both come back from `search=NetBird`: one by its application's name, one by a name that differs in case.
    const mesh = await handMadeProvider(api, "Mesh");
    await api.post("/core/applications/", { name: "NetBird", slug: "mesh", provider: mesh.pk });
    await handMadeProvider(api, "netbird");
    fake.resetLog();
    const result = await runMain(baseEnv(fake.url, tempDir()));
    expect(result.code).toBe(0);
    expect(result.summary.created).toContain("OAuth2 provider 'NetBird'");
    const observed = fake.log.slice(
      0,
      fake.log.findIndex((r) => r.method !== "GET"),
    );
    expect(observed.filter((r) => r.path.startsWith("/api/v3/providers/")).map((r) => r.path)).toEqual(["/api/v3/providers/all/"]);
  });

  it("a first run stops before any write when an OAuth2 provider with its name backs another application", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const api = admin(fake.url);
    const ours = await handMadeProvider(api, "NetBird");
    await api.post("/core/applications/", { name: "VPN", slug: "vpn", provider: ours.pk });
    fake.resetLog();
    const result = await runMain(baseEnv(fake.url, tempDir()));
    expect(result.code).toBe(7);
    expect(result.summary.error?.message).toContain("APP_SLUG=vpn");
    expect(fake.writes()).toEqual([]);
    expect(fake.log.filter((r) => r.path.startsWith("/api/v3/providers/")).map((r) => r.path)).toEqual(["/api/v3/providers/all/", "/api/v3/providers/oauth2/"]);
  });

  it("a first run whose search spans pages reads the OAuth2 provider by name too (an unordered list's pages may shift)", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    for (let i = 1; i <= 101; i++) fake.store.addProvider({ name: `NetBird ${i}`, type: "saml" });
    const result = await runMain(baseEnv(fake.url, tempDir()));
    expect(result.code).toBe(0);
    const reads = fake.log.filter((r) => r.path.startsWith("/api/v3/providers/") && r.method === "GET" && r.caller === "akadmin");
    expect(reads.map((r) => `${r.path}${r.path.endsWith("/all/") ? ` ${new URLSearchParams(r.query).get("page")}` : ""}`)).toEqual([
      "/api/v3/providers/all/ 1",
      "/api/v3/providers/all/ 2",
      "/api/v3/providers/oauth2/",
    ]);
  });

  it("a first run observes in one round: the application is read beside the provider search, not after its answer", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    fake.inject({ path: "/api/v3/providers/all/", delayMs: 300, times: 1 });
    const result = await runMain(baseEnv(fake.url, tempDir()));
    expect(result.code).toBe(0);
    const search = fake.log.find((r) => r.path === "/api/v3/providers/all/")!;
    const app = fake.log.find((r) => r.path === "/api/v3/core/applications/netbird/")!;
    expect(app.at).toBeLessThan(search.answeredAt!);
    expect(fake.log.filter((r) => r.path === "/api/v3/core/applications/netbird/")).toHaveLength(1);
  });

  it("a first run makes the role without searching for it; one already there is adopted on the 400, repaired, and reported so", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const api = admin(fake.url);
    // Left by a first run that failed before its group was made, or made by hand: one permission too many, one missing.
    const role = await api.post("/rbac/roles/", { name: "NetBird IdP manager" });
    await api.post(`/rbac/permissions/assigned_by_roles/${role.pk}/assign/`, { permissions: ["authentik_core.view_user", "authentik_core.change_user"] });
    const env = baseEnv(fake.url, tempDir());
    // Plan mode reads as a re-run: it finds the role and plans its repair.
    const planned = await runMain(env, ["--plan"]);
    expect(planned.code).toBe(2);
    expect(planned.stdout).toContain("~ role 'NetBird IdP manager': update");
    fake.resetLog();

    const result = await runMain(env);
    expect(result.code).toBe(0);
    expect(result.summary.created).not.toContain("role 'NetBird IdP manager'");
    expect(result.summary.updated).toContain("role 'NetBird IdP manager'");
    expect(result.stderr).toContain("role 'NetBird IdP manager' exists already");
    const roleCalls = fake.log.filter((r) => r.path.startsWith("/api/v3/rbac/")).map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(roleCalls).toEqual([
      "POST /api/v3/rbac/roles/ 400",
      "GET /api/v3/rbac/roles/ 200",
      "GET /api/v3/rbac/permissions/ 200",
      `POST /api/v3/rbac/permissions/assigned_by_roles/${role.pk}/assign/ 200`,
      `PATCH /api/v3/rbac/permissions/assigned_by_roles/${role.pk}/unassign/ 204`,
    ]);
    expect([...fake.store.roles.values()].filter((r) => r.name === "NetBird IdP manager")).toHaveLength(1);
    expect([...fake.store.roles.get(role.pk)!.permissions].sort()).toEqual(["authentik_core.delete_user", "authentik_core.view_user"]);
    expect(fake.store.groupByName("NetBird IdP manager")!.roles).toEqual([role.pk]);
  });

  it("a first run makes the role's group without looking it up; one already there is adopted, repaired, and the new account joins it", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const api = admin(fake.url);
    // Made by hand, or left behind: a superuser group without the role, with a member of its own.
    const akadmin = (await api.get("/core/users/?username=akadmin")).results[0];
    const group = await api.post("/core/groups/", { name: "NetBird IdP manager", is_superuser: true, users: [akadmin.pk] });
    fake.resetLog();
    const result = await runMain(baseEnv(fake.url, tempDir()));
    expect(result.summary.error?.message).toBeUndefined();
    expect(result.code).toBe(0);
    expect(result.summary.created).not.toContain("group 'NetBird IdP manager'");
    expect(result.summary.updated).toContain("group 'NetBird IdP manager'");
    expect(result.stderr).toContain("group 'NetBird IdP manager' exists already");
    // The membership was planned against a group to be made with the account in it: planned anew, it is a join.
    expect(result.summary.updated).toContain("group membership 'NetBird in NetBird IdP manager'");
    const groupCalls = fake.log.filter((r) => r.path.startsWith("/api/v3/core/groups/")).map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(groupCalls).toEqual([
      "POST /api/v3/core/groups/ 400",
      "GET /api/v3/core/groups/ 200",
      `PATCH /api/v3/core/groups/${group.pk}/ 200`,
      `POST /api/v3/core/groups/${group.pk}/add_user/ 204`,
    ]);
    const after = fake.store.groupByName("NetBird IdP manager")!;
    expect([...fake.store.groups.values()].filter((g) => g.name === "NetBird IdP manager")).toHaveLength(1);
    expect(after.is_superuser).toBe(false);
    const account = fake.store.userByName("NetBird")!;
    expect(after.users.sort()).toEqual([akadmin.pk, account.pk].sort());
    const role = [...fake.store.roles.values()].find((r) => r.name === "NetBird IdP manager")!;
    expect(after.roles).toEqual([role.pk]);
  });

  it("a run whose output was lost adopts the role and its group it did not look for, and reports the membership unchanged", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const env = baseEnv(fake.url, out);
    expect((await runMain(env)).code).toBe(0);
    writeFileSync(join(out, "setup.env"), "");
    fake.resetLog();
    const again = await runMain(env);
    expect(again.code).toBe(0);
    expect(fake.writes()).toEqual([]);
    // The creations authentik refused (400: the name is taken) changed nothing, and are not counted as writes.
    expect(again.summary.writes).toBe(0);
    expect(again.summary.created).toEqual([]);
    expect(again.summary.updated).toEqual([]);
    expect(again.summary.unchanged).toEqual(expect.arrayContaining(["group 'NetBird IdP manager'", "group membership 'NetBird in NetBird IdP manager'"]));
    expect(fake.log.filter((r) => r.path.startsWith("/api/v3/core/groups/")).map((r) => `${r.method} ${r.status}`)).toEqual(["POST 400", "GET 200"]);
    // Its rights changed in nothing: not probed (an admin call refused) as after a change.
    expect(fake.log.filter((r) => r.caller === "NetBird" && r.path === "/api/v3/providers/oauth2/")).toEqual([]);
    expect(again.summary.requests).toBe(21);
  });

  it("before 2024.6, where authentik takes a second group of a name, a first run looks the role's group up before making it", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, version: "2024.2.0" });
    const api = admin(fake.url);
    await api.post("/core/groups/", { name: "NetBird IdP manager" });
    fake.resetLog();
    const result = await runMain(baseEnv(fake.url, tempDir()));
    expect(result.code).toBe(0);
    // Found, so not made again: a second group of that name would be taken.
    expect(fake.log.filter((r) => r.path === "/api/v3/core/groups/").map((r) => r.method)).toEqual(["GET"]);
    expect([...fake.store.groups.values()].filter((g) => g.name === "NetBird IdP manager")).toHaveLength(1);
    expect(result.summary.updated).toContain("group 'NetBird IdP manager'");
  });

  it.each([
    ["a lost answer to its permissions (504 until the client gives up)", { method: "POST", path: /\/assign\/$/, status: 504, times: 5 }],
    ["a proxy's 503 after authentik made it, then the client's retry answered 400", { method: "POST", path: "/api/v3/rbac/roles/", status: 503, handled: true, times: 1 }],
  ])("a role this run made is reported as created, not adopted, after %s", async (_name, fault) => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    fake.inject(fault);
    const result = await runMain(baseEnv(fake.url, tempDir()));
    expect(result.summary.error?.message).toBeUndefined();
    expect(result.code).toBe(0);
    expect(result.summary.created).toContain("role 'NetBird IdP manager'");
    expect(result.stderr).toContain("the answer to its creation was lost");
    expect(result.stderr).not.toContain("it existed already");
    const roles = [...fake.store.roles.values()].filter((r) => r.name === "NetBird IdP manager");
    expect(roles).toHaveLength(1);
    expect([...roles[0]!.permissions].sort()).toEqual(["authentik_core.delete_user", "authentik_core.view_user"]);
  });

  it("an unknown newer authentik is tried with the newest shapes and a warning, not refused", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, reportVersion: "2027.2.0" });
    const result = await runMain(baseEnv(fake.url, tempDir()));
    expect(result.code).toBe(0);
    expect(result.summary.authentikVersion).toBe("2027.2.0");
    expect(result.stderr).toContain("newer than the newest version this tool was tested with");
  });

  it("rejects bad configuration before any request, listing every problem", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const result = await runMain({ AUTHENTIK_URL: fake.url, AUTHENTIK_TOKEN: TOKEN, NETBIRD_DOMAIN: "https://netbird.example.com/", APP_SLUG: "not a slug" });
    expect(result.code).toBe(3);
    expect(result.summary.error?.message).toContain("NETBIRD_DOMAIN");
    expect(result.summary.error?.message).toContain("APP_SLUG");
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
    expect(fake.log).toEqual([]);
  });

  it("refuses to touch authentik when the output directory cannot be written", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const result = await runMain(baseEnv(fake.url, join(tempDir(), "missing")));
    expect(result.code).toBe(8);
    expect(result.summary.error?.message).toContain("does not exist");
    expect(fake.log).toEqual([]);
  });
});

describe("readiness", () => {
  it("waits through refused connections, 'starting' answers, a rejected token and late default objects", async () => {
    await using fake = await startFakeAuthentik({
      bootstrapToken: TOKEN,
      timeline: { refusedMs: 400, startingMs: 400, tokenRejectedMs: 400, flowsMs: 200, mappingsMs: 200, certificateMs: 200, brandMs: 200 },
    });
    const result = await runMain(baseEnv(fake.url, tempDir()));
    expect(result.code).toBe(0);
    const statuses = new Set(fake.log.map((r) => r.status));
    expect([...statuses]).toEqual(expect.arrayContaining([403]));
  });

  it.each([
    ["token", "token"],
    ["brand", "defaults"],
    ["mappings", "defaults"],
  ] as const)("names the stage when authentik stays stuck at '%s'", async (neverReady, stage) => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, timeline: { neverReady } });
    const result = await runMain(baseEnv(fake.url, tempDir(), { WAIT_TIMEOUT: "2" }));
    expect(result.code).toBe(4);
    expect(result.summary.error?.message).toContain(`stage '${stage}'`);
    expect(fake.writes()).toEqual([]);
  });

  it("a wrong token ends with the readiness code and a hint about AUTHENTIK_BOOTSTRAP_TOKEN", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const result = await runMain({ ...baseEnv(fake.url, tempDir(), { WAIT_TIMEOUT: "2" }), AUTHENTIK_TOKEN: "wrong-token-value-123456" });
    expect(result.code).toBe(4);
    expect(result.summary.error?.message).toContain("Token invalid/expired");
    expect(result.summary.error?.message).toContain("AUTHENTIK_BOOTSTRAP_TOKEN");
  });
});

describe.each(["2024.2.0", "2024.10.2", "2024.12.0", "2025.10.0", "2026.2.2", "2026.5.6", "2026.8.3"])("authentik %s", (version) => {
  it("fresh run, then a no-op run with zero writes, then drift repair, then rotation", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, version });
    const out = tempDir();
    const env = baseEnv(fake.url, out);
    const first = await runMain(env);
    expect(first.stderr).not.toContain('"level":50');
    expect(first.code).toBe(0);
    expect(first.summary.authentikVersion).toBe(version);
    fake.resetLog();
    const second = await runMain(env);
    expect(second.code).toBe(0);
    expect(fake.writes()).toEqual([]);

    const api = admin(fake.url);
    const [provider] = await api.provider();
    await api.patch(`/providers/oauth2/${provider.pk}/`, { sub_mode: "user_email" });
    fake.resetLog();
    const third = await runMain(env);
    expect(third.code).toBe(0);
    expect(fake.writes().map((w) => `${w.method} ${w.path}`)).toEqual([`PATCH /api/v3/providers/oauth2/${provider.pk}/`]);
    expect((await api.provider())[0].sub_mode).toBe("user_id");

    const oldKey = (await api.get("/core/tokens/service-account-netbird-password/view_key/")).key;
    const rotated = await runMain({ ...env, ROTATE: "app-password" });
    expect(rotated.code).toBe(0);
    const newKey = (await api.get("/core/tokens/service-account-netbird-password/view_key/")).key;
    expect(newKey).not.toBe(oldKey);
    expect(sourceWithBash(join(out, "setup.env"), ["NETBIRD_IDP_MGMT_EXTRA_PASSWORD"]).NETBIRD_IDP_MGMT_EXTRA_PASSWORD).toBe(newKey);
  });
});
