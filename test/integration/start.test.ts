/**
 * `npm start` (scripts/start.ts): with nothing configured it runs the bootstrap against the project's stand-in of
 * authentik, marks every line of that run as coming from the stand-in, shows the plan, applies it and prints
 * setup.env with its secrets masked. Also on a fresh clone without ../shared beside it: the stand-in's
 * reference files are then fetched (here from a file:// copy of the release tags) and checked by SHA-256.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/env.ts";
import { ROOT, SHARED } from "../helpers/images.ts";

function start(root: string, env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, "scripts", "start.ts")],
      { cwd: root, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tempDir("akb-home-"), ...env }, timeout: 120_000, maxBuffer: 10_000_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, out: stdout + stderr }),
    );
  });
}

function expectDemo(out: string): void {
  const lines = out.split("\n");
  expect(lines[0]).toBe("npm start: authentik-bootstrap against a STAND-IN of authentik");
  expect(out).toMatch(/it reports version \S+ but is not authentik/);
  // Everything the run printed is marked: the plan, the objects, the summary, the file.
  const marked = lines.filter((l) => l.startsWith("stand-in │ ")).map((l) => l.slice("stand-in │ ".length));
  expect(marked).toContain("+ OAuth2 provider 'NetBird': create");
  expect(marked).toContain("~ plan: changes are pending (exit 2); nothing was written.");
  expect(marked).toContain("+ OAuth2 provider 'NetBird' created");
  expect(marked.some((l) => /^✓ authentik \S+ accepts the API token$/.test(l))).toBe(true);
  expect(marked.some((l) => /^✓ done in .* \(exit 0\)\.$/.test(l))).toBe(true);
  expect(marked).toContain("NETBIRD_DOMAIN='netbird.example.com'");
  expect(marked.some((l) => /^NETBIRD_AUTH_CLIENT_ID='[A-Za-z0-9]{40}'$/.test(l))).toBe(true);
  expect(marked).toContain("NETBIRD_IDP_MGMT_EXTRA_PASSWORD=******** (masked: 64 characters)");
  const unmarked = lines.filter((l) => l !== "" && !l.startsWith("stand-in │ "));
  for (const line of unmarked) expect(line).not.toMatch(/^[+~✓✗]|^[A-Z_]+=|accepts the API token|' (created|updated|unchanged|written)/);
  expect(out).toContain("Done.");
}

describe("npm start", () => {
  it("runs the main job against the stand-in: plan, apply, setup.env with secrets masked; every line of the run marked", async () => {
    const r = await start(ROOT);
    expect(r.code).toBe(0);
    expectDemo(r.out);
    expect(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.start).toBe("node scripts/start.ts");
  }, 120_000);

  it("on a fresh clone without ../shared: fetches the stand-in's reference files from their release tags, checked by SHA-256, then runs", async () => {
    // The checkout, alone in a directory (node_modules as after `npm ci`).
    const clone = join(tempDir("akb-clone-"), "authentik-bootstrap");
    for (const path of ["package.json", "src", "scripts", "test/fake-authentik", ".github/shared-fixtures"]) cpSync(join(ROOT, path), join(clone, path), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(clone, "node_modules"));
    // Upstream's raw files at their tags, as raw.githubusercontent.com serves them, from this machine's ../shared.
    const mirror = tempDir("akb-mirror-");
    const list = readFileSync(join(ROOT, ".github", "shared-fixtures", "files.txt"), "utf8").split("\n");
    for (const line of list) {
      const [, path, , source] = line.split(/\s+/);
      const m = /^github:([^@]+)@([^:]+):(.+)$/.exec(source ?? "");
      if (!path || !m) continue;
      const target = join(mirror, m[1]!, "refs", "tags", m[2]!, m[3]!);
      mkdirSync(dirname(target), { recursive: true });
      cpSync(join(SHARED, path), target);
    }
    const cache = tempDir("akb-cache-");
    const r = await start(clone, { XDG_CACHE_HOME: cache, SHARED_FIXTURES_GITHUB_RAW: `file://${mirror}` });
    expect(r.code).toBe(0);
    expect(r.out).toContain(`No ../shared beside the checkout: the stand-in's reference files go to ${join(cache, "authentik-bootstrap", "shared")}`);
    // The schema came from node_modules (authentik's API client ships it), the blueprints from the tags.
    expect(r.out).toMatch(/: 27 fetched, 1 already there, 0 mismatched/);
    expectDemo(r.out.slice(r.out.indexOf("npm start:")));

    const again = await start(clone, { XDG_CACHE_HOME: cache, SHARED_FIXTURES_GITHUB_RAW: "file:///nonexistent" });
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/: 0 fetched, 28 already there, 0 mismatched/);
  }, 180_000);
});
