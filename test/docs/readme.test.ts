/** The README's reference tables are generated from the code; this keeps them in step. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { exitCodesTable, variablesTable } from "../../src/docs.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("documents every variable exactly as the config specs declare it", () => {
    expect(readme).toContain(`<!-- variables:start -->\n${variablesTable()}\n<!-- variables:end -->`);
  });
  it("documents every exit code", () => {
    expect(readme).toContain(`<!-- exit-codes:start -->\n${exitCodesTable()}\n<!-- exit-codes:end -->`);
  });
  it("names the two set-up commands and the test command", () => {
    expect(readme).toContain("npm ci");
    expect(readme).toContain("npm test");
  });
});
