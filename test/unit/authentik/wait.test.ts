import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { AuthentikClient } from "../../../src/authentik/client.ts";
import { featuresOf } from "../../../src/authentik/version.ts";
import { waitUntilReady } from "../../../src/authentik/wait.ts";
import { ApiError, NotReadyError } from "../../../src/errors.ts";
import { createLogger } from "../../../src/log.ts";

type Line = { level: number; msg: string; stage?: string; last?: string; waitedMs?: number; timeoutMs?: number; version?: string };

function sink() {
  const lines: Line[] = [];
  const logger = createLogger("info", new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk)) as Line), done()) }));
  return { lines, logger };
}

/** An authentik whose /-/health/ready/ and API answer 503 until `readyAfterMs`, then has everything. */
function client(readyAfterMs: number): AuthentikClient {
  const started = Date.now();
  const starting = () => Date.now() - started < readyAfterMs;
  const stub = {
    baseUrl: "http://authentik:9000",
    health: (path: string) => Promise.resolve(path === "/-/health/ready/" && starting() ? { status: 503, detail: "authentik starting" } : { status: 200, detail: "" }),
    detectVersion: () => (starting() ? Promise.reject(new ApiError("read authentik version", 503, "authentik starting")) : Promise.resolve(featuresOf("2026.8.3"))),
    listFlows: () => Promise.resolve(["default-provider-authorization-implicit-consent"].map((slug) => ({ pk: slug, slug }))),
    findScopeMappings: (ids: readonly string[]) => Promise.resolve(ids.map((managed) => ({ pk: managed, managed }))),
    findCertificate: (name: string) => Promise.resolve({ pk: "c", name }),
    listBrands: () => Promise.resolve([{ brand_uuid: "b", domain: "authentik-default", default: true }]),
    findGroup: (name: string) => Promise.resolve({ pk: "g", name }),
  };
  return stub as unknown as AuthentikClient;
}

const needs = { flows: ["default-provider-authorization-implicit-consent"], scopeMappings: () => ["goauthentik.io/providers/oauth2/scope-openid"], certificate: "cert" };

describe("waitUntilReady: progress a person can follow", () => {
  it("one line per stage that passes, in order, with the version on the token stage", async () => {
    const { lines, logger } = sink();
    await waitUntilReady(client(100), needs, { timeoutMs: 5000, logger, minPollMs: 10, maxPollMs: 20 });
    const stages = lines.filter((l) => l.stage && l.last === undefined);
    expect(stages.map((l) => l.stage)).toEqual(["reachable", "ready", "token", "defaults"]);
    expect(stages.map((l) => l.msg)).toEqual([
      "authentik answers at http://authentik:9000",
      "authentik reports ready (/-/health/ready/)",
      "authentik 2026.8.3 accepts the API token",
      "authentik's default objects are there: ready to be configured",
    ]);
    expect(stages[2]?.version).toBe("2026.8.3");
    expect(lines.filter((l) => l.last !== undefined)).toEqual([]);

    // authentik already up: its API's first answer passes the first three stages, still one line each.
    const up = sink();
    await waitUntilReady(client(0), needs, { timeoutMs: 5000, logger: up.logger });
    expect(up.lines.filter((l) => l.stage).map((l) => l.msg)).toEqual([
      "authentik answers at http://authentik:9000",
      "authentik is ready (its API answers)",
      "authentik 2026.8.3 accepts the API token",
      "authentik's default objects are there: ready to be configured",
    ]);
  });

  it("while a stage keeps failing: a line at most every progressMs, naming the stage, its last answer and how much of WAIT_TIMEOUT is gone", async () => {
    const { lines, logger } = sink();
    const started = Date.now();
    await waitUntilReady(client(700), needs, { timeoutMs: 10_000, logger, progressMs: 200, minPollMs: 10, maxPollMs: 20 });
    const took = Date.now() - started;
    const waiting = lines.filter((l) => l.last !== undefined);
    expect(waiting.length).toBeGreaterThanOrEqual(2);
    expect(waiting.length).toBeLessThanOrEqual(Math.floor(took / 200));
    for (const l of waiting) {
      expect(l).toMatchObject({ stage: "ready", timeoutMs: 10_000, last: "GET /-/health/ready/ answered 503 authentik starting" });
      expect(l.msg).toMatch(
        /^still waiting for authentik: stage 'ready' not passed for \d+ s, last answer: GET \/-\/health\/ready\/ answered 503 authentik starting; \d+ s of WAIT_TIMEOUT 10 s gone \(\d+%\)$/,
      );
    }
    const times = waiting.map((l) => l.waitedMs!);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(200);
    // The stage still gets its one line when it passes.
    expect(lines.filter((l) => l.stage === "ready" && l.last === undefined)).toHaveLength(1);
  });

  it("gives up at WAIT_TIMEOUT naming the stage, with the hint apart", async () => {
    const { logger } = sink();
    const error = await waitUntilReady(client(60_000), needs, { timeoutMs: 300, logger, minPollMs: 10, maxPollMs: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotReadyError);
    expect((error as NotReadyError).stage).toBe("ready");
    expect((error as NotReadyError).message.endsWith((error as NotReadyError).hint)).toBe(true);
  });
});
