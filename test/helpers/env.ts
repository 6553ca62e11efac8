/** A complete, valid environment for the tool against a fake authentik. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const TOKEN = "test-bootstrap-token-0123456789abcdefghijklmnopqrstuvwxyz";

export function tempDir(prefix = "akb-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function baseEnv(url: string, outputDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AUTHENTIK_URL: url,
    AUTHENTIK_TOKEN: TOKEN,
    NETBIRD_DOMAIN: "netbird.example.com",
    OUTPUT_DIR: outputDir,
    WAIT_TIMEOUT: "20",
    LOG_LEVEL: "debug",
    ...extra,
  };
}
