import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SPECS } from "../../src/config.ts";
import { EXIT_CODES } from "../../src/errors.ts";
import { helpText } from "../../src/help.ts";
import { VERSION } from "../../src/version.ts";

const root = new URL("../../", import.meta.url);
const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { version: string };

describe("--help", () => {
  const text = helpText("9.9.9");

  it("names the tool and version, the usage and the three modes", () => {
    expect(text.split("\n")[0]).toBe("authentik-bootstrap 9.9.9");
    for (const part of ["Usage:", "--plan", "--verify", "--help | --version", "Modes:", "LOG_FORMAT", "NO_COLOR"]) expect(text).toContain(part);
  });

  it("lists every variable of the specs (the README table's source), with its default or 'required' and an example", () => {
    for (const name of Object.keys(SPECS)) expect(text).toMatch(new RegExp(`^  ${name}(  |\\n      )\\((.+), (required|default: .*)\\)$`, "m"));
    expect(text).toContain("  AUTHENTIK_URL  (string, required)");
    expect(text).toContain("  LOG_FORMAT  (auto | json | pretty, default: auto)");
    expect(text).toContain("e.g. WAIT_TIMEOUT=300");
    expect(text).not.toMatch(/`|\*\*/);
  });

  it("lists every exit code with its name", () => {
    for (const [name, code] of Object.entries(EXIT_CODES)) expect(text).toMatch(new RegExp(`^ +${code}  ${name} `, "m"));
  });

  it("fits the width it is given (only a value too long to break, such as a path, runs over)", () => {
    for (const width of [80, 100]) {
      const over = helpText("1.0.0", width)
        .split("\n")
        .filter((l) => l.length > width);
      expect(over.filter((l) => l.trimEnd().replace(/\S+$/, "").length > width)).toEqual([]);
    }
  });
});

describe("--version", () => {
  it("is package.json's version, which is the image label's default (Dockerfile ARG VERSION)", () => {
    expect(VERSION).toBe(pkg.version);
    const dockerfile = readFileSync(new URL("Dockerfile", root), "utf8");
    expect(dockerfile).toMatch(/^LABEL [\s\S]*org\.opencontainers\.image\.version="\$\{VERSION\}"/m);
    expect(dockerfile.match(/^ARG VERSION=(.+)$/m)?.[1]).toBe(pkg.version);
  });
});
