/** Files in OUTPUT_DIR: the stamp that tells whether a reading is still the file's. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileOutput } from "../../../src/output/output.ts";
import { writeFileAtomic } from "../../../src/output/write-atomic.ts";
import { tempDir } from "../../helpers/env.ts";

describe("fileOutput.stamp", () => {
  it("is the same while the file is untouched, changes with every write (atomic or in place), and is undefined without a file", async () => {
    const dir = tempDir();
    const path = join(dir, "setup.env");
    const output = fileOutput(dir);
    expect(await output.stamp(path)).toBeUndefined();
    writeFileSync(path, "A=1\n");
    const first = await output.stamp(path);
    expect(first).toBeDefined();
    expect(await output.stamp(path)).toBe(first);
    // The same content written again atomically: a new file under the name.
    await writeFileAtomic(path, "A=2\n");
    const second = await output.stamp(path);
    expect(second).not.toBe(first);
    writeFileSync(path, "A=3\n");
    expect(await output.stamp(path)).not.toBe(second);
  });
});
