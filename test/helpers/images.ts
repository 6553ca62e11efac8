/**
 * Builds the images the container tests use, with the docker CLI and the host network (npm inside the
 * build needs it; testcontainers' own builds have no host network here).
 */
import { execFile, execFileSync } from "node:child_process";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const SHARED = fileURLToPath(new URL("../../../shared/", import.meta.url));
export const TOOL_IMAGE = "authentik-bootstrap:test";
export const FAKE_IMAGE = "fake-authentik:test";
/**
 * On every container the tests start, so `.ci/run` can remove what a killed run left running (a container that
 * outlives its `docker run` keeps its network in use) without touching anything else on the engine.
 */
export const TEST_LABEL = { key: "authentik-bootstrap.test", value: "true" } as const;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A command's outcome; never rejects: a failure is its exit code (-1 when killed at the timeout or not started). */
export function runCommand(cmd: string, args: string[], { cwd, timeoutMs = 120_000 }: { cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, maxBuffer: 10_000_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `docker run --rm` with the tests' label. */
export function dockerRun(args: string[], timeoutMs = 120_000): Promise<Run> {
  return runCommand("docker", ["run", "--rm", "--label", `${TEST_LABEL.key}=${TEST_LABEL.value}`, ...args], { timeoutMs });
}

export function dockerAvailable(): boolean {
  try {
    execFileSync("docker", ["info"], { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

function build(tag: string, context: string, dockerfile?: string): void {
  execFileSync("docker", ["build", "--network", "host", "-q", "-t", tag, ...(dockerfile ? ["-f", dockerfile] : []), context], {
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 900_000,
  });
}

/** The fake authentik's image: its sources and the shared schemas/blueprints in a small context. */
export function buildFakeImage(): string {
  const ctx = mkdtempSync(join(tmpdir(), "fake-ak-ctx-"));
  const fakeDir = join(ROOT, "test", "fake-authentik");
  cpSync(fakeDir, join(ctx, "fake"), { recursive: true, filter: (src) => !src.endsWith(".test.ts") });
  cpSync(join(SHARED, "authentik"), join(ctx, "shared", "authentik"), { recursive: true });
  build(FAKE_IMAGE, ctx, join(ctx, "fake", "Dockerfile"));
  return FAKE_IMAGE;
}

/** The product's image, from the repository's Dockerfile (`tag`: a test file's own, so parallel builds do not retag its image). */
export function buildToolImage(tag = TOOL_IMAGE): string {
  build(tag, ROOT);
  return tag;
}
