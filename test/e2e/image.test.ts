/**
 * The built image, as users run it: the fake authentik as a container on a user-defined network
 * (testcontainers), the bootstrap image run once per scenario with `docker run`, the output in a bind mount.
 * In CI a missing Docker engine fails the run; elsewhere these tests are skipped with that reason.
 */
import { execFile } from "node:child_process";
import { chownSync, cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GenericContainer, Network, Wait, type StartedNetwork, type StartedTestContainer } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFakeImage, buildToolImage, dockerAvailable, dockerRun, SHARED, TEST_LABEL } from "../helpers/images.ts";

const TOKEN = "e2e-bootstrap-token-0123456789abcdefghij";
const docker = dockerAvailable();
if (!docker && process.env.CI) throw new Error("No Docker engine reachable: the image tests must run in CI (.ci/run starts one)");

/** A directory the image's user (uid 1000) can write, like a named volume. */
function outputDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "akb-e2e-"));
  chownSync(dir, 1000, 1000);
  return dir;
}

// Skipped only outside CI and only when `docker info` fails (checked above); in CI that throws instead.
describe.skipIf(!docker)("the built image", () => {
  let network: StartedNetwork;
  let tool: string;
  let fakeImage: string;
  const started: StartedTestContainer[] = [];

  beforeAll(async () => {
    tool = buildToolImage();
    fakeImage = buildFakeImage();
    network = await new Network().start();
  }, 900_000);

  afterAll(async () => {
    await Promise.allSettled(started.map((c) => c.stop({ timeout: 1 })));
    await network?.stop();
  });

  async function fake(alias: string, env: Record<string, string> = {}, wait = true): Promise<{ url: string; api: string }> {
    const c = await new GenericContainer(fakeImage)
      .withNetwork(network)
      .withNetworkAliases(alias)
      .withEnvironment({ FAKE_AK_BOOTSTRAP_TOKEN: TOKEN, ...env })
      .withLabels({ [TEST_LABEL.key]: TEST_LABEL.value })
      .withExposedPorts(9000)
      .withWaitStrategy(wait ? Wait.forHealthCheck() : Wait.forLogMessage("fake-authentik listening"))
      .start();
    started.push(c);
    return { url: `http://${alias}:9000`, api: `http://${c.getHost()}:${c.getMappedPort(9000)}` };
  }

  const runTool = (env: Record<string, string>, mounts: string[] = [], timeoutMs?: number) =>
    dockerRun(["--network", network.getName(), ...mounts.flatMap((m) => ["-v", m]), ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]), tool], timeoutMs);

  const log = async (api: string) => (await (await fetch(`${api}/_fake/log`)).json()) as { method: string; path: string; write: boolean }[];

  it("the least-privilege tool token: a superuser run keeps it in a file (0600, the image's user), later runs use it alone", async () => {
    const ak = await fake("authentik-tool");
    const out = outputDir();
    const state = outputDir();
    const env = { AUTHENTIK_URL: ak.url, NETBIRD_DOMAIN: "netbird.example.com", TOOL_TOKEN_FILE: "/state/tool-token.env" };
    const mounts = [`${out}:/output`, `${state}:/state`];
    const first = await runTool({ ...env, AUTHENTIK_TOKEN: TOKEN }, mounts);
    expect(first.code, first.stdout.slice(-1500)).toBe(0);
    const file = join(state, "tool-token.env");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(file).uid).toBe(1000);
    const key = /^AUTHENTIK_TOKEN=(.+)$/m.exec(readFileSync(file, "utf8"))?.[1] ?? "";
    expect(key.length).toBeGreaterThan(40);
    expect(first.stdout + first.stderr).not.toContain(key);

    await fetch(`${ak.api}/_fake/reset-log`, { method: "POST" });
    const again = await runTool(env, mounts);
    expect(again.code, again.stdout.slice(-1500)).toBe(0);
    const callers = new Set((await log(ak.api)).flatMap((r) => ((r as { caller?: string }).caller ? [(r as { caller?: string }).caller] : [])));
    expect([...callers].sort()).toEqual(["NetBird", "authentik-bootstrap"]);
  });

  it("provisions a fresh authentik: exit 0, setup.env with the keys, mode 0600, owned by the image's user; a re-run writes nothing", async () => {
    const ak = await fake("authentik-fresh");
    const out = outputDir();
    const env = { AUTHENTIK_URL: ak.url, AUTHENTIK_TOKEN: TOKEN, NETBIRD_DOMAIN: "netbird.example.com" };
    const first = await runTool(env, [`${out}:/output`]);
    expect(first.stderr).not.toContain('"level":50');
    expect(first.code).toBe(0);
    const file = join(out, "setup.env");
    const st = statSync(file);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(1000);
    const text = readFileSync(file, "utf8");
    for (const key of ["NETBIRD_AUTH_CLIENT_ID", "NETBIRD_AUTH_OIDC_CONFIGURATION_ENDPOINT", "NETBIRD_IDP_MGMT_EXTRA_PASSWORD", "NETBIRD_MGMT_IDP"])
      expect(text).toContain(`${key}=`);
    expect(first.stdout + first.stderr).not.toContain(TOKEN);

    await fetch(`${ak.api}/_fake/reset-log`, { method: "POST" });
    const second = await runTool(env, [`${out}:/output`]);
    expect(second.code).toBe(0);
    expect((await log(ak.api)).filter((r) => r.write)).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(text);
    expect(statSync(file).mtimeMs).toBe(st.mtimeMs);
  });

  it("bad configuration: exit 3, a readable message, nothing written and no request", async () => {
    const ak = await fake("authentik-badconfig");
    const out = outputDir();
    const r = await runTool({ AUTHENTIK_URL: "authentik:9000", NETBIRD_DOMAIN: "https://x/y" }, [`${out}:/output`]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("AUTHENTIK_URL");
    expect(r.stdout).toContain("AUTHENTIK_TOKEN is required");
    expect(r.stdout).toContain("NETBIRD_DOMAIN");
    // The bundle keeps class names: the summary names the error class, not a minified one.
    expect(r.stdout).toContain('"type":"ConfigError"');
    expect(() => statSync(join(out, "setup.env"))).toThrow();
    // Only the container's own health checks reached it: no API request.
    expect((await log(ak.api)).filter((r) => !r.path.startsWith("/-/health/"))).toEqual([]);
  });

  it("waits for an authentik that is slow to start, and gives up on one that never gets ready within the limit", async () => {
    const slow = await fake("authentik-slow", { FAKE_AK_STARTING_MS: "3000", FAKE_AK_TOKEN_REJECTED_MS: "2000" }, false);
    const ok = await runTool({ AUTHENTIK_URL: slow.url, AUTHENTIK_TOKEN: TOKEN, NETBIRD_DOMAIN: "netbird.example.com" }, [`${outputDir()}:/output`]);
    expect(ok.stderr).not.toContain('"level":50');
    expect(ok.code).toBe(0);

    const stuck = await fake("authentik-stuck", { FAKE_AK_NEVER_READY: "token" });
    const r = await runTool({ AUTHENTIK_URL: stuck.url, AUTHENTIK_TOKEN: TOKEN, NETBIRD_DOMAIN: "netbird.example.com", WAIT_TIMEOUT: "5" }, [`${outputDir()}:/output`]);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain("stage 'token'");
    expect(r.ms).toBeLessThan(5_000 + 30_000);
  });

  it("runs a mounted configure.sh: NetBird's artifacts appear in the volume", async () => {
    const ak = await fake("authentik-configure");
    const infra = join(outputDir(), "infrastructure_files");
    cpSync(join(SHARED, "netbird", "infrastructure_files"), infra, { recursive: true });
    writeFileSync(join(infra, "setup.env"), "NETBIRD_TURN_EXTERNAL_IP='203.0.113.7'\n");
    chownTree(infra);
    const r = await runTool(
      { AUTHENTIK_URL: ak.url, AUTHENTIK_TOKEN: TOKEN, NETBIRD_DOMAIN: "netbird.example.com", OUTPUT_DIR: "/netbird", CONFIGURE_SH: "/netbird/configure.sh" },
      [`${infra}:/netbird`],
    );
    expect(r.stderr).not.toContain('"level":50');
    expect(r.code).toBe(0);
    const mgmt = JSON.parse(readFileSync(join(infra, "artifacts", "management.json"), "utf8"));
    const clientId = /NETBIRD_AUTH_CLIENT_ID='([^']+)'/.exec(readFileSync(join(infra, "setup.env"), "utf8"))?.[1];
    expect(mgmt.IdpManagerConfig.ClientConfig.ClientID).toBe(clientId);
    expect(mgmt.HttpConfig.AuthIssuer).toBe(`${ak.url}/application/o/netbird/`);
    expect(statSync(join(infra, "artifacts", "docker-compose.yml")).size).toBeGreaterThan(0);

    // Day two in the image: NetBird's key survives a rotation; only the app password's place changes.
    mgmt.DataStoreEncryptionKey = "a2VlcC1tZS1hY3Jvc3MtcmUtcnVucy0wMTIzNDU2Nzg5";
    writeFileSync(join(infra, "artifacts", "management.json"), `${JSON.stringify(mgmt, null, "    ")}\n`);
    const rotated = await runTool(
      {
        AUTHENTIK_URL: ak.url,
        AUTHENTIK_TOKEN: TOKEN,
        NETBIRD_DOMAIN: "netbird.example.com",
        OUTPUT_DIR: "/netbird",
        CONFIGURE_SH: "/netbird/configure.sh",
        ROTATE: "app-password",
      },
      [`${infra}:/netbird`],
    );
    expect(rotated.stderr).not.toContain('"level":50');
    expect(rotated.code).toBe(0);
    const after = JSON.parse(readFileSync(join(infra, "artifacts", "management.json"), "utf8"));
    expect(after.DataStoreEncryptionKey).toBe(mgmt.DataStoreEncryptionKey);
    expect(after.IdpManagerConfig.ExtraConfig.Password).not.toBe(mgmt.IdpManagerConfig.ExtraConfig.Password);
    expect(after.Relay.Secret).toBe(mgmt.Relay.Secret);
  });

  it("carries htpasswd for openZro's configure.sh (it hashes the Dex admin password with it)", async () => {
    const r = await dockerRun(["--entrypoint", "htpasswd", tool, "-bnBC", "10", "", "a-password"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^:\$2y\$10\$/);
  });

  it("--version is the image label's version and package.json's; --help answers without configuration; both exit 0", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    const label = await new Promise<string>((resolve, reject) =>
      execFile("docker", ["image", "inspect", "-f", '{{index .Config.Labels "org.opencontainers.image.version"}}', tool], (error, stdout) =>
        error ? reject(new Error(error.message)) : resolve(stdout.trim()),
      ),
    );
    expect(label).toBe(pkg.version);
    expect(await dockerRun([tool, "--version"])).toMatchObject({ code: 0, stdout: `${label}\n`, stderr: "" });
    const help = await dockerRun([tool, "--help"]);
    expect(help).toMatchObject({ code: 0, stderr: "" });
    expect(help.stdout.split("\n")[0]).toBe(`authentik-bootstrap ${label}`);
    for (const part of ["Usage:", "Modes:", "AUTHENTIK_URL  (string, required)", "LOG_FORMAT", "Exit codes:"]) expect(help.stdout).toContain(part);
  }, 120_000);

  it("starts from the compile cache made at build time, read-only too, and under another uid runs without it, silently", async () => {
    const debug = await dockerRun(["-e", "NODE_DEBUG_NATIVE=COMPILE_CACHE", "--read-only", tool, "--version"]);
    expect(debug.code).toBe(0);
    expect(debug.stderr).toMatch(/V8 code cache for ESM file:\/\/\/app\/dist\/main\.js was accepted/);
    expect(await dockerRun(["--read-only", "--user", "1234", tool, "--version"])).toMatchObject({ code: 0, stderr: "" });
  }, 120_000);

  it("`docker run -t` (a terminal): log lines for reading and a short summary; without -t: JSON", async () => {
    const ak = await fake("authentik-tty");
    const env = ["-e", `AUTHENTIK_URL=${ak.url}`, "-e", `AUTHENTIK_TOKEN=${TOKEN}`, "-e", "NETBIRD_DOMAIN=netbird.example.com"];
    const tty = await dockerRun(["-t", "--network", network.getName(), "-e", "NO_COLOR=1", ...env, "-v", `${outputDir()}:/output`, tool]);
    expect(tty.code).toBe(0);
    const text = tty.stdout.replace(/\r\n/g, "\n");
    expect(text).toContain("+ OAuth2 provider 'NetBird' created\n");
    expect(text).toMatch(/^✓ done in \d+\.\d s: .* \(exit 0\)\.$/m);
    expect(text).not.toContain('{"level"');
    expect(text).not.toContain(TOKEN);
    const plain = await dockerRun(["--network", network.getName(), ...env, "-v", `${outputDir()}:/output`, tool]);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain('"msg":"OAuth2 provider \'NetBird\' unchanged"');
    expect(plain.stdout).toMatch(/^\{"summary":\{/);
  }, 180_000);
});

/** The image runs as uid 1000: copied NetBird files must be writable by it (configure.sh writes artifacts/). */
function chownTree(path: string): void {
  chownSync(path, 1000, 1000);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry));
}
