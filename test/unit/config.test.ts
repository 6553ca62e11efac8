import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeVariables, loadConfig, SPECS } from "../../src/config.ts";
import { ConfigError } from "../../src/errors.ts";

const TOKEN = "unit-test-token-1234567890";
const valid = { AUTHENTIK_URL: "http://authentik-server:9000/", AUTHENTIK_TOKEN: TOKEN, NETBIRD_DOMAIN: "NetBird.Example.com" };

function problems(env: Record<string, string>, argv: string[] = []): string[] {
  try {
    loadConfig(env, argv);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe("loadConfig", () => {
  it("normalises and defaults: trailing slash dropped, public URL = internal URL, domain lower-cased, per-consumer names empty", () => {
    const c = loadConfig(valid);
    expect(c).toMatchObject({
      authentikUrl: "http://authentik-server:9000",
      publicUrl: "http://authentik-server:9000",
      domain: "netbird.example.com",
      consumers: ["netbird"],
      mode: "apply",
      verify: true,
      outputDir: "/output",
    });
    expect(c.names.slug).toBe("");
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("reports every missing variable at once, each with an example", () => {
    const p = problems({});
    expect(p).toHaveLength(2);
    expect(p.join("\n")).toMatch(/AUTHENTIK_URL is required.*example: AUTHENTIK_URL=/);
    expect(p.join("\n")).toMatch(/AUTHENTIK_TOKEN is required/);
  });

  it("reads NAME_FILE (trailing newline stripped) and refuses both, missing and empty files", () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    writeFileSync(join(dir, "token"), `${TOKEN}\n`);
    writeFileSync(join(dir, "empty"), "");
    expect(loadConfig({ ...valid, AUTHENTIK_TOKEN: "", AUTHENTIK_TOKEN_FILE: join(dir, "token") }).token).toBe(TOKEN);
    expect(problems({ ...valid, AUTHENTIK_TOKEN_FILE: join(dir, "token") })).toEqual(["AUTHENTIK_TOKEN and AUTHENTIK_TOKEN_FILE are both set: set only one"]);
    expect(problems({ ...valid, AUTHENTIK_TOKEN: "", AUTHENTIK_TOKEN_FILE: join(dir, "nope") })[0]).toMatch(/cannot read .*ENOENT/);
    expect(problems({ ...valid, AUTHENTIK_TOKEN: "", AUTHENTIK_TOKEN_FILE: join(dir, "empty") })[0]).toMatch(/is empty/);
  });

  it("the least-privilege tool token: AUTHENTIK_TOKEN optional with a store, each store with its output, absolute paths", () => {
    const noToken = { ...valid, AUTHENTIK_TOKEN: "" };
    expect(loadConfig({ ...noToken, TOOL_TOKEN_FILE: "/var/lib/akb/tool.env" }).tool).toEqual({
      store: { path: "/var/lib/akb/tool.env", key: "AUTHENTIK_TOKEN" },
      account: "authentik-bootstrap",
    });
    expect(loadConfig(valid).tool).toBeUndefined();
    expect(problems({ ...noToken, TOOL_TOKEN_FILE: "tool.env" })).toEqual(['TOOL_TOKEN_FILE must be an absolute path (got "tool.env")']);
    expect(problems({ ...valid, TOOL_TOKEN_SECRET_KEY: "AUTHENTIK_TOOL_TOKEN" })).toEqual([
      "TOOL_TOKEN_SECRET_KEY needs KUBERNETES_SECRET (the Secret it names a key of); with files, set TOOL_TOKEN_FILE",
    ]);
    expect(problems({ ...valid, TOOL_TOKEN_SECRET_KEY: "1bad key" })[0]).toMatch(/^TOOL_TOKEN_SECRET_KEY expected a variable name/);
    expect(problems({ ...valid, TOOL_ACCOUNT: "no spaces allowed" })[0]).toMatch(/^TOOL_ACCOUNT expected a user name/);
    expect(problems(noToken)).toEqual([expect.stringMatching(/^AUTHENTIK_TOKEN is required but not set/)]);
  });

  it("never shows the token's value", () => {
    const p = problems({ ...valid, AUTHENTIK_TOKEN: "bad token with spaces", AUTHENTIK_URL: "nope" });
    expect(p.join("\n")).not.toContain("bad token with spaces");
    expect(p.join("\n")).toContain("value hidden");
  });

  it.each([
    ["AUTHENTIK_URL", "ftp://x"],
    ["AUTHENTIK_URL", "http://u:p@x"],
    ["AUTHENTIK_URL", "http://x/?q=1"],
    ["AUTHENTIK_PUBLIC_URL", "auth.example.com"],
    ["NETBIRD_DOMAIN", "https://x.com"],
    ["NETBIRD_DOMAIN", "x.com/path"],
    ["NETBIRD_DOMAIN", "x y.com"],
    ["APP_SLUG", "a b"],
    ["APP_SLUG", "a".repeat(51)],
    ["APP_NAME", 'a"b'],
    ["APP_NAME", "a\\b"],
    ["APP_NAME", " padded"],
    ["SERVICE_ACCOUNT", "a b"],
    ["WAIT_TIMEOUT", "0"],
    ["WAIT_TIMEOUT", "-1"],
    ["WAIT_TIMEOUT", "NaN"],
    ["LOG_LEVEL", "loud"],
    ["CONSUMER", "keycloak"],
    ["ROTATE", "all"],
    ["OUTPUT_FILE", "a/b"],
  ])("refuses %s=%j with a problem naming it", (name, value) => {
    const p = problems({ ...valid, [name]: value });
    expect(p).toHaveLength(1);
    expect(p[0]).toContain(name);
  });

  it("argv: --plan and --verify set the modes; unknown arguments are problems; the two modes exclude each other", () => {
    expect(loadConfig(valid, ["--plan"]).mode).toBe("plan");
    expect(loadConfig({ ...valid, PLAN: "true" }).mode).toBe("plan");
    expect(loadConfig(valid, ["--verify"]).mode).toBe("verify");
    expect(loadConfig(valid).mode).toBe("apply");
    expect(problems(valid, ["--yes"])).toEqual(["unknown argument '--yes' (supported: --plan, --verify, --help, --version)"]);
    expect(problems(valid, ["--plan", "--verify"])[0]).toContain("exclude each other");
  });

  it("describeVariables has one row per spec with its documentation", () => {
    const rows = describeVariables();
    expect(rows.map((r) => r.name)).toEqual(Object.keys(SPECS));
    for (const r of rows) {
      expect(r.desc.length).toBeGreaterThan(10);
      expect(r.example).not.toBe("");
    }
    expect(rows.find((r) => r.name === "AUTHENTIK_URL")?.default).toBe("**required**");
  });
});
