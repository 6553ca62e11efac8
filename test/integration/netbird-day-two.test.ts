/**
 * Day two with NetBird's real configure.sh (from ../shared, in a temp copy): after the first run, re-runs
 * (rotation, a new client id, a changed domain, a lost setup.env) change only the places of NetBird's generated
 * configuration that hold the tool's values. What NetBird keeps — the datastore encryption key, the relay
 * secret, the TURN password — and every hand edit stay byte for byte.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { startFakeAuthentik } from "../fake-authentik/index.ts";
import { admin } from "../helpers/admin.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { copyInfra, INFRA } from "../helpers/netbird-infra.ts";
import { runMain } from "../helpers/run-main.ts";

const KEY = "bm90LWEtcmVhbC1rZXktYnV0LTMyLWJ5dGVzLWxvbmc=";
const RELAY = "relay-secret-NetBird-keeps-0123456789";
const TURN = "turn-password-NetBird-keeps-0123456789";

const FILES = ["management.json", "docker-compose.yml", "turnserver.conf"];
const read = (infra: string) => Object.fromEntries(FILES.map((f) => [f, readFileSync(join(infra, "artifacts", f), "utf8")]));

/**
 * What NetBird and an admin did after the first run: management wrote its generated key back (and re-indented
 * the file, as its own serializer does), the relay secret and TURN password are known values, and an admin
 * edited two settings by hand.
 */
function liveInstallation(infra: string): void {
  const art = join(infra, "artifacts");
  const mgmt = JSON.parse(readFileSync(join(art, "management.json"), "utf8"));
  mgmt.DataStoreEncryptionKey = KEY;
  mgmt.Relay.Secret = RELAY;
  mgmt.TURNConfig.Turns[0].Password = TURN;
  mgmt.ReverseProxy.TrustedHTTPProxiesCount = 2;
  writeFileSync(join(art, "management.json"), `${JSON.stringify(mgmt, null, "\t")}\n`);
  const compose = readFileSync(join(art, "docker-compose.yml"), "utf8")
    .replace(/NB_AUTH_SECRET=.*/, `NB_AUTH_SECRET=${RELAY}`)
    .replace("      - NGINX_SSL_PORT=443", "      - NGINX_SSL_PORT=443\n      # pinned by hand\n      - NGINX_WORKERS=4");
  writeFileSync(join(art, "docker-compose.yml"), compose);
  writeFileSync(join(art, "turnserver.conf"), readFileSync(join(art, "turnserver.conf"), "utf8").replace(/^user=self:.*$/m, `user=self:${TURN}`));
}

async function provider(url: string) {
  return (await admin(url).provider())[0];
}

