/**
 * A stand-in for the Kubernetes API server, as much as a Job that writes one Secret meets it: HTTPS with a
 * certificate from its own CA, service-account tokens, RBAC from Role-like rules, Secrets (get, list, create,
 * update, patch, delete) with resourceVersion conflicts, OpenAPI-schema and semantic validation, and
 * SelfSubjectAccessReviews. It writes the service account's files the way a pod sees them (pod-files.ts). Each
 * behaviour names the Kubernetes source it follows; README.md beside this file has the table.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { certificateAuthority, issueCertificate, type CertificateAuthority } from "../fake-authentik/x509.ts";
import { applyPatch, PATCH_TYPES, type Json } from "./patch.ts";
import { writeServiceAccountDir, type ServiceAccountDir } from "./pod-files.ts";
import { allows, serviceAccountUser, type PolicyRule, type RequestAttributes } from "./rbac.ts";
import { schemaErrors, unknownFields } from "./schema.ts";
import {
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  forCode,
  invalid,
  methodNotAllowed,
  notFound,
  pathNotFound,
  StatusError,
  tooLarge,
  unauthorized,
  unsupportedMediaType,
  type Status,
} from "./status.ts";
import { validateSecret, validateSecretUpdate, type SecretLike } from "./validation.ts";

/** The API server refuses request bodies above 3 MiB (apiserver options: `MaxRequestBodyBytes = 3 * 1024 * 1024`). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface FakeKubernetesOptions {
  /** The pod's namespace (its service account's), default "netbird". */
  namespace?: string;
  /** The service account the issued token belongs to, default "authentik-bootstrap". */
  serviceAccount?: string;
  /** What the service account may do: Role rules (rbac.ts). Default: none. */
  rules?: PolicyRule[];
  /** Secrets that exist at start (metadata.namespace defaults to `namespace`). */
  secrets?: SecretLike[];
  /** Address to listen on, default 127.0.0.1. */
  host?: string;
  /** Extra names and addresses for the certificate (a container reaching the host by another address). */
  altNames?: string[];
}

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  verb: string;
  user: string;
  status: number;
  /** A write that changed stored state. */
  write: boolean;
  /** The request body as the client sent it (parsed JSON, or the text). */
  body?: unknown;
  /** `Warning` headers sent back (unknown fields with fieldValidation=Warn). */
  warnings?: string[];
}

export interface Fault {
  method?: string;
  /** Matches the path (a string: equal; a RegExp: tested). */
  path: string | RegExp;
  status: number;
  message?: string;
  /** Answer so this many times (default once). */
  times?: number;
  retryAfterSeconds?: number;
}

/** A hook that runs before a write request is handled (e.g. another writer changing the Secret first). */
export type BeforeWrite = (req: { method: string; name: string | undefined; fake: FakeKubernetes }) => void;
/** A hook that runs when a request arrives, before it is authenticated (e.g. the kubelet rotating the token). */
export type OnRequest = (req: { method: string; path: string; index: number; fake: FakeKubernetes }) => void;

export interface FakeKubernetes extends AsyncDisposable {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly namespace: string;
  readonly ca: CertificateAuthority;
  /** The service account's files, laid out as in a pod (mount this directory). */
  readonly serviceAccountDir: ServiceAccountDir;
  /** The user the token authenticates as: system:serviceaccount:<namespace>:<name>. */
  readonly user: string;
  /** KUBERNETES_SERVICE_HOST/PORT as the kubelet sets them. */
  env(): { KUBERNETES_SERVICE_HOST: string; KUBERNETES_SERVICE_PORT: string };
  readonly log: RequestRecord[];
  /** Requests that changed stored state. */
  writes(): RequestRecord[];
  resetLog(): void;
  /** The stored Secret (as a GET returns it), or undefined. */
  secret(name: string, namespace?: string): any;
  /** Store a Secret directly (another writer: bumps resourceVersion, keeps uid). */
  putSecret(secret: SecretLike & { metadata: { name: string; namespace?: string } }): any;
  deleteSecret(name: string, namespace?: string): void;
  setRules(rules: PolicyRule[]): void;
  inject(fault: Fault): void;
  beforeWrite(hook: BeforeWrite | undefined): void;
  onRequest(hook: OnRequest | undefined): void;
  /** Issue a new token and write it into the pod files (the kubelet's refresh); `revokeOld`: the old one stops working. */
  rotateToken(revokeOld?: boolean): string;
  /** Every token but the current one stops working (an old token's expiry). */
  revokeOldTokens(): void;
  close(): Promise<void>;
}

