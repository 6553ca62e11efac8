/**
 * Every secret value the run has seen (API token, app passwords, client secrets). The logger and the final
 * error message pass their text through `scrub`, so a secret that slips into a message or an error body is
 * still never printed.
 */
const known = new Set<string>();

export const REDACTED = "[REDACTED]";

export function registerSecret(value: string | undefined | null): void {
  // Very short values would blank out ordinary words; authentik's secrets are 40+ characters.
  if (value && value.length >= 8) known.add(value);
}

export function scrub(text: string): string {
  let out = text;
  for (const secret of known) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** For tests: forget everything registered so far. */
export function forgetSecrets(): void {
  known.clear();
}
