/**
 * Vitest globalSetup (and `npm run bench`'s first step): every temporary directory the tests make (through `os.tmpdir()`, which reads TMPDIR) goes
 * under one directory of this run's own, removed when the run ends, so runs on one machine do not pile up.
 * The workers are started after this runs and inherit the variable. A run that is killed leaves its directory;
 * `.ci/run` removes those a day old.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  // The fake's caches (its parsed schemas, its key pair) are meant to outlive a run: they stay where they were.
  process.env.FAKE_AK_CACHE_DIR ??= tmpdir();
  const dir = mkdtempSync(join(tmpdir(), "akb-run-"));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
