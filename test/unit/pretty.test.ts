import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { NotReadyError } from "../../src/errors.ts";
import { createLogger } from "../../src/log.ts";
import { colorWanted, formatLine, prettyDestination, resolveLogFormat } from "../../src/pretty.ts";
import { forgetSecrets, registerSecret } from "../../src/secrets.ts";

const ESC = "\x1b[";
const plain = (entry: Record<string, unknown>) => formatLine(JSON.stringify({ level: 30, time: 0, ...entry }), { color: false });

afterEach(() => forgetSecrets());

describe("LOG_FORMAT and colour", () => {
  it.each([
    ["auto", true, "pretty"],
    ["auto", false, "json"],
    [undefined, true, "pretty"],
    [undefined, false, "json"],
    ["json", true, "json"],
    ["pretty", false, "pretty"],
    ["bogus", true, "pretty"],
  ] as const)("LOG_FORMAT=%s, stderr a terminal: %s → %s", (setting, tty, expected) => {
    expect(resolveLogFormat(setting, tty)).toBe(expected);
  });

  it.each([
    [{}, true, true],
    [{}, false, false],
    [{ NO_COLOR: "1" }, true, false],
    [{ NO_COLOR: "" }, true, true],
    [{ NO_COLOR: "1", FORCE_COLOR: "1" }, true, false],
    [{ FORCE_COLOR: "1" }, false, true],
    [{ FORCE_COLOR: "0" }, true, true],
    [{ TERM: "dumb" }, true, false],
  ])("env %j, a terminal: %s → colour %s", (env, tty, expected) => {
    expect(colorWanted(env, tty)).toBe(expected);
  });
});

describe("formatLine: one JSON log line → one line for reading", () => {
  it.each([
    [{ kind: "OAuth2 provider", name: "NetBird", action: "created", fields: ["sub_mode"], msg: "OAuth2 provider 'NetBird' created" }, "+ OAuth2 provider 'NetBird' created\n"],
    [
      { kind: "OAuth2 provider", name: "NetBird", action: "updated", fields: ["sub_mode", "redirect_uris"], msg: "OAuth2 provider 'NetBird' updated" },
      "~ OAuth2 provider 'NetBird' updated: sub_mode, redirect_uris\n",
    ],
    [{ kind: "application", name: "netbird", action: "unchanged", fields: [], msg: "application 'netbird' unchanged" }, "  application 'netbird' unchanged\n"],
    [{ kind: "token", name: "old", action: "deleted", msg: "token 'old' deleted" }, "- token 'old' deleted\n"],
    [{ step: "wait", stage: "ready", waitedMs: 12, msg: "authentik reports ready (/-/health/ready/)" }, "✓ authentik reports ready (/-/health/ready/)\n"],
    [
      { step: "wait", stage: "ready", waitedMs: 20_000, timeoutMs: 300_000, last: "503", msg: "still waiting for authentik: stage 'ready' …" },
      "… still waiting for authentik: stage 'ready' …\n",
    ],
    [{ file: "/output/setup.env", written: true, msg: "output file written" }, "~ file '/output/setup.env' written\n"],
    [{ file: "/output/setup.env", written: false, msg: "output file unchanged" }, "  file '/output/setup.env' unchanged\n"],
    [{ step: "configure.sh", line: "NETBIRD_DOMAIN=x", msg: "configure.sh" }, "  configure.sh │ NETBIRD_DOMAIN=x\n"],
    [{ check: "jwks", ok: true, msg: "verify jwks: RS256 key matches" }, "✓ verify jwks: RS256 key matches\n"],
    [{ level: 40, msg: "TLS verification is OFF" }, "! warning: TLS verification is OFF\n"],
    [{ level: 20, msg: "transient failure, retrying", attemptNumber: 2 }, "· transient failure, retrying  attemptNumber=2\n"],
    [{ msg: "NetBird first-run setup done", expires: "2027-01-01" }, "  NetBird first-run setup done  expires=2027-01-01\n"],
    [
      { msg: "starting", version: "1.2.3", authentik: "http://a:9000", public: "https://auth.example.com", consumers: ["netbird", "firezone"], mode: "apply" },
      "authentik-bootstrap 1.2.3: apply for netbird, firezone, authentik at http://a:9000 (public URL https://auth.example.com)\n",
    ],
  ])("%j", (entry, expected) => {
    expect(plain(entry)).toBe(expected);
  });

  it("errors keep their line breaks, and the hint gets a line of its own", () => {
    const error = new NotReadyError("token", 300_000, "403 Token invalid", "Check AUTHENTIK_TOKEN.");
    expect(plain({ level: 50, type: error.name, hint: error.hint, msg: error.message })).toBe(
      "✗ error: authentik was not ready after 300 s: stage 'token' never passed. Last error: 403 Token invalid.\n  hint: Check AUTHENTIK_TOKEN.\n",
    );
    expect(plain({ level: 50, msg: "Invalid configuration (2 problems):\n  - A is required\n  - B is invalid" })).toBe(
      "✗ error: Invalid configuration (2 problems):\n    - A is required\n    - B is invalid\n",
    );
    expect(plain({ level: 60, msg: "unexpected error (a bug)", err: { type: "TypeError", message: "x", stack: "TypeError: x\n    at f (a.ts:1:1)" } })).toBe(
      "✗ fatal: unexpected error (a bug)\n  TypeError: x\n      at f (a.ts:1:1)\n",
    );
  });

  it("colour only when asked for, and then on the markers", () => {
    const line = JSON.stringify({ level: 30, kind: "application", name: "n", action: "created", msg: "application 'n' created" });
    expect(formatLine(line, { color: false })).not.toContain(ESC);
    expect(formatLine(line, { color: true })).toBe(`${ESC}32m+${ESC}39m application 'n' created\n`);
  });

  it("lines that are not JSON pass through unchanged", () => {
    expect(formatLine("plain text", { color: false })).toBe("plain text\n");
  });
});

