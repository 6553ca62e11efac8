/**
 * Bundle of the entry point for the container image (`npm run bundle` → dist-bundle/main.js): the image then
 * carries no node_modules and starts faster. What only some runs need and is large is split into chunks read
 * when first imported: execa (in main.js, even unused, it cost about 4 MB of memory to parse) and what runs
 * configure.sh (src/netbird/configure.ts, artifacts.ts and jsonc-parser, which builds 1 200 strings when it is
 * evaluated). Code both sides use goes into small chunks that main.js imports.
 */
import { readFileSync, rmSync } from "node:fs";
import { build, type Plugin } from "esbuild";

/** Where the bundle goes: dist-bundle/, or the directory given (test/integration/bundle-start.test.ts). */
const OUT = process.argv[2] ?? "dist-bundle";

// Chunk names carry a hash: clear out the last build's, so the image copies only this one's.
rmSync(OUT, { recursive: true, force: true });

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };

/**
 * Built-ins a run needs only after its first request, if at all, loaded on first use instead of at start:
 * node:crypto (about 7 ms here; X.509 in verification, secrets — with an https AUTHENTIK_URL node:https loads it
 * before the first request anyway), node:fs/promises (about 3 ms; what a file output's run reads and checks
 * before its first request is done synchronously: src/output/write-atomic.ts, src/script.ts) and node:child_process (configure.sh, and bash for
 * a setup.env that is not plain assignments). src/run.ts loads crypto and fs/promises while the first request
 * is answered.
 */
const LAZY = new Set(["node:crypto", "node:child_process", "node:fs/promises"]);

/**
 * Node's built-ins as CommonJS modules to the bundle: an ES module import of a built-in builds its ES facade,
 * which reads every export — lazy ones included (node:fs's streams, for one) — about 20 ms of a 60 ms start.
 * `process.getBuiltinModule` hands over the module as it is; esbuild then reads a name only where it is used.
 * A `LAZY` one is an object of getters, one per export named at bundle time (the image bundles with the Node it
 * runs), that load it on first read.
 */
const builtinsAsCommonJs: Plugin = {
  name: "builtins-as-commonjs",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => (args.kind === "import-statement" ? { path: args.path, namespace: "builtin" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => {
      const id = JSON.stringify(args.path);
      if (!LAZY.has(args.path)) return { contents: `module.exports = process.getBuiltinModule(${id});`, loader: "js" };
      const mod = process.getBuiltinModule(args.path) as object;
      // Every own name, the non-enumerable ones (node:crypto's deprecated aliases) kept so.
      const names = JSON.stringify(Object.getOwnPropertyNames(mod).map((n) => [n, Object.getOwnPropertyDescriptor(mod, n)!.enumerable === true]));
      return {
        contents: `let m; const load = () => (m ??= process.getBuiltinModule(${id}));
const lazy = {};
for (const [name, enumerable] of ${names}) Object.defineProperty(lazy, name, { enumerable, get: () => load()[name] });
module.exports = lazy;`,
        loader: "js",
      };
    });
  },
};

/**
 * What pino loads at start for features this tool does not use, left out (about 25 of Node's internal modules,
 * 8 % of the start here): worker-thread transports (thread-stream, and node:worker_threads, which pino reads
 * only to ask whether it runs in the main thread: it always does here), and node:assert, which sonic-boom (pino's
 * file destination) calls once, to check a file descriptor: a function that throws as assert does stands in.
 */
const STAND_INS: Record<string, { from: RegExp; contents: string }> = {
  "thread-stream": { from: /[\\/]pino[\\/]/, contents: `module.exports = class { constructor() { throw new Error("pino transports are not bundled"); } };` },
  worker_threads: { from: /[\\/]pino[\\/]/, contents: `module.exports = { isMainThread: true };` },
  assert: { from: /[\\/]sonic-boom[\\/]/, contents: `module.exports = (ok, message) => { if (!ok) throw new Error(message); };` },
};
const standIns: Plugin = {
  name: "stand-ins",
  setup(b) {
    b.onResolve({ filter: /^(thread-stream|worker_threads|assert)$/ }, (args) => {
      const s = STAND_INS[args.path];
      return s && s.from.test(args.importer) ? { path: args.path, namespace: "stand-in" } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: "stand-in" }, (args) => ({ contents: STAND_INS[args.path]!.contents, loader: "js" }));
  },
};

await build({
  plugins: [builtinsAsCommonJs, standIns],
  entryPoints: ["src/main.ts"],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  // ESM builds first: jsonc-parser's "main" is a UMD build whose require() calls esbuild cannot follow.
  mainFields: ["module", "main"],
  outdir: OUT,
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
