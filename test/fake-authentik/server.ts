/**
 * The fake authentik over real HTTP (node:http / node:https): schema-driven routing and validation, the
 * start-up timeline (refused → starting → token rejected → default objects appearing), fault injection and a
 * request log. See README.md beside this file.
 */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { missingPermissions, requiredPermissions } from "./rbac.ts";
import { createServer as createHttps } from "node:https";
import { randomBytes } from "node:crypto";
import type { AddressInfo, Socket } from "node:net";
import { atLeast, handlers, HttpError, type Ctx } from "./api.ts";
import { deviceAuthorization, devicePage, discovery, jwks, token, webfinger, type OidcResult, type TokenCtx } from "./oidc.ts";
import { loadSchema, resolveVersion, type Version } from "./schema.ts";
import { seedBootstrap, seedBrand, seedCertificate, seedFlows, seedScopeMappings } from "./seed.ts";
import { Store, type User } from "./store.ts";

export type Stage = "starting" | "token" | "flows" | "mappings" | "certificate" | "brand";

export interface FakeAuthentikOptions {
  port?: number;
  host?: string;
  version?: string;
  bootstrapToken?: string;
  timeline?: {
    refusedMs?: number;
    startingMs?: number;
    tokenRejectedMs?: number;
    flowsMs?: number;
    mappingsMs?: number;
    certificateMs?: number;
    brandMs?: number;
    neverReady?: Stage;
  };
  latencyMs?: number;
  /** Report another version string than the emulated one (an unknown newer release, say). */
  reportVersion?: string;
  tls?: { key: string | Buffer; cert: string | Buffer };
  validateResponses?: boolean;
  /** The device endpoint's throttle (authentik's default: 20 an hour per client IP). */
  deviceThrottlePerHour?: number;
  /** Put the server's clock (its `Date` header) ahead (positive) or behind by this many ms. */
  clockSkewMs?: number;
  /** Behaviours of unreleased authentik branches (guesses), for robustness tests. */
  quirks?: { groupListOmitsUsers?: boolean };
  /** Continue from another fake's state (an upgrade: stop one version, start the next on the same database). */
  store?: Store;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  status: number;
  write: boolean;
  body?: unknown;
  /** The form fields of an OIDC POST, secrets left out. */
  form?: Record<string, string>;
  dropped?: boolean;
  /** Epoch ms when the request arrived. */
  at: number;
  /** Epoch ms when the answer was written out in full (absent: none yet, or the connection was dropped). */
  answeredAt?: number;
  /** API calls: the operation (authentik's schema) and the user name of the caller, once authenticated. */
  operationId?: string;
  caller?: string;
}

export interface Fault {
  method?: string;
  path: string | RegExp;
  status?: number;
  body?: unknown;
  times?: number;
  delayMs?: number;
  drop?: boolean;
  malformed?: boolean;
  after?: number;
  /** API only: the request is handled (a write happens) and then `status` answers instead: a proxy's lost answer. */
  handled?: boolean;
}

export interface FakeAuthentik extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly version: string;
  readonly log: RequestRecord[];
  writes(): RequestRecord[];
  resetLog(): void;
  inject(f: Fault): void;
  clearFaults(): void;
  dropAllAfter(n: number): void;
  /** Crash simulation: once `n` writes have been answered, drop every later connection (until cleared with undefined). */
  dropAfterWrites(n: number | undefined): void;
  readonly store: Store;
  /** Response-schema violations seen so far (tests assert it stays empty). */
  readonly schemaViolations: string[];
  ready(): Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const ANONYMOUS: User = { pk: -1, uuid: "", username: "", name: "", type: "internal", is_active: false, path: "", email: "", attributes: {} };
const WRITE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const STAGES: Stage[] = ["starting", "token", "flows", "mappings", "certificate", "brand"];

async function readBody(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text;
}

