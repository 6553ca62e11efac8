/**
 * Runs the fake authentik as a process (for containers): flags or FAKE_AK_* variables. Prints one line
 * `fake-authentik listening on <url> version <v>` and stops cleanly on SIGTERM/SIGINT.
 */
import { parseArgs } from "node:util";
import { startFakeAuthentik, type Stage } from "./server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    version: { type: "string" },
    "bootstrap-token": { type: "string" },
  },
});
const env = process.env;
const num = (v: string | undefined) => (v ? Number(v) : undefined);

const fake = await startFakeAuthentik({
  port: Number(values.port ?? env.FAKE_AK_PORT ?? 9000),
  host: values.host ?? env.FAKE_AK_HOST ?? "0.0.0.0",
  version: values.version ?? env.FAKE_AK_VERSION,
  bootstrapToken: values["bootstrap-token"] ?? env.FAKE_AK_BOOTSTRAP_TOKEN,
  latencyMs: num(env.FAKE_AK_LATENCY_MS),
  timeline: {
    refusedMs: num(env.FAKE_AK_REFUSED_MS),
    startingMs: num(env.FAKE_AK_STARTING_MS),
    tokenRejectedMs: num(env.FAKE_AK_TOKEN_REJECTED_MS),
    ...(env.FAKE_AK_NEVER_READY ? { neverReady: env.FAKE_AK_NEVER_READY as Stage } : {}),
  },
});
// Handlers first: whoever reads the line below may signal at once.
const stop = () => void fake.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdout.write(`fake-authentik listening on ${fake.url} version ${fake.version}\n`);
