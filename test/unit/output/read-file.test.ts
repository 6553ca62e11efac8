import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { mergeEnvFile } from "../../../src/output/env-file.ts";
import { readPlainBash, sourceFile } from "../../../src/output/read-file.ts";
import { sourceWithBash } from "../../helpers/bash.ts";

const dir = mkdtempSync(join(tmpdir(), "readfile-"));
let n = 0;
function file(text: string): string {
  const path = join(dir, `f${(n += 1)}`);
  writeFileSync(path, text);
  return path;
}

/** A small seeded generator: the same cases on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pieces of lines: plain ones and every kind bash reads its own way. */
const NAMES = ["KEY", "OTHER", "NETBIRD_X", "_k9", "lower", "PATH", "RANDOM", "BASH_ENV", "HOME"];
const PLAIN_WORDS = [
  "plain",
  "",
  "'single quoted'",
  "'it'\\''s'",
  '"double quoted"',
  "https://h.example:443/p?q=1",
  "a=b,c+d@e%f",
  "\\$escaped",
  "'é 日本 🦊'",
  "'tab\tin'",
  "'a'\"b\"c",
  "'#' ",
];
const OTHER_WORDS = [
  '"with $HOME"',
  '"tick `id`"',
  "a#b",
  "~",
  "a:~/x",
  "$HOME",
  "${X:-d}",
  "$(echo hi)",
  "*",
  "{a,b}",
  "\\ spaced",
  "x\\",
  "two words",
  "'unterminated",
  '"unterminated',
  "a!b",
  "&",
];
const TAILS = [" # comment", "\t#", " ", "#glued", "\r", " more", ";"];
const OTHER_LINES = ["echo hi", "export KEY", "KEY+=x", "readonly KEY=1", "\uFEFFKEY=1", "KEY =1", "declare -x KEY=1"];
const PLAIN_LINES = ["", "# a comment", "   # indented comment", "  "];

/** Lines mostly plain, one piece in ten of the other kind. */
function randomFile(rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const odd = () => rand() < 0.1;
  const lines: string[] = [];
  const count = 1 + Math.floor(rand() * 5);
  for (let i = 0; i < count; i++) {
    if (rand() < 0.2) lines.push(pick(odd() ? OTHER_LINES : PLAIN_LINES));
    else {
      const prefix = rand() < 0.2 ? pick(["  ", "export ", "\texport\t"]) : "";
      const name = pick(odd() ? NAMES : NAMES.slice(0, 5));
      const tail = rand() < 0.8 ? "" : pick(odd() ? TAILS : TAILS.slice(0, 3));
      lines.push(`${prefix}${name}=${pick(odd() ? OTHER_WORDS : PLAIN_WORDS)}${tail}`);
    }
  }
  return `${lines.join("\n")}${rand() < 0.8 ? "\n" : ""}`;
}

describe("readPlainBash", () => {
  it("reads what this tool writes exactly as bash does, without bash", () => {
    const values = ["plain", "it's", "''", "$HOME", "`id`", "a!b", "# not a comment", "*", "~", "日本語", "-leading", "a=b", "x".repeat(5000), ""];
    const entries = values.map((v, i) => [`KEY_${i}`, v] as const);
    const text = mergeEnvFile("# kept\nexport KEEP='1'\n", entries);
    const keys = ["KEEP", ...entries.map(([k]) => k), "ABSENT"];
    const plain = readPlainBash(text, keys);
    expect(plain).toBeDefined();
    expect(plain).toEqual(sourceWithBash(file(text), keys));
    expect(plain!.KEY_1).toBe("it's");
    expect(plain!.ABSENT).toBe("");
  });

  it("on generated files, whatever it reads itself bash reads the same; the rest it leaves to bash", () => {
    const rand = prng(20261128);
    const keys = ["KEY", "OTHER", "NETBIRD_X", "_k9", "lower", "ABSENT"];
    let read = 0;
    let left = 0;
    for (let i = 0; i < 300; i++) {
      const text = randomFile(rand);
      const plain = readPlainBash(text, keys);
      if (plain === undefined) {
        left += 1;
        continue;
      }
      read += 1;
      expect({ text, values: plain }).toEqual({ text, values: sourceWithBash(file(text), keys) });
    }
    // Both ways are exercised, each many times.
    expect(read).toBeGreaterThan(50);
    expect(left).toBeGreaterThan(50);
  });

  it.each([
    ["an expansion", 'KEY="$HOME"'],
    ["a tilde", "KEY=~/x"],
    ["a command", "echo hi"],
    ["a word after the value", "KEY=a b"],
    ["a carriage return", "KEY='x'\r"],
    ["a glued #", "KEY=a#b"],
    ["a name bash owns", "PATH=/x"],
    ["a line continuation", "KEY=a\\"],
    ["a value over two lines", "KEY='a\nb'"],
  ])("leaves %s to bash", (_, text) => {
    expect(readPlainBash(text, ["KEY"])).toBeUndefined();
  });

  it.each([["HOSTNAME"], ["TERM"], ["1"], ["?"], ["KEY[0]"], ["a b"], [""]])("leaves the key %j to bash: a name bash sets itself, or not a name", (key) => {
    expect(readPlainBash("KEY=1\n", ["KEY", key])).toBeUndefined();
  });

  it("agrees with bash on a key named like the reader's own variables", () => {
    const text = "k=hello\nKEY=x\n";
    expect(readPlainBash(text, ["k", "KEY"])).toEqual(sourceWithBash(file(text), ["k", "KEY"]));
    expect(readPlainBash(text, ["k"])).toEqual({ k: "hello" });
  });

  it("leaves a string with a lone surrogate to bash (no file read as UTF-8 has one)", () => {
    expect(readPlainBash("KEY='\uD800'\n", ["KEY"])).toBeUndefined();
  });
});

describe("sourceFile", () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it("reads a plain file without starting bash, and any other through bash", async () => {
    const plain = file("KEY='a b'\n");
    const other = file('KEY="$(printf x)y"\n');
    expect(await sourceFile(other, ["KEY"])).toEqual({ KEY: "xy" });
    // Without a bash to find, only the plain file can still be read.
    process.env.PATH = join(dir, "no-bash-here");
    expect(await sourceFile(plain, ["KEY"])).toEqual({ KEY: "a b" });
    await expect(sourceFile(other, ["KEY"])).rejects.toThrow(/bash `source`/);
  });

  it("a file bash cannot source is still reported by bash", async () => {
    await expect(sourceFile(file("KEY='unterminated\n"), ["KEY"])).rejects.toThrow(/Cannot read .* \(bash `source`\)/);
  });
});
