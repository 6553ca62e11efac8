/**
 * The one module that talks to authentik: its REST API (paths, query strings and bodies as in authentik's schema)
 * and the OIDC endpoints as a consumer meets them, over `http.ts`. Request bodies are typed by `@goauthentik/api`
 * and written by its serialisers (`requests.ts`); responses are read as raw JSON into the wire types of
 * `wire.ts`, because the generated deserialisers break on older servers' shapes. The few request shapes that
 * differ on older servers are rewritten in one place (`versionShim`).
 */
import type {
  ApplicationRequest,
  FlowRequest,
  OAuth2ProviderRequest,
  PatchedApplicationRequest,
  PatchedBrandRequest,
  PatchedFlowRequest,
  PatchedGroupRequest,
  PatchedOAuth2ProviderRequest,
  PatchedTokenRequest,
  PatchedUserRequest,
  TokenRequest,
  UserServiceAccountRequest,
} from "@goauthentik/api";
import pRetry from "p-retry";
import { ApiError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { registerSecret, scrub } from "../secrets.ts";
import { Http, type HttpAnswer } from "./http.ts";
import {
  ApplicationRequestToJSON,
  FlowRequestToJSON,
  GroupRequestToJSON,
  OAuth2ProviderRequestToJSON,
  PatchedApplicationRequestToJSON,
  PatchedBrandRequestToJSON,
  PatchedFlowRequestToJSON,
  PatchedGroupRequestToJSON,
  PatchedOAuth2ProviderRequestToJSON,
  PatchedPermissionAssignRequestToJSON,
  PatchedTokenRequestToJSON,
  PatchedUserRequestToJSON,
  PermissionAssignRequestToJSON,
  RoleRequestToJSON,
  TokenRequestToJSON,
  UserAccountRequestToJSON,
  UserServiceAccountRequestToJSON,
} from "./requests.ts";
import { featuresOf, type Features } from "./version.ts";
import type {
  Paginated,
  RedirectUri,
  WireApplication,
  WireBrand,
  WireCertificate,
  WireFlow,
  WireGroup,
  WireOAuth2Provider,
  WireProvider,
  WireRole,
  WireScopeMapping,
  WireServiceAccount,
  WireToken,
  WireUser,
} from "./wire.ts";

export interface ClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  caFile?: string | undefined;
  insecureTls?: boolean;
  logger: Logger;
  /** Retries of a failed read (connection error, 502/503/504/429). */
  readRetries?: number;
  /** Base delay between read retries, ms (tests make it small). */
  retryDelayMs?: number;
}

export interface RequestStats {
  requests: number;
  /** Write requests that changed, or may have changed, something: not those refused with a 4xx. */
  writes: number;
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const TRANSIENT = new Set([0, 429, 502, 503, 504]);
export const PAGE_SIZE = 100;
const MAX_PAGES = 100;

/** A path parameter, encoded. */
const seg = (value: string | number) => encodeURIComponent(String(value));

type Query = Record<string, string | number | boolean | undefined>;

/** One request to the API. */
interface ApiCall {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Below /api/v3, path parameters in place. */
  path: string;
  query?: Query;
  /** The body in wire form (a generated serialiser's output). */
  body?: unknown;
}

/** As the generated client writes a query string: `encodeURIComponent` on names and values, nothing for undefined. */
function queryString(query: Query): string {
  const parts = Object.entries(query).flatMap(([k, v]) => (v === undefined ? [] : [`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`]));
  return parts.length ? `?${parts.join("&")}` : "";
}

/** Old servers: one newline-separated string of regexes instead of `{matching_mode, url}` objects. */
function redirectUrisToLegacy(list: readonly RedirectUri[]): string {
  return list.map((r) => (r.matching_mode === "strict" ? escapeRegex(r.url) : r.url)).join("\n");
}

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function errorDetail(text: string): string {
  let detail = text.trim();
  try {
    const body = JSON.parse(detail) as unknown;
    detail = JSON.stringify(body);
  } catch {
    /* not JSON: keep text */
  }
  if (detail.length > 400) detail = `${detail.slice(0, 400)}…`;
  return scrub(detail || "(empty body)");
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const inner = (cause as { cause?: { code?: string; message?: string } }).cause;
  const code = inner?.code ?? (cause as { code?: string }).code;
  const name = (cause as Error).name;
  if (name === "TimeoutError" || name === "AbortError") return "no answer within the request timeout";
  return scrub(`${code ? `${code}: ` : ""}${inner?.message ?? (cause as Error).message ?? String(cause)}`);
}

export class AuthentikClient {
  readonly baseUrl: string;
  readonly stats: RequestStats;
  features: Features = featuresOf("0.0.0");
  /** authentik's clock minus ours, in ms, from the `Date` header of its last answer (second resolution). */
  clockOffsetMs: number | undefined;
  private readonly options: ClientOptions;
  private readonly http: Http;

