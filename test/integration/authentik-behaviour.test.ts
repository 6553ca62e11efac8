/**
 * What authentik's real source does where the tool once believed otherwise (its token serializer, the token
 * endpoint's check order, list filters that refuse unknown values, `/device` behind a login, the brand rule per
 * release, the device endpoint's throttle, typed redirect URIs, the redirect-URI upgrade migration, hidden
 * expired tokens), each through the built entry point against the fake, which now does the same.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeAuthentik, Store } from "../fake-authentik/index.ts";
import { admin, netbirdToken } from "../helpers/admin.ts";
import { sourceWithBash } from "../helpers/bash.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { runMain } from "../helpers/run-main.ts";

const ID = "service-account-netbird-password";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The tokens a user owns, by intent (read from the fake's database, expired ones included). */
function tokensOf(store: Store, username: string) {
  const user = store.userByName(username)!;
  return [...store.tokens.values()].filter((t) => t.user === user.pk);
}

describe("tokens: every write keeps NetBird's app password an app password of the service account", () => {
  it("rotation with the default grace (1 h) and an `expiring` repair leave no API token of the caller; the old password works until its grace ends", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const env = baseEnv(fake.url, tempDir());
    expect((await runMain(env)).code).toBe(0);
    const api = admin(fake.url);
    const [provider] = await api.provider();
    const apiTokensBefore = tokensOf(fake.store, "akadmin").filter((t) => t.intent === "api").length;

    // Drift: someone made the app password expire; the repair must not turn it into akadmin's API token.
    fake.store.tokens.get(ID)!.expiring = true;
    fake.resetLog();
    const repaired = await runMain(env);
    expect(repaired.summary.error?.message).toBeUndefined();
    const repairBody = fake.writes().find((w) => w.path === `/api/v3/core/tokens/${ID}/`)?.body;
    expect(repairBody).toMatchObject({ expiring: false, intent: "app_password", user: fake.store.userByName("NetBird")!.pk });
    expect(fake.store.tokens.get(ID)).toMatchObject({ intent: "app_password", expiring: false, user: fake.store.userByName("NetBird")!.pk });

    const oldKey = await api.key(ID);
    const rotated = await runMain({ ...env, ROTATE: "app-password" });
    expect(rotated.summary.error?.message).toBeUndefined();
    expect(rotated.code).toBe(0);
    const newKey = await api.key(ID);
    expect(newKey).not.toBe(oldKey);

    // No token changed hands or intent: akadmin has exactly the API tokens it had, the service account only app passwords.
    expect(tokensOf(fake.store, "akadmin").filter((t) => t.intent === "api")).toHaveLength(apiTokensBefore);
    const accountTokens = tokensOf(fake.store, "NetBird");
    expect(accountTokens.map((t) => t.intent)).toEqual(["app_password", "app_password"]);
    const retired = accountTokens.find((t) => t.identifier.startsWith(`${ID}-retired-`))!;
    expect(Date.parse(retired.expires!)).toBeGreaterThan(Date.now() + 3_500_000);
    // The default grace exceeds authentik's default maximum lifetime (30 min): the account's own limit was raised.
    expect(fake.store.userByName("NetBird")!.attributes["goauthentik.io/user/token-maximum-lifetime"]).toBe("seconds=4200");
    // The old password is no Bearer token, and it still logs NetBird in.
    expect((await fetch(`${fake.url}/api/v3/core/users/`, { headers: { authorization: `Bearer ${oldKey}` } })).status).toBe(403);
    expect((await netbirdToken(fake.url, provider.client_id, "NetBird", oldKey)).status).toBe(200);
    expect((await netbirdToken(fake.url, provider.client_id, "NetBird", newKey)).status).toBe(200);
  });

  it("a short grace: the retired password stops working when it ends, the new one keeps working", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const env = baseEnv(fake.url, tempDir());
    expect((await runMain(env)).code).toBe(0);
    const api = admin(fake.url);
    const [provider] = await api.provider();
    const oldKey = await api.key(ID);
    const rotated = await runMain({ ...env, ROTATE: "app-password", ROTATE_GRACE: "3" });
    expect(rotated.code).toBe(0);
    const newKey = await api.key(ID);
    expect((await netbirdToken(fake.url, provider.client_id, "NetBird", oldKey)).status).toBe(200);
    await sleep(4500);
    expect((await netbirdToken(fake.url, provider.client_id, "NetBird", oldKey)).body.error).toBe("invalid_grant");
    expect((await netbirdToken(fake.url, provider.client_id, "NetBird", newKey)).status).toBe(200);
  });
});

