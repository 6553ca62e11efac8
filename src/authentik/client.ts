/**
 * The one module that talks to authentik. Requests are built by `@goauthentik/api` (its `…Raw` methods:
 * paths, query strings, bearer header, request serialisation); responses are read as raw JSON into the wire
 * types of `wire.ts`, because the generated deserialisers break on older servers' shapes. The few request
 * shapes that differ on older servers are rewritten by one middleware (`versionShim`).
 */
import { readFileSync } from "node:fs";
import {
  AdminApi,
  Configuration,
  CoreApi,
  CryptoApi,
  FetchError,
  FlowsApi,
  PropertymappingsApi,
  ProvidersApi,
  RbacApi,
  ResponseError,
  type ApiResponse,
  type ApplicationRequest,
  type FlowRequest,
  type Middleware,
  type OAuth2ProviderRequest,
  type PatchedApplicationRequest,
  type PatchedBrandRequest,
  type PatchedFlowRequest,
  type PatchedGroupRequest,
  type PatchedOAuth2ProviderRequest,
  type PatchedTokenRequest,
  type PatchedUserRequest,
  type TokenRequest,
  type UserServiceAccountRequest,
} from "@goauthentik/api";
import pRetry from "p-retry";
import { Agent } from "undici";
import { ApiError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { registerSecret, scrub } from "../secrets.ts";
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
  writes: number;
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const TRANSIENT = new Set([0, 429, 502, 503, 504]);
const PAGE_SIZE = 100;
const MAX_PAGES = 100;

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
  readonly stats: RequestStats = { requests: 0, writes: 0 };
  features: Features = featuresOf("0.0.0");
  /** authentik's clock minus ours, in ms, from the `Date` header of its last answer (second resolution). */
  clockOffsetMs: number | undefined;
  private readonly options: ClientOptions;
  private readonly dispatcher: Agent | undefined;
  private readonly config: Configuration;
  private readonly core: CoreApi;
  private readonly providers: ProvidersApi;
  private readonly flows: FlowsApi;
  private readonly crypto: CryptoApi;
  private readonly mappings: PropertymappingsApi;
  private readonly admin: AdminApi;
  private readonly rbac: RbacApi;

  constructor(options: ClientOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    registerSecret(options.token);
    if (options.caFile || options.insecureTls) {
      this.dispatcher = new Agent({
        connect: options.caFile ? { ca: readFileSync(options.caFile) } : { rejectUnauthorized: false },
      });
    }
    const dispatcher = this.dispatcher;
    this.config = new Configuration({
      basePath: `${this.baseUrl}/api/v3`,
      accessToken: options.token,
      fetchApi: dispatcher ? (url: string, init?: RequestInit) => fetch(url, { ...init, dispatcher }) : undefined,
      middleware: [this.versionShim(), this.counter(), { post: ({ response }) => (this.noteClock(response), Promise.resolve(undefined)) }],
    });
    this.core = new CoreApi(this.config);
    this.providers = new ProvidersApi(this.config);
    this.flows = new FlowsApi(this.config);
    this.crypto = new CryptoApi(this.config);
    this.mappings = new PropertymappingsApi(this.config);
    this.admin = new AdminApi(this.config);
    this.rbac = new RbacApi(this.config);
  }

  /** Rewrites requests for older servers: scope-mapping path (<2024.8) and string redirect URIs (<2024.12). */
  private versionShim(): Middleware {
    return {
      pre: ({ url, init }) => {
        const f = this.features;
        let nextUrl = url;
        let nextInit = init;
        if (f.legacyScopeMappingPath) nextUrl = nextUrl.replace("/propertymappings/provider/scope/", "/propertymappings/scope/");
        if (f.redirectUrisAsString && /\/providers\/oauth2\/(\d+\/)?(\?|$)/.test(new URL(url).pathname + "?") && typeof init.body === "string") {
          const body = JSON.parse(init.body) as { redirect_uris?: RedirectUri[] };
          if (Array.isArray(body.redirect_uris)) {
            nextInit = { ...init, body: JSON.stringify({ ...body, redirect_uris: redirectUrisToLegacy(body.redirect_uris) }) };
          }
        }
        return Promise.resolve({ url: nextUrl, init: nextInit });
      },
    };
  }

  private counter(): Middleware {
    return {
      pre: ({ url, init }) => {
        this.stats.requests += 1;
        const method = (init.method ?? "GET").toUpperCase();
        if (WRITE_METHODS.has(method)) this.stats.writes += 1;
        this.options.logger.trace({ method, url: scrub(url) }, "request");
        return Promise.resolve(undefined);
      },
    };
  }

  /** Reads authentik's clock from an answer's `Date` header. */
  private noteClock(response: Response): void {
    const date = Date.parse(response.headers.get("date") ?? "");
    // The header has second resolution: compare against the middle of the second we are in.
    if (Number.isFinite(date)) this.clockOffsetMs = date + 500 - Date.now();
  }

  /** authentik's "now" as far as this client knows it (our clock when no answer had a Date header). */
  serverNow(): number {
    return Date.now() + (this.clockOffsetMs ?? 0);
  }

  private init(): RequestInit {
    return { signal: AbortSignal.timeout(this.options.timeoutMs) };
  }

  /**
   * Runs one generated request and returns its JSON body (undefined for 204). Errors become `ApiError`s that
   * name the operation; reads are retried on transient failures, writes only when authentik says it did not
   * start processing them (502/503 "authentik starting").
   */
  /**
   * `kind`: a read or an idempotent write (PATCH, add_user, DELETE) is retried on any transient failure; a
   * create only when authentik says it did not process it (502/503) — after a lost answer the caller looks
   * the object up instead (see apply's createOrAdopt), so a retried create never duplicates.
   */
  private async send<T>(operation: string, kind: "read" | "idempotent" | "create", request: (init: RequestInit) => Promise<ApiResponse<unknown>>): Promise<T> {
    const attempt = async (): Promise<T> => {
      let response: Response;
      try {
        response = (await request(this.init())).raw;
      } catch (error) {
        if (error instanceof ResponseError) {
          const text = await error.response.text().catch(() => "");
          throw new ApiError(operation, error.response.status, errorDetail(text));
        }
        if (error instanceof FetchError || (error as Error).name === "TimeoutError" || (error as Error).name === "AbortError") {
          throw new ApiError(operation, 0, `no answer from ${this.baseUrl} (${describeCause(error)})`, { cause: error });
        }
        throw error;
      }
      if (response.status === 204) return undefined as T;
      const text = await response.text();
      if (text === "") return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch (error) {
        throw new ApiError(operation, response.status, `answer is not JSON: ${errorDetail(text.slice(0, 120))}`, { cause: error });
      }
    };
    const retryable = (error: Error) => error instanceof ApiError && (kind === "create" ? error.status === 502 || error.status === 503 : TRANSIENT.has(error.status));
    return pRetry(attempt, {
      retries: this.options.readRetries ?? 4,
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

  private async listAll<T>(operation: string, page: (n: number, init: RequestInit) => Promise<ApiResponse<unknown>>): Promise<T[]> {
    const out: T[] = [];
    for (let n = 1; n <= MAX_PAGES; n++) {
      const body = await this.send<Paginated<T>>(operation, "read", (init) => page(n, init));
      out.push(...body.results);
      if (!body.pagination?.next) return out;
    }
    return out;
  }

  // ---- outside the API: health --------------------------------------------------------------------------

  /** GET a health path; resolves to the HTTP status (0 = no answer). Never throws. */
  async health(path: "/-/health/live/" | "/-/health/ready/"): Promise<{ status: number; detail: string }> {
    this.stats.requests += 1;
    try {
      const response = await fetch(`${this.baseUrl}${path}`, { ...this.init(), ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}) });
      this.noteClock(response);
      const text = await response.text().catch(() => "");
      return { status: response.status, detail: errorDetail(text) };
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
    this.stats.requests += 1;
    const headers: Record<string, string> = { accept: "application/json" };
    if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    }
    try {
      const response = await fetch(url, {
        method: init.method ?? (body ? "POST" : "GET"),
        headers,
        body,
        ...(init.noRedirect ? { redirect: "manual" } : {}),
        ...this.init(),
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
      this.noteClock(response);
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, text, json };
    } catch (error) {
      return { status: 0, text: describeCause(error), json: undefined };
    }
  }

  /** PEM certificate of a key pair (to compare with the JWKS). */
  async certificatePem(pk: string): Promise<string> {
    const body = await this.send<{ data: string }>(`read certificate ${pk}`, "read", (init) =>
      this.crypto.cryptoCertificatekeypairsViewCertificateRetrieveRaw({ kpUuid: pk }, init),
    );
    return body.data;
  }

  // ---- version --------------------------------------------------------------------------------------------

  async detectVersion(): Promise<Features> {
    const operation = "read authentik version (GET /admin/version/)";
    const body = await this.send<{ version_current?: unknown } | undefined>(operation, "read", (init) => this.admin.adminVersionRetrieveRaw(init));
    // 2025.10.0's router answers a JSON request with 200 {"error": "authentik starting"} while Python boots.
    if (typeof body?.version_current !== "string")
      throw new ApiError(operation, 503, `answered ${errorDetail(JSON.stringify(body ?? null))} instead of a version (authentik still starting?)`);
    this.features = featuresOf(body.version_current);
    return this.features;
  }

  // ---- flows ---------------------------------------------------------------------------------------------

  /** Every flow (a fresh install has about 20): one request where looking them up one by one takes one each. */
  async listFlows(): Promise<WireFlow[]> {
    return this.listAll<WireFlow>("list flows", (page, init) => this.flows.flowsInstancesListRaw({ page, pageSize: PAGE_SIZE }, init));
  }

  async findFlow(slug: string): Promise<WireFlow | undefined> {
    const all = await this.listAll<WireFlow>(`look up flow '${slug}'`, (page, init) => this.flows.flowsInstancesListRaw({ slug, page, pageSize: PAGE_SIZE }, init));
    return all.find((f) => f.slug === slug);
  }

  async createFlow(body: FlowRequest): Promise<WireFlow> {
    return this.send(`create flow '${body.slug}'`, "create", (init) => this.flows.flowsInstancesCreateRaw({ flowRequest: body }, init));
  }

  async patchFlow(slug: string, body: PatchedFlowRequest): Promise<WireFlow> {
    return this.send(`update flow '${slug}'`, "idempotent", (init) => this.flows.flowsInstancesPartialUpdateRaw({ slug, patchedFlowRequest: body }, init));
  }

  // ---- scope mappings, certificates, brands, groups -------------------------------------------------------

  /**
   * The scope mappings with these managed ids. Listed without the `managed` filter: it is an
   * AllValuesMultipleFilter (core/api/property_mappings.py), so an id not yet in the database — the normal state
   * on a fresh start, before the worker has applied its blueprints — is a 400, not an empty list.
   */
  async findScopeMappings(managed: readonly string[]): Promise<WireScopeMapping[]> {
    const all = await this.listAll<WireScopeMapping>("list scope mappings", (page, init) =>
      this.mappings.propertymappingsProviderScopeListRaw({ page, pageSize: PAGE_SIZE }, init),
    );
    return all.filter((m) => m.managed && managed.includes(m.managed));
  }

  async findCertificate(name: string): Promise<WireCertificate | undefined> {
    const all = await this.listAll<WireCertificate>(`look up certificate '${name}'`, (page, init) =>
      this.crypto.cryptoCertificatekeypairsListRaw({ name, hasKey: true, page, pageSize: PAGE_SIZE }, init),
    );
    return all.find((c) => c.name === name);
  }

  async listBrands(): Promise<WireBrand[]> {
    return this.listAll<WireBrand>("list brands", (page, init) => this.core.coreBrandsListRaw({ page, pageSize: PAGE_SIZE }, init));
  }

  async patchBrand(brand: WireBrand, body: PatchedBrandRequest): Promise<WireBrand> {
    return this.send(`update brand '${brand.domain}'`, "idempotent", (init) =>
      this.core.coreBrandsPartialUpdateRaw({ brandUuid: brand.brand_uuid, patchedBrandRequest: body }, init),
    );
  }

  async findGroup(name: string): Promise<WireGroup | undefined> {
    const all = await this.listAll<WireGroup>(`look up group '${name}'`, (page, init) =>
      this.core.coreGroupsListRaw({ name, includeUsers: false, page, pageSize: PAGE_SIZE }, init),
    );
    return all.find((g) => g.name === name);
  }

  async addUserToGroup(group: WireGroup, user: WireUser): Promise<void> {
    await this.send(`add user '${user.username}' to group '${group.name}'`, "idempotent", (init) =>
      this.core.coreGroupsAddUserCreateRaw({ groupUuid: group.pk, userAccountRequest: { pk: user.pk } }, init),
    );
  }

  async createGroup(name: string, roles: readonly string[]): Promise<WireGroup> {
    return this.send(`create group '${name}'`, "create", (init) => this.core.coreGroupsCreateRaw({ groupRequest: { name, roles: [...roles] } }, init));
  }

  /** `roles` replaces the group's whole set (GroupSerializer, core/api/groups.py). */
  async setGroupRoles(group: WireGroup, roles: readonly string[]): Promise<WireGroup> {
    return this.patchGroup(group, { roles: [...roles] });
  }

  async patchGroup(group: WireGroup, body: PatchedGroupRequest): Promise<WireGroup> {
    return this.send(`update group '${group.name}'`, "idempotent", (init) => this.core.coreGroupsPartialUpdateRaw({ groupUuid: group.pk, patchedGroupRequest: body }, init));
  }

  async removeUserFromGroup(group: WireGroup, user: WireUser): Promise<void> {
    await this.send(`remove user '${user.username}' from group '${group.name}'`, "idempotent", (init) =>
      this.core.coreGroupsRemoveUserCreateRaw({ groupUuid: group.pk, userAccountRequest: { pk: user.pk } }, init),
    );
  }

  // ---- roles (rbac/api/roles.py, rbac/api/rbac_assigned_by_roles.py, rbac/api/rbac.py) ----------------------

  /**
   * A role by its exact name. Listed with `search`: the name filter is `group__name` up to 2025.8 and `name` from
   * 2025.10 (an unknown filter is ignored, which would list every role); `search` exists in every version.
   */
  async findRole(name: string): Promise<WireRole | undefined> {
    const all = await this.listAll<WireRole>(`look up role '${name}'`, (page, init) => this.rbac.rbacRolesListRaw({ search: name, page, pageSize: PAGE_SIZE }, init));
    return all.find((r) => r.name === name);
  }

  async createRole(name: string): Promise<WireRole> {
    return this.send(`create role '${name}'`, "create", (init) => this.rbac.rbacRolesCreateRaw({ roleRequest: { name } }, init));
  }

  /** The role's global permissions, as `app_label.codename`. */
  async rolePermissions(role: WireRole): Promise<string[]> {
    const all = await this.listAll<{ codename: string; app_label: string }>(`read the permissions of role '${role.name}'`, (page, init) =>
      this.rbac.rbacPermissionsListRaw({ role: role.pk, page, pageSize: PAGE_SIZE }, init),
    );
    return all.map((p) => `${p.app_label}.${p.codename}`);
  }

  /** Global permissions (no model, no object): idempotent. Answers 204 up to 2024.6, 200 with ids after. */
  async assignRolePermissions(role: WireRole, permissions: readonly string[]): Promise<void> {
    await this.send(`give role '${role.name}' ${permissions.join(", ")}`, "idempotent", (init) =>
      this.rbac.rbacPermissionsAssignedByRolesAssignRaw({ uuid: role.pk, permissionAssignRequest: { permissions: [...permissions] } }, init),
    );
  }

  async unassignRolePermissions(role: WireRole, permissions: readonly string[]): Promise<void> {
    await this.send(`take ${permissions.join(", ")} from role '${role.name}'`, "idempotent", (init) =>
      this.rbac.rbacPermissionsAssignedByRolesUnassignPartialUpdateRaw({ uuid: role.pk, patchedPermissionAssignRequest: { permissions: [...permissions] } }, init),
    );
  }

  // ---- users and tokens ------------------------------------------------------------------------------------

  async findUser(username: string): Promise<WireUser | undefined> {
    const all = await this.listAll<WireUser>(`look up user '${username}'`, (page, init) =>
      this.core.coreUsersListRaw({ username, includeGroups: false, page, pageSize: PAGE_SIZE }, init),
    );
    return all.find((u) => u.username === username);
  }

  async patchUser(user: WireUser, body: PatchedUserRequest): Promise<WireUser> {
    return this.send(`update user '${user.username}'`, "idempotent", (init) => this.core.coreUsersPartialUpdateRaw({ id: user.pk, patchedUserRequest: body }, init));
  }

  async createServiceAccount(body: UserServiceAccountRequest): Promise<WireServiceAccount> {
    const created = await this.send<WireServiceAccount>(`create service account '${body.name}'`, "create", (init) =>
      this.core.coreUsersServiceAccountCreateRaw({ userServiceAccountRequest: body }, init),
    );
    registerSecret(created.token);
    return created;
  }

  async findToken(identifier: string): Promise<WireToken | undefined> {
    try {
      return await this.send<WireToken>(`read token '${identifier}'`, "read", (init) => this.core.coreTokensRetrieveRaw({ identifier }, init));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async createToken(body: TokenRequest): Promise<WireToken> {
    return this.send(`create token '${body.identifier}'`, "create", (init) => this.core.coreTokensCreateRaw({ tokenRequest: body }, init));
  }

  async patchToken(identifier: string, body: PatchedTokenRequest): Promise<WireToken> {
    return this.send(`update token '${identifier}'`, "idempotent", (init) => this.core.coreTokensPartialUpdateRaw({ identifier, patchedTokenRequest: body }, init));
  }

  /** App-password tokens of a user (to find the ones this tool retired). */
  async listAppPasswords(username: string): Promise<WireToken[]> {
    const all = await this.listAll<WireToken>(`list app passwords of '${username}'`, (page, init) =>
      this.core.coreTokensListRaw({ userUsername: username, intent: "app_password", page, pageSize: PAGE_SIZE }, init),
    );
    return all.filter((t) => t.intent === undefined || t.intent === "app_password");
  }

  async deleteToken(identifier: string): Promise<void> {
    await this.send(`delete token '${identifier}'`, "idempotent", (init) => this.core.coreTokensDestroyRaw({ identifier }, init));
  }

  async viewTokenKey(identifier: string): Promise<string> {
    const body = await this.send<{ key: string }>(`read the key of token '${identifier}'`, "read", (init) => this.core.coreTokensViewKeyRetrieveRaw({ identifier }, init));
    registerSecret(body.key);
    return body.key;
  }

  // ---- providers and applications --------------------------------------------------------------------------

  async findOAuth2Provider(name: string): Promise<WireOAuth2Provider | undefined> {
    const all = await this.listAll<WireOAuth2Provider>(`look up OAuth2 provider '${name}'`, (page, init) =>
      this.providers.providersOauth2ListRaw({ name, page, pageSize: PAGE_SIZE }, init),
    );
    const found = all.find((p) => p.name === name);
    registerSecret(found?.client_secret);
    return found;
  }

  /** Every provider of any type whose name contains `name` (names are unique across types). */
  async searchProviders(name: string): Promise<WireProvider[]> {
    return this.listAll<WireProvider>(`search providers named '${name}'`, (page, init) => this.providers.providersAllListRaw({ search: name, page, pageSize: PAGE_SIZE }, init));
  }

  async createOAuth2Provider(body: OAuth2ProviderRequest): Promise<WireOAuth2Provider> {
    const created = await this.send<WireOAuth2Provider>(`create OAuth2 provider '${body.name}'`, "create", (init) =>
      this.providers.providersOauth2CreateRaw({ oAuth2ProviderRequest: body }, init),
    );
    registerSecret(created.client_secret);
    return created;
  }

  async patchOAuth2Provider(provider: WireOAuth2Provider, body: PatchedOAuth2ProviderRequest): Promise<WireOAuth2Provider> {
    const updated = await this.send<WireOAuth2Provider>(`update OAuth2 provider '${provider.name}'`, "idempotent", (init) =>
      this.providers.providersOauth2PartialUpdateRaw({ id: provider.pk, patchedOAuth2ProviderRequest: body }, init),
    );
    registerSecret(updated.client_secret);
    return updated;
  }

  async findApplication(slug: string): Promise<WireApplication | undefined> {
    try {
      return await this.send<WireApplication>(`read application '${slug}'`, "read", (init) => this.core.coreApplicationsRetrieveRaw({ slug }, init));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async createApplication(body: ApplicationRequest): Promise<WireApplication> {
    return this.send(`create application '${body.slug}'`, "create", (init) => this.core.coreApplicationsCreateRaw({ applicationRequest: body }, init));
  }

  async patchApplication(slug: string, body: PatchedApplicationRequest): Promise<WireApplication> {
    return this.send(`update application '${slug}'`, "idempotent", (init) => this.core.coreApplicationsPartialUpdateRaw({ slug, patchedApplicationRequest: body }, init));
  }

  async close(): Promise<void> {
    await this.dispatcher?.close();
  }
}