  constructor(options: ClientOptions, shared?: { http: Http; stats: RequestStats }) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    registerSecret(options.token);
    this.http = shared?.http ?? new Http({ caFile: options.caFile, insecureTls: options.insecureTls });
    this.stats = shared?.stats ?? { requests: 0, writes: 0 };
  }

  /** `task` the next time no request is left to send and answers are awaited (Http.whileWaiting). */
  whileWaiting(task: () => void): void {
    this.http.whileWaiting(task);
  }

  /**
   * Settles once every request made before the call is out, answered or failed (Http.sent). A request is written
   * to its socket only once the promise jobs queued before it are done: a caller about to compute for a while
   * awaits this first.
   */
  sent(): Promise<void> {
    return this.http.sent();
  }

  /** The same authentik as another caller (a JWT of NetBird's account): connections and counts shared. */
  withToken(token: string): AuthentikClient {
    const other = new AuthentikClient({ ...this.options, token }, { http: this.http, stats: this.stats });
    other.features = this.features;
    other.clockOffsetMs = this.clockOffsetMs;
    return other;
  }

  /** Rewrites requests for older servers: scope-mapping path (<2024.8) and string redirect URIs (<2024.12). */
  private versionShim(call: ApiCall): ApiCall {
    const f = this.features;
    let { path, body } = call;
    if (f.legacyScopeMappingPath) path = path.replace("/propertymappings/provider/scope/", "/propertymappings/scope/");
    const uris = (body as { redirect_uris?: unknown } | undefined)?.redirect_uris;
    if (f.redirectUrisAsString && /^\/providers\/oauth2\/(\d+\/)?$/.test(path) && Array.isArray(uris)) {
      body = { ...(body as object), redirect_uris: redirectUrisToLegacy(uris as RedirectUri[]) };
    }
    return { ...call, path, body };
  }

  /** One exchange, counted; the answer whatever its status, or the error of having none. */
  private async exchange(method: string, url: string, init: { headers: Record<string, string>; body?: string; noRedirect?: boolean }): Promise<HttpAnswer> {
    this.stats.requests += 1;
    const answer = await this.http.request(url, {
      method,
      headers: init.headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
      timeoutMs: this.options.timeoutMs,
      redirect: init.noRedirect ? "manual" : "follow",
    });
    this.noteClock(answer);
    return answer;
  }

  /** Reads authentik's clock from an answer's `Date` header. */
  private noteClock(answer: HttpAnswer): void {
    const date = Date.parse(answer.headers.date ?? "");
    // The header has second resolution: compare against the middle of the second we are in.
    if (Number.isFinite(date)) this.clockOffsetMs = date + 500 - Date.now();
  }

  /** authentik's "now" as far as this client knows it (our clock when no answer had a Date header). */
  serverNow(): number {
    return Date.now() + (this.clockOffsetMs ?? 0);
  }

