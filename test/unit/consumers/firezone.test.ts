import { describe, expect, it } from "vitest";
import { envSafeJson, firezone, RESERVED_IDS } from "../../../src/consumers/firezone.ts";
import { mergeEnvFile, parseEnvFile, renderEnvLine, UnsafeValueError } from "../../../src/output/env-file.ts";

describe("envSafeJson", () => {
  it("writes `$` and `#` as JSON escapes: the same value once parsed, nothing compose would interpolate or cut", () => {
    const value = [{ url: "https://a/$b?c=d#e", s: "x y" }];
    const text = envSafeJson(value);
    expect(text).not.toMatch(/[$#]/);
    expect(JSON.parse(text)).toEqual(value);
    expect(() => renderEnvLine("K", text)).not.toThrow();
  });
  it("knows Firezone's reserved ids", () => expect(RESERVED_IDS).toEqual(["identity", "saml", "magic_link"]));
});

describe("env format", () => {
  it.each([
    ["a $ sign", "a$b", /\$/],
    ["a comment", "a #b", / #/],
    ["a leading quote", "'x'", /quote/],
    ["trailing blank", "x ", /blank/],
    ["a newline", "a\nb", /newline/],
  ])("refuses %s", (_n, value, message) => expect(() => renderEnvLine("K", value)).toThrow(message));
  it("replaces an old quoted line by the unquoted one, keeps the rest, and reads back as docker does", () => {
    const merged = mergeEnvFile("# mine\nA=1\nK='old'\n", [["K", '[{"a":1}]']], { kind: "env" });
    expect(merged).toBe('# mine\nA=1\nK=[{"a":1}]\n');
    expect(parseEnvFile(merged, ["K", "A"])).toEqual({ K: '[{"a":1}]', A: "1" });
    expect(() => mergeEnvFile("", [["K", "a$b"]], { kind: "env" })).toThrow(UnsafeValueError);
  });
});

describe("fromFile", () => {
  it("reads the client of the first entry", () =>
    expect(firezone.fromFile({ OPENID_CONNECT_PROVIDERS: '[{"client_id":"c","client_secret":"s"}]' })).toEqual({ clientId: "c", clientSecret: "s" }));
  it.each(["null", "7", '"x"', "{}", "[null]", "[7]", '[{"client_id":7}]', "[", ""])("names no client in %j, and does not throw", (text) =>
    expect(firezone.fromFile({ OPENID_CONNECT_PROVIDERS: text })).toEqual({ clientId: "", clientSecret: "" }),
  );
});