// Each run with configure.sh renders NetBird's configuration three times: give these tests time on a loaded machine.
describe("NetBird day two: configure.sh runs once, re-runs change only the tool's values", { timeout: 180_000 }, () => {
  it("rotation and a new client id: every byte of NetBird's configuration is kept but the places of the app password and client id", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const infra = copyInfra();
    const env = baseEnv(fake.url, infra, { CONFIGURE_SH: join(infra, "configure.sh"), CONFIGURE_TIMEOUT: "120" });
    const first = await runMain(env);
    expect(first.summary.error?.message).toBeUndefined();
    expect(first.summary.configureSh).toMatchObject({ action: "generated" });
    expect(first.summary.restart).toEqual([expect.objectContaining({ command: "docker compose up -d" })]);

    liveInstallation(infra);
    const before = read(infra);
    const oldId = (await provider(fake.url)).client_id as string;
    const oldPassword = await admin(fake.url).key("service-account-netbird-password");
    // A new client id: the provider was deleted in authentik, the bootstrap creates it again.
    await admin(fake.url).del(`/providers/oauth2/${(await provider(fake.url)).pk}/`);

    const plan = await runMain({ ...env, ROTATE: "app-password" }, ["--plan"]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain("~ NetBird configuration");
    expect(plan.stdout).toContain("then restart management");
    expect(read(infra)).toEqual(before);

    const rerun = await runMain({ ...env, ROTATE: "app-password" });
    expect(rerun.summary.error?.message).toBeUndefined();
    expect(rerun.code).toBe(0);
    const newId = (await provider(fake.url)).client_id as string;
    const newPassword = await admin(fake.url).key("service-account-netbird-password");
    expect(newId).not.toBe(oldId);
    expect(newPassword).not.toBe(oldPassword);

    // Byte for byte: the files are what they were with only the old values replaced by the new ones.
    const after = read(infra);
    for (const f of FILES) expect({ f, text: after[f] }).toEqual({ f, text: before[f]!.replaceAll(oldId, newId).replaceAll(oldPassword, newPassword) });
    const mgmt = JSON.parse(after["management.json"]!);
    expect(mgmt).toMatchObject({ DataStoreEncryptionKey: KEY, Relay: { Secret: RELAY }, ReverseProxy: { TrustedHTTPProxiesCount: 2 } });
    expect(mgmt.TURNConfig.Turns[0].Password).toBe(TURN);
    expect(mgmt.IdpManagerConfig.ExtraConfig.Password).toBe(newPassword);
    expect(mgmt.PKCEAuthorizationFlow.ProviderConfig.ClientID).toBe(newId);
    expect(after["docker-compose.yml"]).toContain("NGINX_WORKERS=4");

    // What to restart, and before when: management must pick up the new app password within the grace period.
    const summary = rerun.summary as any;
    expect(summary.configureSh.action).toBe("updated");
    expect(summary.restart).toEqual([
      expect.objectContaining({
        services: ["dashboard", "management"],
        command: "docker compose up -d --force-recreate dashboard management",
        before: summary.rotated[0].previousValidUntil,
      }),
    ]);
    expect(rerun.stderr).toContain("NetBird must restart to use it");
    // configure.sh's own habit: a backup of each file changed, private.
    expect(readdirSync(join(infra, "artifacts")).filter((f) => f.startsWith("management.json.bkp."))).toHaveLength(1);
    for (const secret of [newPassword, oldPassword, KEY, RELAY, TURN]) expect(rerun.stdout + rerun.stderr).not.toContain(secret);

    // Nothing changed since: nothing is rendered or written, nothing to restart.
    const again = await runMain(env);
    expect(again.summary.configureSh).toMatchObject({ action: "unchanged" });
    expect(again.summary.restart).toBeUndefined();
    expect(read(infra)).toEqual(after);
  });

  it("an installation set up by hand before the bootstrap was added keeps its key on the bootstrap's first run", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const infra = copyInfra(
      [
        "NETBIRD_DOMAIN='netbird.example.com'",
        "NETBIRD_TURN_EXTERNAL_IP='203.0.113.7'",
        `NETBIRD_AUTH_OIDC_CONFIGURATION_ENDPOINT='${fake.url}/application/o/netbird/.well-known/openid-configuration'`,
        "NETBIRD_AUTH_CLIENT_ID='made-by-hand'",
        "NETBIRD_AUTH_AUDIENCE='made-by-hand'",
        "",
      ].join("\n"),
    );
    // NetBird set up by hand: its own configure.sh run (asynchronously: it downloads from the fake in this process), then management's key.
    await promisify(execFile)("bash", ["configure.sh"], { cwd: infra, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
    liveInstallation(infra);
    const before = read(infra);

    const result = await runMain(baseEnv(fake.url, infra, { CONFIGURE_SH: join(infra, "configure.sh"), CONFIGURE_TIMEOUT: "120" }));
    expect(result.summary.error?.message).toBeUndefined();
    expect(result.summary.configureSh).toMatchObject({ action: "updated" });
    const mgmt = JSON.parse(read(infra)["management.json"]!);
    expect(mgmt).toMatchObject({ DataStoreEncryptionKey: KEY, Relay: { Secret: RELAY } });
    expect(mgmt.TURNConfig.Turns[0].Password).toBe(TURN);
    expect(mgmt.HttpConfig.AuthAudience).toBe((await provider(fake.url)).client_id);
    expect(mgmt.IdpManagerConfig.ManagerType).toBe("authentik");
    expect(mgmt.IdpManagerConfig.ExtraConfig.Username).toBe("NetBird");
    expect(read(infra)["turnserver.conf"]).toBe(before["turnserver.conf"]);
  });

  it("a lost setup.env: the re-harvested values are those in NetBird's configuration already, so it stays byte for byte", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const infra = copyInfra();
    const env = baseEnv(fake.url, infra, { CONFIGURE_SH: join(infra, "configure.sh"), CONFIGURE_TIMEOUT: "120" });
    expect((await runMain(env)).code).toBe(0);
    liveInstallation(infra);
    const before = read(infra);
    rmSync(join(infra, "setup.env"));
    const result = await runMain(env);
    expect(result.summary.error?.message).toBeUndefined();
    expect(result.summary.configureSh).toMatchObject({ action: "unchanged", changed: [] });
    expect(result.summary.restart).toBeUndefined();
    expect(read(infra)).toEqual(before);
  });

  it("a new domain moves every place derived from it, and still keeps the key, relay secret and TURN password", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const infra = copyInfra();
    const env = baseEnv(fake.url, infra, { CONFIGURE_SH: join(infra, "configure.sh"), CONFIGURE_TIMEOUT: "120" });
    expect((await runMain(env)).code).toBe(0);
    liveInstallation(infra);
    const before = read(infra);
    const plan = await runMain({ ...env, NETBIRD_DOMAIN: "vpn.example.org" }, ["--plan"]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain("management.json Signal.URI: (current) → (new)");
    expect(plan.stdout).toContain("then: docker compose up -d --force-recreate");
    expect(read(infra)).toEqual(before);
    const result = await runMain({ ...env, NETBIRD_DOMAIN: "vpn.example.org" });
    expect(result.summary.error?.message).toBeUndefined();
    const mgmt = JSON.parse(read(infra)["management.json"]!);
    expect(mgmt.Signal.URI).toBe("vpn.example.org:10000");
    expect(mgmt.HttpConfig.CertFile).toBe("/etc/letsencrypt/live/vpn.example.org/fullchain.pem");
    expect(mgmt).toMatchObject({ DataStoreEncryptionKey: KEY, Relay: { Secret: RELAY }, ReverseProxy: { TrustedHTTPProxiesCount: 2 } });
    expect(mgmt.TURNConfig.Turns[0].Password).toBe(TURN);
    expect(read(infra)["docker-compose.yml"]).toContain("LETSENCRYPT_DOMAIN=vpn.example.org");
    expect((result.summary as any).restart[0].services).toEqual(expect.arrayContaining(["dashboard", "management", "signal"]));
  });

  it("without CONFIGURE_SH a changed setup.env comes with a warning against re-running configure.sh by hand", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const result = await runMain(baseEnv(fake.url, tempDir()));
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("re-running configure.sh by hand over existing artifacts loses NetBird's DataStoreEncryptionKey");
    expect(existsSync(join(INFRA, "artifacts", "management.json"))).toBe(false);
  });
});

