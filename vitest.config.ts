import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/.git/**", "test/real/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    unstubEnvs: true,
    // testcontainers' reaper image cannot be pulled here; tests clean up after themselves.
    env: { TESTCONTAINERS_RYUK_DISABLED: "true" },
    restoreMocks: true,
    reporters: ["default", "json"],
    outputFile: { json: "reports/vitest.json" },
  },
});
