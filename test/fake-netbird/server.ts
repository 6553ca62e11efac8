/**
 * A fake of NetBird management's HTTP API — the part the netbird-embedded consumer uses — as NetBird's source
 * behaves, per version (README.md beside this file has each behaviour with its file and release). Request
 * bodies are checked against NetBird's own OpenAPI components (`../shared/netbird/management-openapi.yml`).
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { sharedDir } from "../fake-authentik/paths.ts";

export interface FakeNetbirdOptions {
  /** The emulated release (default 0.77.1). */
  version?: string;
  /** Management runs with NB_SETUP_PAT_ENABLED=true. */
  patEnabled?: boolean;
  /** An owner exists already, with this PAT (and `patExpiresInDays`, default 30). */
  pat?: string;
  patExpiresInDays?: number;
  /** The embedded IdP's issuer (default `<url>/oauth2`); `false`: no embedded IdP. */
  embeddedIssuer?: string | false;
}

export interface StoredIdp {
  id: string;
  name: string;
  issuer: string;
  client_id: string;
  /** What NetBird stores (Dex storage). */
  client_secret: string;
  /** What the running Dex server uses: opened at start, reopened only on restart (NetBird issue 5800). */
  active_secret: string;
  redirect_uri: string;
}

export interface StoredPat {
  id: string;
  name: string;
  hash: string;
  user: string;
  expires: number;
  created: number;
}

export interface FakeNetbird extends AsyncDisposable {
  url: string;
  version: string;
  idps: StoredIdp[];
  pats: StoredPat[];
  users: { id: string; email: string; name: string; role: string; service: boolean }[];
  log: { method: string; path: string; status: number }[];
  writes(): { method: string; path: string; status: number }[];
  /** Management restarts: Dex reopens every connector from storage. */
  restart(): void;
  /** A login through connector `id` reaching authentik's token endpoint with the secret Dex uses: authentik's error code. */
  loginProbe(id: string, tokenEndpoint: string): Promise<string>;
  close(): Promise<void>;
}

/** `vX.Y.Z` ≥ `min`. */
export function atLeast(version: string, min: string): boolean {
  const a = version.replace(/^v/, "").split(".").map(Number);
  const b = min.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

let validators: { idp: (b: unknown) => boolean; setup: (b: unknown) => boolean; pat: (b: unknown) => boolean } | undefined;
function schemaValidators() {
  if (validators) return validators;
  const doc = parse(readFileSync(`${sharedDir()}/netbird/management-openapi.yml`, "utf8")) as { components: { schemas: Record<string, unknown> } };
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: "nb", components: doc.components });
  // The OpenAPI enum of identity-provider types lacks `authentik` and `keycloak`, which the server accepts (checked below).
  const idp = ajv.compile({ $ref: "nb#/components/schemas/IdentityProviderRequest" });
  const setup = ajv.compile({ $ref: "nb#/components/schemas/SetupRequest" });
  const pat = ajv.compile({ $ref: "nb#/components/schemas/PersonalAccessTokenRequest" });
  validators = { idp: (b) => idp({ ...(b as object), type: "oidc" }), setup: (b) => setup(b), pat: (b) => pat(b) };
  return validators;
}

/** types/identity_provider.go `IsValid` (v0.62.0+). */
const TYPES = ["oidc", "zitadel", "entra", "google", "okta", "pocketid", "microsoft", "authentik", "keycloak", "adfs"];
const PREFIXED = ["okta", "zitadel", "entra", "google", "pocketid", "microsoft", "authentik", "keycloak", "adfs"];

let seq = 0;
/** An xid-like id: time-ordered, base32hex. */
function xid(): string {
  seq += 1;
  return `${Date.now().toString(32).padStart(9, "0")}${seq.toString(32).padStart(4, "0")}${randomBytes(4).toString("hex").slice(0, 7)}`.slice(0, 20);
}

/** idp/dex/connector.go `inferIdentityProviderType`: an oidc-backed connector's type comes from its id. */
function inferType(id: string): string {
  const lower = id.toLowerCase();
  for (const t of ["pocketid", "zitadel", "entra", "okta", "authentik", "keycloak", "adfs"]) if (lower.includes(t)) return t;
  if (lower.startsWith("google-")) return "google";
  if (lower.startsWith("microsoft-")) return "microsoft";
  return "oidc";
}

