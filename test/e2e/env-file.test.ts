/**
 * firezone.env as the two ways Firezone is started read it: `docker run --env-file` (the rest of the line,
 * literally) and compose's `env_file:` (quotes stripped, `$` interpolated, ` #` a comment) — with a `$` in a
 * value (a public URL's path) to show both read the same JSON.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeAuthentik } from "../fake-authentik/index.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { dockerAvailable, dockerRun, runCommand, type Run } from "../helpers/images.ts";
import { runMain } from "../helpers/run-main.ts";

const docker = dockerAvailable();
if (!docker && process.env.CI) throw new Error("No Docker engine reachable: the env-file test must run in CI (.ci/run starts one)");

// Skipped only outside CI and only when `docker info` fails (checked above); in CI that throws instead.
describe.skipIf(!docker)("firezone.env read by docker and by compose", () => {
  it("`docker run --env-file` and docker-compose's env_file give Firezone the same JSON, `$` included", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    // authentik behind a path with a `$` in it: compose would interpolate `$b` in a raw value.
    const publicUrl = `${fake.url.replace("127.0.0.1", "localhost")}/a$b`;
    const r = await runMain({
      ...baseEnv(fake.url, out, { CONSUMER: "firezone", FIREZONE_URL: "https://firezone.example.com", AUTHENTIK_PUBLIC_URL: publicUrl, VERIFY: "false" }),
      NETBIRD_DOMAIN: "",
    });
    expect(r.summary.error?.message).toBeUndefined();
    writeFileSync(
      join(out, "docker-compose.yml"),
      'services:\n  firezone:\n    image: debian:bookworm-slim\n    env_file: [firezone.env]\n    command: ["printenv", "OPENID_CONNECT_PROVIDERS"]\n',
    );

    const viaRun = await dockerRun(["--env-file", join(out, "firezone.env"), "debian:bookworm-slim", "printenv", "OPENID_CONNECT_PROVIDERS"]);
    expect(viaRun.code).toBe(0);
    // `run --rm` removes the container, not the project's network: `down` does, whatever the test's outcome. The
    // engine has about 30 address pools, so each network left behind brings the next run nearer to none.
    const project = `akbenv${process.pid}${Date.now()}`;
    let viaCompose: Run;
    try {
      viaCompose = await runCommand("docker-compose", ["-p", project, "run", "--rm", "-T", "firezone"], { cwd: out });
    } finally {
      await runCommand("docker-compose", ["-p", project, "down", "-t", "1"], { cwd: out });
    }
    expect(viaCompose.code).toBe(0);
    const fromRun = JSON.parse(viaRun.stdout.trim());
    const fromCompose = JSON.parse(viaCompose.stdout.trim().split("\n").at(-1)!);
    expect(fromRun).toEqual(fromCompose);
    expect(fromRun[0].discovery_document_uri).toBe(`${publicUrl}/application/o/firezone/.well-known/openid-configuration`);
    expect(fromRun[0].client_id).toMatch(/^\w{40}$/);
  }, 180_000);
});
