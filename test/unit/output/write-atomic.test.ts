import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { OutputError } from "../../../src/errors.ts";
import { checkWritableDir, writeFileAtomic } from "../../../src/output/write-atomic.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "atomic-"));

describe("writeFileAtomic", () => {
  it("writes mode 0600, does not rewrite identical content, replaces by rename, leaves no temp files", async () => {
    const dir = tmp();
    const file = join(dir, "setup.env");
    expect(await writeFileAtomic(file, "A=1\n")).toBe(true);
    const first = statSync(file);
    expect(first.mode & 0o777).toBe(0o600);
    expect(await writeFileAtomic(file, "A=1\n")).toBe(false);
    expect(statSync(file).ino).toBe(first.ino);
    expect(await writeFileAtomic(file, "A=2\n")).toBe(true);
    expect(statSync(file).ino).not.toBe(first.ino);
    expect(readFileSync(file, "utf8")).toBe("A=2\n");
    expect(readdirSync(dir)).toEqual(["setup.env"]);
  });

  it("fixes the mode of an identical file, and writes through a symlink to the real file", async () => {
    const dir = tmp();
    const real = join(dir, "real.env");
    writeFileSync(real, "A=1\n");
    chmodSync(real, 0o644);
    expect(await writeFileAtomic(real, "A=1\n")).toBe(true);
    expect(statSync(real).mode & 0o777).toBe(0o600);
    const link = join(dir, "link.env");
    symlinkSync(real, link);
    await writeFileAtomic(link, "B=2\n");
    expect(readFileSync(real, "utf8")).toBe("B=2\n");
  });

  it("names the path when the target cannot be written (a directory in its place)", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "setup.env"));
    await expect(writeFileAtomic(join(dir, "setup.env"), "A=1\n")).rejects.toThrow(OutputError);
    await expect(writeFileAtomic(join(dir, "setup.env"), "A=1\n")).rejects.toThrow(/setup\.env/);
  });
});

describe("checkWritableDir", () => {
  it.each([
    ["missing", (d: string) => join(d, "nope"), "does not exist"],
    ["a file", (d: string) => (writeFileSync(join(d, "f"), ""), join(d, "f")), "is not a directory"],
  ])("refuses a %s OUTPUT_DIR", (_n, make, message) => {
    expect(() => checkWritableDir(make(tmp()))).toThrow(message);
  });
  it("accepts a writable directory and leaves nothing behind", () => {
    const dir = tmp();
    checkWritableDir(dir);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("a temporary name someone else holds", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });
  // Math.random names the probe and the temporary file: fixed here, the name is known in advance.
  const suffix = `${process.pid}-${(0.5).toString(36).slice(2, 10)}`;

  it("is refused, and left as it was, by the probe and by the write", async () => {
    const dir = tmp();
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    writeFileSync(join(dir, `.probe-${suffix}`), "theirs");
    writeFileSync(join(dir, `.out.env.tmp-${suffix}`), "theirs too");
    expect(() => checkWritableDir(dir)).toThrow(/EEXIST/);
    await expect(writeFileAtomic(join(dir, "out.env"), "A=1\n")).rejects.toThrow(/EEXIST/);
    expect(readFileSync(join(dir, `.probe-${suffix}`), "utf8")).toBe("theirs");
    expect(readFileSync(join(dir, `.out.env.tmp-${suffix}`), "utf8")).toBe("theirs too");
  });
});
