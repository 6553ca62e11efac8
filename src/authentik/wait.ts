/**
 * Staged, bounded readiness: reachable → /-/health/ready/ → API token accepted → default objects present.
 * Each stage polls (p-retry, at most `maxPollMs` apart, so the run starts within about a second of
 * authentik being ready) until one shared deadline; on timeout the error names the stage and its last error.
 * Each stage that passes is one log line; while one keeps failing, a line at most every `progressMs` (10 s) says
 * which stage, its last answer and how much of the time allowed (WAIT_TIMEOUT) is gone.
 * When authentik is up, one request passes the first three stages: an API answer with the version means it is
 * reachable, ready and accepts the token (the health endpoints are polled only while it does not answer so).
 * The objects found are returned, so provisioning does not look them up again; the flows are listed whole in
 * one request, so the device-code flow is known too.
 */
import pRetry, { AbortError } from "p-retry";
import { ApiError, NotReadyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { AuthentikClient } from "./client.ts";
import type { Features } from "./version.ts";
import type { WireBrand, WireCertificate, WireFlow, WireGroup, WireScopeMapping } from "./wire.ts";

export interface ReadinessNeeds {
  flows: readonly string[];
  /** Flows needed only from some version on (e.g. the invalidation flow, 2024.10+). */
  optionalFlows?: (features: Features) => readonly string[];
  scopeMappings: (features: Features) => readonly string[];
  certificate: string;
  /** Only when a consumer needs a service account. */
  adminGroup?: string;
}

export interface Defaults {
  features: Features;
  /** Every flow, by slug (the needed ones are among them). */
  flows: ReadonlyMap<string, WireFlow>;
  scopeMappings: ReadonlyMap<string, WireScopeMapping>;
  certificate: WireCertificate;
  brands: readonly WireBrand[];
  adminGroup?: WireGroup;
}

export interface WaitOptions {
  timeoutMs: number;
  logger: Logger;
  /** Longest pause between two polls. */
  maxPollMs?: number;
  minPollMs?: number;
  /** Shortest interval between two "still waiting" lines. */
  progressMs?: number;
}

const HINTS: Record<string, string> = {
  reachable: "Check AUTHENTIK_URL: from inside the compose network it is the server's service name and port, e.g. http://authentik-server:9000.",
  ready: "authentik answers but is not ready (starting, migrating, or its database is down): check the authentik-server logs.",
  token:
    "Check that AUTHENTIK_TOKEN is the value of AUTHENTIK_BOOTSTRAP_TOKEN, that this variable is also set on the authentik worker (the worker creates the token, only on first start), and that the token has not expired.",
  defaults: "authentik's worker creates these from its default blueprints: is the worker running? Check its logs.",
};

class NotYet extends Error {}

export async function waitUntilReady(client: AuthentikClient, needs: ReadinessNeeds, options: WaitOptions): Promise<Defaults> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const log = options.logger.child({ step: "wait" });
  const progressMs = options.progressMs ?? 10_000;
  const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
  // Silence is measured from the last line of the wait, whichever stage wrote it.
  let lastLine = started;
  const passed = (stage: string, message: string, fields: Record<string, unknown> = {}) => {
    lastLine = Date.now();
    log.info({ stage, waitedMs: lastLine - started, ...fields }, message);
  };

  async function stage<T>(name: string, check: () => Promise<T>): Promise<T> {
    let last = "not tried";
    const stageStarted = Date.now();
    const attempt = async () => {
      try {
        return await check();
      } catch (error) {
        if (error instanceof NotYet || (error instanceof ApiError && error.status === 0)) {
          last = error.message;
          throw error;
        }
        throw new AbortError(error as Error);
      }
    };
    try {
      const result = await pRetry(attempt, {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: options.minPollMs ?? 100,
        maxTimeout: options.maxPollMs ?? 500,
        factor: 1.5,
        randomize: false,
        maxRetryTime: Math.max(0, deadline - Date.now()),
        onFailedAttempt: ({ attemptNumber }) => {
          const now = Date.now();
          if (now - lastLine < progressMs) return;
          lastLine = now;
          const waitedMs = now - started;
          const gone = Math.min(100, Math.round((100 * waitedMs) / Math.max(1, options.timeoutMs)));
          log.info(
            { stage: name, attemptNumber, waitedMs, timeoutMs: options.timeoutMs, last },
            `still waiting for authentik: stage '${name}' not passed for ${seconds(now - stageStarted)}, last answer: ${last}; ${seconds(waitedMs)} of WAIT_TIMEOUT ${seconds(options.timeoutMs)} gone (${gone}%)`,
          );
        },
      });
      return result;
    } catch (error) {
      if (error instanceof NotYet || (error instanceof ApiError && error.status === 0)) {
        const tls = /CERT|certificate|self[- ]signed|UNABLE_TO_VERIFY/i.test(last);
        const hint = tls ? "authentik's TLS certificate is not trusted: set AUTHENTIK_CA_FILE to the CA that signed it (or NODE_EXTRA_CA_CERTS)." : (HINTS[name] ?? "");
        throw new NotReadyError(name, Date.now() - started, last, hint);
      }
      throw error;
    }
  }

  // authentik already up (every run after its first start): the version answer is all three stages.
  // One try, no retries: when authentik is not up yet, the stages below wait for it with their progress lines.
  const early = await client.detectVersion({ retries: 0 }).catch(() => undefined);
  await stage("reachable", async () => {
    if (early) return;
    const r = await client.health("/-/health/live/");
    if (r.status === 0) throw new NotYet(`${client.baseUrl} did not answer (${r.detail})`);
  });
  passed("reachable", `authentik answers at ${client.baseUrl}`);
  await stage("ready", async () => {
    if (early) return;
    const r = await client.health("/-/health/ready/");
    if (r.status < 200 || r.status > 299) throw new NotYet(`GET /-/health/ready/ answered ${r.status === 0 ? `nothing (${r.detail})` : `${r.status} ${r.detail}`}`);
  });
  passed("ready", early ? "authentik is ready (its API answers)" : "authentik reports ready (/-/health/ready/)");
  const features = await stage("token", async () => {
    if (early) return early;
    try {
      return await client.detectVersion();
    } catch (error) {
      if (error instanceof ApiError && (error.status === 403 || error.status === 401 || error.status === 502 || error.status === 503)) {
        throw new NotYet(error.message);
      }
      throw error;
    }
  });
  passed("token", `authentik ${features.version} accepts the API token`, { version: features.version });
  if (features.unknownNewer) {
    log.warn({ version: features.version }, "authentik is newer than the newest version this tool was tested with; trying the newest known shapes");
  }

  // Default objects: poll every missing one in parallel, report all that are still missing.
  const flowSlugs = [...needs.flows, ...(needs.optionalFlows?.(features) ?? [])];
  const managedIds = needs.scopeMappings(features);
  const found: Partial<Omit<Defaults, "features">> & { flows?: Map<string, WireFlow> } = {};
  await stage("defaults", async () => {
    const missing: string[] = [];
    const tasks: Promise<void>[] = [];
    if (!found.flows) {
      tasks.push(
        client.listFlows().then((flows) => {
          const bySlug = new Map(flows.map((f) => [f.slug, f]));
          const absent = flowSlugs.filter((slug) => !bySlug.has(slug));
          if (absent.length) missing.push(`flows ${absent.join(", ")}`);
          else found.flows = bySlug;
        }),
      );
    }
    if (!found.scopeMappings) {
      tasks.push(
        client.findScopeMappings(managedIds).then((list) => {
          const absent = managedIds.filter((id) => !list.some((m) => m.managed === id));
          if (absent.length) missing.push(`scope mappings ${absent.join(", ")}`);
          else found.scopeMappings = new Map(list.map((m) => [m.managed!, m]));
        }),
      );
    }
    if (!found.certificate) {
      tasks.push(
        client.findCertificate(needs.certificate).then((c) => {
          if (c) found.certificate = c;
          else missing.push(`certificate '${needs.certificate}' (with private key)`);
        }),
      );
    }
    if (!found.brands) {
      // Any brand will do: the default-brand blueprint creates one on a fresh install; an installation whose
      // default flag was removed still has its others (which one serves the public host is decided later).
      tasks.push(
        client.listBrands().then((brands) => {
          if (brands.length) found.brands = brands;
          else missing.push("a brand (the default-brand blueprint has not run yet)");
        }),
      );
    }
    const groupName = needs.adminGroup;
    if (groupName && !found.adminGroup) {
      tasks.push(
        client.findGroup(groupName).then((g) => {
          if (g) found.adminGroup = g;
          else missing.push(`group '${groupName}'`);
        }),
      );
    }
    await Promise.all(tasks);
    if (missing.length) throw new NotYet(`missing: ${missing.join("; ")}`);
  });
  passed("defaults", "authentik's default objects are there: ready to be configured");
  return { features, ...(found as Omit<Defaults, "features">) };
}
