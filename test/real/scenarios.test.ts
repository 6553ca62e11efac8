/**
 * The integration scenarios (netbird, reruns, verify, consumers) against a real authentik: the built entry
 * point is run as a process, and every assertion goes through authentik's public HTTP API, its OIDC endpoints
 * and the tool's own output (exit code, summary line, output file). Nothing here knows the fake authentik.
 *
 * Set AUTHENTIK_TEST_URL and AUTHENTIK_TEST_TOKEN (see test/real/README.md); `npm run test:real`. Names carry
 * a random suffix and everything created is removed in afterAll, also when a scenario fails.
 */
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { versionAtLeast } from "../../src/authentik/version.ts";
import { netbirdToken } from "../helpers/admin.ts";
import { sourceWithBash } from "../helpers/bash.ts";
import { tempDir as makeTempDir } from "../helpers/env.ts";
import { runMain, type MainResult } from "../helpers/run-main.ts";
import { anonymous, api, ApiError, waitForAuthentik } from "./api.ts";
import { Cleanup } from "./cleanup.ts";
import { appPasswordId, realTarget, runNames, type RunNames } from "./target.ts";

// Fails the run at once, with what to set, when the variables are missing.
const target = realTarget();
const ak = api(target);
const cleanup = new Cleanup(ak);
/** Output directories (they hold secrets of the instance): removed with the objects. */
const outputDirs: string[] = [];
const tempDir = () => {
  const dir = makeTempDir("akb-real-");
  outputDirs.push(dir);
  return dir;
};

const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const SCOPE = (name: string) => `goauthentik.io/providers/oauth2/scope-${name}`;
const NETBIRD_DOMAIN = "netbird.example.com";
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

/** The tool's environment for one consumer's names. The runner gives each run 120 s; the tool waits at most 90. */
function toolEnv(names: RunNames, outputDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AUTHENTIK_URL: target.url,
    AUTHENTIK_PUBLIC_URL: target.publicUrl,
    AUTHENTIK_TOKEN: target.token,
    OUTPUT_DIR: outputDir,
    APP_NAME: names.app,
    APP_SLUG: names.slug,
    PROVIDER_NAME: names.provider,
    WAIT_TIMEOUT: "90",
    LOG_LEVEL: "debug",
    ...extra,
  };
}

/** A run that must succeed: on failure the assertion shows the tool's own error message. */
async function ok(env: Record<string, string>, args: string[] = []): Promise<MainResult> {
  const r = await runMain(env, args);
  expect({ code: r.code, error: r.summary.error?.message, stderrErrors: errorLines(r.stderr) }).toEqual({ code: 0, error: undefined, stderrErrors: [] });
  return r;
}

/** Log lines at error level or above (pino levels 50, 60). */
const errorLines = (stderr: string) => stderr.split("\n").filter((l) => /"level":(50|60)/.test(l));

const providerNamed = async (name: string) => {
  const found = await ak.named("/providers/oauth2/", "name", name);
  expect(found).toHaveLength(1);
  return found[0];
};

/** `redirect_uris` in either wire form (a newline-separated string before 2024.12) as `mode:url` entries. */
function redirects(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((r) => (r.redirect_uri_type ?? "authorization") === "authorization").map((r) => `${r.matching_mode}:${r.url}`);
  return String(value ?? "")
    .split(/\s+/)
    .filter(Boolean)
    .map((line) => {
      const literal = line.replace(/\\(.)/g, "$1");
      return literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") === line ? `strict:${literal}` : `regex:${line}`;
    });
}

const readText = (path: string) => readFileSync(path, "utf8");

/** The consumer-side checks the tool logged (`verify <check>: …` lines), check → ok. */
function verifyChecks(stderr: string): Record<string, boolean> {
  const checks: Record<string, boolean> = {};
  for (const line of stderr.split("\n")) {
    try {
      const entry = JSON.parse(line) as { step?: string; check?: string; ok?: boolean };
      if (entry.step === "verify" && entry.check) checks[entry.check] = entry.ok === true;
    } catch {
      /* not a log line */
    }
  }
  return checks;
}

