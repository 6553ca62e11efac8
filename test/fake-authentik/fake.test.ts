/**
 * The fake authentik earns trust here: every point of its specification, checked over real HTTP, with its
 * responses validated against the schema of each emulated version.
 */
import { spawn } from "node:child_process";
import { get as httpGet } from "node:http";
import { X509Certificate } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { loadSchema, startFakeAuthentik, VERSIONS, type FakeAuthentik } from "./index.ts";
import { sharedDir } from "./paths.ts";

const TOKEN = "fake-test-token-0123456789abcdefghijklmnop";

function client(fake: FakeAuthentik, token = TOKEN) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${fake.url}${path.startsWith("/") ? path : `/api/v3/${path}`}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  return {
    get: (p: string, h?: Record<string, string>) => call("GET", p, undefined, h),
    post: (p: string, b?: unknown) => call("POST", p, b),
    patch: (p: string, b: unknown) => call("PATCH", p, b),
    del: (p: string) => call("DELETE", p),
    call,
  };
}

/** GET with a chosen Host header (fetch does not let a caller set it). */
function getWithHost(url: string, headers: Record<string, string>): Promise<any> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => resolve(JSON.parse(text)));
    }).on("error", reject);
  });
}

const form = (url: string, data: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(data).toString() }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as any,
  }));

/** A NetBird-like provider, application, service account: the objects most checks need. */
async function provision(fake: FakeAuthentik, opts: { scopes?: string[]; legacy?: boolean } = {}) {
  const c = client(fake);
  const flow = (await c.get("flows/instances/default-provider-authorization-implicit-consent/")).body;
  const inval = fake.store.flowBySlug("default-provider-invalidation-flow");
  const cert = [...fake.store.certificates.values()][0]!;
  const mappings = [...fake.store.scopeMappings.values()]
    .filter((m) => (opts.scopes ?? ["openid", "email", "profile", "goauthentik.io/api"]).includes(m.scope_name))
    .map((m) => m.pk);
  const redirects = opts.legacy ? "http://localhost:53000" : [{ matching_mode: "strict", url: "http://localhost:53000" }];
  const provider = await c.post("providers/oauth2/", {
    name: "NetBird",
    authorization_flow: flow.pk,
    ...(inval ? { invalidation_flow: inval.pk } : {}),
    redirect_uris: redirects,
    signing_key: cert.pk,
    property_mappings: mappings,
    client_type: "public",
    sub_mode: "user_id",
    grant_types: ["authorization_code", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"],
  });
  expect(provider.status).toBe(201);
  const app = await c.post("core/applications/", { name: "NetBird", slug: "netbird", provider: provider.body.pk });
  expect(app.status).toBe(201);
  const sa = await c.post("core/users/service_account/", { name: "NetBird", create_group: false, expiring: false });
  expect(sa.status).toBe(200);
  const admins = fake.store.groupByName("authentik Admins")!;
  expect((await c.post(`core/groups/${admins.pk}/add_user/`, { pk: sa.body.user_pk })).status).toBe(204);
  return { provider: provider.body, sa: sa.body, cert };
}

describe("1. real HTTP", () => {
  it("listens on a random port from tests, and the CLI prints its URL and stops on SIGTERM", async () => {
    const t0 = performance.now();
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const startMs = performance.now() - t0;
    expect(fake.port).toBeGreaterThan(0);
    expect((await fetch(`${fake.url}/-/health/live/`)).status).toBe(200);
    console.log(`fake authentik started in ${startMs.toFixed(0)} ms (schemas cached after the first start)`);

    const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));
    const child = spawn(process.execPath, [cli, "--port", "0", "--host", "127.0.0.1", "--version", "2024.12"], { stdio: ["ignore", "pipe", "pipe"] });
    const line = await new Promise<string>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(d.toString())));
    expect(line).toMatch(/^fake-authentik listening on http:\/\/127\.0\.0\.1:\d+ version 2024\.12\.0/);
    const code = await new Promise<number | null>((resolve) => {
      child.once("exit", resolve);
      child.kill("SIGTERM");
    });
    expect(code).toBe(0);
  });
});

