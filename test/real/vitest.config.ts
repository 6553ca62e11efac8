/**
 * The real-authentik suite only (`npm run test:real`): its own config so that `npm test` never picks it up.
 * Each scenario runs the tool up to four times, each run bounded at 120 s by the runner.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: fileURLToPath(new URL("../../", import.meta.url)),
    include: ["test/real/**/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    fileParallelism: false,
    unstubEnvs: true,
    restoreMocks: true,
    reporters: ["default"],
  },
});
