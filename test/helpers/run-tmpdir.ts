/**
 * Vitest globalSetup: every temporary directory the tests make (through `os.tmpdir()`, which reads TMPDIR) goes
 * under one directory of this run's own, removed when the run ends, so runs on one machine do not pile up.
 * The workers are started after this runs and inherit the variable.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "akb-run-"));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
