/**
 * Runs NetBird's configure.sh (or openZro's) in its own directory with execa: its lines go to the logger
 * (secrets scrubbed, since configure.sh prints `env | grep NETBIRD`), its time is bounded, and a failure
 * becomes a ScriptError with its own exit code.
 */
import { accessSync, constants, statSync } from "node:fs";
import { basename, dirname } from "node:path";
import { ScriptError } from "./errors.ts";
import type { Logger } from "./log.ts";

/**
 * Checked before anything is touched: the script exists, is a file, and is executable. Synchronous, as the
 * output's checks: nothing else is in flight before the first request.
 */
export function checkScript(path: string): void {
  try {
    if (!statSync(path).isFile()) throw new ScriptError(`Cannot run CONFIGURE_SH '${path}': not a file`);
    accessSync(path, constants.X_OK);
  } catch (error) {
    if (error instanceof ScriptError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not executable (chmod +x)" : String(code);
    throw new ScriptError(`Cannot run CONFIGURE_SH '${path}': ${why}`, { cause: error });
  }
}

/** The environment configure.sh gets: no setting of this tool (its tokens above all), only what a shell needs. */
export function scriptEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && /^(PATH|HOME|USER|LANG|LANGUAGE|TZ|TMPDIR|LC_[A-Z]+)$/.test(k)) out[k] = v;
  }
  return out;
}

/**
 * configure.sh prints `env | grep NETBIRD` (openZro's: `env | grep OPENZRO`), including secrets it generated
 * itself (relay secret, TURN password, the datastore key, database DSNs) that this process never saw: hide the
 * value of every assignment whose name looks secret. openZro's script also prints the Dex admin password it
 * generated, on a line of its own (`    Password: <24 characters>`, infrastructure_files/configure.sh line 186).
 */
export function redactAssignment(line: string): string {
  return line
    .replace(/^(\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*(?:SECRET|PASSWORD|PASS|TOKEN|KEY|CONFIG|DSN|BCRYPT|HASH|PAT)[A-Za-z0-9_]*=).*$/i, "$1[REDACTED]")
    .replace(/^(\s*Password:\s*).+$/i, "$1[REDACTED]");
}

export async function runScript(path: string, timeoutMs: number, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = logger.child({ step: "configure.sh" });
  const started = Date.now();
  // Loaded only when a script runs (most runs have none): execa and what it loads are about 5 MB.
  const { execa } = await import("execa");
  const subprocess = execa(path, [], {
    cwd: dirname(path),
    env: scriptEnvironment(env),
    extendEnv: false,
    timeout: timeoutMs,
    forceKillAfterDelay: 5000,
    reject: false,
    all: true,
    stdin: "ignore",
    lines: false,
  });
  for await (const line of subprocess.iterable({ from: "all" })) log.info({ line: redactAssignment(String(line)) }, basename(path));
  const result = await subprocess;
  const tookMs = Date.now() - started;
  if (result.timedOut) throw new ScriptError(`configure.sh '${path}' did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped`);
  if (result.failed) {
    const why =
      result.exitCode !== undefined
        ? `exited with code ${result.exitCode}`
        : result.signal
          ? `was killed by ${result.signal}`
          : `could not be started (${result.cause instanceof Error ? result.cause.message : "unknown"})`;
    throw new ScriptError(`configure.sh '${path}' ${why} after ${tookMs} ms; its output is in the log above`);
  }
  log.info({ tookMs }, "configure.sh finished");
}
