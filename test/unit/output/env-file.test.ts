import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { changedKeys, checkValue, MANAGED_MARKER, mergeEnvFile, quote, renderLine, UnsafeValueError } from "../../../src/output/env-file.ts";
import { sourceWithBash } from "../../helpers/bash.ts";

const dir = mkdtempSync(join(tmpdir(), "envfile-"));
function sourced(text: string, keys: string[]): Record<string, string> {
  const file = join(dir, `f${Math.random()}`);
  writeFileSync(file, text);
  return sourceWithBash(file, keys);
}

describe("quote", () => {
  it.each([
    "plain",
    "with space",
    "it's",
    "''",
    "'",
    "$HOME",
    "${HOME}",
    "$(id)",
    "`id`",
    "a!b",
    "semi;colon",
    "a && b",
    "# not a comment",
    "*",
    "?",
    "~",
    "é",
    "日本語",
    "🦊",
    "-leading",
    "a=b",
    "tab\tinside",
    "x".repeat(10_000),
    "back\\slash",
    'dou"ble',
    "",
  ])("%j survives bash `source`", (value) => {
    expect(sourced(`KEY=${quote(value)}\n`, ["KEY"]).KEY).toBe(value);
  });
});

describe("checkValue / renderLine", () => {
  it.each([["new\nline"], ["nul\u0000"], ["bell\u0007"], ["del\u007f"]])("refuses control characters in %j", (value) => {
    expect(() => checkValue("K", value)).toThrow(UnsafeValueError);
    expect(() => checkValue("K", value, false)).toThrow(/K: /);
  });
  it.each([['a"b'], ["a\\b"]])("refuses %j where values are pasted raw into JSON, allows it elsewhere", (value) => {
    expect(() => renderLine("NETBIRD_X", value)).toThrow(/NETBIRD_X.*management\.json/);
    expect(renderLine("JSON", value, false, false)).toBe(`JSON=${quote(value)}`);
  });
});

describe("mergeEnvFile", () => {
  const existing = ["# comment", "", "export KEEP=1", "OTHER='x y'", "NETBIRD_AUTH_CLIENT_ID='old'", "odd line without assignment", "NETBIRD_AUTH_CLIENT_ID=dup", ""].join("\n");
  const entries: [string, string][] = [
    ["NETBIRD_AUTH_CLIENT_ID", "new"],
    ["NETBIRD_MGMT_IDP", "authentik"],
  ];

  it("keeps unrelated lines byte for byte, replaces ours in place, drops our duplicates, appends missing keys once", () => {
    const merged = mergeEnvFile(existing, entries);
    expect(merged).toBe(
      ["# comment", "", "export KEEP=1", "OTHER='x y'", "NETBIRD_AUTH_CLIENT_ID='new'", "odd line without assignment", "", MANAGED_MARKER, "NETBIRD_MGMT_IDP='authentik'", ""].join(
        "\n",
      ),
    );
    expect(mergeEnvFile(merged, entries)).toBe(merged);
    expect(sourced(merged.replace("odd line without assignment\n", ""), ["KEEP", "OTHER", "NETBIRD_AUTH_CLIENT_ID", "NETBIRD_MGMT_IDP"])).toEqual({
      KEEP: "1",
      OTHER: "x y",
      NETBIRD_AUTH_CLIENT_ID: "new",
      NETBIRD_MGMT_IDP: "authentik",
    });
  });

  it("keeps an export prefix and creates a file from nothing", () => {
    expect(mergeEnvFile("export NETBIRD_MGMT_IDP=none\n", entries)).toContain("export NETBIRD_MGMT_IDP='authentik'");
    expect(mergeEnvFile(undefined, entries)).toBe(`${MANAGED_MARKER}\nNETBIRD_AUTH_CLIENT_ID='new'\nNETBIRD_MGMT_IDP='authentik'\n`);
  });

  it("changedKeys lists only keys whose line would change", () => {
    const merged = mergeEnvFile(existing, entries);
    expect(changedKeys(merged, entries)).toEqual([]);
    expect(
      changedKeys(merged, [
        ["NETBIRD_AUTH_CLIENT_ID", "newer"],
        ["NETBIRD_MGMT_IDP", "authentik"],
      ]),
    ).toEqual(["NETBIRD_AUTH_CLIENT_ID"]);
    expect(changedKeys(undefined, entries)).toEqual(["NETBIRD_AUTH_CLIENT_ID", "NETBIRD_MGMT_IDP"]);
  });
});