describe("verification as authentik really answers", () => {
  it("the client-secret probe uses a registered redirect URI: passes with the right secret and leaves no configuration-error event", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const env = baseEnv(fake.url, tempDir(), { CONSUMER: "firezone", FIREZONE_URL: "https://firezone.example.com", NETBIRD_DOMAIN: "" });
    const first = await runMain(env);
    expect(first.summary.error?.message).toBeUndefined();
    expect(first.code).toBe(0);
    expect((await runMain(env, ["--verify"])).code).toBe(0);
    const probes = fake.log.filter((r) => r.path === "/application/o/token/");
    expect(probes.length).toBeGreaterThan(0);
    expect(fake.store.events.filter((e) => e.action === "configuration_error")).toEqual([]);
  });

  it("the device check asks authentik which brand serves the public host: a port in the public URL sends users to another brand", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    // A brand for the host without port: authentik (2026.2+ rule) does not use it for host:port.
    const host = new URL(fake.url).host; // 127.0.0.1:<port>
    const ipBrand = fake.store.addBrand({ domain: "127.0.0.1" });
    const env = baseEnv(fake.url, out);
    const run = await runMain(env);
    expect(run.summary.error?.message).toBeUndefined();
    expect(run.code).toBe(0);
    // The flow went to the brand authentik really uses for `127.0.0.1:<port>` (the default), not to '127.0.0.1'.
    expect(ipBrand.flow_device_code).toBeNull();
    const current = await (await fetch(`${fake.url}/api/v3/core/brands/current/`)).json();
    expect(current).toMatchObject({ matched_domain: "authentik-default", flow_device_code: "default-device-code-flow" });
    expect(host).toContain(":");

    // Someone gives the host its own brand without a device flow: verification names it, a re-run repairs it.
    const own = fake.store.addBrand({ domain: host });
    const r = await runMain(env, ["--verify"]);
    expect(r.code).toBe(10);
    expect(r.summary.error?.message).toContain(`brand '${host}', which serves ${host}, has no device-code flow`);
    expect((await runMain(env)).code).toBe(0);
    expect(own.flow_device_code).not.toBeNull();
    expect((await runMain(env, ["--verify"])).code).toBe(0);
  });

  it("authentik ≤2025.10.1 (any matching brand, database order): the brand it really uses is what verification checks", async () => {
    await using fake = await startFakeAuthentik({ version: "2025.10", bootstrapToken: TOKEN });
    const out = tempDir();
    const publicUrl = fake.url.replace("127.0.0.1", "localhost");
    const host = new URL(publicUrl).host;
    // Two brands end the host as plain suffixes ('t:<port>' has no dot boundary, which this rule does not need):
    // authentik takes the first non-default one in database order, and so does the tool.
    const b1 = fake.store.addBrand({ domain: `t:${new URL(publicUrl).port}` });
    fake.store.addBrand({ domain: host });
    const run = await runMain(baseEnv(fake.url, out, { AUTHENTIK_PUBLIC_URL: publicUrl }));
    expect(run.summary.error?.message).toBeUndefined();
    expect(run.code).toBe(0);
    expect(b1.flow_device_code).not.toBeNull();
    expect(run.stdout + run.stderr).not.toContain("Verification failed");
  });

  it("the device endpoint is called with --verify, or when something it depends on changed and NetBird's login did not prove it; throttled, it is 'could not check'", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, deviceThrottlePerHour: 1 });
    const env = baseEnv(fake.url, tempDir());
    const calls = () => fake.log.filter((r) => r.path === "/application/o/device/").length;
    // A first run: NetBird's login with the same client id got a token, which proves all the endpoint checks.
    const fresh = await runMain(env);
    expect(fresh.code).toBe(0);
    expect(fresh.stderr).toContain("device codes would be issued: NetBird's login with this client id shows its provider bound to an application");
    expect(calls()).toBe(0);
    // The brand lost its device flow: repaired, and the run's own login (before the repair) still proves it.
    const serving = [...fake.store.brands.values()].find((b) => b.flow_device_code)!;
    serving.flow_device_code = null;
    const repaired = await runMain(env);
    expect(repaired.code).toBe(0);
    expect(serving.flow_device_code).not.toBeNull();
    expect(calls()).toBe(0);
    // A no-op run spends none of the users' quota either.
    expect((await runMain(env)).code).toBe(0);
    expect(calls()).toBe(0);
    // --verify asks for it.
    const verified = await runMain(env, ["--verify"]);
    expect(verified.code).toBe(0);
    expect(calls()).toBe(1);
    expect(verified.stderr).toMatch(/verify device: device authorization issues a code/);
    // Again: the quota is used up, a warning, exit 0.
    const throttled = await runMain(env, ["--verify"]);
    expect(throttled.code).toBe(0);
    expect(calls()).toBe(2);
    expect(throttled.stderr).toContain("could not check the device authorization endpoint");
  });

  it("NetBird's login refused after a change: the device endpoint is asked, and answers for itself", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const env = baseEnv(fake.url, tempDir());
    fake.inject({ path: "/application/o/token/", status: 400, body: { error: "invalid_grant" } });
    const run = await runMain(env);
    expect(run.stderr).toContain("verify client_credentials");
    expect(fake.log.filter((r) => r.path === "/application/o/device/").map((r) => r.status)).toEqual([200]);
    expect(run.stderr).toMatch(/verify device: device authorization issues a code/);
  });
});

