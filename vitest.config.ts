import { defineConfig } from "vitest/config";

/**
 * Three projects, quickest first: `unit` (pure code, the README's generated tables; seconds), `integration`
 * (whole runs over HTTP against the fakes, the real configure.sh, crash and fault injection; minutes) and
 * `e2e` (the built image in Docker and the compose example). `npm run test:unit` etc. run one of them.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    unstubEnvs: true,
    // testcontainers' reaper image cannot be pulled here; tests clean up after themselves.
    env: { TESTCONTAINERS_RYUK_DISABLED: "true" },
    restoreMocks: true,
    globalSetup: ["test/helpers/run-tmpdir.ts"],
    reporters: ["default", "json"],
    outputFile: { json: "reports/vitest.json" },
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts", "test/docs/**/*.test.ts"] } },
      {
        extends: true,
        test: { name: "integration", include: ["test/integration/**/*.test.ts", "test/reliability/**/*.test.ts", "test/fake-*/**/*.test.ts"] },
      },
      // The image tests build and start containers: on a loaded 2-core machine one can take minutes.
      { extends: true, test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], testTimeout: 300_000, hookTimeout: 600_000 } },
    ],
  },
});
