/**
 * Verification breaks each condition a consumer depends on, in the fake authentik, and expects the message
 * that names what the consumer would see and the likely cause. `--verify` changes nothing.
 */
import { appendFileSync, writeFileSync, readFileSync } from "node:fs";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeAuthentik, type FakeAuthentik } from "../fake-authentik/index.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { runMain } from "../helpers/run-main.ts";

async function provisioned(extra: Record<string, string> = {}): Promise<{ fake: FakeAuthentik; out: string; env: Record<string, string> }> {
  const fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
  const out = tempDir();
  const env = baseEnv(fake.url, out, extra);
  const first = await runMain(env);
  expect(first.summary.error?.message).toBeUndefined();
  expect(first.code).toBe(0);
  fake.resetLog();
  return { fake, out, env };
}

async function verifyFails(fake: FakeAuthentik, env: Record<string, string>, check: string, message: string | RegExp) {
  const r = await runMain(env, ["--verify"]);
  expect(r.code).toBe(10);
  expect(fake.writes()).toEqual([]);
  const text = r.summary.error?.message ?? "";
  expect(text).toContain(`${check}:`);
  if (typeof message === "string") expect(text).toContain(message);
  else expect(text).toMatch(message);
  return text;
}

const provider = (fake: FakeAuthentik) => [...fake.store.providers.values()].find((p) => p.name === "NetBird")!;

