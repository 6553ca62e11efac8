/**
 * The few error classes of the tool and the exit codes they map to. Every message names the object, the
 * operation and the reason; none may contain a secret (callers pass bodies through `redact` first).
 */

export const EXIT_CODES = {
  success: 0,
  internal: 1,
  changesPending: 2,
  config: 3,
  notReady: 4,
  auth: 5,
  api: 6,
  conflict: 7,
  output: 8,
  script: 9,
  verify: 10,
  consumer: 11,
} as const;

export type ExitReason = keyof typeof EXIT_CODES;

/** What each exit code means, for `--help` and the README (a test checks the README against it). */
export const EXIT_CODE_DOCS: Record<ExitReason, string> = {
  success: "Success: authentik and the output file match the configuration (plan mode: nothing to change).",
  internal: "Unexpected internal error (a bug: please report it with the log).",
  changesPending: "Plan mode only: changes are pending; nothing was written.",
  config: "Bad configuration: every problem is listed; nothing was contacted or written.",
  notReady: "authentik was not ready in time: the message names the stage that never passed and its last error.",
  auth: "authentik refused the API token or its permissions (403).",
  api: "authentik answered a request with an error (4xx/5xx) or not at all.",
  conflict: "An object with one of our names exists but cannot be adopted; the message says what to rename or remove.",
  output:
    "The output could not be written: the file (directory missing, not writable, disk full) or the Kubernetes Secret (the API server unreachable, the token or the Role refused, another writer changing it all the time); the message names the operation and why.",
  script: "configure.sh failed, timed out or could not be started.",
  verify: "Provisioning finished but a consumer-side check failed (discovery, issuer, JWKS, token grant, device code or the output file); each failure names the cause.",
  consumer:
    "The consumer's own API (NetBird management) refused a request or did not answer; the message says which and why (an expired or unknown personal access token, a refused setup, …).",
};

export abstract class BootstrapError extends Error {
  abstract readonly exit: ExitReason;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ConfigError extends BootstrapError {
  readonly exit = "config";
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`);
    this.problems = problems;
  }
}

export class NotReadyError extends BootstrapError {
  readonly exit = "notReady";
  readonly stage: string;
  /** What to check, also at the end of the message (the readable log format prints it on a line of its own). */
  readonly hint: string;
  constructor(stage: string, waitedMs: number, lastError: string, hint: string) {
    super(`authentik was not ready after ${Math.round(waitedMs / 1000)} s: stage '${stage}' never passed. Last error: ${lastError}. ${hint}`);
    this.stage = stage;
    this.hint = hint;
  }
}

/** An HTTP error from authentik; `status` 0 means no HTTP answer (connection error or timeout). */
export class ApiError extends BootstrapError {
  readonly exit: ExitReason;
  readonly status: number;
  /** An earlier attempt of the same call failed in transit: a 400 may then answer a write that did happen. */
  readonly retried: boolean;
  constructor(operation: string, status: number, detail: string, options?: { cause?: unknown; retried?: boolean }) {
    super(`Cannot ${operation}: ${status === 0 ? "" : `${status} `}${detail}`, options);
    this.status = status;
    this.retried = options?.retried ?? false;
    this.exit = status === 401 || status === 403 ? "auth" : "api";
  }
}

/** An error from a consumer's own API (NetBird management); `status` 0 means no HTTP answer. */
export class ConsumerApiError extends BootstrapError {
  readonly exit = "consumer";
  readonly status: number;
  constructor(operation: string, status: number, detail: string, options?: { cause?: unknown }) {
    super(`Cannot ${operation}: ${status === 0 ? "" : `${status} `}${detail}`, options);
    this.status = status;
  }
}

export class ConflictError extends BootstrapError {
  readonly exit = "conflict";
}

export class OutputError extends BootstrapError {
  readonly exit = "output";
}

export class ScriptError extends BootstrapError {
  readonly exit = "script";
}

/** Checks of the result that failed, each with what the consumer would see. */
export class VerifyError extends BootstrapError {
  readonly exit = "verify";
  readonly failed: readonly { check: string; message: string }[];
  constructor(failed: readonly { check: string; message: string }[]) {
    super(`Verification failed (${failed.length} check${failed.length === 1 ? "" : "s"}):\n  - ${failed.map((f) => `${f.check}: ${f.message}`).join("\n  - ")}`);
    this.failed = failed;
  }
}

export function exitCodeOf(error: unknown): number {
  return error instanceof BootstrapError ? EXIT_CODES[error.exit] : EXIT_CODES.internal;
}
