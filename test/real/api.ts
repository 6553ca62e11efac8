/**
 * authentik's public REST API as an admin uses it, with the test token: reads for assertions, a few writes to
 * arrange drift, deletes for the clean-up. Only documented endpoints under /api/v3 and the OIDC endpoints.
 */
import type { RealTarget } from "./target.ts";

export class ApiError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(method: string, path: string, status: number, body: string) {
    super(`${method} ${path}: ${status} ${body.slice(0, 300)}`);
    this.status = status;
    this.body = body;
  }
}

type Json = any;

export interface Api {
  call(method: string, path: string, body?: unknown): Promise<Json>;
  get(path: string): Promise<Json>;
  patch(path: string, body: unknown): Promise<Json>;
  del(path: string): Promise<void>;
  /** Every result of a list endpoint, following authentik's page numbers. */
  list(path: string): Promise<Json[]>;
  /** Objects of a list whose `key` is exactly `value` (authentik's filters may match more loosely). */
  named(path: string, key: string, value: string): Promise<Json[]>;
  /** 404 → undefined. */
  maybe(path: string): Promise<Json>;
}

export function api(target: Pick<RealTarget, "url" | "token">): Api {
  const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await fetch(`${target.url}/api/v3${path}`, {
      method,
      redirect: "manual",
      headers: { authorization: `Bearer ${target.token}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new ApiError(method, path, res.status, text);
    return text ? JSON.parse(text) : undefined;
  };
  const list = async (path: string): Promise<Json[]> => {
    const out: Json[] = [];
    const sep = path.includes("?") ? "&" : "?";
    for (let page = 1; page > 0 && page < 1000;) {
      const body = await call("GET", `${path}${sep}page=${page}&page_size=100`);
      out.push(...(body.results as Json[]));
      page = Number(body.pagination?.next ?? 0);
    }
    return out;
  };
  return {
    call,
    get: (path) => call("GET", path),
    patch: (path, body) => call("PATCH", path, body),
    del: async (path) => void (await call("DELETE", path)),
    list,
    named: async (path, key, value) => (await list(`${path}${path.includes("?") ? "&" : "?"}${key}=${encodeURIComponent(value)}`)).filter((o) => o[key] === value),
    maybe: async (path) => {
      try {
        return await call("GET", path);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return undefined;
        throw error;
      }
    },
  };
}

/**
 * An HTTP request without the suite's token: a GET outside the API (health, discovery, current brand), or as a
 * consumer sends it (NetBird's bearer token; a form, as `netbird up` posts to the device endpoint).
 */
export async function anonymous(url: string, as: { bearer?: string; form?: Record<string, string> } = {}): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (as.bearer) headers.authorization = `Bearer ${as.bearer}`;
  if (as.form) headers["content-type"] = "application/x-www-form-urlencoded";
  const body = as.form ? new URLSearchParams(as.form).toString() : undefined;
  const res = await fetch(url, { method: body ? "POST" : "GET", body, redirect: "manual", headers, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let json: Json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

/**
 * Waits until authentik answers `/-/health/ready/` with 2xx, accepts the token, and its worker has applied the
 * default blueprints the tool builds on (the implicit-consent flow, a default brand). The tool waits for these
 * itself too; this keeps a slow first boot from eating into each run's time limit.
 */
export async function waitForAuthentik(target: RealTarget, timeoutMs: number): Promise<void> {
  const client = api(target);
  const deadline = Date.now() + timeoutMs;
  const stages: [string, () => Promise<boolean>][] = [
    ["/-/health/ready/ answers 2xx", async () => (await anonymous(`${target.url}/-/health/ready/`)).status < 300],
    ["the API token is accepted (GET /api/v3/core/users/me/)", async () => Boolean((await client.get("/core/users/me/")).user)],
    [
      "the flow default-provider-authorization-implicit-consent exists",
      async () => Boolean(await client.maybe("/flows/instances/default-provider-authorization-implicit-consent/")),
    ],
    ["a default brand exists", async () => (await client.list("/core/brands/")).some((b) => b.default)],
  ];
  for (const [stage, check] of stages) {
    let last: string;
    for (;;) {
      try {
        if (await check()) break;
        last = "not yet";
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`authentik at ${target.url} not ready after ${timeoutMs / 1000} s: ${stage} never passed (last: ${last})`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