describe("what NetBird's configure.sh reads", { timeout: 180_000 }, () => {
  it("NETBIRD_AUTH_PKCE_REDIRECT_URL_PORTS in setup.env: each port gets its strict localhost redirect, as configure.sh configures the CLI", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const infra = copyInfra("NETBIRD_TURN_EXTERNAL_IP='203.0.113.7'\nNETBIRD_AUTH_PKCE_REDIRECT_URL_PORTS='53000,54000'\n");
    const result = await runMain(baseEnv(fake.url, infra, { CONFIGURE_SH: join(infra, "configure.sh"), CONFIGURE_TIMEOUT: "120" }));
    expect(result.summary.error?.message).toBeUndefined();
    const redirects = (await provider(fake.url)).redirect_uris.map((r: { url: string }) => r.url);
    expect(redirects).toEqual(expect.arrayContaining(["http://localhost:53000", "http://localhost:54000"]));
    const mgmt = JSON.parse(read(infra)["management.json"]!);
    expect(mgmt.PKCEAuthorizationFlow.ProviderConfig.RedirectURLs).toEqual(["http://localhost:53000", "http://localhost:54000"]);
  });

  it("a PKCE port list configure.sh would break on is refused before anything is touched", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    writeFileSync(join(out, "setup.env"), "NETBIRD_AUTH_PKCE_REDIRECT_URL_PORTS='53000, 54000'\n");
    const result = await runMain(baseEnv(fake.url, out));
    expect(result.code).toBe(3);
    expect(result.summary.error?.message).toContain("NETBIRD_AUTH_PKCE_REDIRECT_URL_PORTS");
    expect(fake.log).toEqual([]);
  });

  it("openZro's script prints its generated Dex admin password and secret variables: none of it reaches the log", async () => {
    // openZro's configure.sh is not available offline; this stand-in prints exactly the lines it prints
    // (openzro/openzro infrastructure_files/configure.sh: line 186 `    Password: $generated_admin_password`
    // on stderr, line 351 `env | grep OPENZRO`) and writes its artifacts.
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const dir = tempDir("openzro-");
    const script = join(dir, "configure.sh");
    writeFileSync(
      script,
      [
        "#!/bin/bash",
        "set -e",
        "source setup.env",
        "export OPENZRO_RELAY_AUTH_SECRET=relay-secret-openzro-0123456789",
        "export OPENZRO_DEX_ADMIN_PASSWORD_BCRYPT='$2y$10$abcdefghijklmnopqrstuvabcdefghijklmnopqrstuvwxyz0123'",
        "export OPENZRO_STORE_ENGINE_POSTGRES_DSN='host=db user=oz password=db-password-0123456789'",
        "export OPENZRO_IDP_MGMT_EXTRA_PASSWORD",
        "cat >&2 <<EOF",
        "  Generated Dex admin credentials",
        "    Email:    admin@openzro.example.com",
        "    Password: Xq7Lm2Pz9Wv4Rt6Yb8Nc3Kd5",
        "EOF",
        "env | grep OPENZRO",
        "mkdir -p artifacts && echo '{}' > artifacts/management.json",
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    const result = await runMain({ ...baseEnv(fake.url, dir, { CONSUMER: "openzro", OPENZRO_DOMAIN: "openzro.example.com", CONFIGURE_SH: script }), NETBIRD_DOMAIN: "" });
    expect(result.summary.error?.message).toBeUndefined();
    const output = result.stdout + result.stderr;
    expect(output).toContain("Password: [REDACTED]");
    for (const secret of [
      "Xq7Lm2Pz9Wv4Rt6Yb8Nc3Kd5",
      "relay-secret-openzro-0123456789",
      "db-password-0123456789",
      "abcdefghijklmnopqrstuv",
      await admin(fake.url).key("service-account-openzro-password"),
    ]) {
      expect(output).not.toContain(secret);
    }
  });
});
