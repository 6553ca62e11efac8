/**
 * Least-privilege tool token (TOOL_TOKEN_FILE) through the real entry point against the fake authentik, whose
 * RBAC answers 403 for any call the token's role does not cover (test/fake-authentik/rbac.ts, its own table read
 * in authentik's source). One superuser run makes the account, role, group and token; from then on every run —
 * re-run, drift repair, rotation of the app password, the retired password's clean-up, verify, and an apply that
 * makes everything NetBird's again from nothing — uses that token only, on every version the fake emulates.
 */
import { readFileSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TOOL_CALLS, toolPermissions } from "../../src/authentik/permissions.ts";
import { startFakeAuthentik, type FakeAuthentik } from "../fake-authentik/index.ts";
import { requiredPermissions } from "../fake-authentik/rbac.ts";
import { VERSIONS } from "../fake-authentik/schema.ts";
import { admin, netbirdToken } from "../helpers/admin.ts";
import { sourceWithBash } from "../helpers/bash.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { runMain } from "../helpers/run-main.ts";

const ACCOUNT = "authentik-bootstrap";

function toolEnv(url: string, out: string, tokenFile: string, extra: Record<string, string> = {}): Record<string, string> {
  const env = baseEnv(url, out, { TOOL_TOKEN_FILE: tokenFile, ...extra });
  delete env.AUTHENTIK_TOKEN;
  return env;
}

/** A fake authentik where one superuser run made everything, the tool token kept in `tokenFile`. */
async function madeByASuperuser(): Promise<{ fake: FakeAuthentik; out: string; tokenFile: string }> {
  const fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
  const out = tempDir();
  const tokenFile = join(tempDir(), "tool-token.env");
  expect((await runMain(baseEnv(fake.url, out, { TOOL_TOKEN_FILE: tokenFile }))).code).toBe(0);
  return { fake, out, tokenFile };
}

/** The requests of a run made with a token of `who` (the fake records the caller of each API call). */
const callers = (log: { caller?: string; path: string }[]) => new Set(log.filter((r) => r.path.startsWith("/api/v3/") && r.caller).map((r) => r.caller));