describe("NetBird's point of view", () => {
  it("verification sends exactly NetBird's token request (scope goauthentik.io/api only)", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    expect((await runMain(baseEnv(fake.url, tempDir()))).code).toBe(0);
    const requests = fake.log.filter((r) => r.path === "/application/o/token/").map((r) => r.form);
    expect(requests).toContainEqual({ grant_type: "client_credentials", client_id: expect.any(String), username: "NetBird", scope: "goauthentik.io/api" });
  });

  it("authentik's clock a minute ahead of this container's: a warning naming NetBird's 'token used before issued', not a failure", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, clockSkewMs: 60_000 });
    const r = await runMain(baseEnv(fake.url, tempDir()));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/authentik's clock is (59|60|61) s ahead of this container's/);
    await using inStep = await startFakeAuthentik({ bootstrapToken: TOKEN });
    expect((await runMain(baseEnv(inStep.url, tempDir()))).stderr).not.toContain("authentik's clock");
  });
});

describe("readiness on a fresh start", () => {
  it("the bootstrap token works before the worker made the scope mappings (2025.8+): the wait goes on, it does not abort on a 400", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, timeline: { flowsMs: 300, mappingsMs: 900 } });
    const result = await runMain(baseEnv(fake.url, tempDir()));
    expect(result.summary.error?.message).toBeUndefined();
    expect(result.code).toBe(0);
    expect(fake.log.some((r) => r.path.includes("propertymappings") && r.status === 400)).toBe(false);
  });

  it("2025.10.0 answers a JSON request with 200 {error: 'authentik starting'} while booting: not mistaken for a version", async () => {
    await using fake = await startFakeAuthentik({ version: "2025.10", bootstrapToken: TOKEN });
    fake.inject({ path: "/api/v3/admin/version/", status: 200, body: { error: "authentik starting" }, times: 3 });
    const result = await runMain(baseEnv(fake.url, tempDir()));
    expect(result.summary.error?.message).toBeUndefined();
    expect(result.summary.authentikVersion).toBe("2025.10.0");
  });

  it("an installation without a default brand: the brand for the public host is used; with none either, a conflict before any write", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    for (const b of fake.store.brands.values()) b.default = false;
    const result = await runMain(baseEnv(fake.url, tempDir(), { WAIT_TIMEOUT: "3" }));
    expect(result.code).toBe(7);
    expect(result.summary.error?.message).toContain("no brand in authentik serves it");
    expect(fake.writes()).toEqual([]);
    const host = new URL(fake.url).host;
    const own = fake.store.addBrand({ domain: host });
    const ok = await runMain(baseEnv(fake.url, tempDir()));
    expect(ok.summary.error?.message).toBeUndefined();
    expect(own.flow_device_code).not.toBeNull();
  });
});

