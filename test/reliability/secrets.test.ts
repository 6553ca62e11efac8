/**
 * Secrets never leak: the whole scenario set at the most verbose log level, with failures injected, and no
 * secret value (API token, app passwords, client secrets, NetBird PAT and setup password, secrets that
 * configure.sh generates) in stdout, stderr, error messages or the JSON summary.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeAuthentik } from "../fake-authentik/index.ts";
import { startFakeNetbird } from "../fake-netbird/server.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { copyInfra } from "../helpers/netbird-infra.ts";
import { runMain, type MainResult } from "../helpers/run-main.ts";

const PAT = "nbp_secret_personal_access_token_987654321";
const SETUP_PASSWORD = "setup-password-that-must-not-leak";

describe("secrets never leak", () => {
  it("across fresh runs, plan, verify, rotation, faults, configure.sh, all consumers, at LOG_LEVEL=trace", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using nb = await startFakeNetbird({ pat: PAT });
    const outputs: MainResult[] = [];
    const trace = (extra: Record<string, string>, out = tempDir()) => baseEnv(fake.url, out, { LOG_LEVEL: "trace", ...extra });
    const run = async (env: Record<string, string>, args: string[] = []) => {
      const r = await runMain(env, args);
      outputs.push(r);
      return r;
    };

    const infra = copyInfra();
    const nbEnv = trace({ CONFIGURE_SH: join(infra, "configure.sh") }, infra);

    fake.inject({ path: /\/core\/tokens\/.*view_key/, status: 503, times: 1 });
    fake.inject({ path: "/api/v3/core/users/service_account/", drop: true, times: 1 });
    expect((await run({ ...nbEnv, REQUEST_TIMEOUT: "2" })).code).toBe(0);
    await run(nbEnv, ["--plan"]);
    await run(nbEnv, ["--verify"]);
    expect((await run({ ...nbEnv, ROTATE: "app-password" })).code).toBe(0);
    await run({ ...nbEnv, AUTHENTIK_TOKEN: "wrong-token-value-123456", WAIT_TIMEOUT: "1" });
    await run({ ...nbEnv, NETBIRD_DOMAIN: "bad domain" });
    fake.inject({ method: "PATCH", path: /.*/, status: 500, body: { detail: `boom ${TOKEN}` }, times: 5 });
    const store = fake.store;
    const p = [...store.providers.values()][0]!;
    p.sub_mode = "hashed_user_id";
    await run(nbEnv);
    fake.clearFaults();
    const fzOut = tempDir();
    await run(trace({ CONSUMER: "firezone", FIREZONE_URL: "https://fz.example.com", NETBIRD_DOMAIN: "" }, fzOut));
    await run(trace({ CONSUMER: "firezone", FIREZONE_URL: "https://fz.example.com", NETBIRD_DOMAIN: "", ROTATE: "client-secret" }, fzOut));
    await run(trace({ CONSUMER: "netbird-embedded", APP_SLUG: "nb-embedded", PROVIDER_NAME: "NetBird embedded", NETBIRD_MGMT_URL: nb.url, NETBIRD_PAT: PAT }));
    await using nb2 = await startFakeNetbird({ patEnabled: true });
    await run(
      trace({
        CONSUMER: "netbird-embedded",
        APP_SLUG: "nb-setup",
        PROVIDER_NAME: "NetBird setup",
        NETBIRD_MGMT_URL: nb2.url,
        NETBIRD_SETUP_EMAIL: "a@example.com",
        NETBIRD_SETUP_PASSWORD: SETUP_PASSWORD,
      }),
    );

    const secrets = new Set<string>([TOKEN, PAT, SETUP_PASSWORD]);
    for (const t of store.tokens.values()) secrets.add(t.key);
    for (const prov of store.providers.values()) secrets.add(prov.client_secret);
    const mgmt = readFileSync(join(infra, "artifacts", "management.json"), "utf8");
    for (const m of mgmt.matchAll(/"(?:Secret|Password|ClientSecret)"\s*:\s*"([^"]{8,})"/g)) secrets.add(m[1]!);
    const turn = readFileSync(join(infra, "artifacts", "turnserver.conf"), "utf8");
    for (const m of turn.matchAll(/^user=[^:]+:(.+)$/gm)) secrets.add(m[1]!);
    expect(secrets.size).toBeGreaterThan(8);

    expect(outputs.length).toBe(11);
    for (const [i, r] of outputs.entries()) {
      const text = `${r.stdout}\n${r.stderr}\n${JSON.stringify(r.summary)}`;
      for (const secret of secrets) expect({ run: i, leaked: text.includes(secret) ? `${secret.slice(0, 4)}…` : false }).toEqual({ run: i, leaked: false });
    }
  }, 180_000);
});
