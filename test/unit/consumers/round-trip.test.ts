/** Every consumer's output file, written as the tool writes it and read back as the consumer reads it, gives back the values. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.ts";
import { CONSUMER_IDS } from "../../../src/consumer-ids.ts";
import { CONSUMERS, namesFor } from "../../../src/consumers/index.ts";
import type { ConsumerContext } from "../../../src/consumers/types.ts";
import { mergeEnvFile } from "../../../src/output/env-file.ts";
import { readVars } from "../../../src/output/read-file.ts";
import type { Provisioned } from "../../../src/reconcile/desired.ts";

const env = {
  AUTHENTIK_URL: "http://authentik-server:9000",
  AUTHENTIK_PUBLIC_URL: "https://auth.example.com",
  AUTHENTIK_TOKEN: "unit-test-token-1234567890",
  NETBIRD_DOMAIN: "netbird.example.com",
  OPENZRO_DOMAIN: "openzro.example.com",
  FIREZONE_URL: "https://firezone.example.com",
  NETBIRD_MANAGEMENT_URL: "https://netbird.example.com",
};

// Values with everything a shell or compose could mangle: quotes, `$`, `#`, spaces, backslashes.
const awkward: Provisioned = {
  clientId: "client 'id' $HOME #1",
  clientSecret: 'secret "with" \\ back$lash',
  username: "NetBird",
  appPassword: "p$ss 'w#rd' `x`",
};

describe.each(CONSUMER_IDS)("%s", (id) => {
  it("outputs → file → fromFile gives back the values it writes", async () => {
    const consumer = CONSUMERS[id];
    const config = loadConfig({ ...env, CONSUMER: id });
    const ctx: ConsumerContext = { config, names: namesFor(config, consumer), file: {}, prepared: {}, stats: { requests: 0, writes: 0 } };
    const entries = consumer.outputs(ctx, awkward);
    expect(entries.length).toBeGreaterThan(0);
    const path = join(mkdtempSync(join(tmpdir(), "round-trip-")), ctx.names.outputFile);
    writeFileSync(path, mergeEnvFile(undefined, entries, consumer.format));
    // Every entry reads back exactly …
    const read = await readVars(
      path,
      entries.map(([k]) => k),
      consumer.format,
    );
    expect(read).toEqual(Object.fromEntries(entries));
    // … and the consumer's own reading of it holds the same values (those its file carries).
    const back = consumer.fromFile(await readVars(path, consumer.fileVars, consumer.format));
    const carried = Object.fromEntries(Object.entries(back).filter(([, v]) => v !== undefined && v !== ""));
    expect(awkward).toMatchObject(carried);
    expect(back.clientId).toBe(awkward.clientId);
  });
});