/** Escape a token for the JWT-like shape of a bound service-account token (header.payload.signature, base64url). */
function issueToken(namespace: string, serviceAccount: string): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    aud: ["https://kubernetes.default.svc"],
    exp: now + 3607,
    iat: now,
    iss: "https://kubernetes.default.svc",
    sub: serviceAccountUser(namespace, serviceAccount),
    "kubernetes.io": { namespace, serviceaccount: { name: serviceAccount, uid: randomUUID() } },
  };
  return `${part({ alg: "RS256", kid: randomBytes(8).toString("hex") })}.${part(payload)}.${randomBytes(64).toString("base64url")}`;
}

interface Route {
  /** "secrets" or "selfsubjectaccessreviews" */
  resource: string;
  namespace: string;
  name: string;
}

/** Request info from the URL (apiserver endpoints/request/requestinfo.go): the resource, its namespace and name. */
function route(path: string): Route | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?\/?$/.exec(path)))
    return { resource: "secrets", namespace: decodeURIComponent(m[1]!), name: decodeURIComponent(m[2] ?? "") };
  if (path === "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") return { resource: "selfsubjectaccessreviews", namespace: "", name: "" };
  return undefined;
}

/** The verb RBAC sees (requestinfo.go): GET → get/list/watch, POST → create, PUT → update, PATCH → patch, DELETE → delete/deletecollection. */
function verbOf(method: string, name: string, query: URLSearchParams): string {
  switch (method) {
    case "GET":
    case "HEAD":
      return name ? "get" : query.get("watch") === "true" || query.get("watch") === "1" ? "watch" : "list";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return name ? "delete" : "deletecollection";
    default:
      return "";
  }
}

const clone = <T>(v: T): T => structuredClone(v);

