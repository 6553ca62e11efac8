/**
 * Bad input: every case ends with its documented exit code and a message naming the problem, sends no write
 * to authentik (configuration errors: no request at all), and leaves an existing setup.env byte-identical.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAuthentik, type FakeAuthentik } from "../fake-authentik/index.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { runMain } from "../helpers/run-main.ts";

const EXISTING = "# kept\nNETBIRD_TURN_EXTERNAL_IP='203.0.113.7'\nNETBIRD_AUTH_CLIENT_ID='previous-client-id'\n";

interface Case {
  name: string;
  env?: Record<string, string | undefined>;
  args?: string[];
  /** Builds paths the case needs in its own temp dir; returns env overrides. */
  setup?: (dir: string) => Record<string, string>;
  code: number;
  message: string | RegExp;
  /** Configuration errors must not even reach authentik. */
  noRequest?: boolean;
}

const long = "a".repeat(300);
const cases: Case[] = [
  { name: "AUTHENTIK_URL missing", env: { AUTHENTIK_URL: undefined }, code: 3, message: "AUTHENTIK_URL is required", noRequest: true },
  { name: "AUTHENTIK_URL without scheme", env: { AUTHENTIK_URL: "authentik-server:9000" }, code: 3, message: "AUTHENTIK_URL", noRequest: true },
  { name: "AUTHENTIK_URL with a wrong scheme", env: { AUTHENTIK_URL: "ftp://authentik" }, code: 3, message: "not 'ftp:'", noRequest: true },
  { name: "AUTHENTIK_URL with credentials", env: { AUTHENTIK_URL: "http://user:pw@authentik:9000" }, code: 3, message: "without user:password", noRequest: true },
  { name: "AUTHENTIK_URL with a query", env: { AUTHENTIK_URL: "http://authentik:9000/?x=1" }, code: 3, message: "without query", noRequest: true },
  { name: "AUTHENTIK_URL not a URL", env: { AUTHENTIK_URL: "not a url" }, code: 3, message: "absolute http(s) URL", noRequest: true },
  { name: "AUTHENTIK_PUBLIC_URL without scheme", env: { AUTHENTIK_PUBLIC_URL: "auth.example.com" }, code: 3, message: "AUTHENTIK_PUBLIC_URL", noRequest: true },
  { name: "AUTHENTIK_PUBLIC_URL with a fragment", env: { AUTHENTIK_PUBLIC_URL: "https://auth.example.com/#x" }, code: 3, message: "without query or fragment", noRequest: true },
  { name: "AUTHENTIK_TOKEN missing", env: { AUTHENTIK_TOKEN: undefined }, code: 3, message: "AUTHENTIK_TOKEN is required", noRequest: true },
  { name: "AUTHENTIK_TOKEN too short", env: { AUTHENTIK_TOKEN: "abc" }, code: 3, message: "AUTHENTIK_TOKEN", noRequest: true },
  { name: "AUTHENTIK_TOKEN with a space", env: { AUTHENTIK_TOKEN: "abc def ghi jkl" }, code: 3, message: "without spaces", noRequest: true },
  {
    name: "AUTHENTIK_TOKEN_FILE missing",
    env: { AUTHENTIK_TOKEN: undefined },
    setup: (d) => ({ AUTHENTIK_TOKEN_FILE: join(d, "nope") }),
    code: 3,
    message: "cannot read",
    noRequest: true,
  },
  {
    name: "AUTHENTIK_TOKEN_FILE empty",
    env: { AUTHENTIK_TOKEN: undefined },
    setup: (d) => (writeFileSync(join(d, "t"), ""), { AUTHENTIK_TOKEN_FILE: join(d, "t") }),
    code: 3,
    message: "is empty",
    noRequest: true,
  },
  {
    name: "AUTHENTIK_TOKEN and AUTHENTIK_TOKEN_FILE both",
    setup: (d) => (writeFileSync(join(d, "t"), TOKEN), { AUTHENTIK_TOKEN_FILE: join(d, "t") }),
    code: 3,
    message: "both set",
    noRequest: true,
  },
  { name: "NETBIRD_DOMAIN missing", env: { NETBIRD_DOMAIN: undefined }, code: 3, message: "NETBIRD_DOMAIN is required", noRequest: true },
  { name: "NETBIRD_DOMAIN with a scheme", env: { NETBIRD_DOMAIN: "https://netbird.example.com" }, code: 3, message: "without scheme", noRequest: true },
  { name: "NETBIRD_DOMAIN with a path", env: { NETBIRD_DOMAIN: "netbird.example.com/app" }, code: 3, message: "without a path", noRequest: true },
  { name: "NETBIRD_DOMAIN with a space", env: { NETBIRD_DOMAIN: "netbird example.com" }, code: 3, message: "DNS host name", noRequest: true },
  { name: "NETBIRD_DOMAIN with a quote", env: { NETBIRD_DOMAIN: "net'bird.example.com" }, code: 3, message: "NETBIRD_DOMAIN", noRequest: true },
  { name: "NETBIRD_DOMAIN with $", env: { NETBIRD_DOMAIN: "nb$HOME.example.com" }, code: 3, message: "NETBIRD_DOMAIN", noRequest: true },
  { name: "NETBIRD_DOMAIN with a backtick", env: { NETBIRD_DOMAIN: "nb`id`.example.com" }, code: 3, message: "NETBIRD_DOMAIN", noRequest: true },
  { name: "NETBIRD_DOMAIN with non-ASCII", env: { NETBIRD_DOMAIN: "netbïrd.example.com" }, code: 3, message: "NETBIRD_DOMAIN", noRequest: true },
  { name: "NETBIRD_DOMAIN very long", env: { NETBIRD_DOMAIN: `${long}.example.com` }, code: 3, message: "NETBIRD_DOMAIN", noRequest: true },
  {
    name: "NETBIRD_DOMAIN with a port (configure.sh builds https://<domain>:33073 from it)",
    env: { NETBIRD_DOMAIN: "netbird.example.com:8443" },
    code: 3,
    message: "without a port",
    noRequest: true,
  },
  {
    name: "OPENZRO_DOMAIN with a port",
    env: { CONSUMER: "openzro", NETBIRD_DOMAIN: "", OPENZRO_DOMAIN: "openzro.example.com:8443" },
    code: 3,
    message: "OPENZRO_DOMAIN must be a host name without a port",
    noRequest: true,
  },
  { name: "NETBIRD_DOMAIN with a newline", env: { NETBIRD_DOMAIN: "netbird.example.com\nNETBIRD_MGMT_IDP=none" }, code: 3, message: "NETBIRD_DOMAIN", noRequest: true },
  { name: "APP_SLUG with spaces", env: { APP_SLUG: "net bird" }, code: 3, message: "APP_SLUG", noRequest: true },
  { name: "APP_SLUG too long", env: { APP_SLUG: "n".repeat(60) }, code: 3, message: "1–50", noRequest: true },
  { name: "APP_NAME with a double quote", env: { APP_NAME: 'Net"Bird' }, code: 3, message: "no quotes", noRequest: true },
  { name: "APP_NAME with a backslash", env: { APP_NAME: "Net\\Bird" }, code: 3, message: "APP_NAME", noRequest: true },
  { name: "APP_NAME with a newline", env: { APP_NAME: "Net\nBird" }, code: 3, message: "APP_NAME", noRequest: true },
  { name: "PROVIDER_NAME with $(…)", env: { PROVIDER_NAME: "$(id)" }, code: 3, message: "PROVIDER_NAME", noRequest: true },
  { name: "SERVICE_ACCOUNT with a space", env: { SERVICE_ACCOUNT: "Net Bird" }, code: 3, message: "SERVICE_ACCOUNT", noRequest: true },
  { name: "SERVICE_ACCOUNT with a backtick", env: { SERVICE_ACCOUNT: "net`bird`" }, code: 3, message: "SERVICE_ACCOUNT", noRequest: true },
  { name: "SERVICE_ACCOUNT very long", env: { SERVICE_ACCOUNT: "n".repeat(200) }, code: 3, message: "SERVICE_ACCOUNT", noRequest: true },
  { name: "LOG_LEVEL unknown", env: { LOG_LEVEL: "verbose" }, code: 3, message: "LOG_LEVEL", noRequest: true },
  { name: "WAIT_TIMEOUT zero", env: { WAIT_TIMEOUT: "0" }, code: 3, message: "WAIT_TIMEOUT", noRequest: true },
  { name: "WAIT_TIMEOUT not a number", env: { WAIT_TIMEOUT: "five" }, code: 3, message: "WAIT_TIMEOUT", noRequest: true },
  { name: "REQUEST_TIMEOUT negative", env: { REQUEST_TIMEOUT: "-5" }, code: 3, message: "REQUEST_TIMEOUT", noRequest: true },
  { name: "CONSUMER unknown", env: { CONSUMER: "netbird,zitadel" }, code: 3, message: "unknown: zitadel", noRequest: true },
  { name: "ROTATE unknown", env: { ROTATE: "everything" }, code: 3, message: "ROTATE", noRequest: true },
  { name: "ROTATE=client-secret for a public client", env: { ROTATE: "client-secret" }, code: 3, message: "public client", noRequest: true },
  { name: "PLAN not a boolean", env: { PLAN: "maybe" }, code: 3, message: "PLAN", noRequest: true },
  { name: "an unknown argument", args: ["--force"], code: 3, message: "unknown argument '--force'", noRequest: true },
  { name: "--plan and --verify together", args: ["--plan", "--verify"], code: 3, message: "exclude each other", noRequest: true },
  { name: "OUTPUT_FILE with a directory", env: { OUTPUT_FILE: "../setup.env" }, code: 3, message: "plain file name", noRequest: true },
  { name: "AUTHENTIK_CA_FILE missing", env: { AUTHENTIK_CA_FILE: "/nonexistent/ca.pem" }, code: 3, message: "AUTHENTIK_CA_FILE", noRequest: true },
  {
    name: "a CA file and insecure TLS together",
    setup: (d) => (writeFileSync(join(d, "ca.pem"), "x"), { AUTHENTIK_CA_FILE: join(d, "ca.pem"), AUTHENTIK_INSECURE_TLS: "true" }),
    code: 3,
    message: "contradict",
    noRequest: true,
  },
  {
    name: "APP_SLUG with several consumers",
    env: { CONSUMER: "netbird,firezone", FIREZONE_URL: "https://fz.example.com", APP_SLUG: "x" },
    code: 3,
    message: "cannot be set when CONSUMER lists several",
    noRequest: true,
  },
  { name: "firezone without FIREZONE_URL", env: { CONSUMER: "firezone" }, code: 3, message: "FIREZONE_URL is required", noRequest: true },
  { name: "OUTPUT_DIR missing", setup: (d) => ({ OUTPUT_DIR: join(d, "missing") }), code: 8, message: "does not exist", noRequest: true },
  { name: "OUTPUT_DIR is a file", setup: (d) => (writeFileSync(join(d, "file"), ""), { OUTPUT_DIR: join(d, "file") }), code: 8, message: "is not a directory", noRequest: true },
  { name: "configure.sh missing", setup: (d) => ({ CONFIGURE_SH: join(d, "configure.sh") }), code: 9, message: "does not exist", noRequest: true },
  {
    name: "configure.sh not executable",
    setup: (d) => (writeFileSync(join(d, "c.sh"), "#!/bin/bash\n"), chmodSync(join(d, "c.sh"), 0o644), { CONFIGURE_SH: join(d, "c.sh") }),
    code: 9,
    message: "not executable",
    noRequest: true,
  },
  { name: "configure.sh is a directory", setup: (d) => (mkdirSync(join(d, "c.sh")), { CONFIGURE_SH: join(d, "c.sh") }), code: 9, message: "not a file", noRequest: true },
];

