/**
 * The tool's version: package.json's. The image's bundle has it written in at build time (scripts/bundle.ts
 * defines `__VERSION__`); the tsc build and the sources read package.json beside `dist/` or `src/`. The
 * Dockerfile's `ARG VERSION` (the image label) defaults to the same value, and a test keeps the two equal.
 */
import { readFileSync } from "node:fs";

declare const __VERSION__: string | undefined;

function fromPackageJson(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

export const VERSION: string = typeof __VERSION__ === "string" ? __VERSION__ : fromPackageJson();
