/**
 * Every consumer from an empty fake authentik to the file its consumer parses: fresh run, file checked the
 * way the consumer reads it, a second run with zero writes, plan mode, and secrets harvested (not regenerated).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeAuthentik } from "../fake-authentik/index.ts";
import { sourceWithBash } from "../helpers/bash.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { runMain } from "../helpers/run-main.ts";

async function providerNamed(url: string, name: string): Promise<Record<string, any>> {
  const res = await fetch(`${url}/api/v3/providers/oauth2/?name=${encodeURIComponent(name)}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const body = (await res.json()) as { results: Record<string, any>[] };
  return body.results.find((p) => p.name === name)!;
}

async function freshThenNoop(env: Record<string, string>, fake: { resetLog(): void; writes(): unknown[] }) {
  const first = await runMain(env);
  expect(first.summary.error?.message).toBeUndefined();
  expect(first.code).toBe(0);
  fake.resetLog();
  const second = await runMain(env);
  expect(second.code).toBe(0);
  expect(fake.writes()).toEqual([]);
  const plan = await runMain(env, ["--plan"]);
  expect(plan.code).toBe(0);
  return first;
}

describe("consumers", () => {
  it("openzro: the standalone flow with OPENZRO_* keys, app openzro and service account openZro", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const env = { ...baseEnv(fake.url, out, { CONSUMER: "openzro", OPENZRO_DOMAIN: "openzro.example.com" }), NETBIRD_DOMAIN: "" };
    await freshThenNoop(env, fake);
    const provider = await providerNamed(fake.url, "openZro");
    const vars = sourceWithBash(join(out, "setup.env"), [
      "OPENZRO_DOMAIN",
      "OPENZRO_AUTH_CLIENT_ID",
      "OPENZRO_MGMT_IDP",
      "OPENZRO_IDP_MGMT_EXTRA_USERNAME",
      "OPENZRO_AUTH_OIDC_CONFIGURATION_ENDPOINT",
    ]);
    expect(vars).toMatchObject({
      OPENZRO_DOMAIN: "openzro.example.com",
      OPENZRO_AUTH_CLIENT_ID: provider.client_id,
      OPENZRO_MGMT_IDP: "authentik",
      OPENZRO_IDP_MGMT_EXTRA_USERNAME: "openZro",
      OPENZRO_AUTH_OIDC_CONFIGURATION_ENDPOINT: `${fake.url}/application/o/openzro/.well-known/openid-configuration`,
    });
    expect(readFileSync(join(out, "setup.env"), "utf8")).not.toContain("NETBIRD_");
  });

  it("netbird-legacy: public client with the regex redirect and the CLI's localhost login, no service account, no device flow", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    await freshThenNoop(baseEnv(fake.url, out, { CONSUMER: "netbird-legacy" }), fake);
    const provider = await providerNamed(fake.url, "netbird-client");
    expect(provider.client_type).toBe("public");
    // configure.sh always configures `netbird up`'s browser login on http://localhost:53000.
    expect(provider.redirect_uris).toEqual([
      { matching_mode: "strict", url: "http://localhost:53000", redirect_uri_type: "authorization" },
      { matching_mode: "regex", url: "https://netbird\\.example\\.com/.*", redirect_uri_type: "authorization" },
    ]);
    const vars = sourceWithBash(join(out, "setup.env"), ["NETBIRD_AUTH_CLIENT_ID", "NETBIRD_AUTH_AUDIENCE", "NETBIRD_MGMT_IDP", "NETBIRD_AUTH_PKCE_DISABLE_PROMPT_LOGIN"]);
    expect(vars).toEqual({
      NETBIRD_AUTH_CLIENT_ID: provider.client_id,
      NETBIRD_AUTH_AUDIENCE: provider.client_id,
      NETBIRD_MGMT_IDP: "",
      NETBIRD_AUTH_PKCE_DISABLE_PROMPT_LOGIN: "true",
    });
    const users = (await (await fetch(`${fake.url}/api/v3/core/users/?username=NetBird`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
      results: { username: string }[];
    };
    expect(users.results.filter((u) => u.username === "NetBird")).toEqual([]);
  });

  it("firezone: confidential client, strict callback with trailing slash, OPENID_CONNECT_PROVIDERS as Firezone parses it; the secret is harvested on re-runs", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const env = { ...baseEnv(fake.url, out, { CONSUMER: "firezone", FIREZONE_URL: "https://firezone.example.com/" }), NETBIRD_DOMAIN: "" };
    await freshThenNoop(env, fake);
    const provider = await providerNamed(fake.url, "Firezone");
    expect(provider.client_type).toBe("confidential");
    expect(provider.redirect_uris).toEqual([{ matching_mode: "strict", url: "https://firezone.example.com/auth/oidc/authentik/callback/", redirect_uri_type: "authorization" }]);
    const file = join(out, "firezone.env");
    // Read as `docker run --env-file` does: everything after `KEY=` on its line, literally (no quotes to strip).
    const line = readFileSync(file, "utf8")
      .split("\n")
      .find((l) => l.startsWith("OPENID_CONNECT_PROVIDERS="))!;
    expect(line).toMatch(/^OPENID_CONNECT_PROVIDERS=\[\{"id":"authentik",/);
    const parsed = JSON.parse(line.slice("OPENID_CONNECT_PROVIDERS=".length));
    expect(parsed).toEqual([
      {
        id: "authentik",
        label: "authentik",
        client_id: provider.client_id,
        client_secret: provider.client_secret,
        discovery_document_uri: `${fake.url}/application/o/firezone/.well-known/openid-configuration`,
        redirect_uri: "https://firezone.example.com/auth/oidc/authentik/callback/",
        response_type: "code",
        scope: "openid email profile",
        auto_create_users: true,
      },
    ]);
    // Rotation on purpose: a new secret in authentik and in the file, in the same run.
    const rotated = await runMain({ ...env, ROTATE: "client-secret" });
    expect(rotated.code).toBe(0);
    const after = await providerNamed(fake.url, "Firezone");
    expect(after.client_secret).not.toBe(provider.client_secret);
    const rotatedLine = readFileSync(file, "utf8")
      .split("\n")
      .find((l) => l.startsWith("OPENID_CONNECT_PROVIDERS="))!;
    expect(JSON.parse(rotatedLine.slice("OPENID_CONNECT_PROVIDERS=".length))[0].client_secret).toBe(after.client_secret);
    expect(rotated.stdout + rotated.stderr).not.toContain(after.client_secret);
  });

  it("firezone: an OPENID_CONNECT_PROVIDERS that is not a list names no client: the run writes a good one", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const file = join(out, "firezone.env");
    writeFileSync(file, "OPENID_CONNECT_PROVIDERS=null\n");
    const env = { ...baseEnv(fake.url, out, { CONSUMER: "firezone", FIREZONE_URL: "https://firezone.example.com" }), NETBIRD_DOMAIN: "" };
    const r = await runMain(env);
    expect(r.summary.error?.message).toBeUndefined();
    expect(r.code).toBe(0);
    const line = readFileSync(file, "utf8")
      .split("\n")
      .find((l) => l.startsWith("OPENID_CONNECT_PROVIDERS="))!;
    expect(JSON.parse(line.slice("OPENID_CONNECT_PROVIDERS=".length))[0].client_id).toBe((await providerNamed(fake.url, "Firezone")).client_id);
  });

  it("several consumers in one run: each gets its objects and its file", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const env = baseEnv(fake.url, out, { CONSUMER: "netbird,firezone", FIREZONE_URL: "https://firezone.example.com" });
    await freshThenNoop(env, fake);
    expect(sourceWithBash(join(out, "setup.env"), ["NETBIRD_AUTH_CLIENT_ID"]).NETBIRD_AUTH_CLIENT_ID).toBe((await providerNamed(fake.url, "NetBird")).client_id);
    expect(readFileSync(join(out, "firezone.env"), "utf8")).toContain("OPENID_CONNECT_PROVIDERS=");
  });
});
