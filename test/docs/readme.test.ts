/** The README's reference tables are generated from the code; this keeps them in step. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generatedSections } from "../../scripts/readme-tables.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("documents every variable and every exit code exactly as the code declares them (npm run docs)", async () => {
    const sections = await generatedSections();
    expect(sections.map((s) => s.name)).toEqual(["variables", "exit-codes", "tool-permissions"]);
    for (const { block } of sections) expect(readme).toContain(block);
  });
  it("names the two set-up commands and the test command", () => {
    expect(readme).toContain("npm ci");
    expect(readme).toContain("npm test");
  });
});
