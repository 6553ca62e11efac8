/**
 * The image's bundle (scripts/bundle.ts) keeps off a run's start what it does not need before its first request:
 * the built-ins it loads on first use (node:crypto, node:fs/promises, node:child_process) and the chunks read on
 * demand (configure.sh's code, execa). Traced from inside the process: a hook preloaded with `--import` records
 * each built-in the bundle asks for (`process.getBuiltinModule`), each chunk it resolves, and each request.
 * Counts and order only, no times.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { startFakeAuthentik } from "../fake-authentik/index.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { ROOT } from "../helpers/images.ts";
import { copyInfra } from "../helpers/netbird-infra.ts";
import { runMain } from "../helpers/run-main.ts";

const HOOK = `import { registerHooks } from "node:module";
import { writeSync } from "node:fs";
const trace = (what) => writeSync(2, "TRACE " + what + "\\n");
const builtin = process.getBuiltinModule;
process.getBuiltinModule = (id) => (trace("builtin " + id), builtin(id));
const http = builtin("node:http");
const request = http.request;
http.request = function (...args) { trace("request"); return request.apply(this, args); };
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    if (resolved.url.includes("/chunks/")) trace("chunk " + resolved.url.slice(resolved.url.lastIndexOf("/") + 1).replace(/-[A-Z0-9]+\\.js$/, ""));
    return resolved;
  },
});
`;

const LAZY = ["builtin node:crypto", "builtin node:fs/promises", "builtin node:child_process"];
const ON_DEMAND = ["chunk configure", "chunk execa"];

let entry = "";
let hook = "";

beforeAll(() => {
  const dir = tempDir("akb-bundle-");
  execFileSync(process.execPath, ["scripts/bundle.ts", join(dir, "dist")], { cwd: ROOT, stdio: "ignore" });
  entry = join(dir, "dist", "main.js");
  hook = join(dir, "trace.mjs");
  writeFileSync(hook, HOOK);
}, 60_000);

/** The traced events of a run, split at its first request. */
function traced(stderr: string): { before: string[]; after: string[] } {
  const events = stderr.split("\n").flatMap((l) => (l.startsWith("TRACE ") ? [l.slice(6)] : []));
  const first = events.indexOf("request");
  expect(first, "the run sent a request").toBeGreaterThan(0);
  return { before: events.slice(0, first), after: events.slice(first) };
}

describe("the image's bundle: what a run loads before its first request", () => {
  it("with the default settings: no lazy built-in, no chunk read on demand; crypto and fs/promises come while the first request is answered", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const result = await runMain(baseEnv(fake.url, tempDir()), [], { entry, nodeArgs: ["--import", hook] });
    expect(result.summary.error?.message).toBeUndefined();
    expect(result.code).toBe(0);
    const { before, after } = traced(result.stderr);
    expect(before.filter((e) => LAZY.includes(e) || ON_DEMAND.some((c) => e.startsWith(c)))).toEqual([]);
    // The chunks main.js imports are resolved at start: the trace sees them (it would see the others too).
    expect(before.some((e) => e.startsWith("chunk chunk"))).toBe(true);
    expect(after).toEqual(expect.arrayContaining(["builtin node:crypto", "builtin node:fs/promises"]));
    expect(after.filter((e) => ON_DEMAND.some((c) => e.startsWith(c)))).toEqual([]);
  });

  it("with CONFIGURE_SH: the script is checked without fs/promises; configure.sh's chunk and execa are read when it runs", async () => {
    await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const infra = copyInfra();
    const env = baseEnv(fake.url, infra, { CONFIGURE_SH: join(infra, "configure.sh"), CONFIGURE_TIMEOUT: "60" });
    const result = await runMain(env, [], { entry, nodeArgs: ["--import", hook] });
    expect(result.summary.error?.message).toBeUndefined();
    expect(result.code).toBe(0);
    expect(result.summary.configureSh).toMatchObject({ action: "generated" });
    const { before, after } = traced(result.stderr);
    expect(before.filter((e) => LAZY.includes(e) || ON_DEMAND.some((c) => e.startsWith(c)))).toEqual([]);
    expect(after).toEqual(expect.arrayContaining(["chunk configure", "chunk execa", "builtin node:child_process"]));
  });
});
