/**
 * A small fake of NetBird management's API, the part built from `management-openapi.yml` that the
 * netbird-embedded consumer uses: `/api/instance`, `/api/setup` (PAT only with `patEnabled`, 412 once set up),
 * `/api/identity-providers` (auth `Token <PAT>`). Like the real server, creating or updating a connector
 * fetches `<issuer>/.well-known/openid-configuration` and requires its `issuer` to match byte for byte.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { sharedDir } from "../fake-authentik/paths.ts";
import type { AddressInfo } from "node:net";

export interface FakeNetbirdOptions {
  patEnabled?: boolean;
  /** An owner exists already, with this PAT. */
  pat?: string;
}

export interface StoredIdp {
  id: string;
  type: string;
  name: string;
  issuer: string;
  client_id: string;
  client_secret: string;
}

export interface FakeNetbird extends AsyncDisposable {
  url: string;
  idps: StoredIdp[];
  log: { method: string; path: string; status: number }[];
  writes(): { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

/** Request bodies are checked against NetBird's own OpenAPI components (the `type` enum aside, see below). */
let validators: { idp: (b: unknown) => boolean; setup: (b: unknown) => boolean } | undefined;
function schemaValidators() {
  if (validators) return validators;
  const doc = parse(readFileSync(`${sharedDir()}/netbird/management-openapi.yml`, "utf8")) as { components: { schemas: Record<string, unknown> } };
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: "nb", components: doc.components });
  const idp = ajv.compile({ $ref: "nb#/components/schemas/IdentityProviderRequest" });
  const setup = ajv.compile({ $ref: "nb#/components/schemas/SetupRequest" });
  validators = { idp: (b) => idp(b) as boolean, setup: (b) => setup(b) as boolean };
  return validators;
}

// The server accepts `authentik` and `keycloak` although the OpenAPI enum does not list them.
const TYPES = ["oidc", "zitadel", "entra", "google", "okta", "pocketid", "microsoft", "adfs", "authentik", "keycloak"];

export async function startFakeNetbird(opts: FakeNetbirdOptions = {}): Promise<FakeNetbird> {
  const pats = new Set<string>(opts.pat ? [opts.pat] : []);
  let ownerExists = Boolean(opts.pat);
  const idps: StoredIdp[] = [];
  const log: FakeNetbird["log"] = [];

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(body === undefined ? "" : JSON.stringify(body));
  };
  const readBody = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    let text = "";
    for await (const chunk of req) text += chunk;
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  const validate = async (body: Record<string, unknown>, requireSecret: boolean): Promise<string | undefined> => {
    for (const f of ["type", "name", "issuer", "client_id", ...(requireSecret ? ["client_secret"] : [])]) {
      if (typeof body[f] !== "string" || body[f] === "") return `${f} is required`;
    }
    if (!TYPES.includes(body.type as string)) return `invalid identity provider type`;
    if (requireSecret && TYPES.slice(0, 8).includes(body.type as string) && !schemaValidators().idp(body)) return "request does not match IdentityProviderRequest";
    const issuer = body.issuer as string;
    try {
      const res = await fetch(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) });
      const doc = (await res.json()) as { issuer?: string };
      if (doc.issuer !== issuer) return `issuer mismatch: discovery says ${doc.issuer ?? "(none)"}`;
    } catch (error) {
      return `failed to fetch OIDC discovery: ${(error as Error).message}`;
    }
    return undefined;
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const method = req.method ?? "GET";
    const path = url.pathname;
    const done = (status: number, body?: unknown) => {
      log.push({ method, path, status });
      send(res, status, body);
    };
    try {
      if (path === "/api/instance" && method === "GET") return done(200, { setup_required: !ownerExists });
      if (path === "/api/setup" && method === "POST") {
        const body = await readBody(req);
        if (ownerExists) return done(412, { message: "setup already completed", code: 412 });
        if (!schemaValidators().setup(body)) return done(400, { message: "invalid setup request", code: 400 });
        ownerExists = true;
        const out: Record<string, unknown> = { user_id: randomBytes(6).toString("hex"), email: body.email };
        if (body.create_pat && opts.patEnabled) {
          const pat = `nbp_${randomBytes(18).toString("hex")}`;
          pats.add(pat);
          out.personal_access_token = pat;
        }
        return done(200, out);
      }
      const auth = req.headers.authorization ?? "";
      if (!auth.startsWith("Token ") || !pats.has(auth.slice(6))) return done(401, { message: "token invalid", code: 401 });
      const strip = ({ client_secret: _s, ...rest }: StoredIdp) => rest;
      if (path === "/api/identity-providers" && method === "GET") return done(200, idps.map(strip));
      if (path === "/api/identity-providers" && method === "POST") {
        const body = await readBody(req);
        const problem = await validate(body, true);
        if (problem) return done(400, { message: problem, code: 400 });
        const idp: StoredIdp = {
          id: `${body.type as string}-${randomBytes(10).toString("hex")}`,
          type: body.type as string,
          name: body.name as string,
          issuer: body.issuer as string,
          client_id: body.client_id as string,
          client_secret: body.client_secret as string,
        };
        idps.push(idp);
        return done(200, strip(idp));
      }
      const m = /^\/api\/identity-providers\/([^/]+)$/.exec(path);
      if (m) {
        const idp = idps.find((i) => i.id === decodeURIComponent(m[1]!));
        if (!idp) return done(404, { message: "identity provider not found", code: 404 });
        if (method === "GET") return done(200, strip(idp));
        if (method === "PUT") {
          const body = await readBody(req);
          const problem = await validate(body, false);
          if (problem) return done(400, { message: problem, code: 400 });
          if (body.type !== idp.type) return done(400, { message: "identity provider type cannot be changed", code: 400 });
          Object.assign(idp, { name: body.name, issuer: body.issuer, client_id: body.client_id });
          if (body.client_secret) idp.client_secret = body.client_secret as string;
          return done(200, strip(idp));
        }
      }
      return done(404, { message: "not found", code: 404 });
    } catch (error) {
      return done(500, { message: String(error), code: 500 });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { url: `http://127.0.0.1:${port}`, idps, log, writes: () => log.filter((l) => l.method !== "GET"), close, [Symbol.asyncDispose]: close };
}