describe("2. stateful objects and DRF-shaped errors", () => {
  it.each([
    ["2024.2.0", { status: 201 }],
    ["2024.10.2", { status: 400, body: { name: ["This field must be unique."] } }],
    ["2025.10.0", { status: 400, body: { name: ["This field must be unique."] } }],
    ["2026.2.2", { status: 400, body: { name: ["Group with this name already exists."] } }],
  ])("a second group of a name on %s: accepted before 2024.6, refused by the serializer, then by the model", async (version, answer) => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, version });
    const c = client(fake);
    expect((await c.post("core/groups/", { name: "Twice" })).status).toBe(201);
    expect(await c.post("core/groups/", { name: "Twice" })).toMatchObject(answer);
  });

  it("generates client id (40) and secret (128); names, slugs and identifiers are unique; foreign keys are checked", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const c = client(fake);
    const { provider, sa } = await provision(fake);
    expect(provider.client_id).toHaveLength(40);
    expect(provider.client_secret).toHaveLength(128);
    const flow = fake.store.flowBySlug("default-provider-authorization-implicit-consent")!.pk;
    const inval = fake.store.flowBySlug("default-provider-invalidation-flow")!.pk;
    expect(await c.post("providers/oauth2/", { name: "NetBird", authorization_flow: flow, invalidation_flow: inval, redirect_uris: [] })).toMatchObject({
      status: 400,
      body: { name: [expect.any(String)] },
    });
    fake.store.addProvider({ name: "Legacy SAML", type: "saml" });
    expect((await c.post("providers/oauth2/", { name: "Legacy SAML", authorization_flow: flow, invalidation_flow: inval, redirect_uris: [] })).status).toBe(400);
    expect(await c.post("core/applications/", { name: "x", slug: "netbird" })).toMatchObject({ status: 400, body: { slug: [expect.any(String)] } });
    expect(await c.post("core/applications/", { name: "x", slug: "other", provider: provider.pk })).toMatchObject({
      status: 400,
      body: { provider: ["application with this provider already exists."] },
    });
    expect(await c.post("providers/oauth2/", { name: "Y", authorization_flow: "00000000-0000-0000-0000-000000000000", invalidation_flow: inval, redirect_uris: [] })).toMatchObject(
      { status: 400, body: { authorization_flow: [expect.stringContaining("does not exist")] } },
    );
    expect(await c.post("core/tokens/", { identifier: "service-account-netbird-password", intent: "app_password", user: sa.user_pk })).toMatchObject({
      status: 400,
      body: { identifier: [expect.any(String)] },
    });
    expect(await c.get("core/applications/nope/")).toMatchObject({ status: 404, body: { detail: "No Application matches the given query." } });
    // Tokens: view_key (an audit event each time), expiring/expires, intents.
    const key = (await c.get("core/tokens/service-account-netbird-password/view_key/")).body.key;
    expect(key).toBe(sa.token);
    expect(fake.store.events.filter((e) => e.action === "secret_view")).toHaveLength(1);
    const t = await c.post("core/tokens/", { identifier: "short-lived", intent: "app_password", user: sa.user_pk });
    expect(t.body.expiring).toBe(true);
    expect(Date.parse(t.body.expires)).toBeGreaterThan(Date.now());
    expect(await c.post("core/tokens/", { identifier: "x1", intent: "recovery", user: sa.user_pk })).toMatchObject({ status: 400, body: { intent: [expect.any(String)] } });
    expect(
      await c.post("core/tokens/", { identifier: "x2", intent: "app_password", user: sa.user_pk, expires: new Date(Date.now() + 30 * 86_400_000).toISOString() }),
    ).toMatchObject({ status: 400, body: { expires: [expect.any(String)] } });
    // Membership: add_user adds, never rewrites.
    const admins = (await c.get(`core/groups/${fake.store.groupByName("authentik Admins")!.pk}/`)).body;
    expect(admins.users).toEqual(expect.arrayContaining([1, sa.user_pk]));
    expect(fake.schemaViolations).toEqual([]);
  });

  it("answers 403 with DRF details: no credentials, an invalid token, and a user without permission", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    expect((await fetch(`${fake.url}/api/v3/core/users/`)).status).toBe(403);
    expect(await client(fake, "wrong-token").get("core/users/")).toMatchObject({ status: 403, body: { detail: "Token invalid/expired" } });
    const user = fake.store.addUser({ username: "plain" });
    fake.store.addToken({ identifier: "plain-api", user: user.pk, key: "plain-user-token-123", intent: "api", expiring: false });
    expect(await client(fake, "plain-user-token-123").post("flows/instances/", { name: "f", slug: "f", title: "f", designation: "stage_configuration" })).toMatchObject({
      status: 403,
      body: { detail: "You do not have permission to perform this action." },
    });
  });
});