export async function startFakeAuthentik(opts: FakeAuthentikOptions = {}): Promise<FakeAuthentik> {
  const version: Version = resolveVersion(opts.version);
  const schema = loadSchema(version);
  const store = opts.store ?? new Store();
  const log: RequestRecord[] = [];
  const faults: (Fault & { seen: number; used: number })[] = [];
  const schemaViolations: string[] = [];
  const validateResponses = opts.validateResponses ?? true;
  const tl = opts.timeline ?? {};
  let dropAfter: number | undefined;
  let dropAfterWritesN: number | undefined;
  let stage: Stage | "ready" = "starting";
  let resolveReady!: () => void;
  const readyPromise = new Promise<void>((r) => (resolveReady = r));

  // ---- timeline ----------------------------------------------------------------------------------------------
  const seeders: Record<Exclude<Stage, "starting">, () => void> = {
    token: () => seedBootstrap(store, opts.bootstrapToken),
    flows: () => seedFlows(store, version),
    mappings: () => seedScopeMappings(store, version),
    certificate: () => seedCertificate(store),
    brand: () => seedBrand(store),
  };
  const durations: Record<Stage, number> = {
    starting: tl.startingMs ?? 0,
    token: tl.tokenRejectedMs ?? 0,
    flows: tl.flowsMs ?? 0,
    mappings: tl.mappingsMs ?? 0,
    certificate: tl.certificateMs ?? 0,
    brand: tl.brandMs ?? 0,
  };
  const timers: NodeJS.Timeout[] = [];
  /** Leave `s`: what appears at its end appears now. Each stage's objects appear when the next begins. */
  const advance = (index: number): void => {
    const current = STAGES[index];
    if (current === undefined) {
      stage = "ready";
      resolveReady();
      return;
    }
    stage = current;
    if (tl.neverReady === current) return;
    const go = () => {
      if (current !== "starting") seeders[current]();
      advance(index + 1);
    };
    if (durations[current] > 0) timers.push(setTimeout(go, durations[current]));
    else go();
  };

  // ---- request handling ---------------------------------------------------------------------------------------
  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    // The server's clock, as HTTP's `Date` header shows it (tests may put it ahead or behind).
    if (opts.clockSkewMs) res.setHeader("date", new Date(Date.now() + opts.clockSkewMs).toUTCString());
    if (body === undefined || status === 204) {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };

  function authenticate(req: IncomingMessage): User | HttpError {
    const header = req.headers.authorization ?? "";
    if (!header) return new HttpError(403, { detail: "Authentication credentials were not provided." });
    const [scheme, key] = header.split(" ");
    if (scheme?.toLowerCase() !== "bearer" || !key) return new HttpError(403, { detail: "Token invalid/expired" });
    if (stage === "token" || stage === "starting") return new HttpError(403, { detail: "Token invalid/expired" });
    const t = [...store.tokens.values()].find((x) => x.key === key && x.intent === "api");
    if (t && !(t.expiring && t.expires !== null && Date.parse(t.expires) < Date.now())) {
      const u = store.users.get(t.user);
      if (u && u.is_active) return u;
    }
    // An OAuth2 access token with the `goauthentik.io/api` scope acts as its user (api/authentication.py).
    const oauth = store.accessTokens.find((a) => a.token === key);
    if (oauth && oauth.expires > Date.now() && !oauth.revoked && oauth.scope.includes("goauthentik.io/api")) {
      const u = store.users.get(oauth.user);
      if (u) return u;
    }
    return new HttpError(403, { detail: "Token invalid/expired" });
  }

  /** The user of the browser session in the `authentik_session` cookie (SESSION_COOKIE_NAME, root/settings.py). */
  function sessionUser(req: IncomingMessage): User | undefined {
    const cookie = String(req.headers.cookie ?? "")
      .split(";")
      .map((c) => c.trim().split("="))
      .find(([name]) => name === "authentik_session");
    const pk = cookie?.[1] ? store.sessions.get(decodeURIComponent(cookie[1])) : undefined;
    const user = pk === undefined ? undefined : store.users.get(pk);
    return user?.is_active ? user : undefined;
  }

  function baseUrl(req: IncomingMessage): string {
    const proto = (req.headers["x-forwarded-proto"] as string | undefined)?.split(",")[0]?.trim() ?? (opts.tls ? "https" : "http");
    return `${proto}://${req.headers.host ?? "localhost"}`;
  }

  function handleApi(
    req: IncomingMessage,
    path: string,
    query: URLSearchParams,
    rawBody: string,
    record: RequestRecord,
  ): { status: number; body?: unknown; headers?: Record<string, string> } {
    const method = req.method ?? "GET";
    const found = schema.find(method, path);
    // APPEND_SLASH = False (root/settings.py): a path without its trailing slash is simply not found.
    if (!found) {
      const other = schema.operations.some((op) => op.regex.test(path));
      return other ? { status: 405, body: { detail: `Method "${method}" not allowed.` } } : { status: 404, body: { detail: "Not found." } };
    }
    const { op, params } = found;
    record.operationId = op.operationId;
    const anonymous = op.operationId === "core_brands_current_retrieve";
    let user: User | undefined;
    if (!anonymous) {
      const auth = authenticate(req);
      if (auth instanceof HttpError) return { status: auth.status, body: auth.body };
      user = auth;
      record.caller = auth.username;
    }
    let body: Record<string, unknown> = {};
    if (op.requestRef) {
      const type = String(req.headers["content-type"] ?? "")
        .split(";")[0]!
        .trim();
      if (rawBody && type !== "application/json") return { status: 415, body: { detail: `Unsupported media type "${type}" in request.` } };
      if (rawBody) {
        try {
          body = JSON.parse(rawBody) as Record<string, unknown>;
        } catch (error) {
          return { status: 400, body: { detail: `JSON parse error - ${(error as Error).message}` } };
        }
      }
      const errors = schema.validate(op.requestRef, body);
      if (errors) return { status: 400, body: errors };
      // DRF ignores fields the serializer does not have.
      const known = schema.components[op.requestRef]?.properties as Record<string, unknown> | undefined;
      if (known) body = Object.fromEntries(Object.entries(body).filter(([k]) => k in known));
    }
    const handler = handlers[op.operationId];
    if (!handler) return { status: 501, body: { detail: `fake authentik does not implement ${op.operationId}` } };
    // RBAC (rbac.ts): ObjectPermissions / ObjectFilter answer 403 without the operation's global permissions.
    const needed = user ? requiredPermissions(op.operationId, version) : undefined;
    if (user && needed && missingPermissions(store, user, needed, version).length) {
      return { status: 403, body: { detail: "You do not have permission to perform this action." } };
    }
    const ctx: Ctx = {
      store,
      version,
      reportVersion: opts.reportVersion ?? version,
      params,
      query,
      body,
      user: user ?? ANONYMOUS,
      host: req.headers.host ?? "",
      base: baseUrl(req),
      accepts: op.query,
      ...(opts.quirks ? { quirks: opts.quirks } : {}),
    };
    try {
      const result = handler(ctx);
      const status = result.status ?? op.successStatus;
      if (result.body === undefined || status === 204) return { status };
      const ref = op.responseRef;
      const shaped = ref ? schema.shape(ref, result.body) : result.body;
      if (ref && validateResponses) {
        const problems = schema.validate(ref, shaped, "response");
        if (problems) {
          const text = `${method} ${path} → ${ref}: ${JSON.stringify(problems)}`;
          schemaViolations.push(text);
          console.error(`fake authentik: response violates the ${version} schema: ${text}`);
          return { status: 500, body: { detail: `fake authentik response does not match the ${version} schema: ${text}` } };
        }
      }
      return { status, body: shaped };
    } catch (error) {
      if (error instanceof HttpError) return { status: error.status, body: error.body };
      throw error;
    }
  }

  function handleOidc(req: IncomingMessage, path: string, query: URLSearchParams, rawBody: string, requestId: string): OidcResult | undefined {
    const base = baseUrl(req);
    const ctx: TokenCtx = { store, version, base, requestId };
    let m: RegExpExecArray | null;
    if ((m = /^\/application\/o\/([^/]+)\/\.well-known\/openid-configuration$/.exec(path))) return discovery(store, m[1]!, base, version);
    if ((m = /^\/application\/o\/([^/]+)\/jwks\/$/.exec(path))) return jwks(store, m[1]!);
    const form = new URLSearchParams(rawBody);
    if (path === "/application/o/token/" && req.method === "POST") return token(ctx, form, req.headers.authorization, req.headers.origin);
    if (path === "/application/o/device/" && req.method === "POST")
      return deviceAuthorization(ctx, form, req.socket.remoteAddress ?? "", req.headers.authorization, opts.deviceThrottlePerHour);
    // brands/urls_root.py: `.well-known/webfinger` from 2024.8 (absent at version/2024.2.0, present at version/2024.10.2).
    if (path === "/.well-known/webfinger" && atLeast(version, 2024, 8)) return webfinger(store, version, req.headers.host ?? "", base, query.get("resource"));
    // `path("device", …)`: no trailing slash, and APPEND_SLASH is off, so `/device/` is a 404.
    if (path === "/device") return devicePage(store, version, req.headers.host ?? "", query, sessionUser(req));
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const url = new URL(req.url ?? "/", "http://x");
    const method = req.method ?? "GET";
    const path = url.pathname;
    const rawBody = await readBody(req);

    // Debug routes for container tests (not logged).
    if (path.startsWith("/_fake/")) {
      if (path === "/_fake/log") return send(res, 200, log);
      if (path === "/_fake/reset-log" && method === "POST") return ((log.length = 0), send(res, 204));
      if (path === "/_fake/faults" && method === "POST") {
        const f = JSON.parse(rawBody || "{}") as Fault & { pathRegex?: string };
        api.inject({ ...f, path: f.pathRegex ? new RegExp(f.pathRegex) : f.path });
        return send(res, 204);
      }
      if (path === "/_fake/faults" && method === "DELETE") return (api.clearFaults(), send(res, 204));
      return send(res, 404, { detail: "Not found." });
    }

    const isApiWrite = WRITE.has(method) && path.startsWith("/api/v3/");
    const record: RequestRecord = { method, path, query: url.search.replace(/^\?/, ""), status: 0, write: isApiWrite, at };
    log.push(record);
    res.once("finish", () => (record.answeredAt = Date.now()));
    const socket = req.socket;
    if (dropAfterWritesN !== undefined && log.filter((r) => r.write && r.status > 0 && r.status < 400).length >= dropAfterWritesN) {
      record.dropped = true;
      record.write = false;
      socket.destroy();
      return;
    }
    if (dropAfter !== undefined) {
      if (dropAfter <= 0) {
        record.dropped = true;
        socket.destroy();
        return;
      }
      dropAfter -= 1;
    }
    if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));

    const fault = faults.find(
      (f) =>
        (!f.method || f.method === method) && (typeof f.path === "string" ? f.path === path : f.path.test(path)) && f.seen++ >= (f.after ?? 0) && f.used < (f.times ?? Infinity),
    );
    if (fault) {
      fault.used += 1;
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault.drop) {
        record.dropped = true;
        socket.destroy();
        return;
      }
      if (fault.malformed) {
        record.status = 200;
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"results": [ {"pk": ');
        return;
      }
      if (fault.status && !(fault.handled && path.startsWith("/api/v3/"))) {
        record.status = fault.status;
        record.write = false;
        return send(res, fault.status, fault.body ?? { detail: `injected ${fault.status}` });
      }
    }

    if (stage === "starting") {
      const starting = startingAnswer(version, path, String(req.headers.accept ?? ""));
      record.status = starting.status;
      record.write = false;
      return send(res, starting.status, starting.body, starting.headers);
    }
    if (path === "/-/health/live/" || path === "/-/health/ready/") {
      record.status = atLeast(version, 2024, 8) ? 200 : 204;
      return send(res, record.status);
    }
    // RequestIDMiddleware (core/middleware.py): every answer of the Python server carries its request id.
    const requestId = randomBytes(16).toString("hex");
    const idHeader = { "x-authentik-id": requestId };
    if (path.startsWith("/api/v3/")) {
      const handled = handleApi(req, path, url.searchParams, rawBody, record);
      const r = fault?.handled && fault.status ? { status: fault.status, body: fault.body ?? { detail: `injected ${fault.status}` } } : handled;
      record.status = r.status;
      if (r.status >= 400) record.write = false;
      // What the client sent (unknown fields included), so tests see exactly what a tool wrote.
      if (isApiWrite && rawBody) record.body = safeJson(rawBody);
      return send(res, r.status, r.body, { ...r.headers, ...idHeader });
    }
    const oidc = handleOidc(req, path, url.searchParams, rawBody, requestId);
    if (oidc) {
      record.status = oidc.status;
      // What a client asked the token and device endpoints for (never its secrets), so tests see the exact request.
      if (req.method === "POST") {
        const form = new URLSearchParams(rawBody);
        record.form = Object.fromEntries([...form].filter(([k]) => !/secret|password|code|token/i.test(k) || k === "grant_type"));
      }
      return send(res, oidc.status, oidc.body, { ...oidc.headers, ...idHeader });
    }
    record.status = 404;
    return send(res, 404, { detail: "Not found." }, idHeader);
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { detail: String((error as Error).stack ?? error) });
    });
  };
  const server: Server = opts.tls ? createHttps({ key: opts.tls.key, cert: opts.tls.cert }, listener) : createHttp(listener);
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const host = opts.host ?? "127.0.0.1";

  // Reserve a port, so the URL is known while the port still refuses connections.
  let port = opts.port ?? 0;
  if (port === 0) {
    const probe = createHttp();
    await new Promise<void>((r) => probe.listen(0, host, r));
    port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
  }
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
  if ((tl.refusedMs ?? 0) > 0) timers.push(setTimeout(() => void listen().then(() => advance(0)), tl.refusedMs));
  else {
    await listen();
    advance(0);
  }

  const close = async () => {
    for (const t of timers) clearTimeout(t);
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
  };
  const api: FakeAuthentik = {
    url: `${opts.tls ? "https" : "http"}://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    port,
    version,
    log,
    store,
    schemaViolations,
    writes: () => log.filter((r) => r.write),
    resetLog: () => void (log.length = 0),
    inject: (f) => void faults.push({ ...f, seen: 0, used: 0 }),
    clearFaults: () => void (faults.length = 0),
    dropAllAfter: (n) => void (dropAfter = n),
    dropAfterWrites: (n) => void (dropAfterWritesN = n),
    ready: () => readyPromise,
    close,
    [Symbol.asyncDispose]: close,
  };
  return api;
}

/**
 * What the Go router answers while the Python server boots (internal/web/proxy.go per tag): `/-/health/live/` is
 * its own route from 2024.12 (200; 2024.2 answers 204), proxied (so failing) on 2024.4–2024.10 and again from
 * 2025.10.4 (its upstream probe fails); every other path gets 502 "failed to connect to authentik backend:
 * authentik starting" up to 2025.8, then 503 + `Retry-After: 5` "authentik starting" — except that 2025.10.0
 * answers a request that accepts JSON with status 200 and `{"error": "authentik starting"}` (fixed in 2025.10.1).
 */
function startingAnswer(version: Version, path: string, accept: string): { status: number; body?: unknown; headers?: Record<string, string> } {
  if (path === "/-/health/live/") {
    if (version === "2024.2.0") return { status: 204 };
    if (version === "2024.12.0" || version === "2025.10.0") return { status: 200 };
    if (atLeast(version, 2026, 2)) return { status: 502 };
  }
  if (!atLeast(version, 2025, 10)) return { status: 502, body: { error: "failed to connect to authentik backend: authentik starting" } };
  if (version === "2025.10.0" && accept.includes("application/json")) return { status: 200, body: { error: "authentik starting" }, headers: { "retry-after": "5" } };
  return { status: 503, body: { error: "authentik starting" }, headers: { "retry-after": "5" } };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