describe("verification", () => {
  it("passes on a healthy set-up, in --verify mode too, without writing", async () => {
    const { fake, env } = await provisioned();
    await using _ = fake;
    const r = await runMain(env, ["--verify"]);
    expect(r.code).toBe(0);
    expect(r.summary.mode).toBe("verify");
    expect(fake.writes()).toEqual([]);
  });

  it("a re-run sends verification's first requests beside its observation, and takes their answers when it wrote nothing", async () => {
    const { fake, env } = await provisioned();
    await using _ = fake;
    // Observation cannot end before the account's app passwords are answered (held 300 ms), nor before the role's
    // permissions (held 900 ms).
    fake.inject({ path: "/api/v3/core/tokens/", delayMs: 300, times: 1 });
    fake.inject({ path: "/api/v3/rbac/permissions/", delayMs: 900, times: 1 });
    const r = await runMain(env);
    expect(r.code).toBe(0);
    expect(fake.writes()).toEqual([]);
    const tokens = fake.log.find((x) => x.path === "/api/v3/core/tokens/")!;
    const first = ["/application/o/netbird/.well-known/openid-configuration", "/application/o/netbird/jwks/", "/api/v3/core/brands/current/"];
    for (const path of first) {
      const asked = fake.log.filter((x) => x.path === path);
      expect(asked, path).toHaveLength(1);
      expect(asked[0]!.at, path).toBeLessThan(tokens.answeredAt!);
    }
    // NetBird's user list with the token of the run's own login: asked as soon as that login was answered, while
    // observation still waited for the permissions, and once: verification did not ask again.
    const users = fake.log.filter((x) => x.path === "/api/v3/core/users/" && x.query === "page=1");
    expect(users).toHaveLength(1);
    expect(users[0]!.at).toBeLessThan(fake.log.find((x) => x.path === "/api/v3/rbac/permissions/")!.answeredAt!);
  });

  it("a Firezone re-run sends discovery and the JWKS beside its observation too: its output names the client", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const env = { ...baseEnv(fake.url, tempDir(), { CONSUMER: "firezone", FIREZONE_URL: "https://firezone.example.com" }), NETBIRD_DOMAIN: "" };
    expect((await runMain(env)).code).toBe(0);
    fake.resetLog();
    // Observation cannot end before the provider is answered (held 300 ms).
    fake.inject({ path: "/api/v3/providers/oauth2/", delayMs: 300, times: 1 });
    const r = await runMain(env);
    expect(r.code).toBe(0);
    expect(fake.writes()).toEqual([]);
    const observed = fake.log.find((x) => x.path === "/api/v3/providers/oauth2/")!;
    for (const path of ["/application/o/firezone/.well-known/openid-configuration", "/application/o/firezone/jwks/"]) {
      const asked = fake.log.filter((x) => x.path === path);
      expect(asked, path).toHaveLength(1);
      expect(asked[0]!.at, path).toBeLessThan(observed.answeredAt!);
    }
  });

  it("a check that fails on an answer asked during observation is asked again: a change made meanwhile by someone else counts", async () => {
    const { fake, env } = await provisioned();
    await using _ = fake;
    const role = [...fake.store.roles.values()].find((r) => r.name === "NetBird IdP manager")!;
    role.permissions.delete("authentik_core.view_user");
    // The role's permissions are read (held 900 ms) after NetBird's user list was answered, without view_user (403);
    // an admin gives the permission back in between: the run sees the role as it should be and writes nothing.
    fake.inject({ path: "/api/v3/rbac/permissions/", delayMs: 900, times: 1 });
    const restore = setInterval(() => {
      if (fake.log.some((x) => x.path === "/api/v3/core/users/" && x.query === "page=1" && x.answeredAt !== undefined)) {
        role.permissions.add("authentik_core.view_user");
        clearInterval(restore);
      }
    }, 1);
    const r = await runMain(env);
    clearInterval(restore);
    expect(r.summary.error?.message).toBeUndefined();
    expect(r.code).toBe(0);
    expect(fake.writes()).toEqual([]);
    expect(fake.log.filter((x) => x.path === "/api/v3/core/users/" && x.query === "page=1").map((x) => x.status)).toEqual([403, 200]);
  });

  it("discovery through a wrong public URL: names the URL and the likely cause", async () => {
    const { fake, env } = await provisioned();
    await using _ = fake;
    await verifyFails(fake, { ...env, AUTHENTIK_PUBLIC_URL: "http://127.0.0.1:1" }, "discovery", "AUTHENTIK_PUBLIC_URL is wrong or not reachable");
  });

  it("a proxy that does not pass the Host header: the issuer differs from what NetBird will compare", async () => {
    const { fake, env } = await provisioned();
    await using _ = fake;
    const target = new URL(fake.url);
    const proxy = createServer((req, res) => {
      const up = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: "authentik-server:9000" } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    try {
      const publicUrl = `http://localhost:${(proxy.address() as AddressInfo).port}`;
      const text = await verifyFails(fake, { ...env, AUTHENTIK_PUBLIC_URL: publicUrl }, "issuer", "must pass Host and X-Forwarded-Proto");
      expect(text).toContain("http://authentik-server:9000/application/o/netbird/");
    } finally {
      proxy.close();
    }
  });

  it("the JWKS and the token endpoint are the ones discovery names, not where authentik usually serves them", async () => {
    // Verification asks the usual URLs side by side with discovery; discovery's answer must still decide. A proxy
    // names other ones: a JWKS without keys and a token endpoint that refuses NetBird's client.
    const { fake, env } = await provisioned();
    await using _ = fake;
    const target = new URL(fake.url);
    const asked: string[] = [];
    const proxy = createServer((req, res) => {
      asked.push(req.url ?? "");
      const origin = `http://${req.headers.host ?? ""}`;
      if (req.url === "/other/jwks/") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [] }));
      if (req.url === "/other/token/") return void res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: "invalid_client" }));
      const up = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        if (!req.url?.endsWith("/.well-known/openid-configuration")) {
          res.writeHead(r.statusCode ?? 502, r.headers);
          return void r.pipe(res);
        }
        const body: Buffer[] = [];
        r.on("data", (d: Buffer) => body.push(d));
        r.on("end", () => {
          const doc = JSON.parse(Buffer.concat(body).toString("utf8")) as Record<string, string>;
          const text = JSON.stringify({ ...doc, jwks_uri: `${origin}/other/jwks/`, token_endpoint: `${origin}/other/token/` });
          res.writeHead(200, { "content-type": "application/json" }).end(text);
        });
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    try {
      const publicUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const text = await verifyFails(fake, { ...env, AUTHENTIK_PUBLIC_URL: publicUrl }, "jwks", "has no RSA key");
      expect(text).toContain("client_credentials:");
      expect(asked).toEqual(expect.arrayContaining(["/other/jwks/", "/other/token/", "/application/o/netbird/jwks/", "/application/o/token/"]));
    } finally {
      proxy.close();
    }
  });

  it("no signing key: NetBird cannot validate HS256 tokens", async () => {
    const { fake, env } = await provisioned();
    await using _ = fake;
    provider(fake).signing_key = null;
    await verifyFails(fake, env, "jwks", "no signing key");
  });

  it("a replaced certificate: the JWKS no longer matches", async () => {
    const { fake, env } = await provisioned();
    await using _ = fake;
    const other = fake.store.addCertificate("other");
    const p = provider(fake);
    const original = p.signing_key;
    p.signing_key = other.pk;
    // Verify compares against the key pair the provider names; swap the key material behind it.
    fake.store.certificates.get(other.pk)!.certificatePem = fake.store.certificates.get(original!)!.certificatePem;
    await verifyFails(fake, env, "jwks", "no key in the JWKS matches");
  });

  it("the API scope mapping removed: the token lacks goauthentik.io/api", async () => {
    const { fake, env } = await provisioned();
    await using _ = fake;
    const api = [...fake.store.scopeMappings.values()].find((m) => m.scope_name === "goauthentik.io/api")!;
    const p = provider(fake);
    p.property_mappings = p.property_mappings.filter((pk) => pk !== api.pk);
    await verifyFails(fake, env, "idp-manager", "add the 'authentik API access' scope mapping");
  });

  it("the service account taken out of its role's group: it lacks permission", async () => {
    const { fake, env } = await provisioned();
    await using _ = fake;
    const sa = fake.store.userByName("NetBird")!;
    const group = fake.store.groupByName("NetBird IdP manager")!;
    group.users = group.users.filter((pk) => pk !== sa.pk);
    await verifyFails(fake, env, "idp-manager", "is it in the group carrying its role");
  });

  it("the role lost delete_user's sibling view_user: NetBird could not read one user", async () => {
    const { fake, env } = await provisioned();
    await using _ = fake;
    const role = [...fake.store.roles.values()].find((r) => r.name === "NetBird IdP manager")!;
    role.permissions.delete("authentik_core.view_user");
    await verifyFails(fake, env, "idp-manager", "lacks permission");
  });

  it("the role was given more than NetBird needs: verification says so from NetBird's side", async () => {
    const { fake, env } = await provisioned();
    await using _ = fake;
    const role = [...fake.store.roles.values()].find((r) => r.name === "NetBird IdP manager")!;
    role.permissions.add("authentik_providers_oauth2.view_oauth2provider");
    await verifyFails(fake, env, "idp-manager", "holds more than NetBird needs");
  });

  it("the app password expired: NetBird's token request fails", async () => {
    const { fake, env } = await provisioned();
    await using _ = fake;
    const t = fake.store.tokens.get("service-account-netbird-password")!;
    t.expiring = true;
    t.expires = new Date(Date.now() - 60_000).toISOString();
    await verifyFails(fake, env, "client_credentials", "the app password expired or was deleted");
  });

  it("the provider lost the device-code grant (2026.5+): named from the provider itself, before the endpoint is asked", async () => {
    const { fake, env } = await provisioned();
    await using _ = fake;
    const p = provider(fake);
    p.grant_types = p.grant_types.filter((g) => g !== "urn:ietf:params:oauth:grant-type:device_code");
    await verifyFails(fake, env, "device", "the provider does not allow the device-code grant");
    expect(fake.log.filter((r) => r.path === "/application/o/device/")).toEqual([]);
  });

  it("a run that rebinds the application logs in as NetBird again: its own login from before the repair does not stand", async () => {
    const { fake, env } = await provisioned();
    await using _ = fake;
    const app = fake.store.applicationOf(provider(fake))!;
    app.provider = null;
    const r = await runMain(env);
    expect(r.summary.error?.message).toBeUndefined();
    expect(r.code).toBe(0);
    expect(app.provider).toBe(provider(fake).pk);
    // The login before the repair was refused (no application); verification's, after it, got a token.
    expect(fake.log.filter((l) => l.path === "/application/o/token/").map((l) => l.status)).toEqual([400, 200]);
    expect(r.stderr).toContain("device codes would be issued");
  });

  it("a run that repairs the provider asks NetBird's login again after the repair: the one before it does not stand", async () => {
    const { fake, env } = await provisioned();
    await using _ = fake;
    provider(fake).sub_mode = "hashed_user_id";
    const r = await runMain(env);
    expect(r.code).toBe(0);
    expect(r.summary.updated).toEqual([`OAuth2 provider 'NetBird'`]);
    // One login while observing (it proves the password in setup.env), one in verification, after the write; and
    // that one, not a device code, shows the repaired provider backing its application.
    expect(fake.log.filter((l) => l.path === "/application/o/token/").map((l) => l.status)).toEqual([200, 200]);
    expect(fake.log.filter((l) => l.path === "/application/o/device/")).toEqual([]);
  });

  it("the brand lost its device-code flow: `netbird up` would fail", async () => {
    const { fake, env } = await provisioned();
    await using _ = fake;
    for (const b of fake.store.brands.values()) b.flow_device_code = null;
    await verifyFails(fake, env, "device", "has no device-code flow");
  });

  it("a later line in setup.env overrides a provisioned value", async () => {
    const { fake, env, out } = await provisioned();
    await using _ = fake;
    appendFileSync(join(out, "setup.env"), "NETBIRD_AUTH_AUDIENCE='something-else'\n");
    await verifyFails(fake, env, "output", "NETBIRD_AUTH_AUDIENCE");
  });

  it("a confidential client whose secret in the file is not authentik's (Firezone)", async () => {
    const { fake, env, out } = await provisioned({ CONSUMER: "firezone", FIREZONE_URL: "https://firezone.example.com", NETBIRD_DOMAIN: "" });
    await using _ = fake;
    const file = join(out, "firezone.env");
    const p = [...fake.store.providers.values()].find((x) => x.name === "Firezone")!;
    writeFileSync(file, readFileSync(file, "utf8").replace(p.client_secret, "not-the-secret"));
    await verifyFails(fake, env, "client_secret", "invalid_client");
  });
});
