/**
 * NetBird's real configure.sh (from ../shared, copied to a temp dir because it writes artifacts/ beside
 * itself) run by the tool on the setup.env it wrote, against the fake authentik's discovery document.
 */
import { existsSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeAuthentik } from "../fake-authentik/index.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { copyInfra } from "../helpers/netbird-infra.ts";
import { runMain } from "../helpers/run-main.ts";

describe("configure.sh", () => {
  it("runs NetBird's real configure.sh: management.json carries the client id, IdP manager settings and the discovered issuer", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const infra = copyInfra();
    const env = baseEnv(fake.url, infra, { CONFIGURE_SH: join(infra, "configure.sh"), CONFIGURE_TIMEOUT: "60" });
    const result = await runMain(env);
    expect(result.summary.error?.message).toBeUndefined();
    expect(result.code).toBe(0);
    expect(result.summary.configureSh).toMatchObject({ action: "generated" });

    const mgmt = JSON.parse(readFileSync(join(infra, "artifacts", "management.json"), "utf8"));
    const discovery = JSON.parse(readFileSync(join(infra, "artifacts", "openid-configuration.json"), "utf8"));
    const provider = (await (await fetch(`${fake.url}/api/v3/providers/oauth2/?name=NetBird`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
      results: { client_id: string }[];
    };
    const clientId = provider.results[0]!.client_id;
    expect(discovery.issuer).toBe(`${fake.url}/application/o/netbird/`);
    expect(mgmt.IdpManagerConfig.ManagerType).toBe("authentik");
    expect(mgmt.IdpManagerConfig.ClientConfig).toMatchObject({
      Issuer: discovery.issuer,
      ClientID: clientId,
      TokenEndpoint: discovery.token_endpoint,
      GrantType: "client_credentials",
    });
    expect(mgmt.IdpManagerConfig.ExtraConfig.Username).toBe("NetBird");
    expect(mgmt.IdpManagerConfig.ExtraConfig.Password).toMatch(/\S{20,}/);
    expect(mgmt.HttpConfig.AuthAudience).toBe(clientId);
    expect(mgmt.HttpConfig.AuthIssuer).toBe(discovery.issuer);
    expect(existsSync(join(infra, "artifacts", "docker-compose.yml"))).toBe(true);
    // configure.sh prints `env | grep NETBIRD` (the app password among them): the log must not.
    expect(result.stderr).not.toContain(mgmt.IdpManagerConfig.ExtraConfig.Password);

    fake.resetLog();
    const again = await runMain(env);
    expect(again.code).toBe(0);
    expect(again.summary.configureSh).toMatchObject({ action: "unchanged", changed: [] });
    expect(fake.writes()).toEqual([]);
  });

  it("copies setup.env beside a configure.sh that lives outside OUTPUT_DIR", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const infra = copyInfra();
    const out = tempDir();
    const result = await runMain(baseEnv(fake.url, out, { CONFIGURE_SH: join(infra, "configure.sh") }));
    expect(result.code).toBe(0);
    expect(readFileSync(join(infra, "setup.env"), "utf8")).toContain("NETBIRD_TURN_EXTERNAL_IP='203.0.113.7'");
    expect(readFileSync(join(infra, "setup.env"), "utf8")).toContain("NETBIRD_MGMT_IDP='authentik'");
    expect(existsSync(join(infra, "artifacts", "management.json"))).toBe(true);
    expect(readFileSync(join(out, "setup.env"), "utf8")).toContain("NETBIRD_MGMT_IDP='authentik'");
  });

  it("maps a failing configure.sh to its own exit code, after setup.env is in place", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const dir = tempDir();
    const script = join(dir, "configure.sh");
    writeFileSync(script, "#!/bin/bash\necho 'about to fail'\nexit 3\n");
    chmodSync(script, 0o755);
    const result = await runMain(baseEnv(fake.url, dir, { CONFIGURE_SH: script }));
    expect(result.code).toBe(9);
    expect(result.summary.error?.message).toContain("exited with code 3");
    expect(result.stderr).toContain("about to fail");
    expect(existsSync(join(dir, "setup.env"))).toBe(true);
  });

  it.each([
    ["missing", (dir: string) => join(dir, "nope.sh"), "does not exist"],
    [
      "not executable",
      (dir: string) => {
        const p = join(dir, "c.sh");
        writeFileSync(p, "#!/bin/bash\n");
        chmodSync(p, 0o644);
        return p;
      },
      "not executable",
    ],
  ] as const)("refuses a %s configure.sh before touching authentik", async (_name, make, message) => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const dir = tempDir();
    const result = await runMain(baseEnv(fake.url, dir, { CONFIGURE_SH: make(dir) }));
    expect(result.code).toBe(9);
    expect(result.summary.error?.message).toContain(message);
    expect(fake.log).toEqual([]);
  });
});
