/**
 * `npm start`: the main job in one command, on a fresh clone after `npm ci`, with nothing configured.
 *
 * Starts the project's STAND-IN of authentik (test/fake-authentik: an in-memory imitation of authentik's API
 * written for the tests; it is not authentik) on a free port of 127.0.0.1, runs the bootstrap from its sources
 * against it — the plan, then the apply — and prints the setup.env it wrote, secrets masked. Every line that
 * comes from the run is marked "stand-in │", so none of it can be taken for a result from a real authentik.
 * Nothing outside this machine is contacted, except (once) the reference files the stand-in is built from
 * when ../shared is not beside the checkout: authentik's schema and default blueprints, fetched from their
 * release tags and checked against .github/shared-fixtures/files.txt into ~/.cache/authentik-bootstrap.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { colorWanted } from "../src/pretty.ts";
import { summaryText } from "../src/summary-text.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const color = colorWanted(process.env, process.stdout.isTTY === true);
const dim = (text: string) => (color ? `\x1b[2m${text}\x1b[22m` : text);
const bold = (text: string) => (color ? `\x1b[1m${text}\x1b[22m` : text);
const MARK = dim("stand-in │ ");
const say = (text = "") => process.stdout.write(`${text}\n`);

/** The reference files the stand-in needs: ../shared when it is there, else a verified copy in the user's cache. */
function sharedDir(): string {
  if (process.env.FAKE_AK_SHARED_DIR) return process.env.FAKE_AK_SHARED_DIR;
  const beside = join(ROOT, "..", "shared");
  if (existsSync(join(beside, "authentik", "schema.yml"))) return beside;
  const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "authentik-bootstrap", "shared");
  // authentik's schema ships in its API client, already in node_modules; fetch.sh checks its sum like the rest.
  const schema = join(cache, "authentik", "schema.yml");
  const packaged = join(ROOT, "node_modules", "@goauthentik", "api", "schema.yml");
  if (!existsSync(schema) && existsSync(packaged)) {
    mkdirSync(join(cache, "authentik"), { recursive: true });
    copyFileSync(packaged, schema);
  }
  say(dim(`No ../shared beside the checkout: the stand-in's reference files go to ${cache} (checked by SHA-256).`));
  const r = spawnSync("bash", [join(ROOT, ".github", "shared-fixtures", "fetch.sh"), cache, "authentik/schema.yml", "authentik/blueprints/"], { stdio: "inherit" });
  if (r.status !== 0) throw new Error("could not fetch authentik's schema and default blueprints for the stand-in (no network?); see the lines above");
  return cache;
}

/** Runs the bootstrap from its sources (Node 24 runs TypeScript), every output line marked; returns its exit code and summary. */
function bootstrap(env: Record<string, string>, args: string[]): Promise<{ code: number; summary?: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    // One pipe for stdout and stderr keeps the lines in the order they were written.
    const child = spawn("/bin/sh", ["-c", 'exec "$0" "$@" 2>&1', process.execPath, join(ROOT, "src", "main.ts"), ...args], { env, stdio: ["ignore", "pipe", "inherit"] });
    let summary: Record<string, unknown> | undefined;
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      if (line.startsWith('{"summary":')) {
        summary = (JSON.parse(line) as { summary: Record<string, unknown> }).summary;
        for (const l of summaryText(summary as unknown as Parameters<typeof summaryText>[0]).split("\n")) say(`${MARK}${l}`);
      } else say(`${MARK}${line}`);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, summary }));
  });
}

/** setup.env with every secret value masked (an app password, a client secret, a token). */
function masked(text: string): string {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((line) => {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
      if (!m || !/PASSWORD|SECRET|TOKEN|_PAT$|_KEY$/.test(m[1]!)) return line;
      const length = m[2]!.replace(/^'(.*)'$/, "$1").length;
      return `${m[1]!}=******** (masked: ${length} characters)`;
    })
    .join("\n");
}

async function main(): Promise<number> {
  process.env.FAKE_AK_SHARED_DIR = sharedDir();
  const { startFakeAuthentik } = await import("../test/fake-authentik/index.ts");
  const token = `stand-in-${randomBytes(24).toString("hex")}`;
  await using fake = await startFakeAuthentik({ host: "127.0.0.1", port: 0, bootstrapToken: token });
  const out = mkdtempSync(join(tmpdir(), "authentik-bootstrap-start-"));
  try {
    say(bold("npm start: authentik-bootstrap against a STAND-IN of authentik"));
    say("The stand-in is this project's imitation of authentik's API (test/fake-authentik), started for this run");
    say(`at ${fake.url} and stopped at the end; it reports version ${fake.version} but is not authentik.`);
    say('Every line from the run is marked "stand-in │".');
    say(`Configured with: AUTHENTIK_URL=${fake.url}, AUTHENTIK_TOKEN=(generated), NETBIRD_DOMAIN=netbird.example.com, OUTPUT_DIR=${out}`);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      AUTHENTIK_URL: fake.url,
      AUTHENTIK_TOKEN: token,
      NETBIRD_DOMAIN: "netbird.example.com",
      OUTPUT_DIR: out,
      WAIT_TIMEOUT: "30",
      LOG_FORMAT: "pretty",
      ...(process.env.NO_COLOR ? { NO_COLOR: process.env.NO_COLOR } : color ? { FORCE_COLOR: "1" } : {}),
    };

    say();
    say(bold("1. The plan (--plan): what the bootstrap would change; nothing is written"));
    const plan = await bootstrap(env, ["--plan"]);
    say();
    say(bold("2. Apply: create what is missing, write setup.env, check the result as NetBird would"));
    const apply = await bootstrap(env, []);
    const file = join(out, "setup.env");
    if (apply.code === 0 && existsSync(file)) {
      say();
      say(bold(`3. The setup.env it wrote (${file}), secrets masked; its values come from the stand-in`));
      for (const line of masked(readFileSync(file, "utf8")).split("\n")) say(`${MARK}${line}`);
    }
    say();
    const ok = plan.code === 2 && apply.code === 0;
    say(
      ok
        ? 'Done. Against your own authentik: the README ("Run it"), or `npx node src/main.ts --help`.'
        : `Something went wrong (plan exit ${plan.code}, expected 2; apply exit ${apply.code}, expected 0): see the lines above.`,
    );
    return ok ? 0 : 1;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`npm start: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
