/**
 * More of the fake authentik's specification, point by point (complements fake.test.ts): TLS, the CLI's
 * environment and debug routes, every endpoint the tool uses, version-dependent filters and wording, the
 * timeline's stuck stages, token signatures, device codes per brand, fault details and list filters.
 */
import { spawn } from "node:child_process";
import { createHmac, createPublicKey, verify } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { handlers } from "./api.ts";
import { loadSchema, startFakeAuthentik, VERSIONS, type FakeAuthentik } from "./index.ts";
import { sharedDir } from "./paths.ts";
import { selfSigned } from "./x509.ts";

const TOKEN = "spec-test-token-0123456789abcdefghijklmnop";

interface Answer {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** Raw HTTP(S) request with full control over Host and headers (fetch forbids setting Host). */
function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; ca?: string } = {}): Promise<Answer> {
  const u = new URL(url);
  const fn = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = fn(u, { method: opts.method ?? "GET", headers: opts.headers, ...(opts.ca ? { ca: opts.ca } : {}) }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => {
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

function api(fake: FakeAuthentik, token = TOKEN) {
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    raw(`${fake.url}${path.startsWith("/") ? path : `/api/v3/${path}`}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    get: (p: string, h?: Record<string, string>) => call("GET", p, undefined, h),
    post: (p: string, b?: unknown) => call("POST", p, b ?? {}),
    patch: (p: string, b: unknown) => call("PATCH", p, b),
    put: (p: string, b: unknown) => call("PUT", p, b),
    del: (p: string) => call("DELETE", p),
  };
}

const tokenForm = (fake: FakeAuthentik, data: Record<string, string>, headers: Record<string, string> = {}) =>
  raw(`${fake.url}/application/o/token/`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(data).toString(),
  });

/** Provider + application + service account, with the body shape the emulated version wants. */
async function netbird(fake: FakeAuthentik, opts: { signed?: boolean; grants?: string[]; scopes?: string[]; slug?: string; bind?: boolean } = {}) {
  const c = api(fake);
  const v = loadSchema(fake.version as (typeof VERSIONS)[number]);
  const legacyRedirects = v.components.OAuth2ProviderRequest?.properties?.redirect_uris?.type === "string";
  const flow = fake.store.flowBySlug("default-provider-authorization-implicit-consent")!.pk;
  const inval = fake.store.flowBySlug("default-provider-invalidation-flow")?.pk;
  const cert = [...fake.store.certificates.values()].find((x) => x.name === "authentik Self-signed Certificate")!;
  const wanted = opts.scopes ?? ["openid", "email", "profile", "goauthentik.io/api"];
  const provider = await c.post("providers/oauth2/", {
    name: `NetBird ${opts.slug ?? "netbird"}`,
    authorization_flow: flow,
    ...(inval ? { invalidation_flow: inval } : {}),
    redirect_uris: legacyRedirects ? "http://localhost:53000" : [{ matching_mode: "strict", url: "http://localhost:53000" }],
    signing_key: opts.signed === false ? null : cert.pk,
    property_mappings: [...fake.store.scopeMappings.values()].filter((m) => wanted.includes(m.scope_name)).map((m) => m.pk),
    client_type: "public",
    sub_mode: "user_id",
    access_code_validity: "minutes=10",
    grant_types: opts.grants ?? ["authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"],
  });
  expect(provider.status, JSON.stringify(provider.body)).toBe(201);
  if (opts.bind !== false) expect((await c.post("core/applications/", { name: "NetBird", slug: opts.slug ?? "netbird", provider: provider.body.pk })).status).toBe(201);
  const sa = await c.post("core/users/service_account/", { name: `sa-${opts.slug ?? "netbird"}`, create_group: false, expiring: false });
  expect(sa.status).toBe(200);
  return { provider: provider.body, sa: sa.body, cert };
}

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as Record<string, any>;
const headerOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[0]!, "base64url").toString()) as Record<string, any>;

describe("1. real HTTP (more)", () => {
  it("serves HTTPS with the given key and certificate", async () => {
    const pair = selfSigned("127.0.0.1", { altNames: ["localhost"] });
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, tls: { key: pair.keyPem, cert: pair.certPem } });
    expect(fake.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await raw(`${fake.url.replace("127.0.0.1", "localhost")}/api/v3/admin/version/`, { headers: { authorization: `Bearer ${TOKEN}` }, ca: pair.certPem });
    expect(r.status).toBe(200);
  });

  it("measures start-up per version (first start of a version in this process, then a repeat)", async () => {
    const times: string[] = [];
    for (const version of VERSIONS) {
      let t0 = performance.now();
      const first = await startFakeAuthentik({ version, bootstrapToken: TOKEN });
      const a = performance.now() - t0;
      await first.close();
      t0 = performance.now();
      const again = await startFakeAuthentik({ version, bootstrapToken: TOKEN });
      const b = performance.now() - t0;
      await again.close();
      times.push(`${version}: ${a.toFixed(0)} ms first, ${b.toFixed(1)} ms again`);
    }
    console.log(`fake authentik start-up\n  ${times.join("\n  ")}`);
  });

  it("short version forms map to the emulated releases; unknown versions are refused", async () => {
    for (const [short, full] of [
      ["2024.2", "2024.2.0"],
      ["2024.12", "2024.12.0"],
      ["2026.8", "2026.8.3"],
      ["2026.5", "2026.5.6"],
    ]) {
      await using fake = await startFakeAuthentik({ version: short, bootstrapToken: TOKEN });
      expect(fake.version).toBe(full);
    }
    await expect(startFakeAuthentik({ version: "2023.10" })).rejects.toThrow(/unknown version/);
  });

  it("the CLI takes its settings from FAKE_AK_* variables and serves the debug routes, which are not logged", async () => {
    const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));
    const child = spawn(process.execPath, [cli], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, FAKE_AK_PORT: "0", FAKE_AK_HOST: "127.0.0.1", FAKE_AK_VERSION: "2025.10", FAKE_AK_BOOTSTRAP_TOKEN: TOKEN, FAKE_AK_STARTING_MS: "300" },
    });
    try {
      const line = await new Promise<string>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(d.toString())));
      const url = /listening on (\S+) version 2025\.10\.0/.exec(line)![1]!;
      expect((await raw(`${url}/-/health/ready/`)).status).toBe(503);
      await new Promise((r) => setTimeout(r, 400));
      const auth = { authorization: `Bearer ${TOKEN}` };
      expect((await raw(`${url}/api/v3/admin/version/`, { headers: auth })).body.version_current).toBe("2025.10.0");
      const fault = JSON.stringify({ method: "GET", pathRegex: "^/api/v3/core/users/$", status: 503, times: 1 });
      expect((await raw(`${url}/_fake/faults`, { method: "POST", body: fault, headers: { "content-type": "application/json" } })).status).toBe(204);
      expect((await raw(`${url}/api/v3/core/users/`, { headers: auth })).status).toBe(503);
      expect((await raw(`${url}/api/v3/core/users/`, { headers: auth })).status).toBe(200);
      const log = (await raw(`${url}/_fake/log`)).body as { path: string; status: number }[];
      expect(log.map((r) => r.status)).toEqual([503, 200, 503, 200]);
      expect(log.some((r) => r.path.startsWith("/_fake/"))).toBe(false);
      expect((await raw(`${url}/_fake/reset-log`, { method: "POST" })).status).toBe(204);
      expect((await raw(`${url}/_fake/log`)).body).toEqual([]);
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGINT");
      expect(await exited).toBe(0);
    }
  });
});

describe("2. stateful objects (more)", () => {
  it("service accounts: user type and path, app password with 360 days by default, create_group, duplicates per version", async () => {
    await using fake = await startFakeAuthentik({ version: "2024.12", bootstrapToken: TOKEN });
    const c = api(fake);
    const sa = await c.post("core/users/service_account/", { name: "My Bot", create_group: true });
    expect(sa).toMatchObject({ status: 200, body: { username: "My Bot", token: expect.any(String), user_pk: expect.any(Number), group_pk: expect.any(String) } });
    const user = (await c.get(`core/users/${sa.body.user_pk}/`)).body;
    expect(user).toMatchObject({ type: "service_account", path: "goauthentik.io/service-accounts", attributes: { "goauthentik.io/user/token-expires": true } });
    const token = (await c.get("core/tokens/service-account-my-bot-password/")).body;
    expect(token).toMatchObject({ intent: "app_password", expiring: true, user: sa.body.user_pk });
    expect(Date.parse(token.expires) - Date.now()).toBeGreaterThan(359 * 86_400_000);
    expect((await c.get(`core/groups/${sa.body.group_pk}/`)).body.users).toEqual([sa.body.user_pk]);
    expect(await c.post("core/users/service_account/", { name: "My Bot" })).toMatchObject({ status: 400, body: { non_field_errors: [expect.any(String)] } });
    await using newer = await startFakeAuthentik({ version: "2025.10", bootstrapToken: TOKEN });
    await api(newer).post("core/users/service_account/", { name: "My Bot" });
    expect(await api(newer).post("core/users/service_account/", { name: "My Bot" })).toMatchObject({ status: 400, body: { name: ["This field must be unique."] } });
  });

  it("tokens: API tokens get now + the default duration (30 min) whatever they ask; delete; 404 wording before and after DRF 3.16", async () => {
    await using fake = await startFakeAuthentik({ version: "2024.12", bootstrapToken: TOKEN });
    const c = api(fake);
    const expiring = await c.post("core/tokens/", { identifier: "api-1", intent: "api", expires: "2099-01-01T00:00:00Z" });
    expect(expiring.status).toBe(201);
    expect(Math.abs(Date.parse(expiring.body.expires) - (Date.now() + 1_800_000))).toBeLessThan(60_000);
    const forever = await c.post("core/tokens/", { identifier: "api-2", intent: "api", expiring: false });
    expect(forever.body).toMatchObject({ expiring: false, user: 1 });
    expect((await c.del("core/tokens/api-2/")).status).toBe(204);
    expect(await c.get("core/tokens/api-2/")).toMatchObject({ status: 404, body: { detail: "Not found." } });
    expect(await c.get("core/tokens/api-2/view_key/")).toMatchObject({ status: 404 });
    const later = new Date(Date.now() + 30 * 86_400_000).toISOString();
    expect((await c.post("core/tokens/", { identifier: "app-long", intent: "app_password", expires: later })).status).toBe(400);
    expect(await c.post("core/tokens/", { identifier: "app-null", intent: "app_password", expires: null })).toMatchObject({ status: 500 });
    await using oldest = await startFakeAuthentik({ version: "2024.2", bootstrapToken: TOKEN });
    expect((await api(oldest).post("core/tokens/", { identifier: "app-long", intent: "app_password", expires: later })).status).toBe(201);
    await using newer = await startFakeAuthentik({ version: "2025.10", bootstrapToken: TOKEN });
    expect(await api(newer).get("core/tokens/nope/")).toMatchObject({ status: 404, body: { detail: "No Token matches the given query." } });
  });

  it("groups: PATCH, add_user and remove_user (204), unique names", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const c = api(fake);
    const user = fake.store.addUser({ username: "someone" });
    const group = fake.store.addGroup({ name: "Team" });
    expect((await c.post(`core/groups/${group.pk}/add_user/`, { pk: user.pk })).status).toBe(204);
    expect((await c.post(`core/groups/${group.pk}/add_user/`, { pk: user.pk })).status).toBe(204);
    expect(fake.store.groups.get(group.pk)!.users).toEqual([user.pk]);
    expect(await c.post(`core/groups/${group.pk}/add_user/`, { pk: 9999 })).toMatchObject({ status: 404 });
    expect((await c.patch(`core/groups/${group.pk}/`, { attributes: { a: 1 } })).body).toMatchObject({ name: "Team", attributes: { a: 1 }, users: [user.pk] });
    expect(await c.patch(`core/groups/${group.pk}/`, { name: "authentik Admins" })).toMatchObject({ status: 400, body: { name: [expect.any(String)] } });
    expect((await c.post(`core/groups/${group.pk}/remove_user/`, { pk: user.pk })).status).toBe(204);
    expect(fake.store.groups.get(group.pk)!.users).toEqual([]);
  });

  it("providers: DELETE (the application loses it); applications: PATCH, DELETE; users and flows: DELETE with their cascades; brands: create, PATCH, current/ by Host", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const c = api(fake);
    const { provider, sa } = await netbird(fake);
    expect((await c.patch("core/applications/netbird/", { meta_launch_url: "https://netbird.example.com" })).body.meta_launch_url).toBe("https://netbird.example.com");
    expect((await c.del(`providers/oauth2/${provider.pk}/`)).status).toBe(204);
    expect((await c.get("core/applications/netbird/")).body.provider).toBeNull();
    expect((await c.del("core/applications/netbird/")).status).toBe(204);
    expect((await c.get("core/applications/netbird/")).status).toBe(404);
    // A user's tokens go with it (Token.user: CASCADE).
    expect((await c.del(`core/users/${sa.user_pk}/`)).status).toBe(204);
    expect((await c.get("core/tokens/service-account-netbird-password/")).status).toBe(404);

    const brand = await c.post("core/brands/", { domain: "auth.example.com" });
    expect(brand).toMatchObject({ status: 201, body: { domain: "auth.example.com", default: false } });
    expect(await c.post("core/brands/", { domain: "auth.example.com" })).toMatchObject({ status: 400, body: { domain: [expect.any(String)] } });
    const flow = fake.store.addFlow({ slug: "device-code", designation: "stage_configuration" });
    expect((await c.patch(`core/brands/${brand.body.brand_uuid}/`, { flow_device_code: flow.pk })).body.flow_device_code).toBe(flow.pk);
    expect(await c.patch(`core/brands/${brand.body.brand_uuid}/`, { default: true })).toMatchObject({ status: 400 });
    // brands/current: anonymous, flows by slug, the Host as sent — a non-default port is part of it (2026.2+ rule).
    const current = await raw(`${fake.url}/api/v3/core/brands/current/`, { headers: { host: "login.auth.example.com" } });
    expect(current.body).toMatchObject({ matched_domain: "auth.example.com", flow_device_code: "device-code" });
    expect((await raw(`${fake.url}/api/v3/core/brands/current/`, { headers: { host: "login.auth.example.com:8443" } })).body.matched_domain).toBe("authentik-default");
    expect((await raw(`${fake.url}/api/v3/core/brands/current/`, { headers: { host: "elsewhere.test" } })).body.matched_domain).toBe("authentik-default");
    // Brand.flow_device_code is SET_NULL: deleting the flow clears it.
    expect((await c.del("flows/instances/device-code/")).status).toBe(204);
    expect(fake.store.brands.get(brand.body.brand_uuid)!.flow_device_code).toBeNull();
  });
});

describe("3. seeded (more)", () => {
  it("scope mappings carry the blueprint's names, scope names and expressions; the brand's flows are resolved; akadmin is a superuser", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const text = readFileSync(join(sharedDir(), "authentik", "blueprints", "system", "providers-oauth2.yaml"), "utf8").replace(/!\w+/g, "");
    const entries = (parse(text) as { entries: { model: string; identifiers: { managed: string }; attrs: { name: string; scope_name: string; expression: string } }[] }).entries;
    const c = api(fake);
    for (const e of entries.filter((x) => x.model === "authentik_providers_oauth2.scopemapping")) {
      const m = (await c.get(`propertymappings/provider/scope/?managed=${encodeURIComponent(e.identifiers.managed)}`)).body.results;
      expect(m).toHaveLength(1);
      expect(m[0]).toMatchObject({ name: e.attrs.name, scope_name: e.attrs.scope_name, expression: e.attrs.expression });
    }
    const brand = (await c.get("core/brands/?domain=authentik-default")).body.results[0];
    expect(brand.flow_invalidation).toBe(fake.store.flowBySlug("default-invalidation-flow")!.pk);
    expect(brand.flow_user_settings).toBe(fake.store.flowBySlug("default-user-settings-flow")!.pk);
    expect((await c.get("core/users/me/")).body.user).toMatchObject({ username: "akadmin", is_superuser: true });
    const cert = (await c.get("crypto/certificatekeypairs/?name=authentik%20Self-signed%20Certificate")).body.results[0];
    expect(cert).toMatchObject({ private_key_available: true, cert_subject: expect.stringContaining("CN=authentik Self-signed Certificate") });
  });
});

describe("4. schema (more)", () => {
  it("PATCH bodies are checked against the Patched…Request schemas; old versions refuse new shapes", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const c = api(fake);
    expect((await c.patch("flows/instances/default-authentication-flow/", {})).status).toBe(200);
    expect(await c.patch("flows/instances/default-authentication-flow/", { designation: "nope" })).toMatchObject({
      status: 400,
      body: { designation: ['"nope" is not a valid choice.'] },
    });
    expect(await c.patch("flows/instances/default-authentication-flow/", { title: 12 })).toMatchObject({ status: 400, body: { title: ["Not a valid string."] } });
    const { provider } = await netbird(fake);
    expect(await c.patch(`providers/oauth2/${provider.pk}/`, { client_type: "x" })).toMatchObject({ status: 400, body: { client_type: ['"x" is not a valid choice.'] } });
    expect(await c.patch(`providers/oauth2/${provider.pk}/`, { grant_types: ["magic"] })).toMatchObject({ status: 400, body: { grant_types: [expect.any(String)] } });
    await using old = await startFakeAuthentik({ version: "2024.10.2", bootstrapToken: TOKEN });
    const flow = old.store.flowBySlug("default-provider-authorization-implicit-consent")!.pk;
    const inval = old.store.flowBySlug("default-provider-invalidation-flow")!.pk;
    expect(
      await api(old).post("providers/oauth2/", { name: "A", authorization_flow: flow, invalidation_flow: inval, redirect_uris: [{ matching_mode: "strict", url: "x" }] }),
    ).toMatchObject({
      status: 400,
      body: { redirect_uris: ["Not a valid string."] },
    });
    // Newer fields are unknown to the old serializer: ignored, not refused.
    const ok = await api(old).post("providers/oauth2/", { name: "A", authorization_flow: flow, invalidation_flow: inval, redirect_uris: "", grant_types: ["client_credentials"] });
    expect(ok.status).toBe(201);
    expect(ok.body.grant_types).toBeUndefined();
  });

  it("a response that does not match the schema is a 500 and recorded (unless response validation is off)", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    fake.store.flowBySlug("default-authentication-flow")!.designation = "bogus";
    const r = await api(fake).get("flows/instances/default-authentication-flow/");
    expect(r.status).toBe(500);
    expect(fake.schemaViolations).toHaveLength(1);
    expect(fake.schemaViolations[0]).toContain("designation");
    await using lax = await startFakeAuthentik({ bootstrapToken: TOKEN, validateResponses: false });
    lax.store.flowBySlug("default-authentication-flow")!.designation = "bogus";
    expect((await api(lax).get("flows/instances/default-authentication-flow/")).body.designation).toBe("bogus");
  });

  it.each([...VERSIONS])("%s: OIDC-side objects, /core/users/me/ and writes' answers validate too", async (version) => {
    await using fake = await startFakeAuthentik({ version, bootstrapToken: TOKEN });
    const schema = loadSchema(fake.version as (typeof VERSIONS)[number]);
    const c = api(fake);
    const { sa } = await netbird(fake);
    const checks: [Answer, string][] = [
      [await c.get("core/users/me/"), "SessionUser"],
      [await c.get(`core/users/${sa.user_pk}/`), "User"],
      [await c.get("core/tokens/authentik-bootstrap-token/"), "Token"],
      [await c.get("core/tokens/authentik-bootstrap-token/view_key/"), "TokenView"],
      [await c.post("flows/instances/", { name: "Device", slug: "device-code", title: "Device", designation: "stage_configuration" }), "Flow"],
      [await c.get("core/brands/current/"), "CurrentBrand"],
    ];
    for (const [answer, component] of checks) {
      expect({ component, status: answer.status }).toEqual({ component, status: answer.status < 300 ? answer.status : 200 });
      expect({ component, errors: schema.validate(component, answer.body) }).toEqual({ component, errors: undefined });
    }
    expect(fake.schemaViolations).toEqual([]);
  });
});

describe("5. versions (more)", () => {
  it("every endpoint the tool needs exists in every version's schema and has a handler", () => {
    const need = [
      "GET admin/version/",
      "GET core/users/",
      "GET core/users/1/",
      "GET core/users/me/",
      "POST core/users/service_account/",
      "PATCH core/users/1/",
      "DELETE core/users/1/",
      "GET core/groups/",
      "GET core/groups/u/",
      "POST core/groups/u/add_user/",
      "POST core/groups/u/remove_user/",
      "GET core/tokens/",
      "POST core/tokens/",
      "GET core/tokens/i/",
      "PATCH core/tokens/i/",
      "DELETE core/tokens/i/",
      "GET core/tokens/i/view_key/",
      "GET flows/instances/",
      "POST flows/instances/",
      "GET flows/instances/s/",
      "PATCH flows/instances/s/",
      "DELETE flows/instances/s/",
      "GET core/brands/",
      "PATCH core/brands/u/",
      "GET core/brands/current/",
      "GET crypto/certificatekeypairs/",
      "GET providers/oauth2/",
      "POST providers/oauth2/",
      "PATCH providers/oauth2/1/",
      "DELETE providers/oauth2/1/",
      "GET providers/all/",
      "POST core/applications/",
      "GET core/applications/s/",
      "PATCH core/applications/s/",
      "DELETE core/applications/s/",
    ];
    for (const version of VERSIONS) {
      const schema = loadSchema(version);
      const scope = version === "2024.2.0" ? "propertymappings/scope/" : "propertymappings/provider/scope/";
      for (const entry of [...need, `GET ${scope}`]) {
        const [method, path] = entry.split(" ") as [string, string];
        const found = schema.find(method, `/api/v3/${path}`);
        expect({ version, entry, operation: Boolean(found) }).toEqual({ version, entry, operation: true });
        expect({ version, entry, handler: Boolean(handlers[found!.op.operationId]) }).toEqual({ version, entry, handler: true });
      }
    }
  });

  it.each([...VERSIONS])("%s: admin/version reports it; paths outside its schema are 404", async (version) => {
    await using fake = await startFakeAuthentik({ version, bootstrapToken: TOKEN });
    const c = api(fake);
    const v = await c.get("admin/version/");
    expect(v.body.version_current).toBe(version);
    expect(loadSchema(version).validate("Version", v.body)).toBeUndefined();
    const old = version === "2024.2.0";
    expect((await c.get("propertymappings/scope/")).status).toBe(old ? 200 : 404);
    expect((await c.get("propertymappings/provider/scope/")).status).toBe(old ? 404 : 200);
    expect((await c.get("no/such/endpoint/")).status).toBe(404);
    expect((await raw(`${fake.url}/-/health/live/`)).status).toBe(old ? 204 : 200);
  });

  it("2024.10.2: invalidation_flow required, redirect_uris still a newline-separated string; client_credentials keeps scopes without mappings", async () => {
    await using fake = await startFakeAuthentik({ version: "2024.10.2", bootstrapToken: TOKEN });
    const flow = fake.store.flowBySlug("default-provider-authorization-implicit-consent")!.pk;
    expect(await api(fake).post("providers/oauth2/", { name: "A", authorization_flow: flow, redirect_uris: "" })).toMatchObject({
      status: 400,
      body: { invalidation_flow: ["This field is required."] },
    });
    const { provider, sa } = await netbird(fake, { scopes: ["openid"] });
    expect(provider.redirect_uris).toBe("http://localhost:53000");
    const t = await tokenForm(fake, {
      grant_type: "client_credentials",
      client_id: provider.client_id,
      username: "sa-netbird",
      password: sa.token,
      scope: "openid goauthentik.io/api",
    });
    // The answer has no `scope` before 2025.2 (views/token.py @2024.12.0): the access token's claim carries it.
    expect(t.body.scope).toBeUndefined();
    expect(claimsOf(t.body.access_token).scope).toBe("openid goauthentik.io/api");
  });

  it("2026.5: the token and device endpoints only grant what the provider's grant_types allow", async () => {
    await using fake = await startFakeAuthentik({ version: "2026.5", bootstrapToken: TOKEN });
    const { provider, sa } = await netbird(fake, { grants: ["authorization_code"] });
    const form = { grant_type: "client_credentials", client_id: provider.client_id, username: "sa-netbird", password: sa.token, scope: "openid" };
    expect(await tokenForm(fake, form)).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const device = () =>
      raw(`${fake.url}/application/o/device/`, {
        method: "POST",
        body: `client_id=${provider.client_id}&scope=openid`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
    expect(await device()).toMatchObject({ status: 400, body: { error: "invalid_client" } });
    await api(fake).patch(`providers/oauth2/${provider.pk}/`, { grant_types: ["authorization_code", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"] });
    expect((await tokenForm(fake, form)).status).toBe(200);
    expect((await device()).status).toBe(200);
    await using older = await startFakeAuthentik({ version: "2026.2", bootstrapToken: TOKEN });
    const o = await netbird(older, { grants: ["authorization_code"] });
    expect((await tokenForm(older, { ...form, client_id: o.provider.client_id, password: o.sa.token })).status).toBe(200);
  });
});

describe("6. timeline (more)", () => {
  it("stuck at 'token': healthy, but the bootstrap token is refused forever", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, timeline: { neverReady: "token" } });
    expect((await raw(`${fake.url}/-/health/ready/`)).status).toBe(200);
    expect(await api(fake).get("core/users/me/")).toMatchObject({ status: 403, body: { detail: "Token invalid/expired" } });
    expect((await raw(`${fake.url}/api/v3/core/brands/current/`)).status).toBe(200);
  });

  it("objects appear in order: flows, mappings, certificate, brand; ready() waits for the brand", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, timeline: { neverReady: "certificate" } });
    const c = api(fake);
    expect((await c.get("flows/instances/?slug=default-authentication-flow")).body.results).toHaveLength(1);
    expect((await c.get("propertymappings/provider/scope/")).body.pagination.count).toBeGreaterThan(0);
    expect((await c.get("crypto/certificatekeypairs/")).body.results).toEqual([]);
    expect((await c.get("core/brands/")).body.results).toEqual([]);
    let ready = false;
    void fake.ready().then(() => (ready = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(ready).toBe(false);
    await using timed = await startFakeAuthentik({ bootstrapToken: TOKEN, timeline: { brandMs: 150 } });
    expect((await api(timed).get("crypto/certificatekeypairs/")).body.results).toHaveLength(1);
    expect((await api(timed).get("core/brands/")).body.results).toEqual([]);
    await timed.ready();
    expect((await api(timed).get("core/brands/")).body.results).toHaveLength(1);
  });

  it("while starting, the Go router answers: health/live by itself from 2024.12, every other path 'starting' (502, then 503 + Retry-After; 2025.10.0 gives JSON clients a 200)", async () => {
    for (const [version, live, other] of [
      ["2024.2", 204, 502],
      ["2024.10.2", 502, 502],
      ["2024.12", 200, 502],
      ["2025.10", 200, 503],
      ["2026.8", 502, 503],
    ] as const) {
      await using fake = await startFakeAuthentik({ version, bootstrapToken: TOKEN, timeline: { neverReady: "starting" } });
      expect({ version, status: (await raw(`${fake.url}/-/health/live/`)).status }).toEqual({ version, status: live });
      for (const path of ["/-/health/ready/", "/api/v3/root/config/", "/application/o/token/"]) {
        const r = await raw(`${fake.url}${path}`);
        expect({ version, path, status: r.status }).toEqual({ version, path, status: other });
        expect(r.headers["retry-after"]).toBe(other === 503 ? "5" : undefined);
      }
      const json = await raw(`${fake.url}/api/v3/admin/version/`, { headers: { accept: "application/json" } });
      expect({ version, status: json.status }).toEqual({ version, status: version === "2025.10" ? 200 : other });
      if (version === "2025.10") expect(json.body).toEqual({ error: "authentik starting" });
    }
  });
});

describe("7. OIDC (more)", () => {
  it("RS256 tokens verify against the JWKS; without a signing key tokens are HS256 with the client secret and the JWKS is empty", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const { provider, sa } = await netbird(fake);
    const t = await tokenForm(fake, {
      grant_type: "client_credentials",
      client_id: provider.client_id,
      username: "sa-netbird",
      password: sa.token,
      scope: "openid goauthentik.io/api",
    });
    expect(t.body).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "openid goauthentik.io/api" });
    const jwks = (await raw(`${fake.url}/application/o/netbird/jwks/`)).body.keys;
    expect(headerOf(t.body.access_token)).toMatchObject({ alg: "RS256", kid: jwks[0].kid });
    const [h, p, s] = t.body.access_token.split(".");
    const key = createPublicKey({ key: jwks[0], format: "jwk" });
    expect(verify("sha256", Buffer.from(`${h}.${p}`), key, Buffer.from(s, "base64url"))).toBe(true);
    expect(claimsOf(t.body.access_token)).toMatchObject({ iss: `${fake.url}/application/o/netbird/`, aud: provider.client_id, scope: "openid goauthentik.io/api" });

    const unsigned = await netbird(fake, { signed: false, slug: "hs" });
    const discovery = (await raw(`${fake.url}/application/o/hs/.well-known/openid-configuration`)).body;
    expect(discovery).toMatchObject({ id_token_signing_alg_values_supported: ["HS256"], device_authorization_endpoint: `${fake.url}/application/o/device/` });
    expect((await raw(`${fake.url}/application/o/hs/jwks/`)).body).toEqual({ keys: [] });
    const hs = await tokenForm(fake, { grant_type: "client_credentials", client_id: unsigned.provider.client_id, username: "sa-hs", password: unsigned.sa.token, scope: "openid" });
    const [hh, hp, hsig] = hs.body.access_token.split(".");
    expect(headerOf(hs.body.access_token).alg).toBe("HS256");
    expect(createHmac("sha256", unsigned.provider.client_secret).update(`${hh}.${hp}`).digest("base64url")).toBe(hsig);
  });

  it("refuses app passwords that are expired, of another user, API tokens as passwords, unbound providers; a non-superuser's API token is 403 on users", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const { provider, sa } = await netbird(fake);
    const base = { grant_type: "client_credentials", client_id: provider.client_id, username: "sa-netbird", scope: "openid goauthentik.io/api" };
    expect((await tokenForm(fake, { ...base, password: TOKEN })).body.error).toBe("invalid_grant");
    expect((await tokenForm(fake, { ...base, username: "akadmin", password: sa.token })).body.error).toBe("invalid_grant");
    expect((await tokenForm(fake, { ...base, client_id: "unknown" })).body.error).toBe("invalid_client");
    // Not in a superuser group: the access token authenticates but may not list users.
    const ok = await tokenForm(fake, { ...base, password: sa.token });
    expect((await api(fake, ok.body.access_token).get("core/users/me/")).body.user.username).toBe("sa-netbird");
    expect(await api(fake, ok.body.access_token).get("core/users/")).toMatchObject({ status: 403, body: { detail: "You do not have permission to perform this action." } });
    fake.store.tokens.get("service-account-sa-netbird-password")!.expires = new Date(Date.now() - 1000).toISOString();
    fake.store.tokens.get("service-account-sa-netbird-password")!.expiring = true;
    expect((await tokenForm(fake, { ...base, password: sa.token })).body.error).toBe("invalid_grant");
    const unbound = await netbird(fake, { slug: "unbound", bind: false });
    expect((await tokenForm(fake, { ...base, client_id: unbound.provider.client_id, username: "sa-unbound", password: unbound.sa.token })).body.error).toBe("invalid_grant");
    expect((await raw(`${fake.url}/application/o/unbound/.well-known/openid-configuration`)).status).toBe(404);
    // Confidential client without a username: the client secret, and authentik's auto-created user.
    const conf = fake.store.addProvider({ name: "Conf", client_type: "confidential", grant_types: ["client_credentials"] });
    fake.store.applications.set("conf", { ...fake.store.applications.get([...fake.store.applications.keys()][0]!)!, pk: "conf", slug: "conf", name: "Conf", provider: conf.pk });
    expect((await tokenForm(fake, { grant_type: "client_credentials", client_id: conf.client_id, client_secret: "wrong" })).body.error).toBe("invalid_grant");
    expect((await tokenForm(fake, { grant_type: "client_credentials", client_id: conf.client_id, client_secret: conf.client_secret })).status).toBe(200);
    expect(fake.store.userByName("ak-Conf-client_credentials")).toBeDefined();
  });

  it("device codes: expires_in from access_code_validity, interval 5; /device always asks anonymous users to log in; throttled per address", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const { provider } = await netbird(fake);
    const d = await raw(`${fake.url}/application/o/device/`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", host: "auth.example.com", "x-forwarded-proto": "https" },
      body: new URLSearchParams({ client_id: provider.client_id, scope: "openid" }).toString(),
    });
    expect(d.body).toMatchObject({
      expires_in: 600,
      interval: 5,
      verification_uri: "https://auth.example.com/device",
      device_code: expect.any(String),
      user_code: expect.any(String),
    });
    expect(d.body.verification_uri_complete).toBe(`https://auth.example.com/device?code=${d.body.user_code}`);
    const flow = fake.store.addFlow({ slug: "device-code", designation: "stage_configuration" });
    const brand = await api(fake).post("core/brands/", { domain: "auth.example.com", flow_device_code: flow.pk });
    expect(brand.status).toBe(201);
    expect((await raw(`${fake.url}/device`, { headers: { host: "auth.example.com" } })).status).toBe(302);
    expect((await raw(`${fake.url}/device`, { headers: { host: "internal:9000" } })).status).toBe(302);
    expect((await raw(`${fake.url}/device/`, { headers: { host: "internal:9000" } })).status).toBe(404);
    expect(
      (await raw(`${fake.url}/application/o/device/`, { method: "POST", body: "client_id=nope", headers: { "content-type": "application/x-www-form-urlencoded" } })).status,
    ).toBe(400);
    // 20 an hour per address (two used above); the 21st is `slow_down` from 2025.8.
    const post = () =>
      raw(`${fake.url}/application/o/device/`, { method: "POST", body: `client_id=${provider.client_id}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    for (let i = 0; i < 18; i++) expect((await post()).status).toBe(200);
    expect(await post()).toMatchObject({ status: 429, body: { error: "slow_down" } });
    // OIDC POSTs are not API writes.
    expect(fake.writes().some((r) => r.path.startsWith("/application/"))).toBe(false);
  });
});

describe("7. OIDC (device-code grant, issuer modes)", () => {
  it("device codes stay pending (authentik's answer until a user confirms), unknown ones are invalid; global issuer mode", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const { provider } = await netbird(fake);
    const d = await raw(`${fake.url}/application/o/device/`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: provider.client_id, scope: "openid" }).toString(),
    });
    const grant = "urn:ietf:params:oauth:grant-type:device_code";
    expect(await tokenForm(fake, { grant_type: grant, client_id: provider.client_id, device_code: d.body.device_code })).toMatchObject({
      status: 400,
      body: { error: "authorization_pending" },
    });
    expect((await tokenForm(fake, { grant_type: grant, client_id: provider.client_id, device_code: "nope" })).body.error).toBe("invalid_grant");
    fake.store.deviceCodes[0]!.expires = Date.now() - 1;
    expect((await tokenForm(fake, { grant_type: grant, client_id: provider.client_id, device_code: d.body.device_code })).body.error).toBe("expired_token");
    await api(fake).patch(`providers/oauth2/${provider.pk}/`, { issuer_mode: "global" });
    const doc = await raw(`${fake.url}/application/o/netbird/.well-known/openid-configuration`, { headers: { host: "id.example.org", "x-forwarded-proto": "https" } });
    expect(doc.body).toMatchObject({ issuer: "https://id.example.org/", jwks_uri: "https://id.example.org/application/o/netbird/jwks/" });
    expect(doc.body.grant_types_supported).toEqual(["authorization_code", "refresh_token", "client_credentials", grant]);
  });
});

describe("4. HTTP details of the API", () => {
  it("a path without its trailing slash is a 404 (APPEND_SLASH = False); a body that is not JSON is 415; malformed JSON is 400; wrong method 405", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const r = await raw(`${fake.url}/api/v3/core/users?username=akadmin`, { headers: auth });
    expect(r.status).toBe(404);
    expect(r.headers.location).toBeUndefined();
    const form = await raw(`${fake.url}/api/v3/flows/instances/`, { method: "POST", headers: { ...auth, "content-type": "application/x-www-form-urlencoded" }, body: "name=x" });
    expect(form).toMatchObject({ status: 415, body: { detail: 'Unsupported media type "application/x-www-form-urlencoded" in request.' } });
    const broken = await raw(`${fake.url}/api/v3/flows/instances/`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "{" });
    expect(broken).toMatchObject({ status: 400, body: { detail: expect.stringMatching(/^JSON parse error/) } });
    expect((await raw(`${fake.url}/api/v3/admin/version/`, { method: "DELETE", headers: auth })).status).toBe(405);
  });
});

describe("8. faults and log (more)", () => {
  it("`after` skips the first matches, per method; a fault's body is sent; dropped requests are marked; writes record their body", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const c = api(fake);
    fake.inject({ method: "POST", path: "/api/v3/flows/instances/", status: 500, body: { detail: "boom" }, after: 1, times: 1 });
    const body = { name: "n", slug: "s1", title: "t", designation: "stage_configuration" };
    expect((await c.get("flows/instances/")).status).toBe(200);
    expect((await c.post("flows/instances/", body)).status).toBe(201);
    expect(await c.post("flows/instances/", { ...body, slug: "s2" })).toMatchObject({ status: 500, body: { detail: "boom" } });
    expect((await c.post("flows/instances/", { ...body, slug: "s2" })).status).toBe(201);
    expect(fake.writes().map((r) => [r.status, (r.body as { slug: string }).slug])).toEqual([
      [201, "s1"],
      [201, "s2"],
    ]);
    // The log keeps what the client sent, fields the serializer ignores included.
    await c.post("flows/instances/", { ...body, slug: "s3", not_a_field: 1 });
    expect(fake.writes().at(-1)!.body).toMatchObject({ slug: "s3", not_a_field: 1 });
    fake.inject({ path: /^\/api\/v3\/core\//, drop: true });
    await expect(c.get("core/users/")).rejects.toThrow();
    expect(fake.log.at(-1)).toMatchObject({ path: "/api/v3/core/users/", dropped: true });
    fake.clearFaults();
    expect((await c.get("core/users/?page=1")).status).toBe(200);
    expect(fake.log.at(-1)).toMatchObject({ method: "GET", path: "/api/v3/core/users/", query: "page=1", status: 200, write: false });
  });

  it("latencyMs delays every request", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, latencyMs: 150 });
    const t0 = performance.now();
    await raw(`${fake.url}/-/health/live/`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });
});

describe("9. lists (more)", () => {
  it("each list endpoint's filters, repeatable `managed`, and filters the version's schema lacks are ignored", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const c = api(fake);
    const { provider } = await netbird(fake);
    const names = async (path: string, key = "name") => (await c.get(path)).body.results.map((x: any) => x[key]);
    expect(await names("core/users/?type=service_account", "username")).toEqual(["sa-netbird"]);
    expect(await names("core/groups/?is_superuser=true")).toEqual(["authentik Admins"]);
    expect(await names("core/tokens/?intent=app_password", "identifier")).toEqual(["service-account-sa-netbird-password"]);
    expect(await names("core/tokens/?user__username=akadmin", "identifier")).toEqual(["authentik-bootstrap-token"]);
    expect(await names("core/tokens/?identifier=authentik-bootstrap-token", "identifier")).toEqual(["authentik-bootstrap-token"]);
    expect(await names("flows/instances/?designation=invalidation", "slug")).toEqual(expect.arrayContaining(["default-invalidation-flow", "default-provider-invalidation-flow"]));
    expect(await names("flows/instances/?designation=invalidation&slug=default-invalidation-flow", "slug")).toEqual(["default-invalidation-flow"]);
    expect(await names("core/brands/?domain=authentik-default", "domain")).toEqual(["authentik-default"]);
    expect(await names("core/brands/?default=false", "domain")).toEqual([]);
    fake.store.addCertificate("public only").keyless = true;
    expect(await names("crypto/certificatekeypairs/?has_key=true")).toEqual(["authentik Self-signed Certificate"]);
    expect(await names("crypto/certificatekeypairs/?has_key=false")).toEqual(["public only"]);
    const scope = "goauthentik.io/providers/oauth2/scope-";
    expect((await names(`propertymappings/provider/scope/?managed=${scope}openid&managed=${scope}email`, "scope_name")).sort()).toEqual(["email", "openid"]);
    expect(await names("propertymappings/provider/scope/?scope_name=profile", "scope_name")).toEqual(["profile"]);
    expect(await names(`providers/oauth2/?client_id=${provider.client_id}`)).toEqual([provider.name]);
    expect(await names(`providers/oauth2/?name=${encodeURIComponent(provider.name)}`)).toEqual([provider.name]);
    expect(await names("providers/oauth2/?name=NetBird")).toEqual([]);
    fake.store.addProvider({ name: "NetBird", type: "saml" });
    expect((await names("providers/all/?search=netbird")).sort()).toEqual(["NetBird", provider.name].sort());
    // The application's name is searched too (the tool compares exact names: provider.ts).
    expect((await api(fake).patch("core/applications/netbird/", { name: "Mesh VPN" })).status).toBe(200);
    expect(await names("providers/all/?search=mesh")).toEqual([provider.name]);
    expect(await names("providers/oauth2/?search=netbird")).toEqual([provider.name]);
    expect(await names("core/applications/?slug=netbird", "slug")).toEqual(["netbird"]);
    // `managed__isnull` exists in the 2026.8 schema, not in 2024.2's: there it filters nothing.
    expect(await names("propertymappings/provider/scope/?managed__isnull=true")).toEqual([]);
    await using old = await startFakeAuthentik({ version: "2024.2", bootstrapToken: TOKEN });
    expect((await api(old).get("propertymappings/scope/?managed__isnull=true")).body.results.length).toBeGreaterThan(0);
  });

  it("default page size 100 up to 2025.10, empty lists are one empty page", async () => {
    await using fake = await startFakeAuthentik({ version: "2024.12", bootstrapToken: TOKEN });
    for (let i = 0; i < 130; i++) fake.store.addUser({ username: `user-${i}` });
    const c = api(fake);
    const first = (await c.get("core/users/")).body;
    expect(first.results).toHaveLength(100);
    expect(first.pagination).toMatchObject({ count: 131, total_pages: 2, start_index: 1, end_index: 100, next: 2, previous: 0 });
    expect((await c.get("core/users/?page=2")).body.pagination).toMatchObject({ start_index: 101, end_index: 131, next: 0, previous: 1 });
    expect((await c.get("core/users/?page_size=500")).body.results).toHaveLength(131);
    expect(await c.get("core/users/?page=abc")).toMatchObject({ status: 404, body: { detail: "Invalid page." } });
    expect(await c.get("core/users/?page=0")).toMatchObject({ status: 404, body: { detail: "Invalid page." } });
    expect((await c.get("core/users/?page=last")).body.pagination.current).toBe(2);
    expect((await c.get("core/users/?page_size=-3")).body.results).toHaveLength(100);
    const empty = (await c.get("core/applications/")).body;
    expect(empty).toEqual({ pagination: { next: 0, previous: 0, count: 0, current: 1, total_pages: 1, start_index: 0, end_index: 0 }, results: [] });
  });
});