/** A subset of Go's `net/mail.ParseAddress`: `local@domain` or `Name <local@domain>`. */
function mailParses(email: string): boolean {
  const addr = /^[^<>]*<([^<>]+)>$/.exec(email)?.[1] ?? email;
  return /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(addr) && !addr.startsWith(".") && !addr.includes("..");
}

function newPat(): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  let secret = "";
  for (const b of randomBytes(30)) secret += alphabet[b % 62];
  const crc = createHash("sha256").update(secret).digest("hex").slice(0, 6);
  return `nbp_${secret}${crc}`;
}

const hashOf = (token: string) => createHash("sha256").update(token).digest("base64");

export async function startFakeNetbird(opts: FakeNetbirdOptions = {}): Promise<FakeNetbird> {
  const version = opts.version ?? "0.77.1";
  const idps: StoredIdp[] = [];
  const pats: StoredPat[] = [];
  const users: FakeNetbird["users"] = [];
  const log: FakeNetbird["log"] = [];
  let url = "";
  const issuer = () => (opts.embeddedIssuer === false ? undefined : (opts.embeddedIssuer ?? `${url}/oauth2`));

  const addPat = (user: string, name: string, days: number, token = newPat()) => {
    const now = Date.now();
    const pat: StoredPat = { id: xid(), name, hash: hashOf(token), user, expires: now + days * 86_400_000, created: now };
    pats.push(pat);
    return { token, pat };
  };
  if (opts.pat) {
    users.push({ id: "owner-user", email: "owner@example.com", name: "Owner", role: "owner", service: false });
    addPat("owner-user", "my token", opts.patExpiresInDays ?? 30, opts.pat);
  }

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(body === undefined ? "" : JSON.stringify(body));
  };
  /** shared/management/http/util/util.go `WriteError`: `{message: <lower-cased>, code}`. */
  const error = (status: number, message: string) => ({ status, body: { message: message.toLowerCase(), code: status } });
  const readBody = async (req: IncomingMessage): Promise<Record<string, unknown> | undefined> => {
    let text = "";
    for await (const chunk of req) text += chunk;
    if (!text) return {};
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  const patJson = (p: StoredPat) => ({
    id: p.id,
    name: p.name,
    expiration_date: new Date(p.expires).toISOString(),
    created_by: p.user,
    created_at: new Date(p.created).toISOString(),
  });
  const idpJson = (i: StoredIdp) => ({ id: i.id, type: inferType(i.id), name: i.name, issuer: i.issuer, client_id: i.client_id });

  /** auth_middleware.go: `Token <PAT>` (or a PAT as Bearer). */
  function authenticate(req: IncomingMessage): { user: FakeNetbird["users"][number] } | { status: number; body: unknown } {
    const parts = (req.headers.authorization ?? "").split(" ");
    if (parts.length !== 2 || !["token", "bearer"].includes(parts[0]!.toLowerCase())) return error(401, "no valid authentication provided");
    const token = parts[1]!;
    if (!/^nbp_[0-9A-Za-z]{36}$/.test(token)) return error(401, "token invalid");
    const pat = pats.find((p) => p.hash === hashOf(token));
    // An unknown well-formed PAT: 404 from v0.59.13 (status errors passed through), before that 401.
    if (!pat) return atLeast(version, "0.59.13") ? error(404, `invalid token: pat: ${hashOf(token).toLowerCase()} not found`) : error(401, "token invalid");
    if (Date.now() > pat.expires) return error(401, "token invalid");
    const user = users.find((u) => u.id === pat.user);
    return user ? { user } : error(401, "token invalid");
  }

  /** identity_provider.go `validateOIDCIssuer` (v0.62.2+): the discovery document's issuer must match exactly. */
  async function issuerProblem(value: string): Promise<string | undefined> {
    if (!atLeast(version, "0.62.2")) return undefined;
    try {
      const res = await fetch(`${value.replace(/\/$/, "")}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) });
      if (res.status !== 200) return `identity provider issuer is unreachable: status ${res.status}`;
      const doc = (await res.json()) as { issuer?: string };
      if (doc.issuer !== value) return `identity provider issuer does not match the issuer returned by the provider: expected "${value}" got "${doc.issuer ?? ""}"`;
    } catch (e) {
      return `identity provider issuer is unreachable: ${(e as Error).message}`;
    }
    return undefined;
  }

  /** types/identity_provider.go `Validate`, then the issuer check. */
  async function validateIdp(body: Record<string, unknown>): Promise<string | undefined> {
    if (!body.name) return "identity provider name is required";
    if (!body.type) return "identity provider type is required";
    if (!TYPES.includes(String(body.type))) return "unsupported identity provider type";
    if (!/^https?:\/\/[^/]+/.test(String(body.issuer ?? ""))) return "identity provider issuer must be a valid URL";
    if (!body.client_id) return "identity provider client ID is required";
    if (!schemaValidators().idp(body)) return "request does not match IdentityProviderRequest";
    return issuerProblem(String(body.issuer));
  }

  async function route(req: IncomingMessage, path: string, method: string): Promise<{ status: number; body?: unknown }> {
    if (path === "/oauth2/.well-known/openid-configuration" && method === "GET") {
      const iss = issuer();
      return iss
        ? { status: 200, body: { issuer: iss, authorization_endpoint: `${iss}/auth`, token_endpoint: `${iss}/token`, jwks_uri: `${iss}/keys` } }
        : { status: 404, body: { message: "not found", code: 404 } };
    }
    if (path === "/api/instance" && method === "GET") {
      if (!atLeast(version, "0.62.0")) return { status: 404, body: { message: "not found", code: 404 } };
      return { status: 200, body: { setup_required: issuer() !== undefined && users.length === 0 } };
    }
    if (path === "/api/setup" && method === "POST") {
      if (!atLeast(version, "0.62.0")) return { status: 404, body: { message: "not found", code: 404 } };
      const body = await readBody(req);
      if (!body) return error(400, "invalid request body");
      // setup_service.go (v0.70.5+): with NB_SETUP_PAT_ENABLED=true the expiry is checked first; without, ignored.
      const patSupported = atLeast(version, "0.70.5") && Boolean(opts.patEnabled);
      const days = body.pat_expire_in === undefined ? 1 : Number(body.pat_expire_in);
      if (patSupported && body.create_pat && (days < 1 || days > 365)) return error(422, "pat_expire_in must be between 1 and 365");
      // instance/manager.go validateSetupInfo: 422s, then "setup already completed" (412).
      const email = String(body.email ?? "");
      const password = String(body.password ?? "");
      if (!email) return error(422, "email is required");
      if (!mailParses(email)) return error(422, "invalid email format");
      if (!body.name) return error(422, "name is required");
      if (!password) return error(422, "password is required");
      if (Buffer.byteLength(password) < 8) return error(422, "password must be at least 8 characters");
      // 72 bytes (bcrypt): refused from v0.67.2; before, bcrypt fails (500) and setup stays open.
      if (Buffer.byteLength(password) > 72) return atLeast(version, "0.67.2") ? error(422, "password must be at most 72 characters") : error(500, "internal server error");
      if (users.length) return error(412, "setup already completed");
      if (!schemaValidators().setup(body)) return error(400, "invalid request body");
      const user = { id: `owner-${xid()}`, email, name: String(body.name), role: "owner", service: false };
      users.push(user);
      const out: Record<string, unknown> = { user_id: user.id, email };
      if (patSupported && body.create_pat) out.personal_access_token = addPat(user.id, "setup-token", days).token;
      return { status: 200, body: out };
    }

    const auth = authenticate(req);
    if (!("user" in auth)) return auth;
    const me = auth.user;

    if (path === "/api/users/current" && method === "GET") {
      if (me.service) return error(403, "permission denied");
      return { status: 200, body: { id: me.id, email: me.email, name: me.name, role: me.role, status: "active", is_service_user: false, auto_groups: [] } };
    }
    let m = /^\/api\/users\/([^/]+)\/tokens(?:\/([^/]+))?$/.exec(path);
    if (m) {
      const target = users.find((u) => u.id === decodeURIComponent(m![1]!));
      if (!target) return error(404, "user not found");
      if (target.id !== me.id && !(["owner", "admin"].includes(me.role) && target.service)) return error(403, "admin role required to perform this action");
      if (!["owner", "admin", "network_admin"].includes(me.role) && method !== "GET") return error(403, "permission denied");
      const tokenId = m[2] ? decodeURIComponent(m[2]) : undefined;
      if (!tokenId && method === "GET") {
        const own = pats.filter((p) => p.user === target.id).map(patJson);
        return { status: 200, body: own.length ? own : null };
      }
      if (!tokenId && method === "POST") {
        const body = await readBody(req);
        if (!body) return error(400, "couldn't parse JSON request");
        if (!body.name) return error(422, "token name can't be empty");
        const days = Number(body.expires_in);
        if (!(days >= 1 && days <= 365) || !schemaValidators().pat(body)) return error(422, "expiration has to be between 1 and 365");
        const { token, pat } = addPat(target.id, String(body.name), days);
        return { status: 200, body: { plain_token: token, personal_access_token: patJson(pat) } };
      }
      const at = pats.findIndex((p) => p.id === tokenId && p.user === target.id);
      if (at < 0) return error(404, "PAT not found");
      if (method === "GET") return { status: 200, body: patJson(pats[at]!) };
      if (method === "DELETE") {
        pats.splice(at, 1);
        return { status: 200, body: {} };
      }
    }

    if (path === "/api/identity-providers" && method === "GET") return { status: 200, body: issuer() ? idps.map(idpJson) : [] };
    if (path === "/api/identity-providers" && method === "POST") {
      const body = await readBody(req);
      if (!body) return error(400, "couldn't parse JSON request");
      const problem = await validateIdp(body);
      if (problem) return error(422, problem);
      if (!issuer()) return error(500, "identity provider management requires embedded IdP");
      // identity_provider.go generateIdentityProviderID: `<type>-<xid>`, bare xid for oidc; no uniqueness check.
      const type = String(body.type);
      const iss = issuer()!.replace(/\/$/, "");
      const idp: StoredIdp = {
        id: PREFIXED.includes(type) ? `${type}-${xid()}` : xid(),
        name: String(body.name),
        issuer: String(body.issuer),
        client_id: String(body.client_id),
        client_secret: String(body.client_secret ?? ""),
        active_secret: String(body.client_secret ?? ""),
        redirect_uri: `${iss.endsWith("/oauth2") ? iss : `${iss}/oauth2`}/callback`,
      };
      idps.push(idp);
      return { status: 200, body: { ...idpJson(idp), type } };
    }
    m = /^\/api\/identity-providers\/([^/]+)$/.exec(path);
    if (m) {
      const idp = idps.find((i) => i.id === decodeURIComponent(m[1]!));
      if (method === "GET") return idp ? { status: 200, body: idpJson(idp) } : error(404, "identity provider not found");
      if (method === "DELETE") {
        if (!idp) return error(404, "identity provider not found");
        idps.splice(idps.indexOf(idp), 1);
        return { status: 200, body: {} };
      }
      if (method === "PUT") {
        const body = await readBody(req);
        if (!body) return error(400, "couldn't parse JSON request");
        const problem = await validateIdp(body);
        if (problem) return error(422, problem);
        // Every connector error is wrapped as Internal: an unknown id is a 500 too.
        if (!idp) return error(500, "failed to update identity provider: failed to update connector: not found");
        // connector.go UpdateConnector (v0.70.5+): the type may not change; before, it "changes" but the listed type stays.
        if (atLeast(version, "0.70.5") && String(body.type) !== inferType(idp.id)) {
          return error(500, "failed to update identity provider: failed to update connector: connector type change not allowed");
        }
        Object.assign(idp, { name: String(body.name), issuer: String(body.issuer), client_id: String(body.client_id) });
        // An empty secret keeps the stored one from v0.64.0; before, the connector is rebuilt and it is wiped.
        if (body.client_secret) idp.client_secret = String(body.client_secret);
        else if (!atLeast(version, "0.64.0")) idp.client_secret = "";
        // Dex keeps the connector it opened (with the old secret) until management restarts (NetBird issue 5800).
        return { status: 200, body: { ...idpJson(idp), type: String(body.type) } };
      }
    }
    return error(404, "not found");
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const method = req.method ?? "GET";
    try {
      const r = await route(req, path, method);
      log.push({ method, path, status: r.status });
      send(res, r.status, r.body);
    } catch (e) {
      log.push({ method, path, status: 500 });
      send(res, 500, { message: String(e), code: 500 });
    }
  };
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    url,
    version,
    idps,
    pats,
    users,
    log,
    writes: () => log.filter((l) => l.method !== "GET"),
    restart: () => {
      for (const i of idps) i.active_secret = i.client_secret;
    },
    loginProbe: async (id, tokenEndpoint) => {
      const idp = idps.find((i) => i.id === id);
      if (!idp) return "no such connector";
      const res = await fetch(tokenEndpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code: "probe",
          redirect_uri: idp.redirect_uri,
          client_id: idp.client_id,
          client_secret: idp.active_secret,
        }).toString(),
      });
      return ((await res.json()) as { error?: string }).error ?? "ok";
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
