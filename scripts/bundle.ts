/**
 * One-file bundle of the entry point for the container image (`npm run bundle` → dist-bundle/main.js): the
 * image then carries no node_modules (the generated API client alone is ~38 MB unpacked) and starts faster.
 */
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };

await build({
  entryPoints: ["src/main.ts"],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  // ESM builds first: jsonc-parser's "main" is a UMD build whose require() calls esbuild cannot follow.
  mainFields: ["module", "main"],
  outfile: "dist-bundle/main.js",
  minify: true,
  // Error classes name themselves after their class (`ConfigError`…): keep the names minification would mangle.
  keepNames: true,
  sourcemap: false,
  legalComments: "external",
  // CommonJS dependencies call require() for Node built-ins; give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // `--version` (src/version.ts): package.json's version, written in, as the bundle runs without package.json.
  define: { __VERSION__: JSON.stringify(version) },
  logLevel: "warning",
});