describe.each(VERSIONS)("least-privilege tool token, authentik %s", (version) => {
  it("a superuser run makes the account and token; apply, re-run, drift, rotation and verify then run with it alone", async () => {
    await using fake = await startFakeAuthentik({ version, bootstrapToken: TOKEN });
    const out = tempDir();
    const tokenFile = join(tempDir(), "tool-token.env");
    const api = admin(fake.url);

    // 1. The bootstrap run: AUTHENTIK_TOKEN (a superuser's) and where to keep the tool token.
    const first = await runMain(baseEnv(fake.url, out, { TOOL_TOKEN_FILE: tokenFile }));
    expect(first.stderr).not.toContain('"level":50');
    expect(first.code, first.stdout.slice(-2000)).toBe(0);
    expect(first.summary.created).toEqual(expect.arrayContaining([`tool account '${ACCOUNT}'`, `tool token '${ACCOUNT}-api-token'`, `role '${ACCOUNT} provisioner'`]));
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const stored = sourceWithBash(tokenFile, ["AUTHENTIK_TOKEN"]).AUTHENTIK_TOKEN!;
    expect(stored).toBe(await api.key(`${ACCOUNT}-api-token`));
    expect(first.stdout).not.toContain(stored);

    // The account: a service account, not a superuser, no app password left over, in the group with the role
    // that holds exactly the permissions of the tool's calls on this version (as authentik lists them).
    const [account] = await api.users(ACCOUNT);
    expect(account).toMatchObject({ type: "service_account", is_superuser: false });
    expect((await api.tokens(ACCOUNT)).map((t: any) => t.identifier)).toEqual([`${ACCOUNT}-api-token`]);
    const group = await api.group(`${ACCOUNT} provisioner`);
    expect(group.users).toContain(account.pk);
    const perms = (await api.get(`/rbac/permissions/?role=${group.roles[0]}&page_size=100`)).results.map((p: any) => `${p.app_label}.${p.codename}`);
    expect(perms.sort()).toEqual(toolPermissions(version).filter((p) => p.startsWith("authentik")));

    // 2. From here on: no AUTHENTIK_TOKEN. A re-run changes nothing and every API call is the tool's or NetBird's account's.
    fake.resetLog();
    const again = await runMain(toolEnv(fake.url, out, tokenFile));
    expect(again.code, again.stdout.slice(-2000)).toBe(0);
    expect(again.summary.writes).toBe(0);
    expect(again.summary.created).toEqual([]);
    expect(again.summary.updated).toEqual([]);
    expect([...callers(fake.log)].sort()).toEqual(["NetBird", ACCOUNT].sort());
    expect(fake.log.filter((r) => r.status === 403 && r.caller === ACCOUNT)).toEqual([]);

    // 3. Drift an admin made: a redirect URI removed, the NetBird role given an extra permission.
    const [provider] = await api.provider();
    const before = provider.redirect_uris;
    await api.patch(`/providers/oauth2/${provider.pk}/`, { redirect_uris: Array.isArray(before) ? before.slice(1) : String(before).split("\n").slice(1).join("\n") });
    const nbGroup = await api.group("NetBird IdP manager");
    await api.post(`/rbac/permissions/assigned_by_roles/${nbGroup.roles[0]}/assign/`, { permissions: ["authentik_core.change_user"] });
    const repaired = await runMain(toolEnv(fake.url, out, tokenFile));
    expect(repaired.code, repaired.stdout.slice(-2000)).toBe(0);
    expect(repaired.summary.updated).toEqual(expect.arrayContaining(["OAuth2 provider 'NetBird'", "role 'NetBird IdP manager'"]));
    const uris = (v: unknown) => (Array.isArray(v) ? v.map((u) => JSON.stringify(u)) : String(v).split("\n")).sort();
    expect(uris((await api.provider())[0].redirect_uris)).toEqual(uris(before));

    // 4. Rotation of the app password as NetBird's account itself; the old one keeps working through its grace.
    const oldPassword = sourceWithBash(join(out, "setup.env"), ["NETBIRD_IDP_MGMT_EXTRA_PASSWORD"]).NETBIRD_IDP_MGMT_EXTRA_PASSWORD!;
    fake.resetLog();
    const rotated = await runMain(toolEnv(fake.url, out, tokenFile, { ROTATE: "app-password", ROTATE_GRACE: "600" }));
    expect(rotated.code, rotated.stdout.slice(-2000)).toBe(0);
    expect(callers(fake.log).has("akadmin")).toBe(false);
    const vars = sourceWithBash(join(out, "setup.env"), ["NETBIRD_AUTH_CLIENT_ID", "NETBIRD_IDP_MGMT_EXTRA_PASSWORD"]);
    const newPassword = vars.NETBIRD_IDP_MGMT_EXTRA_PASSWORD!;
    expect(newPassword).not.toBe(oldPassword);
    expect(newPassword).toBe(await api.key("service-account-netbird-password"));
    expect((await netbirdToken(fake.url, vars.NETBIRD_AUTH_CLIENT_ID!, "NetBird", oldPassword)).status).toBe(200);
    expect((await netbirdToken(fake.url, vars.NETBIRD_AUTH_CLIENT_ID!, "NetBird", newPassword)).status).toBe(200);
    const tokens = await api.tokens("NetBird");
    expect(tokens.map((t: any) => t.intent).sort()).toEqual(["app_password", "app_password"]);
    const fresh = tokens.find((t: any) => t.identifier === "service-account-netbird-password");
    expect(fresh).toMatchObject({ expiring: false, user: (await api.users("NetBird"))[0].pk });
    // No API token for anyone but the tool account was made.
    const all = (await api.get("/core/tokens/?intent=api")).results.map((t: any) => t.identifier);
    expect(all.filter((id: string) => id !== `${ACCOUNT}-api-token`).every((id: string) => !id.includes("netbird"))).toBe(true);

    // 5. Once the grace is over, the retired password is deleted by a later run, again as NetBird's account.
    const retired = tokens.find((t: any) => t.identifier.includes("-retired-"));
    await api.patch(`/core/tokens/${retired.identifier}/`, { intent: "app_password", user: retired.user, expiring: true, expires: new Date(Date.now() - 1000).toISOString() });
    const cleaned = await runMain(toolEnv(fake.url, out, tokenFile));
    expect(cleaned.code, cleaned.stdout.slice(-2000)).toBe(0);
    expect((await api.tokens("NetBird")).map((t: any) => t.identifier)).toEqual(["service-account-netbird-password"]);

    // 6. Verify mode with the tool token.
    fake.resetLog();
    const verified = await runMain(toolEnv(fake.url, out, tokenFile), ["--verify"]);
    expect(verified.code, verified.stdout.slice(-2000)).toBe(0);
    expect(callers(fake.log).has("akadmin")).toBe(false);

    // 7. The whole apply with the tool token alone: everything NetBird's is gone (provider, application, service
    // account, its role and group, the device-code flow) and setup.env with it; the run makes it all again.
    const netbirdGroup = await api.group("NetBird IdP manager");
    await api.del(`/core/applications/netbird/`);
    await api.del(`/providers/oauth2/${(await api.provider())[0].pk}/`);
    await api.del(`/core/users/${(await api.users("NetBird"))[0].pk}/`);
    await api.del(`/rbac/roles/${netbirdGroup.roles[0]}/`);
    await api.del(`/core/groups/${netbirdGroup.pk}/`);
    await api.del("/flows/instances/default-device-code-flow/");
    unlinkSync(join(out, "setup.env"));
    fake.resetLog();
    const rebuilt = await runMain(toolEnv(fake.url, out, tokenFile));
    expect(rebuilt.code, rebuilt.stdout.slice(-2000)).toBe(0);
    expect(rebuilt.summary.created).toEqual(
      expect.arrayContaining([
        "OAuth2 provider 'NetBird'",
        "application 'netbird'",
        "service account 'NetBird'",
        "role 'NetBird IdP manager'",
        "device-code flow 'default-device-code-flow'",
      ]),
    );
    expect(callers(fake.log).has("akadmin")).toBe(false);
    const rebuiltVars = sourceWithBash(join(out, "setup.env"), ["NETBIRD_AUTH_CLIENT_ID", "NETBIRD_IDP_MGMT_EXTRA_PASSWORD"]);
    expect((await netbirdToken(fake.url, rebuiltVars.NETBIRD_AUTH_CLIENT_ID!, "NetBird", rebuiltVars.NETBIRD_IDP_MGMT_EXTRA_PASSWORD!)).status).toBe(200);
  }, 120_000);
});

