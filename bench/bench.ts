/**
 * `npm run bench`: a report, not a test. Runs the image's one-file bundle against the fake authentik with a fixed
 * latency per request and prints one table: requests, writes, wall time after readiness and its ratio to the
 * floor (sequential dependency depth × latency) and the part of that wall when no request was in flight (the
 * tool's own work between answers, and its exit: what the fake's own time per answer does not inflate), readiness
 * lag, cold start (and, beside it, a bare Node process's: the floor of that measurement here), peak RSS, and (if
 * Docker is available) the image's layer size over its base. The same bare process, which exits as the tool does
 * once its one answer is in, gives what any Node process costs a run beyond its round trips here (the fake's time
 * for an answer, the exit): a second ratio adds it to the floor. Numbers are from one run on this machine, but
 * for the cold starts, which vary most: those print the first and the median of several. The bundle runs as the
 * image runs it, with its compile cache.
 *
 * Peak RSS is measured from outside the process: the kernel's high-water mark of the child, from wait4's rusage
 * (GNU time) where it is installed, else sampled from /proc/<pid>/status (VmHWM) every few milliseconds. The fake
 * runs without its per-response schema check (the tests keep it on) and is warmed up first (`warmUp`): the bench
 * measures the tool, not the fake.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeAuthentik, type FakeAuthentik } from "../test/fake-authentik/index.ts";
import { baseEnv, tempDir, TOKEN } from "../test/helpers/env.ts";
import runTmpdir from "../test/helpers/run-tmpdir.ts";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const BUNDLE = fileURLToPath(new URL("../dist-bundle/main.js", import.meta.url));
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 20);
/** GNU time: reports the child's ru_maxrss (wait4), the kernel's own peak. */
const GNU_TIME = "/usr/bin/time";

/**
 * Minimal sequential depth after readiness (requests that must wait for an earlier answer), from the object
 * graph: fresh = observe (providers of every type, the application, the account, side by side: 1; the role and
 * its group, from 2024.6, are not looked for on a first run) + apply (role → its permissions → its group, made with the account in it: 3; provider →
 * application; flow → brand) + verify (discovery, with NetBird's token request, JWKS and brand beside it → the API
 * calls with that token, the user list and the admin call refused: 2). No-op = observe (the account's app passwords → NetBird's login with the key in
 * setup.env, which proves it; group → its role's permissions: 2) + verify (the user list with that login's token:
 * 1; discovery, JWKS and brand went out beside observation).
 */
const FLOOR_DEPTH = { fresh: 1 + 3 + 2, noop: 2 + 1 };

/** Cold starts measured, the bundle's and a bare Node process's in turns. */
const STARTS = 9;

