/**
 * NetBird's embedded IdP with authentik as a connector: authentik side against the fake authentik, NetBird
 * side against a fake management API (checks the issuer against discovery like the real one).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeAuthentik } from "../fake-authentik/index.ts";
import { startFakeNetbird } from "../fake-netbird/server.ts";
import { admin } from "../helpers/admin.ts";
import { sourceWithBash } from "../helpers/bash.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { runMain } from "../helpers/run-main.ts";

const PAT = "nbp_test_personal_access_token_0123456789";

function env(akUrl: string, out: string, extra: Record<string, string> = {}) {
  return baseEnv(akUrl, out, { CONSUMER: "netbird-embedded", ...extra });
}

describe("netbird-embedded", () => {
  it("without NetBird credentials: writes the values and prints the fields to paste (never the secret)", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const first = await runMain(env(fake.url, out));
    expect(first.summary.error?.message).toBeUndefined();
    expect(first.code).toBe(0);
    const [provider] = await admin(fake.url).provider("NetBird");
    expect(provider).toMatchObject({ client_type: "confidential", redirect_uris: [{ matching_mode: "strict", url: "https://netbird.example.com/oauth2/callback" }] });
    expect(provider.signing_key).toBeTruthy();
    const vars = sourceWithBash(join(out, "netbird-idp.env"), ["NETBIRD_IDP_ISSUER", "NETBIRD_IDP_CLIENT_ID", "NETBIRD_IDP_CLIENT_SECRET"]);
    expect(vars).toEqual({
      NETBIRD_IDP_ISSUER: `${fake.url}/application/o/netbird/`,
      NETBIRD_IDP_CLIENT_ID: provider.client_id,
      NETBIRD_IDP_CLIENT_SECRET: provider.client_secret,
    });
    expect(first.stdout).toContain(`Issuer:        ${fake.url}/application/o/netbird/`);
    expect(first.stdout).toContain(`Client ID:     ${provider.client_id}`);
    expect(first.stdout).not.toContain(provider.client_secret);
    fake.resetLog();
    expect((await runMain(env(fake.url, out))).code).toBe(0);
    expect(fake.writes()).toEqual([]);
  });

  it("with a PAT: creates the connector with authentik's exact issuer, and a re-run creates no duplicate", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using nb = await startFakeNetbird({ pat: PAT });
    const out = tempDir();
    const e = env(fake.url, out, { NETBIRD_MGMT_URL: nb.url, NETBIRD_PAT: PAT });
    const first = await runMain(e);
    expect(first.summary.error?.message).toBeUndefined();
    expect(first.code).toBe(0);
    const [provider] = await admin(fake.url).provider("NetBird");
    expect(nb.idps).toEqual([
      expect.objectContaining({
        type: "oidc",
        name: "authentik",
        issuer: `${fake.url}/application/o/netbird/`,
        client_id: provider.client_id,
        client_secret: provider.client_secret,
      }),
    ]);
    expect(first.stdout + first.stderr).not.toContain(PAT);

    const again = await runMain(e);
    expect(again.code).toBe(0);
    expect(nb.idps).toHaveLength(1);
    expect(nb.writes()).toHaveLength(1);
    const plan = await runMain(e, ["--plan"]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("NetBird identity provider 'authentik': unchanged");
  });

  it("first run through /api/setup: the PAT it returns is kept in the file and used by later runs", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using nb = await startFakeNetbird({ patEnabled: true });
    const out = tempDir();
    const first = await runMain(env(fake.url, out, { NETBIRD_MGMT_URL: nb.url, NETBIRD_SETUP_EMAIL: "admin@example.com", NETBIRD_SETUP_PASSWORD: "correct-horse-battery" }));
    expect(first.summary.error?.message).toBeUndefined();
    expect(first.code).toBe(0);
    expect(nb.idps).toHaveLength(1);
    const pat = sourceWithBash(join(out, "netbird-idp.env"), ["NETBIRD_PAT"]).NETBIRD_PAT!;
    expect(pat).toMatch(/^nbp_/);
    expect(first.stdout + first.stderr).not.toContain(pat);
    const again = await runMain(env(fake.url, out, { NETBIRD_MGMT_URL: nb.url }));
    expect(again.code).toBe(0);
    expect(nb.idps).toHaveLength(1);
    expect(readFileSync(join(out, "netbird-idp.env"), "utf8")).toContain("NETBIRD_PAT=");
  });

  it("ROTATE=client-secret updates authentik, the file and the connector in one run; a connector with another client id is updated, not duplicated", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using nb = await startFakeNetbird({ pat: PAT });
    const out = tempDir();
    const e = env(fake.url, out, { NETBIRD_MGMT_URL: nb.url, NETBIRD_PAT: PAT });
    expect((await runMain(e)).code).toBe(0);
    nb.idps[0]!.client_id = "stale-client-id";
    const rotated = await runMain({ ...e, ROTATE: "client-secret" });
    expect(rotated.summary.error?.message).toBeUndefined();
    expect(rotated.code).toBe(0);
    const [provider] = await admin(fake.url).provider("NetBird");
    expect(nb.idps).toHaveLength(1);
    expect(nb.idps[0]).toMatchObject({ client_id: provider.client_id, client_secret: provider.client_secret });
    expect(sourceWithBash(join(out, "netbird-idp.env"), ["NETBIRD_IDP_CLIENT_SECRET"]).NETBIRD_IDP_CLIENT_SECRET).toBe(provider.client_secret);
  });
});