describe("least-privilege tool token: what it cannot do (and says so), and what it repairs alone", () => {
  it("an app password that was deleted needs a superuser run: the error names it and the fix, nothing is written", async () => {
    const { fake, out, tokenFile } = await madeByASuperuser();
    await using _ = fake;
    const api = admin(fake.url);
    await api.del("/core/tokens/service-account-netbird-password/");
    const setupBefore = readFileSync(join(out, "setup.env"), "utf8");
    const failed = await runMain(toolEnv(fake.url, out, tokenFile));
    expect(failed.code).toBe(6);
    expect(failed.summary.error?.message).toContain("log in as 'NetBird'");
    expect(failed.summary.error?.message).toContain("run once with AUTHENTIK_TOKEN set to a superuser's token");
    expect(readFileSync(join(out, "setup.env"), "utf8")).toBe(setupBefore);
    // The superuser run repairs it, and the tool token works again afterwards.
    expect((await runMain(baseEnv(fake.url, out, { TOOL_TOKEN_FILE: tokenFile }))).code).toBe(0);
    expect((await runMain(toolEnv(fake.url, out, tokenFile))).code).toBe(0);
  }, 60_000);

  it("NetBird's account deleted: a run with the tool token alone finds it missing and makes it again (no login with the old password first)", async () => {
    const { fake, out, tokenFile } = await madeByASuperuser();
    await using _ = fake;
    const api = admin(fake.url);
    const [account] = await api.users("NetBird");
    await api.del(`/core/users/${account.pk}/`);
    const again = await runMain(toolEnv(fake.url, out, tokenFile));
    expect(again.summary.error?.message).toBeUndefined();
    expect(again.code).toBe(0);
    expect(again.summary.created).toContain("service account 'NetBird'");
    expect(await api.users("NetBird")).toHaveLength(1);
  }, 60_000);

  it("a first run with the tool token (a second NetBird, new output) looks the tool's group up, and makes the new one's without looking", async () => {
    const { fake, tokenFile } = await madeByASuperuser();
    await using _ = fake;
    fake.resetLog();
    const names = { APP_SLUG: "netbird-two", PROVIDER_NAME: "NetBird two", SERVICE_ACCOUNT: "NetBird-two" };
    const second = await runMain(toolEnv(fake.url, tempDir(), tokenFile, names));
    expect(second.summary.error?.message).toBeUndefined();
    expect(second.code).toBe(0);
    expect(second.summary.created).toEqual(expect.arrayContaining(["group 'NetBird-two IdP manager'", "role 'NetBird-two IdP manager'"]));
    // The tool's own group (and through it its role) is looked up: it is there. The new group is only made.
    const groups = fake.log.filter((r) => r.path === "/api/v3/core/groups/").map((r) => `${r.method} ${r.status} ${decodeURIComponent(r.query).replace(/\+/g, " ")}`);
    expect(groups).toEqual([expect.stringMatching(new RegExp(`^GET 200 .*name=${ACCOUNT} provisioner`)), expect.stringMatching(/^POST 201/)]);
    expect(fake.log.filter((r) => r.path === "/api/v3/rbac/roles/").map((r) => `${r.method} ${r.status}`)).toEqual(["POST 201"]);
  }, 60_000);

  it.each([
    ["its token file kept: the tool's group is looked up", false, 1],
    ["its token file lost too: the tool's group is made, adopted on the 400, and its membership found unchanged", true, 2],
  ])(
    "a superuser run with a new output, %s",
    async (_name, loseTokenFile, groupPosts) => {
      const { fake, tokenFile } = await madeByASuperuser();
      await using _ = fake;
      if (loseTokenFile) unlinkSync(tokenFile);
      fake.resetLog();
      const again = await runMain(baseEnv(fake.url, tempDir(), { TOOL_TOKEN_FILE: tokenFile }));
      expect(again.summary.error?.message).toBeUndefined();
      expect(again.code).toBe(0);
      expect(again.summary.created).toEqual([]);
      expect(again.summary.updated).toEqual(loseTokenFile ? [`tool token '${ACCOUNT}-api-token'`] : []);
      expect(again.summary.unchanged).toEqual(expect.arrayContaining([`group '${ACCOUNT} provisioner'`, `group membership '${ACCOUNT} in ${ACCOUNT} provisioner'`]));
      // NetBird's group is made blind (and adopted) in both; the tool's only when no token of its is at hand.
      const groups = fake.log.filter((r) => r.path === "/api/v3/core/groups/");
      expect(groups.filter((r) => r.method === "POST").map((r) => r.status)).toEqual(Array(groupPosts).fill(400));
      expect(groups.filter((r) => r.method === "GET" && decodeURIComponent(r.query).includes(ACCOUNT))).toHaveLength(1);
      expect(fake.log.filter((r) => r.path.endsWith("/add_user/"))).toEqual([]);
      expect(again.summary.writes).toBe(0);
    },
    60_000,
  );

  it("plan mode with the tool token sees NetBird's app password through its account: a converged install plans nothing (exit 0)", async () => {
    const { fake, out, tokenFile } = await madeByASuperuser();
    await using _ = fake;
    const views = () => fake.store.events.filter((e) => e.action === "secret_view").length;
    const before = views();
    fake.resetLog();
    const planned = await runMain(toolEnv(fake.url, out, tokenFile), ["--plan"]);
    expect(planned.code, planned.stdout.slice(-1500)).toBe(0);
    expect(planned.stdout).toContain("Plan: 0 to create, 0 to update");
    expect(views()).toBe(before);
    expect(fake.writes()).toEqual([]);
  }, 60_000);

  it("refuses a tool account that is NetBird's, and a token file that is NetBird's setup.env (exit 3, nothing contacted)", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const sameAccount = await runMain(baseEnv(fake.url, out, { TOOL_TOKEN_FILE: join(tempDir(), "t.env"), TOOL_ACCOUNT: "NetBird" }));
    expect(sameAccount.code).toBe(3);
    expect(sameAccount.summary.error?.message).toContain("TOOL_ACCOUNT 'NetBird' is the service account of CONSUMER=netbird");
    const sameFile = await runMain(baseEnv(fake.url, out, { TOOL_TOKEN_FILE: join(out, "setup.env") }));
    expect(sameFile.code).toBe(3);
    expect(sameFile.summary.error?.message).toContain("TOOL_TOKEN_FILE is the output file of CONSUMER=netbird");
    expect(fake.log).toEqual([]);
  });

  it("no AUTHENTIK_TOKEN and no stored tool token yet: a configuration error before authentik is contacted", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const tokenFile = join(tempDir(), "tool-token.env");
    const failed = await runMain(toolEnv(fake.url, tempDir(), tokenFile));
    expect(failed.code).toBe(3);
    expect(failed.summary.error?.message).toContain(`${tokenFile} holds no tool token yet`);
    expect(fake.log).toEqual([]);
  });

  it("a lost token file is written again by a superuser run (the key read back, not a new token)", async () => {
    const { fake, out, tokenFile } = await madeByASuperuser();
    await using _ = fake;
    const key = sourceWithBash(tokenFile, ["AUTHENTIK_TOKEN"]).AUTHENTIK_TOKEN;
    unlinkSync(tokenFile);
    const again = await runMain(baseEnv(fake.url, out, { TOOL_TOKEN_FILE: tokenFile }));
    expect(again.code).toBe(0);
    expect(again.summary.updated).toContain(`tool token '${ACCOUNT}-api-token'`);
    expect(sourceWithBash(tokenFile, ["AUTHENTIK_TOKEN"]).AUTHENTIK_TOKEN).toBe(key);
  }, 60_000);
});

