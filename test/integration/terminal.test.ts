/**
 * The person at the terminal: the built entry point under a real pseudo-terminal (util-linux `script`, which
 * gives the command a pty for stdin, stdout and stderr), against the fake authentik. Lines for reading with the
 * plan's markers, colour only on a terminal and never with NO_COLOR, errors over several lines with the hint
 * apart, the human summary only when stdout is a terminal too, progress while waiting, no secret ever printed;
 * and --help / --version through the built entry point.
 */
import { execFile, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeAuthentik, type FakeAuthentik } from "../fake-authentik/index.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { MAIN, runMain } from "../helpers/run-main.ts";

const ESC = "\x1b[";
const hasScript = spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;
if (!hasScript && process.env.CI) throw new Error("util-linux `script` is missing: the terminal tests must run in CI (.ci/run installs it)");

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs a shell command line with a pseudo-terminal as its stdin, stdout and stderr; returns what the terminal showed. */
function pty(command: string, env: Record<string, string>, timeoutMs = 90_000): Promise<{ code: number; text: string }> {
  return new Promise((resolve) => {
    execFile(
      "script",
      ["-qec", command, "/dev/null"],
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TERM: "xterm-256color", ...env }, timeout: timeoutMs, maxBuffer: 10_000_000 },
      (error, stdout) => resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, text: stdout.replace(/\r\n/g, "\n") }),
    );
  });
}

const main = (args: string[] = [], redirect = "") => [process.execPath, MAIN, ...args].map(quote).join(" ") + redirect;
const stripAnsi = (text: string) => text.replace(new RegExp(`${ESC.replace("[", "\\[")}[0-9;]*m`, "g"), "");