describe("3. seeded from the real blueprints", () => {
  it("has every flow of the default blueprints, the default brand with its flows, the scope mappings, the admin group, akadmin, the bootstrap token and a real self-signed certificate", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    // Read the blueprints independently of the fake's seeding code.
    const dir = join(sharedDir(), "authentik", "blueprints", "default");
    const slugs = readdirSync(dir).flatMap((f) => {
      const text = readFileSync(join(dir, f), "utf8").replace(/!\w+/g, "");
      const doc = parse(text) as { entries?: { model: string; identifiers?: { slug?: string } }[] };
      return (doc.entries ?? []).filter((e) => e.model === "authentik_flows.flow").map((e) => e.identifiers!.slug!);
    });
    expect(slugs.length).toBeGreaterThan(10);
    expect([...fake.store.flows.values()].map((f) => f.slug).sort()).toEqual([...new Set(slugs)].sort());
    const c = client(fake);
    const brand = (await c.get("core/brands/?default=true")).body.results[0];
    expect(brand).toMatchObject({ domain: "authentik-default", default: true, flow_authentication: fake.store.flowBySlug("default-authentication-flow")!.pk });
    const managed = (await c.get("propertymappings/provider/scope/")).body.results.map((m: any) => m.managed).sort();
    // The OAuth2 blueprint's six, plus the proxy provider blueprint's scope mapping (also a ScopeMapping).
    expect(managed).toEqual(
      [
        ...["openid", "email", "profile", "entitlements", "offline_access", "authentik_api"].map((s) => `goauthentik.io/providers/oauth2/scope-${s}`),
        "goauthentik.io/providers/proxy/scope-proxy",
      ].sort(),
    );
    const admins = (await c.get("core/groups/?name=authentik%20Admins")).body.results[0];
    expect(admins.is_superuser).toBe(true);
    const akadmin = (await c.get("core/users/?username=akadmin")).body.results[0];
    expect(admins.users).toEqual([akadmin.pk]);
    expect((await c.get("core/tokens/authentik-bootstrap-token/")).body).toMatchObject({ intent: "api", expiring: false });
    const cert = (await c.get("crypto/certificatekeypairs/?name=authentik%20Self-signed%20Certificate&has_key=true")).body.results[0];
    expect(cert.private_key_available).toBe(true);
    const pem = (await c.get(`crypto/certificatekeypairs/${cert.pk}/view_certificate/`)).body.data;
    expect(new X509Certificate(pem).publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it("ships only what each version ships: no API-access mapping on 2024.2, no entitlements before 2024.12, no provider invalidation flow before 2024.10; no bootstrap token without the option", async () => {
    await using old = await startFakeAuthentik({ version: "2024.2", bootstrapToken: TOKEN });
    const scopes = (await client(old).get("propertymappings/scope/")).body.results.map((m: any) => m.scope_name);
    expect(scopes).not.toContain("goauthentik.io/api");
    expect(scopes).not.toContain("entitlements");
    expect(old.store.flowBySlug("default-provider-invalidation-flow")).toBeUndefined();
    await using mid = await startFakeAuthentik({ version: "2024.10.2", bootstrapToken: TOKEN });
    expect(mid.store.flowBySlug("default-provider-invalidation-flow")).toBeDefined();
    await using none = await startFakeAuthentik({});
    expect(none.store.tokens.size).toBe(0);
  });
});

describe("4. checked against the real schema", () => {
  it.each([...VERSIONS])("%s: every JSON response of a full provisioning validates against the version's schema", async (version) => {
    await using fake = await startFakeAuthentik({ version, bootstrapToken: TOKEN });
    const schema = loadSchema(fake.version as (typeof VERSIONS)[number]);
    const legacy = version === "2024.2.0" || version === "2024.10.2";
    const { provider } = await provision(fake, { legacy });
    const c = client(fake);
    const scopePath = version === "2024.2.0" ? "propertymappings/scope/" : "propertymappings/provider/scope/";
    const checks: [string, string][] = [
      ["admin/version/", "Version"],
      ["core/users/", "PaginatedUserList"],
      ["core/groups/", "PaginatedGroupList"],
      ["core/tokens/", "PaginatedTokenList"],
      ["flows/instances/", "PaginatedFlowList"],
      ["core/brands/", "PaginatedBrandList"],
      ["crypto/certificatekeypairs/", "PaginatedCertificateKeyPairList"],
      [scopePath, "PaginatedScopeMappingList"],
      ["providers/oauth2/", "PaginatedOAuth2ProviderList"],
      [`providers/oauth2/${provider.pk}/`, "OAuth2Provider"],
      ["providers/all/", "PaginatedProviderList"],
      ["core/applications/netbird/", "Application"],
    ];
    for (const [path, component] of checks) {
      const r = await c.get(path);
      expect({ path, status: r.status }).toEqual({ path, status: 200 });
      expect({ path, errors: schema.validate(component, r.body) }).toEqual({ path, errors: undefined });
    }
    expect(fake.schemaViolations).toEqual([]);
  });

  it("refuses what the real server refuses: missing required field, wrong type, unknown enum value; ignores unknown fields", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const c = client(fake);
    expect(await c.post("flows/instances/", { slug: "x", title: "t", designation: "stage_configuration" })).toMatchObject({
      status: 400,
      body: { name: ["This field is required."] },
    });
    expect(await c.post("flows/instances/", { name: 5, slug: "x", title: "t", designation: "stage_configuration" })).toMatchObject({
      status: 400,
      body: { name: ["Not a valid string."] },
    });
    expect(await c.post("flows/instances/", { name: "n", slug: "x", title: "t", designation: "nonsense" })).toMatchObject({
      status: 400,
      body: { designation: ['"nonsense" is not a valid choice.'] },
    });
    const ok = await c.post("flows/instances/", { name: "n", slug: "x", title: "t", designation: "stage_configuration", no_such_field: true });
    expect(ok.status).toBe(201);
    expect(ok.body.no_such_field).toBeUndefined();
  });
});

describe("5. versions", () => {
  it("2024.2: string redirect_uris, /propertymappings/scope/, no invalidation_flow, health 204, /core/tenants/ gone (brands)", async () => {
    await using fake = await startFakeAuthentik({ version: "2024.2", bootstrapToken: TOKEN });
    const c = client(fake);
    expect((await c.get("admin/version/")).body.version_current).toBe("2024.2.0");
    expect((await fetch(`${fake.url}/-/health/ready/`)).status).toBe(204);
    expect((await c.get("propertymappings/provider/scope/")).status).toBe(404);
    expect((await c.get("core/tenants/")).status).toBe(404);
    const { provider } = await provision(fake, { legacy: true });
    expect(typeof provider.redirect_uris).toBe("string");
    expect(provider.invalidation_flow).toBeUndefined();
    expect(provider.grant_types).toBeUndefined();
  });

  it("2024.12: list of {matching_mode, url}, invalidation_flow required, /propertymappings/provider/scope/", async () => {
    await using fake = await startFakeAuthentik({ version: "2024.12", bootstrapToken: TOKEN });
    const c = client(fake);
    const flow = fake.store.flowBySlug("default-provider-authorization-implicit-consent")!.pk;
    expect(await c.post("providers/oauth2/", { name: "A", authorization_flow: flow, redirect_uris: [] })).toMatchObject({
      status: 400,
      body: { invalidation_flow: ["This field is required."] },
    });
    expect(await c.post("providers/oauth2/", { name: "A", authorization_flow: flow, invalidation_flow: flow, redirect_uris: "x" })).toMatchObject({
      status: 400,
      body: { redirect_uris: [expect.any(String)] },
    });
    const { provider } = await provision(fake);
    expect(provider.redirect_uris).toEqual([{ matching_mode: "strict", url: "http://localhost:53000" }]);
    expect((await fetch(`${fake.url}/-/health/ready/`)).status).toBe(200);
  });

  it("2026.8: grant_types (never empty), default page size 20 capped at 100", async () => {
    await using fake = await startFakeAuthentik({ version: "2026.8", bootstrapToken: TOKEN });
    const c = client(fake);
    const { provider } = await provision(fake);
    expect(provider.grant_types).toContain("client_credentials");
    expect((await c.patch(`providers/oauth2/${provider.pk}/`, { grant_types: [] })).status).toBe(400);
    for (let i = 0; i < 120; i++) fake.store.addFlow({ slug: `bulk-${i}`, designation: "stage_configuration" });
    const page = await c.get("flows/instances/");
    expect(page.body.results).toHaveLength(20);
    expect((await c.get("flows/instances/?page_size=1000")).body.results).toHaveLength(100);
    await using old = await startFakeAuthentik({ version: "2025.10", bootstrapToken: TOKEN });
    for (let i = 0; i < 120; i++) old.store.addFlow({ slug: `bulk-${i}`, designation: "stage_configuration" });
    expect((await client(old).get("flows/instances/")).body.results).toHaveLength(100);
  });
});

describe("6. start-up timeline", () => {
  it("refuses connections, then answers 'starting', then health OK with the token rejected, then default objects in stages", async () => {
    // Stages of 800 ms, each checked in its middle: wide margins for a loaded machine.
    const stage = 800;
    await using fake = await startFakeAuthentik({
      version: "2026.8",
      bootstrapToken: TOKEN,
      timeline: { refusedMs: stage, startingMs: stage, tokenRejectedMs: stage, flowsMs: stage, mappingsMs: 200, certificateMs: 200, brandMs: 200 },
    });
    const t0 = Date.now(); // the timeline starts when startFakeAuthentik returns
    const at = async (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, t0 + ms - Date.now())));
    await at(stage / 2);
    await expect(fetch(`${fake.url}/-/health/live/`)).rejects.toThrow();
    await at(stage * 1.5);
    const starting = await fetch(`${fake.url}/api/v3/admin/version/`);
    expect(starting.status).toBe(503);
    expect(starting.headers.get("retry-after")).toBe("5");
    await at(stage * 2.5);
    expect((await fetch(`${fake.url}/-/health/ready/`)).status).toBe(200);
    expect(await client(fake).get("admin/version/")).toMatchObject({ status: 403, body: { detail: "Token invalid/expired" } });
    await at(stage * 3.5);
    expect((await client(fake).get("admin/version/")).status).toBe(200);
    expect(fake.store.flowBySlug("default-authentication-flow")).toBeUndefined();
    await fake.ready();
    expect(fake.store.flows.size).toBeGreaterThan(0);
    expect(fake.store.scopeMappings.size).toBeGreaterThan(0);
    expect(fake.store.certificates.size).toBe(1);
    expect(fake.store.brands.size).toBe(1);
  });

  it("answers 502 with authentik's old message before 2025.10, and can stay stuck at a stage", async () => {
    await using fake = await startFakeAuthentik({ version: "2024.12", bootstrapToken: TOKEN, timeline: { neverReady: "starting" } });
    const r = await fetch(`${fake.url}/-/health/ready/`);
    expect(r.status).toBe(502);
    expect(await r.json()).toEqual({ error: "failed to connect to authentik backend: authentik starting" });
    await using stuck = await startFakeAuthentik({ bootstrapToken: TOKEN, timeline: { neverReady: "mappings" } });
    expect(stuck.store.flows.size).toBeGreaterThan(0);
    expect(stuck.store.scopeMappings.size).toBe(0);
  });
});

