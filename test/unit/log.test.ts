import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.ts";
import { forgetSecrets, registerSecret } from "../../src/secrets.ts";
import { EXIT_CODE_DOCS, EXIT_CODES, exitCodeOf, ApiError, ConfigError, ConflictError, NotReadyError, OutputError, ScriptError } from "../../src/errors.ts";
import { redactAssignment } from "../../src/script.ts";

function sink() {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  return { lines, stream };
}

afterEach(() => forgetSecrets());

describe("logger", () => {
  it("never prints a registered secret, in messages, nested objects or errors, at trace level", () => {
    const { lines, stream } = sink();
    const log = createLogger("trace", stream);
    registerSecret("super-secret-value-123");
    log.trace({ nested: { deep: "x super-secret-value-123 y" } }, "msg super-secret-value-123");
    log.error({ err: new Error("failed with super-secret-value-123") }, "boom");
    expect(lines.join("")).not.toContain("super-secret-value-123");
    expect(lines.join("")).toContain("[REDACTED]");
  });

  it("redacts secret-named fields by key", () => {
    const { lines, stream } = sink();
    createLogger("info", stream as never).info({ token: "t-value", password: "p-value", client_secret: "c-value", inner: { key: "k-value" } }, "x");
    for (const v of ["t-value", "p-value", "c-value", "k-value"]) expect(lines.join("")).not.toContain(v);
  });

  it("configure.sh lines: secret-looking assignments are hidden", () => {
    expect(redactAssignment("NETBIRD_RELAY_AUTH_SECRET=abc")).toBe("NETBIRD_RELAY_AUTH_SECRET=[REDACTED]");
    expect(redactAssignment("TURN_PASSWORD=xyz")).toBe("TURN_PASSWORD=[REDACTED]");
    expect(redactAssignment("NETBIRD_DOMAIN=netbird.example.com")).toBe("NETBIRD_DOMAIN=netbird.example.com");
  });
});

describe("errors", () => {
  it("map to their documented exit codes, which are unique and all documented", () => {
    expect(exitCodeOf(new ConfigError(["x"]))).toBe(EXIT_CODES.config);
    expect(exitCodeOf(new NotReadyError("token", 1000, "403", "hint"))).toBe(EXIT_CODES.notReady);
    expect(exitCodeOf(new ApiError("read x", 403, "no"))).toBe(EXIT_CODES.auth);
    expect(exitCodeOf(new ApiError("read x", 500, "no"))).toBe(EXIT_CODES.api);
    expect(exitCodeOf(new ConflictError("c"))).toBe(EXIT_CODES.conflict);
    expect(exitCodeOf(new OutputError("o"))).toBe(EXIT_CODES.output);
    expect(exitCodeOf(new ScriptError("s"))).toBe(EXIT_CODES.script);
    expect(exitCodeOf(new TypeError("bug"))).toBe(EXIT_CODES.internal);
    expect(new Set(Object.values(EXIT_CODES)).size).toBe(Object.keys(EXIT_CODES).length);
    expect(Object.keys(EXIT_CODE_DOCS).sort()).toEqual(Object.keys(EXIT_CODES).sort());
  });
});