export async function startFakeKubernetes(opts: FakeKubernetesOptions = {}): Promise<FakeKubernetes> {
  const namespace = opts.namespace ?? "netbird";
  const serviceAccount = opts.serviceAccount ?? "authentik-bootstrap";
  const user = serviceAccountUser(namespace, serviceAccount);
  const host = opts.host ?? "127.0.0.1";
  let rules: PolicyRule[] = opts.rules ?? [];
  const log: RequestRecord[] = [];
  const faults: (Fault & { used: number })[] = [];
  let hook: BeforeWrite | undefined;
  let arrival: OnRequest | undefined;
  /** etcd's revision: one counter for every object (resourceVersion is opaque to clients, but numeric here). */
  let revision = 1000;
  const secrets = new Map<string, any>();
  const key = (ns: string, name: string) => `${ns}/${name}`;
  const tokens = new Map<string, string>();
  let currentToken = issueToken(namespace, serviceAccount);
  tokens.set(currentToken, user);

  const ca = certificateAuthority("fake-kubernetes-ca", { organization: "fake-kubernetes" });
  const tls = issueCertificate(ca, "kube-apiserver", {
    altNames: ["localhost", "127.0.0.1", "::1", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", ...(opts.altNames ?? [])],
  });
  const serviceAccountDir = writeServiceAccountDir({ token: currentToken, caCrt: ca.certPem, namespace });

  /** What a stored Secret looks like to a reader: server fields set, `stringData` never (it is write-only). */
  function store(obj: any, previous?: any): any {
    const stored = clone(obj);
    if (stored.stringData) {
      stored.data = { ...(stored.data ?? {}) };
      for (const [k, v] of Object.entries(stored.stringData as Record<string, string>)) stored.data[k] = Buffer.from(v, "utf8").toString("base64");
    }
    delete stored.stringData;
    stored.metadata = {
      ...stored.metadata,
      uid: previous?.metadata?.uid ?? randomUUID(),
      creationTimestamp: previous?.metadata?.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      resourceVersion: String(++revision),
    };
    if (stored.type === undefined) stored.type = "Opaque"; // SetDefaults_Secret (pkg/apis/core/v1/defaults.go)
    secrets.set(key(stored.metadata.namespace, stored.metadata.name), stored);
    return clone(stored);
  }
  for (const s of opts.secrets ?? []) store({ apiVersion: "v1", kind: "Secret", ...s, metadata: { namespace, ...s.metadata } });

  // ---- decoding and validating a Secret ----------------------------------------------------------------------

  /**
   * The body as the API server decodes it (handlers/create.go, update.go; handlers/rest.go transformDecodeError):
   * JSON only here (415 otherwise), the OpenAPI schema's types and formats (a wrong type or invalid base64 is the
   * decoder's 400 "Secret in version "v1" cannot be handled as a Secret: …"), unknown fields per `fieldValidation`
   * (Strict: 400 strict decoding error; Warn, the default: a `Warning` header and the field dropped; Ignore:
   * dropped), `stringData` merged into `data` (pkg/apis/core/v1/conversion.go Convert_v1_Secret_To_core_Secret).
   */
  function decodeSecret(raw: unknown, query: URLSearchParams, warnings: string[]): any {
    const errors = schemaErrors(raw, "v1/Secret");
    if (errors.length) {
      throw badRequest(`Secret in version "v1" cannot be handled as a Secret: ${errors.map((e) => `${e.path || "(root)"} ${e.message}`).join("; ")}`);
    }
    const unknown = unknownFields(raw, "v1/Secret");
    const directive = query.get("fieldValidation") ?? "Warn";
    if (!["Strict", "Warn", "Ignore"].includes(directive)) throw badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got ${JSON.stringify(directive)}`);
    if (unknown.length && directive === "Strict") {
      throw badRequest(`Secret in version "v1" cannot be handled as a Secret: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(", ")}`);
    }
    const obj = clone(raw) as any;
    if (unknown.length) {
      if (directive === "Warn") warnings.push(...unknown.map((f) => `unknown field "${f}"`));
      for (const path of unknown) dropPath(obj, path);
    }
    if (obj.stringData) {
      obj.data = { ...(obj.data ?? {}) };
      for (const [k, v] of Object.entries(obj.stringData as Record<string, string>)) obj.data[k] = Buffer.from(v, "utf8").toString("base64");
      delete obj.stringData;
    }
    return obj;
  }

  function dropPath(obj: any, path: string): void {
    const parts = path.split(".").flatMap((p) => p.split(/\[(\d+)\]/).filter(Boolean));
    let node = obj;
    for (const p of parts.slice(0, -1)) node = node?.[p];
    if (node && typeof node === "object") delete node[parts[parts.length - 1]!];
  }

  /** Semantic validation (pkg/apis/core/validation ValidateSecret / ValidateSecretUpdate): 422 Invalid. */
  function validate(obj: any, old?: any): void {
    const errors = old ? validateSecretUpdate(obj, old) : validateSecret(obj);
    if (errors.length) throw invalid("Secret", String(obj.metadata?.name ?? ""), errors);
  }

  // ---- the handlers ------------------------------------------------------------------------------------------

  function getSecret(r: Route): any {
    const found = secrets.get(key(r.namespace, r.name));
    if (!found) throw notFound("secrets", r.name);
    return found;
  }

  /**
   * POST …/secrets (registry/generic/registry/store.go Create): the body's namespace must be empty or the URL's
   * (handlers/create.go: 400 "the namespace of the provided object does not match the namespace sent on the
   * request"); a set resourceVersion is refused (storage.ErrResourceVersionSetOnCreate, not mapped to an API
   * error: 500); an existing name is 409 AlreadyExists.
   */
  function create(r: Route, body: unknown, query: URLSearchParams, warnings: string[]): { status: number; body: unknown } {
    const obj = decodeSecret(body, query, warnings);
    if (obj.metadata?.namespace && obj.metadata.namespace !== r.namespace)
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    obj.metadata = { ...(obj.metadata ?? {}), namespace: r.namespace };
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = `${String(obj.metadata.generateName)}${randomBytes(3).toString("hex").slice(0, 5)}`;
    validate(obj);
    if (obj.metadata.resourceVersion) throw forCode(500, "secrets", obj.metadata.name, "resourceVersion should not be set on objects to be created");
    if (secrets.has(key(r.namespace, obj.metadata.name))) throw alreadyExists("secrets", obj.metadata.name);
    return { status: 201, body: store(obj) };
  }

  /**
   * PUT …/secrets/<name> (handlers/update.go, registry/generic/registry/store.go Update): the body's name must be
   * the URL's (400); a Secret that does not exist is 404 (the secret strategy's AllowCreateOnUpdate is false,
   * pkg/registry/core/secret/strategy.go); a resourceVersion other than the stored one is 409 Conflict ("the object
   * has been modified; please apply your changes to the latest version and try again",
   * storage.NewResourceVersionConflictsError); an empty one updates unconditionally (AllowUnconditionalUpdate is
   * true for Secrets). uid and creationTimestamp come from the stored object when left empty.
   */
  function update(r: Route, body: unknown, query: URLSearchParams, warnings: string[]): { status: number; body: unknown } {
    const obj = decodeSecret(body, query, warnings);
    if (obj.metadata?.name !== r.name) throw badRequest(`the name of the object (${String(obj.metadata?.name ?? "")}) does not match the name on the URL (${r.name})`);
    if (obj.metadata?.namespace && obj.metadata.namespace !== r.namespace)
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    const old = getSecret(r);
    const rv = obj.metadata.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion) throw conflict("secrets", r.name);
    obj.metadata = { ...obj.metadata, namespace: r.namespace, uid: obj.metadata.uid || old.metadata.uid, creationTimestamp: old.metadata.creationTimestamp };
    if (obj.type === undefined) obj.type = "Opaque";
    validate(obj, old);
    return { status: 200, body: store(obj, old) };
  }

  /**
   * PATCH …/secrets/<name> (handlers/patch.go): json, merge and strategic-merge patches (patch.ts); a
   * metadata.resourceVersion in the patched object acts as a precondition (409 if stale); then validated as an
   * update. Server-side apply is not emulated (415 with the accepted types).
   */
  function patch(r: Route, contentType: string, body: unknown, query: URLSearchParams, warnings: string[]): { status: number; body: unknown } {
    if (!(PATCH_TYPES as readonly string[]).includes(contentType) || contentType === "application/apply-patch+yaml") throw unsupportedMediaType(PATCH_TYPES.slice(0, 3));
    const old = getSecret(r);
    const patched = applyPatch(contentType, clone(old) as Json, body as Json) as any;
    const obj = decodeSecret(patched, query, warnings);
    if (obj.metadata?.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion) throw conflict("secrets", r.name);
    if (obj.metadata?.name !== r.name) throw badRequest(`the name of the object (${String(obj.metadata?.name ?? "")}) does not match the name on the URL (${r.name})`);
    obj.metadata = { ...obj.metadata, namespace: r.namespace, uid: old.metadata.uid };
    validate(obj, old);
    return { status: 200, body: store(obj, old) };
  }

  /** SelfSubjectAccessReview (authorization.k8s.io/v1): may the caller do this? Answered from the same rules. */
  function accessReview(body: any, who: string): { status: number; body: unknown } {
    const attrs = body?.spec?.resourceAttributes;
    if (!attrs)
      throw invalid("SelfSubjectAccessReview", "", [
        { type: "FieldValueRequired", field: "spec.resourceAttributes", detail: "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified" },
      ]);
    const groups = attrs.group ? [String(attrs.group)] : [""];
    const request: RequestAttributes = {
      verb: String(attrs.verb ?? ""),
      resource: String(attrs.resource ?? ""),
      namespace: String(attrs.namespace ?? ""),
      name: String(attrs.name ?? ""),
    };
    const allowed = who === user && groups.includes("") && allows(rules, request, namespace);
    return {
      status: 201,
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        metadata: { creationTimestamp: null },
        spec: body.spec,
        status: allowed ? { allowed: true, reason: `RBAC: allowed by RoleBinding of Role to ServiceAccount "${namespace}/${serviceAccount}"` } : { allowed: false },
      },
    };
  }

  // ---- HTTP ----------------------------------------------------------------------------------------------------

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}) => {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-cache, private", ...headers });
    res.end(JSON.stringify(body));
  };

  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) throw tooLarge(MAX_BODY_BYTES);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  /**
   * Authentication (apiserver endpoints/filters/authentication.go): no Authorization header is the anonymous user
   * (anonymous auth is on by default, and RBAC then forbids it); a bearer token that is not one of ours is 401.
   */
  function authenticate(req: IncomingMessage): string {
    const header = req.headers.authorization;
    if (!header) return "system:anonymous";
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const who = m ? tokens.get(m[1]!) : undefined;
    if (!who) throw unauthorized();
    return who;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://x");
    const method = req.method ?? "GET";
    const record: RequestRecord = { method, path: url.pathname, query: url.search.replace(/^\?/, ""), verb: "", user: "", status: 0, write: false };
    log.push(record);
    arrival?.({ method, path: url.pathname, index: log.length - 1, fake: api });
    const warnings: string[] = [];
    try {
      const raw = await readBody(req);
      const text = raw.toString("utf8");
      if (text) {
        try {
          record.body = JSON.parse(text);
        } catch {
          record.body = text;
        }
      }
      const r = route(url.pathname);
      if (!r) throw pathNotFound();
      const verb = r.resource === "secrets" ? verbOf(method, r.name, url.searchParams) : method === "POST" ? "create" : "";
      record.verb = verb;
      if (!verb) throw methodNotAllowed();
      const who = authenticate(req);
      record.user = who;

      const fault = faults.find(
        (f) => (!f.method || f.method === method) && (typeof f.path === "string" ? f.path === url.pathname : f.path.test(url.pathname)) && f.used < (f.times ?? 1),
      );
      if (fault) {
        fault.used += 1;
        throw forCode(fault.status, r.resource, r.name || undefined, fault.message, fault.retryAfterSeconds);
      }

      // Authorization (RBAC) before the body is looked at: a denied request is 403 whatever it carries.
      // Every authenticated user may create SelfSubjectAccessReviews (ClusterRole system:basic-user).
      if (r.resource === "selfsubjectaccessreviews") {
        if (who === "system:anonymous") throw forbidden(who, "create", "selfsubjectaccessreviews.authorization.k8s.io", "");
        const out = accessReview(record.body, who);
        record.status = out.status;
        return send(res, out.status, out.body);
      }
      const attrs: RequestAttributes = { verb, resource: "secrets", namespace: r.namespace, name: r.name };
      if (who !== user || !allows(rules, attrs, namespace)) throw forbidden(who, verb, "secrets", r.namespace, r.name || undefined);

      if (["POST", "PUT", "PATCH"].includes(method)) {
        const type = String(req.headers["content-type"] ?? "")
          .split(";")[0]!
          .trim();
        if (method !== "PATCH" && type !== "application/json") throw unsupportedMediaType(["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]);
        if (typeof record.body === "string" || record.body === undefined) {
          throw badRequest(`Secret in version "v1" cannot be handled as a Secret: ${record.body === undefined ? "the body is empty" : "invalid character in JSON"}`);
        }
        hook?.({ method, name: r.name || undefined, fake: api });
      }
      let out: { status: number; body: unknown };
      switch (verb) {
        case "get":
          out = { status: 200, body: clone(getSecret(r)) };
          break;
        case "list":
          out = {
            status: 200,
            body: {
              kind: "SecretList",
              apiVersion: "v1",
              metadata: { resourceVersion: String(revision) },
              items: [...secrets.values()].filter((s) => s.metadata.namespace === r.namespace).map(clone),
            },
          };
          break;
        case "create":
          out = create(r, record.body, url.searchParams, warnings);
          break;
        case "update":
          out = update(r, record.body, url.searchParams, warnings);
          break;
        case "patch":
          out = patch(
            r,
            String(req.headers["content-type"] ?? "")
              .split(";")[0]!
              .trim(),
            record.body,
            url.searchParams,
            warnings,
          );
          break;
        case "delete": {
          const gone = getSecret(r);
          secrets.delete(key(r.namespace, r.name));
          out = { status: 200, body: gone };
          break;
        }
        default:
          throw methodNotAllowed();
      }
      record.status = out.status;
      record.write = ["create", "update", "patch", "delete"].includes(verb);
      if (warnings.length) record.warnings = warnings;
      // A `Warning: 299 - "<text>"` header per warning (apiserver endpoints/handlers/warning; RFC 7234 warn-code 299).
      return send(res, out.status, out.body, warnings.length ? { warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) } : {});
    } catch (error) {
      const status: Status = error instanceof StatusError ? error.status : forCode(500, "", undefined, String((error as Error).message)).status;
      record.status = status.code;
      return send(res, status.code, status, error instanceof StatusError ? error.headers : {});
    }
  }

  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { kind: "Status", apiVersion: "v1", status: "Failure", message: String(error), code: 500 });
    });
  });
  const sockets = new Set<Socket>();
  server.on("secureConnection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(":") ? `[${host}]` : host;

  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    serviceAccountDir.remove();
  };

  const api: FakeKubernetes = {
    url: `https://${shown}:${port}`,
    host,
    port,
    namespace,
    ca,
    serviceAccountDir,
    user,
    env: () => ({ KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: String(port) }),
    log,
    writes: () => log.filter((r) => r.write),
    resetLog: () => void (log.length = 0),
    secret: (name, ns = namespace) => {
      const s = secrets.get(key(ns, name));
      return s ? clone(s) : undefined;
    },
    putSecret: (s) => {
      const ns = s.metadata.namespace ?? namespace;
      const previous = secrets.get(key(ns, s.metadata.name));
      return store({ apiVersion: "v1", kind: "Secret", ...clone(s), metadata: { ...clone(s.metadata), namespace: ns } }, previous);
    },
    deleteSecret: (name, ns = namespace) => void secrets.delete(key(ns, name)),
    setRules: (next) => void (rules = next),
    inject: (f) => void faults.push({ ...f, used: 0 }),
    beforeWrite: (h) => void (hook = h),
    onRequest: (h) => void (arrival = h),
    rotateToken: (revokeOld = false) => {
      if (revokeOld) tokens.delete(currentToken);
      currentToken = issueToken(namespace, serviceAccount);
      tokens.set(currentToken, user);
      serviceAccountDir.rotate({ token: currentToken });
      return currentToken;
    },
    revokeOldTokens: () => {
      for (const t of [...tokens.keys()]) if (t !== currentToken) tokens.delete(t);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  return api;
}