const median = (a: readonly number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

/** What readiness asks (src/authentik/wait.ts) with role access, as the bench runs: the health routes, the version, the default objects, the brands. */
const READINESS = /^\/-\/health\/|^\/api\/v3\/(admin\/version|flows\/instances|propertymappings\/(provider\/)?scope|crypto\/certificatekeypairs|core\/brands)\/$/;

interface Measured {
  wallMs: number;
  startToFirstRequestMs: number;
  afterReadyMs: number;
  /** Of afterReadyMs, the time no request was in flight: the tool's own work between answers, and its exit. */
  aloneMs: number;
  requests: number;
  writes: number;
  peakRssMb: number;
  code: number;
}

/** The peak RSS of `pid` so far (VmHWM), in kB; 0 once it is gone. */
function highWaterKb(pid: number | undefined): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * Everything this run writes — the outputs, the compile cache, GNU time's reports — goes into one directory of
 * its own, removed at the end: the tests' set-up (TMPDIR), which keeps the fake's caches where they are.
 */
const removeRunDir = runTmpdir();

/**
 * The bundle runs as in the image: with V8's compile cache of its start made beforehand (Dockerfile,
 * NODE_COMPILE_CACHE), here in a directory of this run's own.
 */
const COMPILE_CACHE = mkdtempSync(join(tmpdir(), "akb-compile-cache-"));
execFileSync(process.execPath, [BUNDLE, "--version"], { env: { PATH: process.env.PATH, NODE_COMPILE_CACHE: COMPILE_CACHE }, stdio: "ignore" });

function runOnce(fake: FakeAuthentik, out: string, extra: Record<string, string> = {}, entry = BUNDLE): Promise<Measured> {
  fake.resetLog();
  const rusageDir = mkdtempSync(join(tmpdir(), "akb-bench-"));
  const rusageFile = join(rusageDir, "maxrss");
  const wrapped = existsSync(GNU_TIME);
  const [command, args] = wrapped ? [GNU_TIME, ["-f", "%M", "-o", rusageFile, process.execPath, entry]] : [process.execPath, [entry]];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { PATH: process.env.PATH, ...(entry === BUNDLE ? { NODE_COMPILE_CACHE: COMPILE_CACHE } : {}), ...baseEnv(fake.url, out, { LOG_LEVEL: "warn", ...extra }) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let sampledKb = 0;
    const sampler = wrapped ? undefined : setInterval(() => (sampledKb = Math.max(sampledKb, highWaterKb(child.pid))), 2);
    child.stdout.on("data", () => undefined);
    child.on("error", reject);
    child.on("close", (code) => {
      const ended = Date.now();
      clearInterval(sampler);
      const peakKb = wrapped ? Number(readFileSync(rusageFile, "utf8").trim().split("\n").at(-1)) : sampledKb;
      rmSync(rusageDir, { recursive: true, force: true });
      const log = fake.log;
      const firstAt = log[0]?.at ?? ended;
      // The first request that is not readiness's marks the start of the real work.
      const workStart = log.find((r) => !READINESS.test(r.path))?.at ?? firstAt;
      resolve({
        wallMs: ended - started,
        startToFirstRequestMs: firstAt - started,
        afterReadyMs: ended - workStart,
        aloneMs: ended - workStart - inFlightMs(log, workStart, ended),
        requests: log.length,
        writes: fake.writes().length,
        peakRssMb: Math.round(peakKb / 1024),
        code: code ?? -1,
      });
    });
  });
}

/** How long, between `from` and `to`, at least one request was in flight (arrived at the fake, not yet answered). */
function inFlightMs(log: readonly { at: number; answeredAt?: number | undefined }[], from: number, to: number): number {
  const spans = log
    .filter((r) => r.at >= from)
    .map((r) => [r.at, Math.min(r.answeredAt ?? to, to)] as const)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = from;
  for (const [a, b] of spans) {
    if (b > Math.max(a, end)) total += b - Math.max(a, end);
    end = Math.max(end, b);
  }
  return total;
}

async function readinessLag(): Promise<number> {
  await using fake = await startFakeAuthentik({
    bootstrapToken: TOKEN,
    latencyMs: LATENCY,
    validateResponses: false,
    timeline: { startingMs: 1500, tokenRejectedMs: 1500, flowsMs: 300, mappingsMs: 300, certificateMs: 300, brandMs: 300 },
  });
  const out = tempDir();
  const run = runOnce(fake, out);
  await fake.ready();
  const readyAt = Date.now();
  await run;
  const firstWrite = fake.writes()[0];
  return firstWrite ? firstWrite.at - readyAt : Number.NaN;
}

function imageSize(): string {
  try {
    const inspect = (name: string) => execFileSync("docker", ["image", "inspect", "--format", "{{.Size}}", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const base = inspect("node:24-bookworm-slim");
    const image = inspect("authentik-bootstrap:test");
    return `${((Number(image) - Number(base)) / 1e6).toFixed(1)} MB over node:24-bookworm-slim`;
  } catch {
    return "n/a (build the image first: docker build --network host -t authentik-bootstrap:test .)";
  }
}

/**
 * One unmeasured run against a fake of its own first: the fake (in this process) compiles its validators and
 * warms up on its first requests of each kind, 20 ms and more each, which would otherwise land in the measured
 * fresh run.
 */
async function warmUp(): Promise<void> {
  await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, validateResponses: false });
  await runOnce(fake, tempDir());
}