  /**
   * Sends one API request and returns its JSON body (undefined for 204). Errors become `ApiError`s that name the
   * operation; reads are retried on transient failures, writes only when authentik says it did not start
   * processing them (502/503 "authentik starting").
   */
  /**
   * `kind`: a read or an idempotent write (PATCH, add_user, DELETE) is retried on any transient failure; a
   * create only when authentik says it did not process it (502/503) — after a lost answer the caller looks
   * the object up instead (see apply's createOrAdopt), so a retried create never duplicates.
   */
  private async send<T>(operation: string, kind: "read" | "idempotent" | "create", request: ApiCall, retries?: number): Promise<T> {
    const call = this.versionShim(request);
    const url = `${this.baseUrl}/api/v3${call.path}${queryString(call.query ?? {})}`;
    const headers: Record<string, string> = { accept: "application/json", authorization: `Bearer ${this.options.token}` };
    if (call.body !== undefined) headers["content-type"] = "application/json";
    let attempts = 0;
    const attempt = async (): Promise<T> => {
      const retried = ++attempts > 1;
      let answer: HttpAnswer;
      const write = WRITE_METHODS.has(call.method);
      this.options.logger.trace({ method: call.method, url: scrub(url) }, "request");
      try {
        answer = await this.exchange(call.method, url, { headers, ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}) });
      } catch (error) {
        if (write) this.stats.writes += 1;
        throw new ApiError(operation, 0, `no answer from ${this.baseUrl} (${describeCause(error)})`, { cause: error });
      }
      // A write authentik refused (4xx: a taken name, say) changed nothing.
      if (write && (answer.status < 400 || answer.status > 499)) this.stats.writes += 1;
      if (answer.status < 200 || answer.status > 299) throw new ApiError(operation, answer.status, errorDetail(answer.text), { retried });
      if (answer.status === 204 || answer.text === "") return undefined as T;
      try {
        return JSON.parse(answer.text) as T;
      } catch (error) {
        throw new ApiError(operation, answer.status, `answer is not JSON: ${errorDetail(answer.text.slice(0, 120))}`, { cause: error });
      }
    };
    const retryable = (error: Error) => error instanceof ApiError && (kind === "create" ? error.status === 502 || error.status === 503 : TRANSIENT.has(error.status));
    return pRetry(attempt, {
      retries: retries ?? this.options.readRetries ?? 4,
      minTimeout: this.options.retryDelayMs ?? 250,
      maxTimeout: 2000,
      factor: 2,
      randomize: true,
      shouldRetry: ({ error }) => retryable(error),
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (retryable(error)) this.options.logger.debug({ operation, attemptNumber, retriesLeft, err: error.message }, "transient failure, retrying");
      },
    });
  }

  private async listAll<T>(operation: string, path: string, query: Query = {}): Promise<T[]> {
    const out: T[] = [];
    for (let n = 1; n <= MAX_PAGES; n++) {
      const body = await this.send<Paginated<T>>(operation, "read", { method: "GET", path, query: { ...query, page: n, page_size: PAGE_SIZE } });
      out.push(...body.results);
      if (!body.pagination?.next) return out;
    }
    return out;
  }

  // ---- outside the API: health --------------------------------------------------------------------------

  /** GET a health path; resolves to the HTTP status (0 = no answer). Never throws. */
  async health(path: "/-/health/live/" | "/-/health/ready/"): Promise<{ status: number; detail: string }> {
    try {
      const answer = await this.exchange("GET", `${this.baseUrl}${path}`, { headers: {} });
      return { status: answer.status, detail: errorDetail(answer.text) };
    } catch (error) {
      return { status: 0, detail: describeCause(error) };
    }
  }

  // ---- outside the API: the OIDC side, as a consumer sees it ----------------------------------------------

  /** A request to any URL of authentik's (public URL included), with this client's TLS settings. */
  async external(
    url: string,
    init: { method?: string; form?: Record<string, string>; bearer?: string; noRedirect?: boolean } = {},
  ): Promise<{ status: number; text: string; json: unknown }> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    }
    try {
      const answer = await this.exchange(init.method ?? (body ? "POST" : "GET"), url, {
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(init.noRedirect ? { noRedirect: true } : {}),
      });
      let json: unknown;
      try {
        json = JSON.parse(answer.text);
      } catch {
        json = undefined;
      }
      return { status: answer.status, text: answer.text, json };
    } catch (error) {
      return { status: 0, text: describeCause(error), json: undefined };
    }
  }

  /** PEM certificate of a key pair (to compare with the JWKS). */
  async certificatePem(pk: string): Promise<string> {
    const body = await this.send<{ data: string }>(`read certificate ${pk}`, "read", {
      method: "GET",
      path: `/crypto/certificatekeypairs/${seg(pk)}/view_certificate/`,
    });
    return body.data;
  }

  // ---- version --------------------------------------------------------------------------------------------

  /** `retries`: 0 for a probe whose failure is itself an answer (readiness then waits stage by stage, saying so). */
  async detectVersion(opts: { retries?: number } = {}): Promise<Features> {
    const operation = "read authentik version (GET /admin/version/)";
    const body = await this.send<{ version_current?: unknown } | undefined>(operation, "read", { method: "GET", path: "/admin/version/" }, opts.retries);
    // 2025.10.0's router answers a JSON request with 200 {"error": "authentik starting"} while Python boots.
    if (typeof body?.version_current !== "string")
      throw new ApiError(operation, 503, `answered ${errorDetail(JSON.stringify(body ?? null))} instead of a version (authentik still starting?)`);
    this.features = featuresOf(body.version_current);
    return this.features;
  }

  // ---- flows ---------------------------------------------------------------------------------------------

  /** Every flow (a fresh install has about 20): one request where looking them up one by one takes one each. */
  async listFlows(): Promise<WireFlow[]> {
    return this.listAll<WireFlow>("list flows", "/flows/instances/");
  }

  async findFlow(slug: string): Promise<WireFlow | undefined> {
    const all = await this.listAll<WireFlow>(`look up flow '${slug}'`, "/flows/instances/", { slug });
    return all.find((f) => f.slug === slug);
  }

  async createFlow(body: FlowRequest): Promise<WireFlow> {
    return this.send(`create flow '${body.slug}'`, "create", { method: "POST", path: "/flows/instances/", body: FlowRequestToJSON(body) });
  }

  async patchFlow(slug: string, body: PatchedFlowRequest): Promise<WireFlow> {
    return this.send(`update flow '${slug}'`, "idempotent", { method: "PATCH", path: `/flows/instances/${seg(slug)}/`, body: PatchedFlowRequestToJSON(body) });
  }

  // ---- scope mappings, certificates, brands, groups -------------------------------------------------------

  /**
   * The scope mappings with these managed ids. Listed without the `managed` filter: it is an
   * AllValuesMultipleFilter (core/api/property_mappings.py), so an id not yet in the database — the normal state
   * on a fresh start, before the worker has applied its blueprints — is a 400, not an empty list.
   */
  async findScopeMappings(managed: readonly string[]): Promise<WireScopeMapping[]> {
    const all = await this.listAll<WireScopeMapping>("list scope mappings", "/propertymappings/provider/scope/");
    return all.filter((m) => m.managed && managed.includes(m.managed));
  }

  async findCertificate(name: string): Promise<WireCertificate | undefined> {
    const all = await this.listAll<WireCertificate>(`look up certificate '${name}'`, "/crypto/certificatekeypairs/", { has_key: true, name });
    return all.find((c) => c.name === name);
  }

  async listBrands(): Promise<WireBrand[]> {
    return this.listAll<WireBrand>("list brands", "/core/brands/");
  }

  async patchBrand(brand: WireBrand, body: PatchedBrandRequest): Promise<WireBrand> {
    return this.send(`update brand '${brand.domain}'`, "idempotent", {
      method: "PATCH",
      path: `/core/brands/${seg(brand.brand_uuid)}/`,
      body: PatchedBrandRequestToJSON(body),
    });
  }

  async findGroup(name: string): Promise<WireGroup | undefined> {
    const all = await this.listAll<WireGroup>(`look up group '${name}'`, "/core/groups/", { include_users: false, name });
    return all.find((g) => g.name === name);
  }

  async addUserToGroup(group: WireGroup, user: WireUser): Promise<void> {
    await this.send(`add user '${user.username}' to group '${group.name}'`, "idempotent", {
      method: "POST",
      path: `/core/groups/${seg(group.pk)}/add_user/`,
      body: UserAccountRequestToJSON({ pk: user.pk }),
    });
  }

  async createGroup(name: string, roles: readonly string[], users: readonly number[] = []): Promise<WireGroup> {
    return this.send(`create group '${name}'`, "create", { method: "POST", path: "/core/groups/", body: GroupRequestToJSON({ name, roles: [...roles], users: [...users] }) });
  }

  /** `roles` replaces the group's whole set (GroupSerializer, core/api/groups.py). */
  async patchGroup(group: WireGroup, body: PatchedGroupRequest): Promise<WireGroup> {
    return this.send(`update group '${group.name}'`, "idempotent", { method: "PATCH", path: `/core/groups/${seg(group.pk)}/`, body: PatchedGroupRequestToJSON(body) });
  }

  async removeUserFromGroup(group: WireGroup, user: WireUser): Promise<void> {
    await this.send(`remove user '${user.username}' from group '${group.name}'`, "idempotent", {
      method: "POST",
      path: `/core/groups/${seg(group.pk)}/remove_user/`,
      body: UserAccountRequestToJSON({ pk: user.pk }),
    });
  }

  // ---- roles (rbac/api/roles.py, rbac/api/rbac_assigned_by_roles.py, rbac/api/rbac.py) ----------------------

  /**
   * A role by its exact name. Listed with `search`: the name filter is `group__name` up to 2025.8 and `name` from
   * 2025.10 (an unknown filter is ignored, which would list every role); `search` exists in every version.
   */
  async findRole(name: string): Promise<WireRole | undefined> {
    const all = await this.listAll<WireRole>(`look up role '${name}'`, "/rbac/roles/", { search: name });
    return all.find((r) => r.name === name);
  }

  async createRole(name: string): Promise<WireRole> {
    return this.send(`create role '${name}'`, "create", { method: "POST", path: "/rbac/roles/", body: RoleRequestToJSON({ name }) });
  }

  /** The role's global permissions, as `app_label.codename`. */
  async rolePermissions(role: WireRole): Promise<string[]> {
    const all = await this.listAll<{ codename: string; app_label: string }>(`read the permissions of role '${role.name}'`, "/rbac/permissions/", { role: role.pk });
    return all.map((p) => `${p.app_label}.${p.codename}`);
  }

  /** Global permissions (no model, no object): idempotent. Answers 204 up to 2024.6, 200 with ids after. */
  async assignRolePermissions(role: WireRole, permissions: readonly string[]): Promise<void> {
    await this.send(`give role '${role.name}' ${permissions.join(", ")}`, "idempotent", {
      method: "POST",
      path: `/rbac/permissions/assigned_by_roles/${seg(role.pk)}/assign/`,
      body: PermissionAssignRequestToJSON({ permissions: [...permissions] }),
    });
  }

  async unassignRolePermissions(role: WireRole, permissions: readonly string[]): Promise<void> {
    await this.send(`take ${permissions.join(", ")} from role '${role.name}'`, "idempotent", {
      method: "PATCH",
      path: `/rbac/permissions/assigned_by_roles/${seg(role.pk)}/unassign/`,
      body: PatchedPermissionAssignRequestToJSON({ permissions: [...permissions] }),
    });
  }

  // ---- users and tokens ------------------------------------------------------------------------------------

  async findUser(username: string): Promise<WireUser | undefined> {
    const all = await this.listAll<WireUser>(`look up user '${username}'`, "/core/users/", { username });
    return all.find((u) => u.username === username);
  }

  async patchUser(user: WireUser, body: PatchedUserRequest): Promise<WireUser> {
    return this.send(`update user '${user.username}'`, "idempotent", { method: "PATCH", path: `/core/users/${seg(user.pk)}/`, body: PatchedUserRequestToJSON(body) });
  }

  async createServiceAccount(body: UserServiceAccountRequest): Promise<WireServiceAccount> {
    const created = await this.send<WireServiceAccount>(`create service account '${body.name}'`, "create", {
      method: "POST",
      path: "/core/users/service_account/",
      body: UserServiceAccountRequestToJSON(body),
    });
    registerSecret(created.token);
    return created;
  }

  async findToken(identifier: string): Promise<WireToken | undefined> {
    try {
      return await this.send<WireToken>(`read token '${identifier}'`, "read", { method: "GET", path: `/core/tokens/${seg(identifier)}/` });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async createToken(body: TokenRequest): Promise<WireToken> {
    return this.send(`create token '${body.identifier}'`, "create", { method: "POST", path: "/core/tokens/", body: TokenRequestToJSON(body) });
  }

  async patchToken(identifier: string, body: PatchedTokenRequest): Promise<WireToken> {
    return this.send(`update token '${identifier}'`, "idempotent", { method: "PATCH", path: `/core/tokens/${seg(identifier)}/`, body: PatchedTokenRequestToJSON(body) });
  }

  /** App-password tokens of a user (to find the ones this tool retired). */
  async listAppPasswords(username: string): Promise<WireToken[]> {
    const all = await this.listAll<WireToken>(`list app passwords of '${username}'`, "/core/tokens/", { intent: "app_password", user__username: username });
    return all.filter((t) => t.intent === undefined || t.intent === "app_password");
  }

  async deleteToken(identifier: string): Promise<void> {
    await this.send(`delete token '${identifier}'`, "idempotent", { method: "DELETE", path: `/core/tokens/${seg(identifier)}/` });
  }

  async viewTokenKey(identifier: string): Promise<string> {
    const body = await this.send<{ key: string }>(`read the key of token '${identifier}'`, "read", { method: "GET", path: `/core/tokens/${seg(identifier)}/view_key/` });
    registerSecret(body.key);
    return body.key;
  }

  // ---- providers and applications --------------------------------------------------------------------------

  async findOAuth2Provider(name: string): Promise<WireOAuth2Provider | undefined> {
    const all = await this.listAll<WireOAuth2Provider>(`look up OAuth2 provider '${name}'`, "/providers/oauth2/", { name });
    const found = all.find((p) => p.name === name);
    registerSecret(found?.client_secret);
    return found;
  }

  /** Every provider of any type whose name contains `name` (names are unique across types). */
  async searchProviders(name: string): Promise<WireProvider[]> {
    return this.listAll<WireProvider>(`search providers named '${name}'`, "/providers/all/", { search: name });
  }

  async createOAuth2Provider(body: OAuth2ProviderRequest): Promise<WireOAuth2Provider> {
    const created = await this.send<WireOAuth2Provider>(`create OAuth2 provider '${body.name}'`, "create", {
      method: "POST",
      path: "/providers/oauth2/",
      body: OAuth2ProviderRequestToJSON(body),
    });
    registerSecret(created.client_secret);
    return created;
  }

  async patchOAuth2Provider(provider: WireOAuth2Provider, body: PatchedOAuth2ProviderRequest): Promise<WireOAuth2Provider> {
    const updated = await this.send<WireOAuth2Provider>(`update OAuth2 provider '${provider.name}'`, "idempotent", {
      method: "PATCH",
      path: `/providers/oauth2/${seg(provider.pk)}/`,
      body: PatchedOAuth2ProviderRequestToJSON(body),
    });
    registerSecret(updated.client_secret);
    return updated;
  }

  async findApplication(slug: string): Promise<WireApplication | undefined> {
    try {
      return await this.send<WireApplication>(`read application '${slug}'`, "read", { method: "GET", path: `/core/applications/${seg(slug)}/` });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async createApplication(body: ApplicationRequest): Promise<WireApplication> {
    return this.send(`create application '${body.slug}'`, "create", { method: "POST", path: "/core/applications/", body: ApplicationRequestToJSON(body) });
  }

  async patchApplication(slug: string, body: PatchedApplicationRequest): Promise<WireApplication> {
    return this.send(`update application '${slug}'`, "idempotent", { method: "PATCH", path: `/core/applications/${seg(slug)}/`, body: PatchedApplicationRequestToJSON(body) });
  }

  close(): Promise<void> {
    this.http.close();
    return Promise.resolve();
  }
}