describe("7. OIDC side", () => {
  it("discovery (404 until bound; issuer from Host and X-Forwarded-Proto), JWKS with the signing key, NetBird's client_credentials grant, its token as API bearer, device codes and /device", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const before = await fetch(`${fake.url}/application/o/netbird/.well-known/openid-configuration`);
    expect(before.status).toBe(404);
    const { provider, sa, cert } = await provision(fake);
    const doc = await getWithHost(`${fake.url}/application/o/netbird/.well-known/openid-configuration`, { host: "auth.example.com", "x-forwarded-proto": "https" });
    expect(doc.issuer).toBe("https://auth.example.com/application/o/netbird/");
    expect(doc.token_endpoint).toBe("https://auth.example.com/application/o/token/");
    expect(doc.id_token_signing_alg_values_supported).toEqual(["RS256"]);
    const keys = ((await (await fetch(`${fake.url}/application/o/netbird/jwks/`)).json()) as any).keys;
    expect(keys[0].n).toBe((cert.publicKey.export({ format: "jwk" }) as any).n);

    const ok = await form(`${fake.url}/application/o/token/`, {
      grant_type: "client_credentials",
      client_id: provider.client_id,
      username: "NetBird",
      password: sa.token,
      scope: "openid goauthentik.io/api",
    });
    expect(ok.status).toBe(200);
    const claims = JSON.parse(Buffer.from(ok.body.access_token.split(".")[1], "base64url").toString());
    expect(claims).toMatchObject({ sub: String(sa.user_pk), aud: provider.client_id });
    expect(typeof claims.exp).toBe("number");
    expect((await client(fake, ok.body.access_token).get("core/users/?page=1")).status).toBe(200);
    expect(
      await form(`${fake.url}/application/o/token/`, {
        grant_type: "client_credentials",
        client_id: provider.client_id,
        username: "NetBird",
        password: "wrong",
        scope: "goauthentik.io/api",
      }),
    ).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    // Without the API scope mapping the scope is dropped (2024.12+), and the token is no API bearer.
    await client(fake).patch(`providers/oauth2/${provider.pk}/`, {
      property_mappings: [...fake.store.scopeMappings.values()].filter((m) => m.scope_name === "openid").map((m) => m.pk),
    });
    const noApi = await form(`${fake.url}/application/o/token/`, {
      grant_type: "client_credentials",
      client_id: provider.client_id,
      username: "NetBird",
      password: sa.token,
      scope: "openid goauthentik.io/api",
    });
    expect(noApi.body.scope).toBe("openid");
    expect((await client(fake, noApi.body.access_token).get("core/users/")).status).toBe(403);

    const device = await form(`${fake.url}/application/o/device/`, { client_id: provider.client_id, scope: "openid" });
    expect(device).toMatchObject({ status: 200, body: { interval: 5, expires_in: 60, verification_uri: `${fake.url}/device` } });
    // `/device` is login_required: anonymous requests are sent to the login flow whatever the brand has.
    const page = await fetch(`${fake.url}/device`, { redirect: "manual" });
    expect([page.status, page.headers.get("location")]).toEqual([302, "/flows/-/default/authentication/?next=/device"]);
    const brand = [...fake.store.brands.values()][0]!;
    brand.flow_device_code = fake.store.addFlow({ slug: "device", designation: "stage_configuration" }).pk;
    expect((await fetch(`${fake.url}/device`, { redirect: "manual" })).status).toBe(302);
    expect(((await (await fetch(`${fake.url}/api/v3/core/brands/current/`)).json()) as { flow_device_code: string }).flow_device_code).toBe("device");
  });
});