describe("the tool role is derived from the calls", () => {
  it("every API operation a superuser run sends (fresh, drift, rotation, verify) is in the tool's table, which asks what the fake's RBAC asks", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const env = baseEnv(fake.url, out, { AUTHENTIK_PUBLIC_URL: fake.url.replace("127.0.0.1", "localhost") });
    expect((await runMain(env)).code).toBe(0);
    const [provider] = await admin(fake.url).provider();
    await admin(fake.url).patch(`/providers/oauth2/${provider.pk}/`, { sub_mode: "user_email" });
    expect((await runMain({ ...env, ROTATE: "app-password" })).code).toBe(0);
    expect((await runMain(env, ["--verify"])).code).toBe(0);
    // The tool's calls (NetBird's account's own and the token endpoints aside: they need no role).
    const ops = new Set(fake.log.filter((r) => r.caller === "akadmin" && r.operationId && !r.operationId.startsWith("core_tokens")).map((r) => r.operationId!));
    const missing = [...ops].filter((op) => !(op in TOOL_CALLS));
    expect(missing).toEqual([]);
    // Both tables were written from authentik's source separately; on every version they agree on these calls.
    for (const version of VERSIONS) {
      for (const op of ops) expect([op, ...TOOL_CALLS[op]!(version)].sort(), `${op} on ${version}`).toEqual([op, ...(requiredPermissions(op, version) ?? [])].sort());
    }
  }, 60_000);
});
