/**
 * docker-compose.example.yml itself, brought up with docker-compose and test/e2e/compose.override.yml (local
 * stand-ins for images that cannot be pulled here): the bootstrap completes, and NetBird's services start only
 * afterwards and find the files they read.
 */
import { execFileSync } from "node:child_process";
import { chownSync, copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildFakeImage, buildToolImage, dockerAvailable, ROOT, runCommand, SHARED } from "../helpers/images.ts";

const docker = dockerAvailable();
if (!docker && process.env.CI) throw new Error("No Docker engine reachable: the compose test must run in CI (.ci/run starts one)");

function chownTree(path: string): void {
  chownSync(path, 1000, 1000);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry));
}

async function compose(dir: string, project: string, args: string[], timeoutMs = 300_000): Promise<{ code: number; out: string }> {
  const r = await runCommand("docker-compose", ["-p", project, "-f", "docker-compose.example.yml", "-f", "compose.override.yml", ...args], { cwd: dir, timeoutMs });
  return { code: r.code, out: r.stdout + r.stderr };
}

function state(project: string, service: string): { Status: string; ExitCode: number; StartedAt: string; FinishedAt: string } {
  const id = execFileSync("docker", ["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`, "--filter", `label=com.docker.compose.service=${service}`], {
    encoding: "utf8",
  })
    .trim()
    .split("\n")[0]!;
  return JSON.parse(execFileSync("docker", ["inspect", "-f", "{{json .State}}", id], { encoding: "utf8" }));
}

// Skipped only outside CI and only when `docker info` fails (checked above); in CI that throws instead.
describe.skipIf(!docker)("docker-compose.example.yml", () => {
  const project = `akbe2e${process.pid}`;
  let dir = "";

  beforeAll(() => {
    buildToolImage();
    buildFakeImage();
    dir = mkdtempSync(join(tmpdir(), "akb-compose-"));
    copyFileSync(join(ROOT, "docker-compose.example.yml"), join(dir, "docker-compose.example.yml"));
    copyFileSync(join(ROOT, "test", "e2e", "compose.override.yml"), join(dir, "compose.override.yml"));
    // `cp .env.example .env` and fill in the empty values, as the compose file's header says.
    const values: Record<string, string> = {
      PG_PASS: "pg-test-pass",
      AUTHENTIK_SECRET_KEY: "test-secret-key",
      AUTHENTIK_BOOTSTRAP_PASSWORD: "test-password",
      AUTHENTIK_BOOTSTRAP_TOKEN: "compose-bootstrap-token-0123456789",
      AUTHENTIK_PUBLIC_URL: "http://authentik-server:9000",
      NETBIRD_DOMAIN: "netbird.example.com",
    };
    const example = readFileSync(join(ROOT, ".env.example"), "utf8");
    expect([...example.matchAll(/^(\w+)=$/gm)].map((m) => m[1]).sort()).toEqual(Object.keys(values).sort());
    writeFileSync(
      join(dir, ".env"),
      example.replace(/^(\w+)=$/gm, (_, name: string) => `${name}=${values[name]}`),
    );
    const netbird = join(dir, "netbird");
    cpSync(join(SHARED, "netbird", "infrastructure_files"), netbird, { recursive: true });
    writeFileSync(join(netbird, "setup.env"), "NETBIRD_TURN_EXTERNAL_IP='203.0.113.7'\n");
    chownTree(netbird);
  }, 900_000);

  afterAll(async () => {
    if (dir) await compose(dir, project, ["down", "-v", "--remove-orphans", "-t", "1"]);
  }, 120_000);

  it("passes docker-compose config and has no `version:` key", async () => {
    const r = await compose(dir, project, ["config", "-q"]);
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "docker-compose.example.yml"), "utf8")).not.toMatch(/^version:/m);
  });

  it("comes up: the bootstrap completes, then NetBird's services start and find their files", async () => {
    const up = await compose(dir, project, ["up", "-d"]);
    expect(up.out).not.toMatch(/ERROR/);
    expect(up.code).toBe(0);
    const bootstrap = state(project, "bootstrap");
    expect(bootstrap.Status).toBe("exited");
    expect(bootstrap.ExitCode).toBe(0);
    for (const service of ["management", "signal", "relay", "coturn", "dashboard"]) {
      const s = state(project, service);
      expect({ service, status: s.Status }).toEqual({ service, status: "running" });
      expect(Date.parse(s.StartedAt)).toBeGreaterThanOrEqual(Date.parse(bootstrap.FinishedAt));
    }
    expect(statSync(join(dir, "netbird", "artifacts", "management.json")).size).toBeGreaterThan(0);
  }, 300_000);

  it("the relay's and the dashboard's entrypoint scripts take their settings from the files configure.sh and the bootstrap wrote", () => {
    // The scripts as the containers get them (compose turns $$ into $), pointed at this directory, ending in `env`.
    const services = (parse(readFileSync(join(dir, "docker-compose.example.yml"), "utf8")) as { services: Record<string, { entrypoint: string[] }> }).services;
    const script = (service: string, paths: [string, string][], exec: string) => {
      let text = services[service]!.entrypoint[2]!.replace(/\$\$/g, "$");
      for (const [from, to] of paths) text = text.split(from).join(to);
      expect(text).toContain(exec);
      const env = execFileSync("/bin/sh", ["-c", text.replace(exec, "env")], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
      return Object.fromEntries(env.split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    };
    const artifacts = join(dir, "netbird", "artifacts");
    const mgmt = JSON.parse(readFileSync(join(artifacts, "management.json"), "utf8"));
    const relay = script("relay", [["/etc/netbird/", `${artifacts}/`]], "exec /go/bin/netbird-relay");
    expect(relay).toMatchObject({ NB_AUTH_SECRET: mgmt.Relay.Secret, NB_LISTEN_ADDRESS: ":33080", NB_EXPOSED_ADDRESS: "rel://netbird.example.com:33080" });
    expect(relay.NB_AUTH_SECRET?.length).toBeGreaterThan(20);

    const setup = readFileSync(join(dir, "netbird", "setup.env"), "utf8");
    const clientId = /^NETBIRD_AUTH_CLIENT_ID='(.+)'$/m.exec(setup)![1];
    const dashboard = script("dashboard", [["/netbird/setup.env", join(dir, "netbird", "setup.env")]], "exec /usr/bin/supervisord -c /etc/supervisord.conf");
    expect(dashboard).toMatchObject({
      AUTH_CLIENT_ID: clientId,
      AUTH_AUDIENCE: clientId,
      AUTH_AUTHORITY: "http://authentik-server:9000/application/o/netbird/",
      AUTH_SUPPORTED_SCOPES: "openid profile email offline_access api",
      USE_AUTH0: "false",
      NETBIRD_MGMT_API_ENDPOINT: "https://netbird.example.com",
    });
  });

  it("`docker compose run --rm bootstrap` re-runs it inside the stack: exit 0, nothing changed", async () => {
    const file = join(dir, "netbird", "setup.env");
    const before = { text: readFileSync(file, "utf8"), mtime: statSync(file).mtimeMs };
    const r = await compose(dir, project, ["run", "--rm", "-T", "bootstrap"]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out.split("\n").find((l) => l.startsWith('{"summary"')) ?? "{}").summary;
    expect(summary).toMatchObject({ result: "ok", writes: 0, created: [], updated: [] });
    expect(readFileSync(file, "utf8")).toBe(before.text);
    expect(statSync(file).mtimeMs).toBe(before.mtime);
  }, 300_000);
});