describe.skipIf(!hasScript)("on a terminal", () => {
  it("apply: one line per stage and per object with the plan's markers, in colour, then a short summary instead of JSON", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const r = await pty(main(), baseEnv(fake.url, tempDir(), { LOG_LEVEL: "info" }));
    expect(r.code).toBe(0);
    expect(r.text).not.toContain('{"level"');
    expect(r.text).not.toContain('{"summary"');
    expect(r.text).toContain(`${ESC}32m+${ESC}39m OAuth2 provider 'NetBird' created\n`);
    expect(r.text).toContain(`${ESC}33m~${ESC}39m brand 'authentik-default' updated: flow_device_code\n`);
    const text = stripAnsi(r.text);
    const stages = text.split("\n").filter((l) => l.startsWith("✓ authentik"));
    expect(stages).toEqual([
      `✓ authentik answers at ${fake.url}`,
      "✓ authentik is ready (its API answers)",
      `✓ authentik ${fake.version} accepts the API token`,
      "✓ authentik's default objects are there: ready to be configured",
    ]);
    expect(text).toMatch(/^authentik-bootstrap \d+\.\d+\.\d+: apply for netbird, authentik at http:\/\/127\.0\.0\.1:\d+$/m);
    expect(text).toMatch(/^✓ done in \d+\.\d s: \d+ created, \d+ updated, \d+ unchanged; .*setup\.env written \(exit 0\)\.$/m);

    // A second run: every object unchanged, dimmed, with the unchanged marker (a blank).
    const again = await pty(main(), baseEnv(fake.url, tempDir(), { LOG_LEVEL: "info" }));
    expect(stripAnsi(again.text)).toMatch(/^ {2}OAuth2 provider 'NetBird' unchanged$/m);
  });

  it("NO_COLOR: the same lines without a single escape sequence", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const r = await pty(main(), baseEnv(fake.url, tempDir(), { LOG_LEVEL: "debug", NO_COLOR: "1" }));
    expect(r.code).toBe(0);
    expect(r.text).not.toContain("\x1b");
    expect(r.text).toContain("+ OAuth2 provider 'NetBird' created\n");
    expect(r.text).toContain("✓ done in ");
  });

  it("an error: real line breaks, the hint on its own line, exit 4", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const r = await pty(main(), baseEnv(fake.url, tempDir(), { AUTHENTIK_TOKEN: "a-wrong-token-0123456789", WAIT_TIMEOUT: "1", NO_COLOR: "1" }));
    expect(r.code).toBe(4);
    expect(r.text).toMatch(/^✗ error: authentik was not ready after \d+ s: stage 'token' never passed\. Last error: .*403.*\.$/m);
    expect(r.text).toMatch(/^ {2}hint: Check that AUTHENTIK_TOKEN is the value of AUTHENTIK_BOOTSTRAP_TOKEN.*$/m);
    expect(r.text).toMatch(/^✗ apply failed after \d+\.\d s: exit 4 \(notReady\); the error is above\.$/m);

    const config = await pty(main(), { NETBIRD_DOMAIN: "https://x/y", NO_COLOR: "1" });
    expect(config.code).toBe(3);
    expect(config.text).toContain("✗ error: Invalid configuration (3 problems):\n    - AUTHENTIK_URL is required but not set;");
  });

  it("while authentik is not ready: a line about every 10 s naming the stage, its last answer and how much of WAIT_TIMEOUT is gone", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, timeline: { startingMs: 25_000 } });
    const started = Date.now();
    const r = await pty(main(), baseEnv(fake.url, tempDir(), { LOG_LEVEL: "info", NO_COLOR: "1", WAIT_TIMEOUT: "90" }));
    expect(r.code).toBe(0);
    const waiting = r.text.split("\n").filter((l) => l.startsWith("… "));
    expect(waiting.length).toBeGreaterThanOrEqual(1);
    expect(waiting.length).toBeLessThanOrEqual(Math.floor((Date.now() - started) / 10_000));
    for (const line of waiting) {
      expect(line).toMatch(
        /^… still waiting for authentik: stage 'ready' not passed for \d+ s, last answer: GET \/-\/health\/ready\/ answered 503 .*; (\d+) s of WAIT_TIMEOUT 90 s gone \(\d+%\)$/,
      );
    }
    const gone = waiting.map((l) => Number(/; (\d+) s of WAIT_TIMEOUT/.exec(l)![1]));
    for (let i = 1; i < gone.length; i++) expect(gone[i]! - gone[i - 1]!).toBeGreaterThanOrEqual(9);
    expect(r.text.indexOf("✓ authentik reports ready (/-/health/ready/)")).toBeGreaterThan(r.text.lastIndexOf("… still waiting"));
  }, 90_000);

  it("LOG_FORMAT=json keeps JSON lines and the JSON summary, even on a terminal", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const r = await pty(main(), baseEnv(fake.url, tempDir(), { LOG_LEVEL: "info", LOG_FORMAT: "json" }));
    expect(r.code).toBe(0);
    const lines = r.text.trim().split("\n");
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(lines.at(-1)).toMatch(/^\{"summary":\{/);
  });

  it("stdout redirected to a file while stderr is a terminal: lines for reading, and the summary stays one JSON line", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const file = join(tempDir(), "stdout.txt");
    const r = await pty(main([], ` > ${quote(file)}`), baseEnv(fake.url, tempDir(), { LOG_LEVEL: "info" }));
    expect(r.code).toBe(0);
    expect(stripAnsi(r.text)).toContain("+ OAuth2 provider 'NetBird' created");
    const stdout = readFileSync(file, "utf8").trim().split("\n");
    expect(stdout).toHaveLength(1);
    expect(JSON.parse(stdout[0]!)).toMatchObject({ summary: { result: "ok", exitCode: 0 } });
  });

  it("secrets: none registered ever appears in the output for reading, across runs, rotation, faults and errors, at LOG_LEVEL=trace", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const out = tempDir();
    const env = (extra: Record<string, string> = {}) => baseEnv(fake.url, out, { LOG_LEVEL: "trace", ...extra });
    const texts: string[] = [];
    const run = async (extra: Record<string, string> = {}, args: string[] = []) => {
      const r = await pty(main(args), env(extra));
      texts.push(r.text);
      return r;
    };
    fake.inject({ path: /\/core\/tokens\/.*view_key/, status: 503, times: 1 });
    expect((await run({ REQUEST_TIMEOUT: "2" })).code).toBe(0);
    await run({}, ["--plan"]);
    await run({}, ["--verify"]);
    expect((await run({ ROTATE: "app-password" })).code).toBe(0);
    fake.inject({ method: "PATCH", path: /.*/, status: 500, body: { detail: `boom ${TOKEN}` }, times: 5 });
    [...fake.store.providers.values()][0]!.sub_mode = "hashed_user_id";
    await run();
    fake.clearFaults();
    await run({ AUTHENTIK_TOKEN: `${TOKEN} with spaces` });
    await run({ AUTHENTIK_TOKEN: "wrong-token-value-123456", WAIT_TIMEOUT: "1" });
    await run({ CONSUMER: "firezone", FIREZONE_URL: "https://fz.example.com", NETBIRD_DOMAIN: "", ROTATE: "client-secret" });

    const secrets = new Set<string>([TOKEN]);
    for (const t of fake.store.tokens.values()) secrets.add(t.key);
    for (const p of fake.store.providers.values()) if (p.client_secret) secrets.add(p.client_secret);
    expect(secrets.size).toBeGreaterThan(3);
    expect(texts).toHaveLength(8);
    for (const [i, text] of texts.entries()) {
      expect(text).not.toContain('{"level"'); // the format for reading, every time
      expect(stripAnsi(text)).toMatch(/^(✓ authentik answers at|✗ error: Invalid configuration)/m);
      for (const secret of secrets) expect({ run: i, leaked: text.includes(secret) ? `${secret.slice(0, 4)}…` : false }).toEqual({ run: i, leaked: false });
    }
  }, 180_000);
});

describe("--help and --version (the built entry point)", () => {
  it("--help: usage, modes, every variable, the exit codes; exit 0 without configuration or any request", async () => {
    const r = await runMain({}, ["--help"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^authentik-bootstrap \d+\.\d+\.\d+\n/);
    for (const part of ["Usage:", "Modes:", "--plan", "--verify", "AUTHENTIK_URL  (string, required)", "LOG_FORMAT", "Exit codes:", " 4  notReady "])
      expect(r.stdout).toContain(part);
  });

  it("--version: package.json's version, alone on stdout; exit 0", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    const r = await runMain({ AUTHENTIK_URL: "not a url" }, ["--version"]);
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
  });

  it("no pseudo-terminal and LOG_FORMAT=pretty: lines for reading without colour, the summary stays JSON", async () => {
    await using fake: FakeAuthentik = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const r = await runMain(baseEnv(fake.url, tempDir(), { LOG_FORMAT: "pretty", LOG_LEVEL: "info" }));
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("\x1b");
    expect(r.stderr).toContain("+ OAuth2 provider 'NetBird' created\n");
    expect(r.summary).toMatchObject({ result: "ok" });
  });
});