describe("the pretty destination behind the logger", () => {
  function capture(level = "trace") {
    const out: string[] = [];
    const logger = createLogger(
      level,
      prettyDestination((text) => out.push(text), { color: true }),
    );
    return { out, logger };
  }

  it("hides secrets exactly as the JSON format does: by key and by value, in messages, fields, errors and hints", () => {
    const json: string[] = [];
    const jsonLogger = createLogger("trace", new Writable({ write: (chunk, _e, done) => (json.push(String(chunk)), done()) }));
    const { out, logger } = capture();
    const secret = "registered-secret-value-0123456789";
    registerSecret(secret);
    for (const log of [logger, jsonLogger]) {
      log.trace({ nested: { deep: `x ${secret} y` } }, `trace ${secret}`);
      log.info({ token: "by-key-token-value", kind: "application", name: secret, action: "created" }, `application '${secret}' created`);
      log.warn({ restart: { command: `echo ${secret}` } }, `warn ${secret}`);
      log.error({ type: "NotReadyError", hint: `hint ${secret}` }, `failed: ${secret}\nsecond line ${secret}. hint ${secret}`);
      log.fatal({ err: new Error(`boom ${secret}`) }, "unexpected");
    }
    const text = out.join("");
    expect(text).not.toContain(secret);
    expect(text).not.toContain("by-key-token-value");
    expect(json.join("")).not.toContain(secret);
    expect(text.split("[REDACTED]").length).toBeGreaterThan(5);
  });

  it("prints one readable line per log call, synchronously", () => {
    const { out, logger } = capture("info");
    logger.info({ step: "wait", stage: "reachable", waitedMs: 3 }, "authentik answers at http://a");
    expect(out).toEqual([`${ESC}32m✓${ESC}39m authentik answers at http://a\n`]);
  });
});