describe("bad input", () => {
  let fake: FakeAuthentik;
  beforeAll(async () => {
    fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
  });
  afterAll(async () => fake.close());

  it(`has at least 40 cases (${cases.length})`, () => expect(cases.length).toBeGreaterThanOrEqual(40));

  it.each(cases)("$name → exit $code", async (c) => {
    const dir = tempDir();
    const out = join(dir, "out");
    mkdirSync(out);
    const file = join(out, "setup.env");
    writeFileSync(file, EXISTING, { mode: 0o600 });
    const before = statSync(file).mtimeMs;
    const env: Record<string, string> = { ...baseEnv(fake.url, out), ...(c.setup?.(dir) ?? {}) };
    for (const [k, v] of Object.entries(c.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    const logBefore = fake.log.length;
    const r = await runMain(env, c.args ?? []);
    expect(r.code).toBe(c.code);
    const message = r.summary.error?.message ?? "";
    if (typeof c.message === "string") expect(message).toContain(c.message);
    else expect(message).toMatch(c.message);
    expect(message).not.toContain(TOKEN);
    const requests = fake.log.slice(logBefore);
    if (c.noRequest) expect(requests).toEqual([]);
    expect(requests.filter((q) => q.write)).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(EXISTING);
    expect(statSync(file).mtimeMs).toBe(before);
  });
});

/** Read-only and full file systems need a tmpfs mount (root); checked, not assumed. */
function canMount(): boolean {
  const probe = tempDir();
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], { stdio: "ignore" });
    execFileSync("umount", [probe], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!canMount())("bad output file systems (skipped where tmpfs cannot be mounted: needs root)", () => {
  it.each([
    ["read-only", "size=1m,ro", "read-only file system"],
    ["full", "size=64k", "no space left on device"],
  ])("a %s OUTPUT_DIR: exit 8 before anything is touched, the existing file unchanged", async (_name, options, message) => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const mnt = tempDir();
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt]);
    try {
      writeFileSync(join(mnt, "setup.env"), EXISTING, { mode: 0o600 });
      if (options.includes("ro")) execFileSync("mount", ["-o", "remount,ro", mnt]);
      else {
        execFileSync("mount", ["-o", "remount,size=64k", mnt]);
        // Fill what is left of the disk.
        try {
          writeFileSync(join(mnt, "filler"), Buffer.alloc(64 * 1024));
        } catch {
          /* full */
        }
      }
      const r = await runMain(baseEnv(fake.url, mnt));
      expect(r.code).toBe(8);
      expect(r.summary.error?.message).toContain(message);
      expect(fake.log).toEqual([]);
      expect(readFileSync(join(mnt, "setup.env"), "utf8")).toBe(EXISTING);
    } finally {
      execFileSync("umount", [mnt]);
    }
  });
});