describe("8. faults and request log", () => {
  it("injects statuses N times, delays, dropped connections and malformed bodies; logs every request with a write flag", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const c = client(fake);
    fake.inject({ method: "GET", path: "/api/v3/admin/version/", status: 503, times: 2 });
    expect((await c.get("admin/version/")).status).toBe(503);
    expect((await c.get("admin/version/")).status).toBe(503);
    expect((await c.get("admin/version/")).status).toBe(200);
    fake.inject({ path: /\/core\/users\/$/, drop: true, times: 1 });
    await expect(fetch(`${fake.url}/api/v3/core/users/`, { headers: { authorization: `Bearer ${TOKEN}` } })).rejects.toThrow();
    fake.inject({ path: "/api/v3/core/brands/", malformed: true, times: 1 });
    await expect((await fetch(`${fake.url}/api/v3/core/brands/`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()).rejects.toThrow();
    fake.inject({ path: "/api/v3/core/groups/", delayMs: 300, times: 1 });
    const t0 = Date.now();
    await c.get("core/groups/");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    fake.resetLog();
    await c.post("flows/instances/", { name: "n", slug: "s", title: "t", designation: "stage_configuration" });
    await c.get("flows/instances/s/");
    expect(fake.log.map((r) => [r.method, r.path, r.status, r.write])).toEqual([
      ["POST", "/api/v3/flows/instances/", 201, true],
      ["GET", "/api/v3/flows/instances/s/", 200, false],
    ]);
    expect(fake.writes()).toHaveLength(1);
    fake.dropAllAfter(1);
    expect((await c.get("admin/version/")).status).toBe(200);
    await expect(fetch(`${fake.url}/api/v3/admin/version/`)).rejects.toThrow();
  });
});

describe("9. lists like authentik's", () => {
  it("paginates with page numbers, 404s past the end, ignores unknown filters, and `search` matches substrings", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const c = client(fake);
    for (const name of ["NetBird", "NetBird-old", "Not NetBird"]) fake.store.addUser({ username: name, type: "service_account" });
    const page1 = (await c.get("core/users/?page_size=2")).body;
    expect(page1.pagination).toMatchObject({ next: 2, previous: 0, count: 4, current: 1, total_pages: 2 });
    expect((await c.get("core/users/?page_size=2&page=2")).body.pagination).toMatchObject({ next: 0, previous: 1 });
    expect(await c.get("core/users/?page_size=2&page=3")).toMatchObject({ status: 404, body: { detail: "Invalid page." } });
    expect((await c.get("core/users/?no_such_filter=NetBird")).body.results).toHaveLength(4);
    const searched = (await c.get("core/users/?search=netbird")).body.results.map((u: any) => u.username);
    expect(searched).toEqual(["NetBird", "NetBird-old", "Not NetBird"]);
    expect((await c.get("core/users/?username=NetBird")).body.results.map((u: any) => u.username)).toEqual(["NetBird"]);
  });
});