async function main(): Promise<void> {
  const rows: string[][] = [];
  await warmUp();
  await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, latencyMs: LATENCY, validateResponses: false });
  const out = tempDir();
  const fresh = await runOnce(fake, out);
  const noop = await runOnce(fake, out);
  const lag = await readinessLag();
  const cold = await runOnce(fake, out, { VERIFY: "false" }, MAIN);
  // The floor of two measurements on this machine: a Node process that sends one request as soon as it runs (its
  // cold start), and exits as the tool does once the answer is in (what a run costs beyond its round trips when
  // the process itself does nothing: the fake's own time for one answer, the process's exit).
  const bare = join(COMPILE_CACHE, "bare.mjs");
  writeFileSync(
    bare,
    `process.getBuiltinModule("node:http").get(process.env.AUTHENTIK_URL + "/-/health/live/", (r) => r.resume().on("end", () => process.stdout.write("", () => process.exit(0))));\n`,
  );
  // Starts vary by tens of milliseconds from one to the next on a shared machine: the bundle's and the bare
  // process's, taken in turns, each reported as its first and as the median of all.
  const starts = { bundle: [] as number[], bare: [] as number[], bareShare: [] as number[] };
  for (let i = 0; i < STARTS; i++) {
    starts.bundle.push((await runOnce(fake, out, { VERIFY: "false" })).startToFirstRequestMs);
    const b = await runOnce(fake, out, {}, bare);
    starts.bare.push(b.startToFirstRequestMs);
    starts.bareShare.push(b.afterReadyMs - LATENCY);
  }
  const bareShare = median(starts.bareShare);
  const startsOf = (a: readonly number[]) => `${a[0]} ms (median of ${a.length}: ${median(a)} ms, ${Math.min(...a)}–${Math.max(...a)})`;
  for (const [name, m, depth] of [
    ["fresh run", fresh, FLOOR_DEPTH.fresh],
    ["no-op run", noop, FLOOR_DEPTH.noop],
  ] as const) {
    const floor = depth * LATENCY;
    rows.push([
      name,
      String(m.requests),
      String(m.writes),
      `${m.afterReadyMs} ms`,
      `${floor} ms`,
      (m.afterReadyMs / floor).toFixed(2),
      `${m.aloneMs} ms`,
      `${(m.afterReadyMs / (floor + bareShare)).toFixed(2)}`,
      `${m.peakRssMb} MB`,
    ]);
  }

  const table = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}; latency ${LATENCY} ms per request; the image's bundle; peak RSS ${existsSync(GNU_TIME) ? "from wait4 (GNU time)" : "sampled from /proc (VmHWM)"}`,
    "",
    `| Run | Requests | Writes | Wall after readiness | Floor (depth × latency) | Ratio | Of it, no request in flight | Ratio to floor + ${bareShare} ms (a bare Node process's share) | Peak RSS |`,
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
    `| Readiness lag (authentik ready → first write) | ${Number.isNaN(lag) ? "n/a" : `${lag} ms`} |`,
    `| Cold start (process start → first request): tsc output with node_modules | ${cold.startToFirstRequestMs} ms |`,
    `| Cold start (process start → first request): the image's bundle | ${startsOf(starts.bundle)} |`,
    `| Cold start of a bare Node process that sends one request at once (this measurement's floor here) | ${startsOf(starts.bare)} |`,
    `| A bare Node process's share of a run: its first request to its exit, beyond the latency (the fake's time for one answer, the exit; median of ${STARTS}) | ${bareShare} ms |`,
    `| Image layers over the base | ${imageSize()} |`,
  ].join("\n");
  process.stdout.write(`${table}\n`);
}

try {
  await main();
} finally {
  removeRunDir();
}
