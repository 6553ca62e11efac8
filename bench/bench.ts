/**
 * `npm run bench`: a report, not a test. Runs the real entry point against the fake authentik with a fixed
 * latency per request and prints one table: requests, writes, wall time after readiness and its ratio to the
 * floor (sequential dependency depth × latency), readiness lag, cold start, peak RSS, and (if Docker is
 * available) the image's layer size over its base. Numbers are from one run on this machine.
 */
import { execFileSync, spawn } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { startFakeAuthentik, type FakeAuthentik } from "../test/fake-authentik/index.ts";
import { baseEnv, tempDir, TOKEN } from "../test/helpers/env.ts";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const BUNDLE = fileURLToPath(new URL("../dist-bundle/main.js", import.meta.url));
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 20);

/**
 * Minimal sequential depth after readiness (requests that must wait for an earlier answer), from the object
 * graph: fresh = observe (user → its token, key and retired tokens: 2; the rest in parallel) + apply
 * (provider → application; service account → membership; flow → brand: 2) + verify (discovery → JWKS →
 * certificate, or token → API call: 3). No-op = observe (2) + verify (3).
 */
const FLOOR_DEPTH = { fresh: 2 + 2 + 3, noop: 2 + 3 };

interface Measured {
  wallMs: number;
  startToFirstRequestMs: number;
  afterReadyMs: number;
  requests: number;
  writes: number;
  peakRssMb: number;
  code: number;
}

function runOnce(fake: FakeAuthentik, out: string, extra: Record<string, string> = {}, entry = MAIN): Promise<Measured> {
  fake.resetLog();
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry], {
      env: { PATH: process.env.PATH, ...baseEnv(fake.url, out, { LOG_LEVEL: "warn", ...extra }) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const ended = Date.now();
      const { summary } = JSON.parse(stdout.trim().split("\n").at(-1)!) as { summary: { peakRssMb: number } };
      const log = fake.log;
      const firstAt = log[0]?.at ?? ended;
      // Readiness ends with the last default-object lookup before the first observe request: the first
      // request for our own objects marks the start of the real work.
      const workStart = log.find((r) => /\/providers\/oauth2\/|\/core\/applications\/netbird/.test(r.path))?.at ?? firstAt;
      resolve({
        wallMs: ended - started,
        startToFirstRequestMs: firstAt - started,
        afterReadyMs: ended - workStart,
        requests: log.length,
        writes: fake.writes().length,
        peakRssMb: summary.peakRssMb,
        code: code ?? -1,
      });
    });
  });
}

async function readinessLag(): Promise<number> {
  await using fake = await startFakeAuthentik({
    bootstrapToken: TOKEN,
    latencyMs: LATENCY,
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
    const history = execFileSync("docker", ["history", "--no-trunc", "--format", "{{.Size}}\t{{.CreatedBy}}", "authentik-bootstrap:test"], { encoding: "utf8" });
    const base = execFileSync("docker", ["image", "inspect", "--format", "{{.Size}}", "node:24-bookworm-slim"], { encoding: "utf8" }).trim();
    const image = execFileSync("docker", ["image", "inspect", "--format", "{{.Size}}", "authentik-bootstrap:test"], { encoding: "utf8" }).trim();
    void history;
    return `${((Number(image) - Number(base)) / 1e6).toFixed(1)} MB over node:24-bookworm-slim`;
  } catch {
    return "n/a (build the image first: docker build --network host -t authentik-bootstrap:test .)";
  }
}

async function main(): Promise<void> {
  const rows: string[][] = [];
  await using fake = await startFakeAuthentik({ bootstrapToken: TOKEN, latencyMs: LATENCY });
  const out = tempDir();
  const fresh = await runOnce(fake, out);
  const noop = await runOnce(fake, out);
  const floorFresh = FLOOR_DEPTH.fresh * LATENCY;
  const floorNoop = FLOOR_DEPTH.noop * LATENCY;
  rows.push([
    "fresh run",
    String(fresh.requests),
    String(fresh.writes),
    `${fresh.afterReadyMs} ms`,
    `${floorFresh} ms`,
    (fresh.afterReadyMs / floorFresh).toFixed(2),
    `${fresh.peakRssMb} MB`,
  ]);
  rows.push([
    "no-op run",
    String(noop.requests),
    String(noop.writes),
    `${noop.afterReadyMs} ms`,
    `${floorNoop} ms`,
    (noop.afterReadyMs / floorNoop).toFixed(2),
    `${noop.peakRssMb} MB`,
  ]);
  const lag = await readinessLag();
  const cold = await runOnce(fake, out, { VERIFY: "false" });
  const coldBundle = await runOnce(fake, out, { VERIFY: "false" }, BUNDLE);

  const table = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}; latency ${LATENCY} ms per request`,
    "",
    "| Run | Requests | Writes | Wall after readiness | Floor (depth × latency) | Ratio | Peak RSS |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
    `| Readiness lag (authentik ready → first write) | ${Number.isNaN(lag) ? "n/a" : `${lag} ms`} |`,
    `| Cold start (process start → first request): tsc output with node_modules | ${cold.startToFirstRequestMs} ms |`,
    `| Cold start (process start → first request): the image's one-file bundle | ${coldBundle.startToFirstRequestMs} ms |`,
    `| Image layers over the base | ${imageSize()} |`,
  ].join("\n");
  process.stdout.write(`${table}\n`);
}

await main();