describe("redirect URIs", () => {
  it("2026.5+: an admin's logout URI stays a logout URI when the tool repairs the list", async () => {
    await using fake = await startFakeAuthentik({ version: "2026.5", bootstrapToken: TOKEN });
    const env = baseEnv(fake.url, tempDir());
    expect((await runMain(env)).code).toBe(0);
    const p = [...fake.store.providers.values()].find((x) => x.name === "NetBird")!;
    p.redirect_uris = [
      { matching_mode: "strict", url: "https://netbird.example.com/logged-out", redirect_uri_type: "logout" },
      ...p.redirect_uris.filter((r) => r.url !== "http://localhost:53000"),
    ];
    expect((await runMain(env)).code).toBe(0);
    expect(p.redirect_uris).toContainEqual({ matching_mode: "strict", url: "https://netbird.example.com/logged-out", redirect_uri_type: "logout" });
    expect(p.redirect_uris).toContainEqual({ matching_mode: "strict", url: "http://localhost:53000", redirect_uri_type: "authorization" });
  });

  it("after authentik's upgrade migration (2024.10.2 → 2024.12.0) a re-run replaces its own dead literals, so NetBird logins work again", async () => {
    const store = new Store();
    const out = tempDir();
    {
      await using before = await startFakeAuthentik({ version: "2024.10.2", bootstrapToken: TOKEN, store });
      expect((await runMain(baseEnv(before.url, out))).code).toBe(0);
    }
    store.migrateRedirectUrisToList();
    await using after = await startFakeAuthentik({ version: "2024.12.0", bootstrapToken: TOKEN, store });
    const provider = [...store.providers.values()].find((p) => p.name === "NetBird")!;
    const login = async () =>
      (
        (await (
          await fetch(`${after.url}/application/o/token/`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ grant_type: "authorization_code", code: "x", client_id: provider.client_id, redirect_uri: "https://netbird.example.com/peers" }).toString(),
          })
        ).json()) as { error: string }
      ).error;
    // Broken by the migration: the redirect NetBird's dashboard uses is refused.
    expect(await login()).toBe("invalid_client");
    const rerun = await runMain(baseEnv(after.url, out));
    expect(rerun.code).toBe(0);
    expect(provider.redirect_uris).not.toContainEqual({ matching_mode: "strict", url: "https://netbird\\.example\\.com/.*" });
    expect(provider.redirect_uris).toContainEqual({ matching_mode: "regex", url: "https://netbird\\.example\\.com/.*" });
    expect(await login()).toBe("invalid_grant");
    after.resetLog();
    expect((await runMain(baseEnv(after.url, out))).code).toBe(0);
    expect(after.writes()).toEqual([]);
  });
});

describe("risks from the source reading", () => {
  it("an app password that expired by itself is repaired (still visible through the token API on 2026.5+), its key unchanged", async () => {
    await using fake = await startFakeAuthentik({ version: "2026.8", bootstrapToken: TOKEN });
    const env = baseEnv(fake.url, tempDir());
    expect((await runMain(env)).code).toBe(0);
    const key = fake.store.tokens.get(ID)!.key;
    Object.assign(fake.store.tokens.get(ID)!, { expiring: true, expires: new Date(Date.now() - 1000).toISOString() });
    const r = await runMain(env);
    expect(r.summary.error?.message).toBeUndefined();
    expect(fake.store.tokens.get(ID)).toMatchObject({ expiring: false, intent: "app_password", key });
  });

  it("issuer mode 'global' is repaired: NetBird is given the provider's own issuer", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const env = baseEnv(fake.url, tempDir());
    expect((await runMain(env)).code).toBe(0);
    const p = [...fake.store.providers.values()].find((x) => x.name === "NetBird")!;
    p.issuer_mode = "global";
    const r = await runMain(env);
    expect(r.code).toBe(0);
    expect(p.issuer_mode).toBe("per_provider");
  });

  it("a group list without `users` (an unreleased authentik branch): membership is read from the user, a re-run writes nothing", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, quirks: { groupListOmitsUsers: true } });
    const env = baseEnv(fake.url, tempDir());
    expect((await runMain(env)).code).toBe(0);
    fake.resetLog();
    expect((await runMain(env)).code).toBe(0);
    expect(fake.writes()).toEqual([]);
  });

  it("plan mode reads no secret (each read is a secret_view event in authentik's log); apply reads one only when setup.env's password does not log in", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const env = baseEnv(fake.url, out);
    expect((await runMain(env)).code).toBe(0);
    const views = () => fake.store.events.filter((e) => e.action === "secret_view").length;
    const before = views();
    const plan = await runMain(env, ["--plan"]);
    expect(plan.code).toBe(0);
    expect(views()).toBe(before);
    // NetBird's account logs in with setup.env's password: that proves it, nothing is read.
    expect((await runMain(env)).code).toBe(0);
    expect(views()).toBe(before);
    // A password that does not log in (edited by hand): the key is read once and setup.env repaired.
    const file = join(out, "setup.env");
    writeFileSync(file, readFileSync(file, "utf8").replace(/NETBIRD_IDP_MGMT_EXTRA_PASSWORD=.*/, "NETBIRD_IDP_MGMT_EXTRA_PASSWORD='not-the-password-0123456789'"));
    const repaired = await runMain(env);
    expect(repaired.code).toBe(0);
    expect(views()).toBe(before + 1);
    expect(sourceWithBash(file, ["NETBIRD_IDP_MGMT_EXTRA_PASSWORD"]).NETBIRD_IDP_MGMT_EXTRA_PASSWORD).toBe(fake.store.tokens.get(ID)!.key);
  });
});
