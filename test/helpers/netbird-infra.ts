/** NetBird's real infrastructure_files (configure.sh and its templates) from ../shared, copied per test. */
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./env.ts";

export const INFRA = fileURLToPath(new URL("../../../shared/netbird/infrastructure_files/", import.meta.url));

/**
 * A copy of its own (configure.sh writes artifacts/ beside itself), with a setup.env whose IP keeps configure.sh
 * from asking jsonip.com (no internet here) — a key the tool does not own.
 */
export function copyInfra(setupEnv = "NETBIRD_TURN_EXTERNAL_IP='203.0.113.7'\n"): string {
  const dir = join(tempDir("netbird-"), "infrastructure_files");
  cpSync(INFRA, dir, { recursive: true });
  writeFileSync(join(dir, "setup.env"), setupEnv);
  return dir;
}
