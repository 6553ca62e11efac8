/**
 * Bundle of the entry point for the container image (`npm run bundle` → dist-bundle/main.js): the image then
 * carries no node_modules and starts faster. What only some runs need and is large is split into a chunk that
 * is read when first imported (execa, for configure.sh): in main.js, even unused, it costs about 4 MB of memory
 * to parse.
 */
import { readFileSync, rmSync } from "node:fs";
import { build } from "esbuild";

// Chunk names carry a hash: clear out the last build's, so the image copies only this one's.
rmSync("dist-bundle", { recursive: true, force: true });

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };

await build({
  entryPoints: ["src/main.ts"],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  // ESM builds first: jsonc-parser's "main" is a UMD build whose require() calls esbuild cannot follow.
  mainFields: ["module", "main"],
  outdir: "dist-bundle",
  entryNames: "[name]",
  chunkNames: "chunks/[name]-[hash]",
  splitting: true,
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
