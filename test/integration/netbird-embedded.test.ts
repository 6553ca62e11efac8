/**
 * NetBird's embedded IdP with authentik as a connector: authentik side against the fake authentik, NetBird
 * side against a fake of management's API that behaves as NetBird's source does (test/fake-netbird/README.md):
 * PATs that expire, connector types derived from ids, the type-change refusal, setup tokens only from v0.70.5,
 * setup input checks, and a client secret that takes effect only after a restart.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeAuthentik } from "../fake-authentik/index.ts";
import { startFakeNetbird, type FakeNetbird } from "../fake-netbird/server.ts";
import { admin } from "../helpers/admin.ts";
import { sourceWithBash } from "../helpers/bash.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { runMain } from "../helpers/run-main.ts";

const PAT = "nbp_0123456789abcdefghijklmnopqrstABCDEF";
const SETUP = { NETBIRD_SETUP_EMAIL: "admin@example.com", NETBIRD_SETUP_PASSWORD: "correct-horse-battery" };

function env(akUrl: string, out: string, extra: Record<string, string> = {}) {
  return baseEnv(akUrl, out, { CONSUMER: "netbird-embedded", ...extra });
}

const tokenEndpoint = (url: string) => `${url}/application/o/token/`;

describe("netbird-embedded", () => {
  it("without NetBird credentials: writes the values and prints the fields to paste (never the secret)", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const first = await runMain(env(fake.url, out));
    expect(first.summary.error?.message).toBeUndefined();
    expect(first.code).toBe(0);
    const [provider] = await admin(fake.url).provider("NetBird");
    expect(provider).toMatchObject({ client_type: "confidential" });
    // NetBird's guide adds the logout callback; authentik 2026.5+ keeps it as a logout URI.
    expect(provider.redirect_uris).toEqual([
      { matching_mode: "strict", url: "https://netbird.example.com/oauth2/callback", redirect_uri_type: "authorization" },
      { matching_mode: "strict", url: "https://netbird.example.com/oauth2/logout/callback", redirect_uri_type: "logout" },
    ]);
    const vars = sourceWithBash(join(out, "netbird-idp.env"), ["NETBIRD_IDP_ISSUER", "NETBIRD_IDP_CLIENT_ID", "NETBIRD_IDP_CLIENT_SECRET"]);
    expect(vars).toEqual({
      NETBIRD_IDP_ISSUER: `${fake.url}/application/o/netbird/`,
      NETBIRD_IDP_CLIENT_ID: provider.client_id,
      NETBIRD_IDP_CLIENT_SECRET: provider.client_secret,
    });
    expect(first.stdout).toContain(`Issuer:        ${fake.url}/application/o/netbird/`);
    expect(first.stdout).toContain("Client Secret: NETBIRD_IDP_CLIENT_SECRET in netbird-idp.env (not printed)");
    expect(first.stdout).not.toContain(provider.client_secret);
    fake.resetLog();
    expect((await runMain(env(fake.url, out))).code).toBe(0);
    expect(fake.writes()).toEqual([]);
  });

  it("before authentik 2026.5 no logout entry is registered (authentik does not check post-logout redirects)", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, version: "2026.2" });
    expect((await runMain(env(fake.url, tempDir()))).code).toBe(0);
    const [provider] = await admin(fake.url).provider("NetBird");
    expect(provider.redirect_uris).toEqual([{ matching_mode: "strict", url: "https://netbird.example.com/oauth2/callback" }]);
  });

  it("with a PAT: creates an `authentik` connector with the exact issuer; the callback is NetBird's own (its issuer, http and a port); a re-run changes nothing", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using nb = await startFakeNetbird({ pat: PAT });
    const out = tempDir();
    const e = env(fake.url, out, { NETBIRD_MGMT_URL: nb.url, NETBIRD_PAT: PAT });
    const first = await runMain(e);
    expect(first.summary.error?.message).toBeUndefined();
    const [provider] = await admin(fake.url).provider("NetBird");
    expect(nb.idps).toEqual([
      expect.objectContaining({ name: "authentik", issuer: `${fake.url}/application/o/netbird/`, client_id: provider.client_id, client_secret: provider.client_secret }),
    ]);
    expect(nb.idps[0]!.id).toMatch(/^authentik-/);
    // NetBird's issuer here is http://127.0.0.1:<port>/oauth2: the callback follows it, not NETBIRD_DOMAIN.
    expect(provider.redirect_uris).toContainEqual({ matching_mode: "strict", url: `${nb.url}/oauth2/callback`, redirect_uri_type: "authorization" });
    expect(await nb.loginProbe(nb.idps[0]!.id, tokenEndpoint(fake.url))).toBe("invalid_grant");
    expect(first.stdout + first.stderr).not.toContain(PAT);

    fake.resetLog();
    const again = await runMain(e);
    expect(again.code).toBe(0);
    expect(fake.writes()).toEqual([]);
    expect(nb.writes()).toHaveLength(1);
    const plan = await runMain(e, ["--plan"]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("NetBird identity provider 'authentik': unchanged");
  });

  it.each(["authentik", "oidc"])("adopts a connector made in the dashboard (type %s) and never changes its type", async (type) => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using nb = await startFakeNetbird({ pat: PAT });
    const out = tempDir();
    const e = env(fake.url, out, { NETBIRD_MGMT_URL: nb.url, NETBIRD_PAT: PAT, NETBIRD_IDP_NAME: "Company SSO" });
    expect((await runMain({ ...e, NETBIRD_MGMT_URL: "" })).code).toBe(0); // authentik side only
    const [provider] = await admin(fake.url).provider("NetBird");
    // The admin adds the connector by hand in the dashboard, with its own name.
    const made = await fetch(`${nb.url}/api/identity-providers`, {
      method: "POST",
      headers: { authorization: `Token ${PAT}`, "content-type": "application/json" },
      body: JSON.stringify({
        type,
        name: "authentik (dashboard)",
        issuer: `${fake.url}/application/o/netbird/`,
        client_id: provider.client_id,
        client_secret: provider.client_secret,
      }),
    });
    expect(made.status).toBe(200);
    const id = nb.idps[0]!.id;
    const r = await runMain(e);
    expect(r.summary.error?.message).toBeUndefined();
    expect(r.code).toBe(0);
    expect(nb.idps).toHaveLength(1);
    expect(nb.idps[0]).toMatchObject({ id, name: "Company SSO" });
    const listed = (await (await fetch(`${nb.url}/api/identity-providers`, { headers: { authorization: `Token ${PAT}` } })).json()) as { type: string }[];
    expect(listed[0]!.type).toBe(type);
    const writes = nb.writes().length;
    expect((await runMain(e)).code).toBe(0);
    expect(nb.writes()).toHaveLength(writes);
  });

  it("ROTATE=client-secret: authentik, the file and the connector change in one run; NetBird uses the new secret only after the restart the run asks for", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using nb = await startFakeNetbird({ pat: PAT });
    const out = tempDir();
    const e = env(fake.url, out, { NETBIRD_MGMT_URL: nb.url, NETBIRD_PAT: PAT });
    expect((await runMain(e)).code).toBe(0);
    const rotated = await runMain({ ...e, ROTATE: "client-secret" });
    expect(rotated.summary.error?.message).toBeUndefined();
    expect(rotated.code).toBe(0);
    const [provider] = await admin(fake.url).provider("NetBird");
    expect(nb.idps[0]).toMatchObject({ client_secret: provider.client_secret });
    expect(sourceWithBash(join(out, "netbird-idp.env"), ["NETBIRD_IDP_CLIENT_SECRET"]).NETBIRD_IDP_CLIENT_SECRET).toBe(provider.client_secret);
    expect((rotated.summary as any).restart).toEqual([expect.objectContaining({ services: ["management"], command: "docker compose restart management" })]);
    expect(rotated.stderr).toContain("NetBird issue 5800");
    // As NetBird behaves: the running Dex still has the old secret until management restarts.
    expect(await nb.loginProbe(nb.idps[0]!.id, tokenEndpoint(fake.url))).toBe("invalid_client");
    nb.restart();
    expect(await nb.loginProbe(nb.idps[0]!.id, tokenEndpoint(fake.url))).toBe("invalid_grant");
  });

  it("two runs at once end with one connector", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using nb = await startFakeNetbird({ pat: PAT });
    const out = tempDir();
    const e = env(fake.url, out, { NETBIRD_MGMT_URL: nb.url, NETBIRD_PAT: PAT });
    expect((await runMain({ ...e, NETBIRD_MGMT_URL: "" })).code).toBe(0);
    const [a, b] = await Promise.all([runMain(e), runMain(e)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(nb.idps).toHaveLength(1);
  });
});

describe("netbird-embedded: NetBird's personal access token", () => {
  it("first run through /api/setup (v0.70.5+, NB_SETUP_PAT_ENABLED=true): a 365-day PAT, kept in the file at once, its expiry in the summary, used later", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using nb = await startFakeNetbird({ patEnabled: true });
    const out = tempDir();
    const first = await runMain(env(fake.url, out, { NETBIRD_MGMT_URL: nb.url, ...SETUP }));
    expect(first.summary.error?.message).toBeUndefined();
    expect(nb.idps).toHaveLength(1);
    const vars = sourceWithBash(join(out, "netbird-idp.env"), ["NETBIRD_PAT", "NETBIRD_PAT_EXPIRES", "NETBIRD_PAT_ID"]);
    expect(vars.NETBIRD_PAT).toMatch(/^nbp_/);
    expect(Date.parse(vars.NETBIRD_PAT_EXPIRES!) - Date.now()).toBeGreaterThan(364 * 86_400_000);
    expect(vars.NETBIRD_PAT_ID).toBe(nb.pats[0]!.id);
    expect((first.summary as any).credentials).toContainEqual({ credential: "NetBird personal access token (kept in the output file)", expires: vars.NETBIRD_PAT_EXPIRES });
    expect(first.stdout + first.stderr).not.toContain(vars.NETBIRD_PAT);
    const again = await runMain(env(fake.url, out, { NETBIRD_MGMT_URL: nb.url }));
    expect(again.code).toBe(0);
    expect(nb.idps).toHaveLength(1);
  });

  it("a kept PAT with less than a month left is renewed: a new one made with the old, kept, then the old one deleted", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using nb = await startFakeNetbird({ patEnabled: true });
    const out = tempDir();
    expect((await runMain(env(fake.url, out, { NETBIRD_MGMT_URL: nb.url, ...SETUP }))).code).toBe(0);
    const old = sourceWithBash(join(out, "netbird-idp.env"), ["NETBIRD_PAT"]).NETBIRD_PAT!;
    nb.pats[0]!.expires = Date.now() + 10 * 86_400_000;
    const plan = await runMain(env(fake.url, out, { NETBIRD_MGMT_URL: nb.url }), ["--plan"]);
    expect(plan.stdout).toContain("~ NetBird personal access token 'authentik-bootstrap': update (renewed a month before it expires)");
    const r = await runMain(env(fake.url, out, { NETBIRD_MGMT_URL: nb.url }));
    expect(r.summary.error?.message).toBeUndefined();
    const now = sourceWithBash(join(out, "netbird-idp.env"), ["NETBIRD_PAT", "NETBIRD_PAT_ID"]);
    expect(now.NETBIRD_PAT).not.toBe(old);
    expect(nb.pats.map((p) => p.name)).toEqual(["authentik-bootstrap"]);
    expect(now.NETBIRD_PAT_ID).toBe(nb.pats[0]!.id);
    expect(nb.pats[0]!.expires - Date.now()).toBeGreaterThan(364 * 86_400_000);
    for (const secret of [old, now.NETBIRD_PAT!]) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it.each([
    ["expired", (nb: FakeNetbird): void => void (nb.pats[0]!.expires = Date.now() - 1000), "401", "has expired or is malformed"],
    ["unknown to NetBird", (nb: FakeNetbird): void => void nb.pats.splice(0), "404", "does not know this personal access token"],
  ] as const)("a PAT that is %s: told apart, exit 11, authentik untouched", async (_name, arrange, status, message) => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using nb = await startFakeNetbird({ pat: PAT });
    arrange(nb);
    const r = await runMain(env(fake.url, tempDir(), { NETBIRD_MGMT_URL: nb.url, NETBIRD_PAT: PAT }));
    expect(r.code).toBe(11);
    expect(r.summary.error?.message).toContain(`${status} NetBird`);
    expect(r.summary.error?.message).toContain(message);
    expect(fake.writes()).toEqual([]);
  });

  it("a NetBird older than v0.70.5 creates the owner but returns no token: said so, before authentik is changed", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using nb = await startFakeNetbird({ version: "0.69.0", patEnabled: true });
    const r = await runMain(env(fake.url, tempDir(), { NETBIRD_MGMT_URL: nb.url, ...SETUP }));
    expect(r.code).toBe(11);
    expect(r.summary.error?.message).toContain("older than v0.70.5 or runs without NB_SETUP_PAT_ENABLED=true");
    expect(fake.writes()).toEqual([]);
  });

  it.each([
    ["an e-mail NetBird refuses", { NETBIRD_SETUP_EMAIL: "admin@@example" }, "NETBIRD_SETUP_EMAIL"],
    ["a password over 72 bytes", { NETBIRD_SETUP_PASSWORD: "ü".repeat(37) }, "74 bytes"],
    ["a password under 8 bytes", { NETBIRD_SETUP_PASSWORD: "short" }, "at least 8 bytes"],
  ])("setup input checked before anything is touched: %s", async (_name, extra, message) => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using nb = await startFakeNetbird({ patEnabled: true });
    const r = await runMain(env(fake.url, tempDir(), { NETBIRD_MGMT_URL: nb.url, ...SETUP, ...extra }));
    expect(r.code).toBe(3);
    expect(r.summary.error?.message).toContain(message);
    expect(fake.log).toEqual([]);
    expect(nb.log).toEqual([]);
  });

  it("NETBIRD_IDP_REDIRECT_URI overrides what NetBird's issuer says", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using nb = await startFakeNetbird({ pat: PAT });
    const r = await runMain(env(fake.url, tempDir(), { NETBIRD_MGMT_URL: nb.url, NETBIRD_PAT: PAT, NETBIRD_IDP_REDIRECT_URI: "https://vpn.example.org:8443/oauth2/callback" }));
    expect(r.summary.error?.message).toBeUndefined();
    const [provider] = await admin(fake.url).provider("NetBird");
    expect(provider.redirect_uris.map((u: { url: string }) => u.url)).toEqual([
      "https://vpn.example.org:8443/oauth2/callback",
      "https://vpn.example.org:8443/oauth2/logout/callback",
    ]);
  });
});

describe("firezone.env", () => {
  it("one unquoted line that `docker run --env-file` and compose read alike, `$` and `#` escaped in the JSON, foreign lines kept", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    writeFileSync(join(out, "firezone.env"), "# mine\nEXTERNAL_URL=https://firezone.example.com\nOPENID_CONNECT_PROVIDERS='[]'\n");
    const r = await runMain({ ...baseEnv(fake.url, out, { CONSUMER: "firezone", FIREZONE_URL: "https://firezone.example.com" }), NETBIRD_DOMAIN: "" });
    expect(r.summary.error?.message).toBeUndefined();
    const text = readFileSync(join(out, "firezone.env"), "utf8");
    expect(text.startsWith("# mine\nEXTERNAL_URL=https://firezone.example.com\nOPENID_CONNECT_PROVIDERS=[{")).toBe(true);
    expect(text).not.toMatch(/OPENID_CONNECT_PROVIDERS='/);
  });

  it.each(["saml", "identity", "magic_link"])("FIREZONE_OIDC_ID=%s (reserved by Firezone) is refused before anything is touched", async (id) => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const r = await runMain({ ...baseEnv(fake.url, tempDir(), { CONSUMER: "firezone", FIREZONE_URL: "https://firezone.example.com", FIREZONE_OIDC_ID: id }), NETBIRD_DOMAIN: "" });
    expect(r.code).toBe(3);
    expect(r.summary.error?.message).toContain("reserved by Firezone");
    expect(fake.log).toEqual([]);
  });
});