describe(`authentik at ${target.url}`, () => {
  let caller: { pk: number; username: string };
  let callerApiTokens: string[];
  const callerTokens = async () =>
    (await ak.list(`/core/tokens/?user__username=${encodeURIComponent(caller.username)}`))
      .filter((t) => t.user === caller.pk && t.intent === "api")
      .map((t) => t.identifier as string)
      .sort();

  beforeAll(async () => {
    await waitForAuthentik(target, Number(process.env.AUTHENTIK_TEST_WAIT_SECONDS ?? 300) * 1000);
    await cleanup.snapshotBrands();
    caller = (await ak.get("/core/users/me/")).user;
    callerApiTokens = await callerTokens();
  });

  afterAll(async () => {
    for (const dir of outputDirs) rmSync(dir, { recursive: true, force: true });
    const report = await cleanup.run();
    console.info(`clean-up: removed ${report.removed.length} object(s)`);
    if (report.failed.length) throw new Error(`clean-up left objects behind or failed:\n  - ${report.failed.join("\n  - ")}`);
  });

  describe("NetBird standalone", () => {
    const names = cleanup.track(runNames("NetBird"));
    const out = tempDir();
    const file = join(out, "setup.env");
    const id = appPasswordId(names.serviceAccount);
    const env = toolEnv(names, out, {
      NETBIRD_DOMAIN,
      SERVICE_ACCOUNT: names.serviceAccount,
      DEVICE_FLOW_SLUG: names.deviceFlow,
      // The instance's brand may already serve another device flow: take it over for the run, restored afterwards.
      DEVICE_FLOW_REPLACE: "true",
    });
    let provisioned = false;
    const requireProvisioned = () => {
      if (!provisioned) throw new Error("the fresh run did not succeed; this scenario builds on it");
    };

    it("plan on a fresh instance: exit 2, lists what it would create, creates nothing", async () => {
      const plan = await runMain(env, ["--plan"]);
      expect(plan.summary.error?.message).toBeUndefined();
      expect(plan.code).toBe(2);
      expect(plan.summary.writes).toBe(0);
      expect(plan.stdout).toContain(`+ OAuth2 provider '${names.provider}': create`);
      expect(plan.stdout).toMatch(/Plan: \d+ to create/);
      expect(await ak.named("/providers/oauth2/", "name", names.provider)).toEqual([]);
      expect(await ak.named("/core/users/", "username", names.serviceAccount)).toEqual([]);
      expect(() => statSync(file)).toThrow();
    });

    it("fresh run: every object with its owned fields, setup.env 0600 with the client id and the app password", async () => {
      const first = await ok(env);
      expect(first.summary.result).toBe("ok");
      expect(first.summary.writes).toBeGreaterThan(0);
      expect(first.summary.created).toEqual(
        expect.arrayContaining([
          `OAuth2 provider '${names.provider}'`,
          `application '${names.slug}'`,
          `service account '${names.serviceAccount}'`,
          `device-code flow '${names.deviceFlow}'`,
        ]),
      );

      const provider = await providerNamed(names.provider);
      expect(provider).toMatchObject({ client_type: "public", sub_mode: "user_id", access_code_validity: "minutes=10" });
      const [certificate] = await ak.named("/crypto/certificatekeypairs/", "name", "authentik Self-signed Certificate");
      expect(provider.signing_key).toBe(certificate.pk);
      // Every scope mapping NetBird needs that this authentik has (API access exists from 2024.6).
      const scopeMappings = await ak.list("/propertymappings/provider/scope/").catch((error) => {
        if (error instanceof ApiError && error.status === 404) return ak.list("/propertymappings/scope/"); // before 2024.8
        throw error;
      });
      const mappings = scopeMappings.filter((m) => ["openid", "email", "profile", "offline_access", "authentik_api"].map(SCOPE).includes(m.managed));
      expect(mappings.length).toBeGreaterThanOrEqual(4);
      expect(provider.property_mappings).toEqual(expect.arrayContaining(mappings.map((m) => m.pk)));
      expect(redirects(provider.redirect_uris)).toEqual(
        expect.arrayContaining(["strict:http://localhost:53000", `strict:https://${NETBIRD_DOMAIN}`, "regex:https://netbird\\.example\\.com/.*"]),
      );
      if (provider.grant_types !== undefined) expect(provider.grant_types).toEqual(expect.arrayContaining(["client_credentials", DEVICE_GRANT]));

      const app = await ak.get(`/core/applications/${names.slug}/`);
      expect(app).toMatchObject({ name: names.app, provider: provider.pk });
      const [user] = await ak.named("/core/users/", "username", names.serviceAccount);
      expect(user.type).toBe("service_account");
      // Least privilege: the account is in the group carrying NetBird's role (not in authentik Admins).
      const [group] = await ak.named("/core/groups/", "name", names.accessRole);
      const members = await ak.named(`/core/users/?groups_by_pk=${group.pk}`, "username", names.serviceAccount);
      expect(members.map((u) => u.pk)).toEqual([user.pk]);
      const token = await ak.get(`/core/tokens/${id}/`);
      expect(token).toMatchObject({ intent: "app_password", expiring: false, user: user.pk });
      const key = (await ak.get(`/core/tokens/${id}/view_key/`)).key as string;

      const flow = await ak.get(`/flows/instances/${names.deviceFlow}/`);
      expect(flow).toMatchObject({ designation: "stage_configuration", authentication: "require_authenticated" });
      // The brand that really serves the public host (anonymous, as a browser asks) carries our device flow.
      const current = await anonymous(`${target.publicUrl}/api/v3/core/brands/current/`);
      expect(current.json?.flow_device_code).toBe(names.deviceFlow);

      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(sourceWithBash(file, KEYS)).toEqual({
        NETBIRD_DOMAIN,
        NETBIRD_AUTH_OIDC_CONFIGURATION_ENDPOINT: `${target.publicUrl}/application/o/${names.slug}/.well-known/openid-configuration`,
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
        NETBIRD_IDP_MGMT_EXTRA_USERNAME: names.serviceAccount,
        NETBIRD_IDP_MGMT_EXTRA_PASSWORD: key,
      });
      // The discovery document the file points at is served, with the issuer NetBird will compare.
      const discovery = await anonymous(`${target.publicUrl}/application/o/${names.slug}/.well-known/openid-configuration`);
      expect(discovery.status).toBe(200);
      expect(discovery.json.issuer).toBe(`${target.publicUrl}/application/o/${names.slug}/`);

      // What the tool's verification takes as proven, asked of authentik directly. NetBird's IdP manager with its
      // own token: the user list; a read of a user the list shows (verification does not send it: authentik
      // decides it as the list); an admin call refused. And `netbird up`'s device code: apply does not ask for one
      // after NetBird's login succeeded (the endpoint checks nothing that login did not).
      const login = await netbirdToken(target.publicUrl, provider.client_id, names.serviceAccount, key);
      expect(login.status).toBe(200);
      const bearer = login.body.access_token as string;
      const listed = await anonymous(`${target.publicUrl}/api/v3/core/users/?page=1`, { bearer });
      expect(listed.status).toBe(200);
      for (const u of [listed.json.results[0], listed.json.results.at(-1)]) {
        expect((await anonymous(`${target.publicUrl}/api/v3/core/users/${u.pk}/`, { bearer })).status).toBe(200);
      }
      expect((await anonymous(`${target.publicUrl}/api/v3/providers/oauth2/?page=1`, { bearer })).status).toBe(403);
      const device = await anonymous(`${target.publicUrl}/application/o/device/`, { form: { client_id: provider.client_id, scope: "openid" } });
      expect(device.status).toBe(200);
      expect(device.json.device_code).toBeTruthy();
      for (const secret of [key, target.token, provider.client_secret].filter(Boolean)) {
        expect(first.stdout).not.toContain(secret);
        expect(first.stderr).not.toContain(secret);
      }
      provisioned = true;
    });

    it("second run: zero writes, nothing created or updated, setup.env byte-identical and untouched", async () => {
      requireProvisioned();
      const before = { text: readText(file), mtime: statSync(file).mtimeMs, ino: statSync(file).ino };
      const second = await ok(env);
      expect(second.summary.writes).toBe(0);
      expect(second.summary.created).toEqual([]);
      expect(second.summary.updated).toEqual([]);
      expect(second.summary.output).toMatchObject({ written: false });
      expect(readText(file)).toBe(before.text);
      expect(statSync(file).mtimeMs).toBe(before.mtime);
      expect(statSync(file).ino).toBe(before.ino);
      expect(await ak.named("/providers/oauth2/", "name", names.provider)).toHaveLength(1);
    });

    it("plan: exit 0 on the converged state, exit 2 after a drift, writing nothing", async () => {
      requireProvisioned();
      const converged = await runMain(env, ["--plan"]);
      expect(converged.summary.error?.message).toBeUndefined();
      expect(converged.code).toBe(0);
      expect(converged.stdout).toContain("Plan: 0 to create, 0 to update");
      expect(converged.summary.writes).toBe(0);

      const provider = await providerNamed(names.provider);
      await ak.patch(`/providers/oauth2/${provider.pk}/`, { sub_mode: "hashed_user_id" });
      const drifted = await runMain(env, ["--plan"]);
      expect(drifted.summary.error?.message).toBeUndefined();
      expect(drifted.code).toBe(2);
      expect(drifted.summary.writes).toBe(0);
      expect(drifted.stdout).toContain(`~ OAuth2 provider '${names.provider}': update`);
      expect(drifted.stdout).toContain("sub_mode: hashed_user_id → user_id");
      expect((await providerNamed(names.provider)).sub_mode).toBe("hashed_user_id");
    });

    it("drift repair: the drifted provider is repaired with exactly one write", async () => {
      requireProvisioned();
      const provider = await providerNamed(names.provider);
      if (provider.sub_mode === "user_id") await ak.patch(`/providers/oauth2/${provider.pk}/`, { sub_mode: "hashed_user_id" });
      const before = readText(file);
      const fixed = await ok(env);
      expect(fixed.summary.writes).toBe(1);
      expect(fixed.summary.created).toEqual([]);
      expect(fixed.summary.updated).toEqual([`OAuth2 provider '${names.provider}'`]);
      expect(await providerNamed(names.provider)).toMatchObject({ sub_mode: "user_id", client_id: provider.client_id });
      expect(readText(file)).toBe(before);
    });

    it("ROTATE=app-password: old and new app password both work for NetBird's token request; no API token for anyone", async () => {
      requireProvisioned();
      const oldKey = (await ak.get(`/core/tokens/${id}/view_key/`)).key as string;
      const provider = await providerNamed(names.provider);
      const rotated = await ok({ ...env, ROTATE: "app-password", ROTATE_GRACE: "600" });
      const summary = rotated.summary as { rotated?: { previousValidUntil: string | null }[] };
      expect(summary.rotated).toHaveLength(1);
      const newKey = (await ak.get(`/core/tokens/${id}/view_key/`)).key as string;
      expect(newKey).not.toBe(oldKey);
      expect(sourceWithBash(file, ["NETBIRD_IDP_MGMT_EXTRA_PASSWORD"]).NETBIRD_IDP_MGMT_EXTRA_PASSWORD).toBe(newKey);
      for (const secret of [oldKey, newKey]) expect(rotated.stdout + rotated.stderr).not.toContain(secret);

      // NetBird's IdP manager request, with either password, during the grace period.
      for (const password of [newKey, oldKey]) {
        const res = await netbirdToken(target.publicUrl, provider.client_id, names.serviceAccount, password);
        expect({ status: res.status, error: res.body?.error }).toEqual({ status: 200, error: undefined });
        expect(res.body.access_token).toBeTruthy();
      }

      // The service account owns app passwords only (the current one and the retired one); the caller gained no API token.
      const [user] = await ak.named("/core/users/", "username", names.serviceAccount);
      const owned = (await ak.list(`/core/tokens/?user__username=${encodeURIComponent(names.serviceAccount)}`)).filter((t) => t.user === user.pk);
      expect(owned.length).toBeGreaterThanOrEqual(2);
      expect(new Set(owned.map((t) => t.intent))).toEqual(new Set(["app_password"]));
      expect(owned.map((t) => t.identifier)).toContain(id);
      expect(await callerTokens()).toEqual(callerApiTokens);

      // Without ROTATE nothing changes again.
      const again = await ok(env);
      expect(again.summary.writes).toBe(0);
      expect((await ak.get(`/core/tokens/${id}/view_key/`)).key).toBe(newKey);
    });

    it("--verify: exit 0, checks pass, nothing written", async () => {
      requireProvisioned();
      const before = { text: readText(file), mtime: statSync(file).mtimeMs };
      const verified = await ok(env, ["--verify"]);
      expect(verified.summary.mode).toBe("verify");
      expect(verified.summary.writes).toBe(0);
      expect(readText(file)).toBe(before.text);
      expect(statSync(file).mtimeMs).toBe(before.mtime);
      expect(verifyChecks(verified.stderr)).toEqual(expect.objectContaining({ issuer: true, jwks: true, "idp-manager": true, device: true, output: true }));
    });

    it("setup.env lost: the next run makes nothing — the role and (2024.6+) its group are found on authentik's 400 — and writes the same values", async () => {
      requireProvisioned();
      const before = sourceWithBash(file, KEYS);
      rmSync(file);
      const again = await ok(env);
      expect(again.summary.writes).toBe(0);
      expect(again.summary.created).toEqual([]);
      expect(again.summary.updated).toEqual([]);
      if (versionAtLeast(String(again.summary.authentikVersion), 2024, 6)) expect(again.stderr).toContain(`group '${names.accessRole}' exists already`);
      expect(await ak.named("/core/groups/", "name", names.accessRole)).toHaveLength(1);
      expect(sourceWithBash(file, KEYS)).toEqual(before);
    });
  });

  it("Firezone: a confidential client, OPENID_CONNECT_PROVIDERS with authentik's secret, verification passes, re-run writes nothing", async () => {
    const names = cleanup.track(runNames("Firezone"));
    const out = tempDir();
    const env = toolEnv(names, out, { CONSUMER: "firezone", FIREZONE_URL: "https://firezone.example.com" });
    const first = await ok(env);
    expect(first.summary.created).toEqual(expect.arrayContaining([`OAuth2 provider '${names.provider}'`, `application '${names.slug}'`]));
    const provider = await providerNamed(names.provider);
    expect(provider.client_type).toBe("confidential");
    expect(redirects(provider.redirect_uris)).toEqual(["strict:https://firezone.example.com/auth/oidc/authentik/callback/"]);
    const file = join(out, "firezone.env");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Read as `docker run --env-file` does: the rest of the line after `KEY=`, literally.
    const line = readFileSync(file, "utf8")
      .split("\n")
      .find((l) => l.startsWith("OPENID_CONNECT_PROVIDERS="))!;
    const [entry] = JSON.parse(line.slice("OPENID_CONNECT_PROVIDERS=".length));
    expect(entry).toMatchObject({
      id: "authentik",
      client_id: provider.client_id,
      client_secret: provider.client_secret,
      discovery_document_uri: `${target.publicUrl}/application/o/${names.slug}/.well-known/openid-configuration`,
      redirect_uri: "https://firezone.example.com/auth/oidc/authentik/callback/",
      response_type: "code",
    });
    expect(first.stdout + first.stderr).not.toContain(provider.client_secret);

    const second = await ok(env);
    expect(second.summary.writes).toBe(0);
    const verified = await ok(env, ["--verify"]);
    expect(verified.summary.writes).toBe(0);
    expect(verifyChecks(verified.stderr)).toEqual(expect.objectContaining({ issuer: true, jwks: true, client_secret: true, output: true }));
  });

  it("netbird-legacy: a public client with the regex redirect, no service account, re-run and plan change nothing", async () => {
    const names = cleanup.track(runNames("NetBirdLegacy"));
    const out = tempDir();
    const env = toolEnv(names, out, { CONSUMER: "netbird-legacy", NETBIRD_DOMAIN });
    const first = await ok(env);
    expect(first.summary.created).toEqual([`OAuth2 provider '${names.provider}'`, `application '${names.slug}'`]);
    const provider = await providerNamed(names.provider);
    expect(provider.client_type).toBe("public");
    // The guide's regex redirect; the CLI's http://localhost redirects may come with it (configure.sh sets them up).
    const uris = redirects(provider.redirect_uris);
    expect(uris).toContain("regex:https://netbird\\.example\\.com/.*");
    expect(uris.filter((u) => !u.startsWith("strict:http://localhost:"))).toEqual(["regex:https://netbird\\.example\\.com/.*"]);
    expect(sourceWithBash(join(out, "setup.env"), ["NETBIRD_AUTH_CLIENT_ID", "NETBIRD_AUTH_AUDIENCE", "NETBIRD_MGMT_IDP"])).toEqual({
      NETBIRD_AUTH_CLIENT_ID: provider.client_id,
      NETBIRD_AUTH_AUDIENCE: provider.client_id,
      NETBIRD_MGMT_IDP: "",
    });
    expect((await ok(env)).summary.writes).toBe(0);
    const plan = await runMain(env, ["--plan"]);
    expect(plan.code).toBe(0);
    expect(plan.summary.writes).toBe(0);
  });
});
