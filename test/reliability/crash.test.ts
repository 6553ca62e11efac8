/**
 * Crash at every step: for each write a fresh run makes, the fake answers it and then drops every later
 * connection (the process dies right after that write, as far as authentik can tell). Re-running converges to
 * the same end state as an uninterrupted run, without duplicates, and setup.env is at every point either
 * absent (no previous file) or complete.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeAuthentik, type FakeAuthentik } from "../fake-authentik/index.ts";
import { sourceWithBash } from "../helpers/bash.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { runMain } from "../helpers/run-main.ts";

/** What an end state consists of, independent of generated ids. */
function endState(fake: FakeAuthentik) {
  const s = fake.store;
  const sa = s.userByName("NetBird");
  const provider = [...s.providers.values()].filter((p) => p.name === "NetBird");
  return {
    providers: provider.length,
    providerFields: provider.map((p) => ({
      client_type: p.client_type,
      sub_mode: p.sub_mode,
      access_code_validity: p.access_code_validity,
      redirects: p.redirect_uris.length,
      mappings: p.property_mappings.length,
    })),
    applications: [...s.applications.values()].filter((a) => a.slug === "netbird").map((a) => ({ bound: a.provider === provider[0]?.pk })),
    serviceAccounts: [...s.users.values()].filter((u) => u.username === "NetBird").length,
    appPasswords: [...s.tokens.values()].filter((t) => t.user === sa?.pk && t.intent === "app_password").map((t) => ({ identifier: t.identifier, expiring: t.expiring })),
    inAdmins: sa ? s.groupByName("authentik Admins")!.users.filter((pk) => pk === sa.pk).length : 0,
    inRoleGroup: sa ? (s.groupByName("NetBird IdP manager")?.users.filter((pk) => pk === sa.pk).length ?? 0) : 0,
    roles: [...s.roles.values()].map((r) => ({ name: r.name, permissions: [...r.permissions].sort() })),
    deviceFlows: [...s.flows.values()].filter((f) => f.slug === "default-device-code-flow").length,
    brandHasFlow: [...s.brands.values()].some((b) => b.flow_device_code === s.flowBySlug("default-device-code-flow")?.pk),
  };
}

const KEYS = ["NETBIRD_AUTH_CLIENT_ID", "NETBIRD_IDP_MGMT_EXTRA_USERNAME", "NETBIRD_IDP_MGMT_EXTRA_PASSWORD", "NETBIRD_AUTH_OIDC_CONFIGURATION_ENDPOINT"];

describe("crash at every step", async () => {
  // The reference: an uninterrupted fresh run.
  const reference = await (async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const r = await runMain(baseEnv(fake.url, tempDir(), { VERIFY: "false" }));
    return { code: r.code, writes: fake.writes().length, state: endState(fake) };
  })();

  it("the uninterrupted reference run succeeds", () => {
    expect(reference.code).toBe(0);
    expect(reference.writes).toBeGreaterThanOrEqual(6);
  });

  it.concurrent.each(Array.from({ length: reference.writes }, (_, i) => i + 1))(
    "stopped after write %i: the run fails cleanly, the file is absent or complete, and a re-run converges",
    async (k) => {
      await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
      const out = tempDir();
      const env = baseEnv(fake.url, out, { VERIFY: "false", REQUEST_TIMEOUT: "2" });
      fake.dropAfterWrites(k);
      const crashed = await runMain(env);
      const file = join(out, "setup.env");
      if (crashed.code === 0) {
        // The crash came after the last write the run needed: nothing left to do.
        expect(existsSync(file)).toBe(true);
      } else {
        expect(crashed.code).toBe(6);
        expect(crashed.summary.error?.message).toMatch(/no answer|Cannot/);
      }
      if (existsSync(file)) expect(Object.values(sourceWithBash(file, KEYS)).every((v) => v.length > 0)).toBe(true);

      fake.dropAfterWrites(undefined);
      const rerun = await runMain(env);
      expect(rerun.summary.error?.message).toBeUndefined();
      expect(rerun.code).toBe(0);
      expect(endState(fake)).toEqual(reference.state);
      const vars = sourceWithBash(file, KEYS);
      expect(vars.NETBIRD_AUTH_CLIENT_ID).toBe([...fake.store.providers.values()][0]!.client_id);
      expect(vars.NETBIRD_IDP_MGMT_EXTRA_PASSWORD).toBe(fake.store.tokens.get("service-account-netbird-password")!.key);
      expect(readFileSync(file, "utf8").endsWith("\n")).toBe(true);
    },
  );
});
