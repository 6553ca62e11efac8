/**
 * Proves the real-authentik suite (test/real, `npm run test:real`) runs end to end: the fake authentik's image
 * is started as a stand-in for a throw-away authentik, the suite is pointed at it only through
 * AUTHENTIK_TEST_URL and AUTHENTIK_TEST_TOKEN, every scenario must pass, and what the suite created must be
 * gone afterwards (as far as the fake lets it delete: it implements no DELETE for users and flows).
 *
 * The suite is started as `vitest run --config test/real/vitest.config.ts`, i.e. `npm run test:real` without
 * its `npm run build`: `npm test` has built dist/ already, and rebuilding it here would race the other tests
 * that run dist/main.js at the same time.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFakeImage, dockerAvailable, ROOT, TEST_LABEL } from "../helpers/images.ts";

/** The scenarios in test/real/scenarios.test.ts. */
const SCENARIOS = 10;
const TOKEN = "real-harness-token-0123456789abcdefghij";
const docker = dockerAvailable();
if (!docker && process.env.CI) throw new Error("No Docker engine reachable: the real-authentik harness test must run in CI (.ci/run starts one)");

interface Run {
  code: number;
  output: string;
  ms: number;
}

/** The suite as a child process, with a clean environment: nothing of this vitest's own worker leaks into it. */
function runRealSuite(env: Record<string, string>): Promise<Run> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|TINYPOOL|__VITEST|AUTHENTIK_TEST_|NODE_OPTIONS$|FORCE_COLOR$)/.test(k))) as Record<
    string,
    string
  >;
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "node_modules", "vitest", "vitest.mjs"), "run", "--config", "test/real/vitest.config.ts"],
      { cwd: ROOT, env: { ...inherited, ...env, NO_COLOR: "1" }, timeout: 900_000, maxBuffer: 50_000_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, output: `${stdout}\n${stderr}`, ms: Date.now() - started }),
    );
  });
}

async function json(url: string): Promise<any> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}`, accept: "application/json" } });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return res.json();
}

// Skipped only outside CI and only when `docker info` fails (checked above); in CI that throws instead.
describe.skipIf(!docker)("npm run test:real against the fake authentik in a container", () => {
  let container = "";
  let url = "";

  beforeAll(async () => {
    if (!existsSync(join(ROOT, "dist", "main.js"))) throw new Error("dist/main.js is missing: run `npm run build` first (npm test does)");
    const image = buildFakeImage();
    container = execFileSync(
      "docker",
      ["run", "-d", "--label", `${TEST_LABEL.key}=${TEST_LABEL.value}`, "-p", "127.0.0.1::9000", "-e", `FAKE_AK_BOOTSTRAP_TOKEN=${TOKEN}`, image],
      { encoding: "utf8" },
    ).trim();
    const published = execFileSync("docker", ["port", container, "9000/tcp"], { encoding: "utf8" }).trim().split("\n")[0] ?? "";
    const port = /:(\d+)$/.exec(published)?.[1];
    if (!port) throw new Error(`no published port for 9000 in '${published}'`);
    url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await fetch(`${url}/-/health/ready/`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`the fake authentik at ${url} did not get ready within 60 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 900_000);

  afterAll(() => {
    if (container) execFileSync("docker", ["rm", "-f", container], { stdio: "ignore" });
  });

  it(`passes all ${SCENARIOS} scenarios, reports 0 failed, and removes what it created`, async () => {
    const api = `${url}/api/v3`;
    const brandsBefore = (await json(`${api}/core/brands/`)).results.map((b: any) => [b.brand_uuid, b.flow_device_code]);

    const run = await runRealSuite({ AUTHENTIK_TEST_URL: url, AUTHENTIK_TEST_TOKEN: TOKEN });
    const output = run.output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
    console.info(`npm run test:real against the fake container: exit ${run.code} in ${(run.ms / 1000).toFixed(1)} s`);
    expect(run.code, output).toBe(0);
    expect(output).toMatch(new RegExp(`Tests\\s+${SCENARIOS} passed \\(${SCENARIOS}\\)`));
    expect(output).not.toMatch(/\b[1-9]\d* failed\b/);
    expect(output).toMatch(/Test Files\s+1 passed \(1\)/);

    // Cleaned up: no provider, application or app password is left, and the brand has its old device flow back.
    expect((await json(`${api}/providers/all/`)).results).toEqual([]);
    expect((await json(`${api}/core/applications/`)).results).toEqual([]);
    expect((await json(`${api}/core/tokens/?intent=app_password`)).results).toEqual([]);
    expect((await json(`${api}/core/brands/`)).results.map((b: any) => [b.brand_uuid, b.flow_device_code])).toEqual(brandsBefore);
    // Users and device flows are deleted too (the suite fails a run that leaves anything behind).
    expect(output).toMatch(/clean-up: removed \d+ object\(s\)\n/);
    expect((await json(`${api}/core/users/?type=service_account`)).results).toEqual([]);
    expect((await json(`${api}/flows/instances/`)).results.filter((f: any) => /-device-/.test(f.slug))).toEqual([]);
  }, 900_000);
});
