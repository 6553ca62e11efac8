/**
 * Transient faults at every request position of a fresh run: a 503, a dropped connection and a stall longer
 * than the request timeout are each survived within the retry budget, with no duplicate object. Permanent
 * faults (400, 403) are not retried and end with their exit code.
 */
import { describe, expect, it } from "vitest";
import { startFakeAuthentik, type Fault } from "../fake-authentik/index.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { runMain } from "../helpers/run-main.ts";

const reference = await (async () => {
  await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
  const r = await runMain(baseEnv(fake.url, tempDir(), { VERIFY: "false" }));
  if (r.code !== 0) throw new Error(`reference run failed: ${r.summary.error?.message}`);
  return fake.log.length;
})();

const positions = Array.from({ length: reference }, (_, i) => i + 1);
const FAULTS: Record<string, Omit<Fault, "path" | "after">> = {
  "503": { status: 503, body: { error: "authentik starting" }, times: 1 },
  "dropped connection": { drop: true, times: 1 },
  "stall past the request timeout": { delayMs: 2500, times: 1 },
};

describe.each(Object.entries(FAULTS))("a %s", (_name, fault) => {
  it.concurrent.each(positions)(`at request %i of ${reference} is survived without duplicates`, async (position) => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    fake.inject({ ...fault, path: /.*/, after: position - 1 });
    const r = await runMain(baseEnv(fake.url, tempDir(), { VERIFY: "false", REQUEST_TIMEOUT: "1" }));
    expect(r.summary.error?.message).toBeUndefined();
    expect(r.code).toBe(0);
    expect([...fake.store.providers.values()].filter((p) => p.name === "NetBird")).toHaveLength(1);
    expect([...fake.store.users.values()].filter((u) => u.username === "NetBird")).toHaveLength(1);
    expect([...fake.store.flows.values()].filter((f) => f.slug === "default-device-code-flow")).toHaveLength(1);
    expect([...fake.store.applications.values()]).toHaveLength(1);
  });
});

describe("permanent faults", () => {
  it.each([
    [400, 6, { name: ["This field must be unique."] }],
    [403, 5, { detail: "You do not have permission to perform this action." }],
  ])("a %i on the provider's creation is not retried and exits %i", async (status, code, body) => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    fake.inject({ method: "POST", path: "/api/v3/providers/oauth2/", status, body });
    const r = await runMain(baseEnv(fake.url, tempDir(), { VERIFY: "false" }));
    expect(r.code).toBe(code);
    expect(r.summary.error?.message).toContain("Cannot create OAuth2 provider 'NetBird'");
    expect(fake.log.filter((l) => l.method === "POST" && l.path === "/api/v3/providers/oauth2/")).toHaveLength(1);
  });

  it("a 403 on the service account's creation: the group that waits for it is never made, and the error is the account's", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    fake.inject({ method: "POST", path: "/api/v3/core/users/service_account/", status: 403, body: { detail: "You do not have permission to perform this action." } });
    const r = await runMain(baseEnv(fake.url, tempDir(), { VERIFY: "false" }));
    expect(r.code).toBe(5);
    expect(r.summary.error?.message).toContain("Cannot create service account 'NetBird'");
    expect(fake.log.filter((l) => l.method === "POST" && l.path === "/api/v3/core/groups/")).toEqual([]);
  });
});
