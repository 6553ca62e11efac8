import { pino, type Logger, type DestinationStream } from "pino";
import { scrub } from "./secrets.ts";

export type { Logger };

/** Field names whose values are secrets wherever they appear in a log object. */
const SECRET_KEYS = ["token", "key", "password", "client_secret", "clientSecret", "appPassword", "secret", "authorization", "Authorization"];

const REDACT_PATHS = [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`), ...SECRET_KEYS.map((k) => `*.*.${k}`)];

/**
 * JSON lines to `destination` (main.ts: stderr), no transports (a one-shot container must not lose lines at exit).
 * Secrets are removed twice: by key (pino's redact) and by value (every registered secret is scrubbed from
 * the final line).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
      hooks: { streamWrite: (line: string) => scrub(line) },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
