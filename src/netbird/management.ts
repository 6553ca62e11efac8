/**
 * NetBird management's REST API, the part that registers authentik as a connector of NetBird's embedded IdP,
 * as NetBird's source behaves (netbirdio/netbird; versions in the README of test/fake-netbird):
 * `/api/identity-providers` (auth `Token <PAT>`), the personal access tokens of the caller
 * (`/api/users/current`, `/api/users/{id}/tokens`), the first-run `/api/instance` and `/api/setup`, and the
 * embedded IdP's discovery document under `/oauth2`, served on the same port.
 */
import pRetry from "p-retry";
import { ConsumerApiError } from "../errors.ts";
import { registerSecret, scrub } from "../secrets.ts";

export interface IdentityProvider {
  id: string;
  type: string;
  name: string;
  issuer: string;
  client_id: string;
}

export interface IdentityProviderRequest {
  type: string;
  name: string;
  issuer: string;
  client_id: string;
  client_secret: string;
}

export interface PersonalAccessToken {
  id: string;
  name: string;
  expiration_date: string;
}

/** The longest lifetime NetBird gives a PAT (management/server/account/pat.go: 1–365 days). */
export const PAT_MAX_DAYS = 365;

/** Explains NetBird's answers to a PAT (auth_middleware.go): expired or malformed is 401, unknown 404. */
function patProblem(status: number, text: string): string | undefined {
  if (status === 401)
    return "NetBird refused the personal access token: it has expired or is malformed (401 token invalid). Create a new one in NetBird (Settings → Personal Access Tokens) and pass it as NETBIRD_PAT";
  if (status === 404 && /invalid token: pat/i.test(text))
    return "NetBird does not know this personal access token (404): it was deleted, or belongs to another NetBird. Pass a current one as NETBIRD_PAT";
  return undefined;
}

export class NetbirdManagement {
  readonly base: string;
  private readonly timeoutMs: number;
  private token: string | undefined;
  /** Counted into the run's summary with authentik's requests. */
  private readonly stats: { requests: number; writes: number };

  constructor(baseUrl: string, token: string | undefined, timeoutMs: number, stats: { requests: number; writes: number }) {
    this.stats = stats;
    this.base = baseUrl.replace(/\/+$/, "");
    this.token = token;
    this.timeoutMs = timeoutMs;
    registerSecret(token);
  }

  useToken(token: string): void {
    this.token = token;
    registerSecret(token);
  }

  private async call<T>(operation: string, method: string, path: string, body?: unknown, auth = true): Promise<T> {
    this.stats.requests += 1;
    // A write NetBird refused (4xx) changed nothing; one without an answer may have.
    const write = method !== "GET";
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (auth && this.token) headers.authorization = `Token ${this.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      if (write) this.stats.writes += 1;
      throw new ConsumerApiError(`${operation} (NetBird management at ${this.base})`, 0, `no answer (${scrub(reasonOf(error))})`, {
        cause: error,
      });
    }
    if (write && (res.status < 400 || res.status > 499)) this.stats.writes += 1;
    const text = await res.text();
    if (!res.ok) {
      const message = (() => {
        try {
          return (JSON.parse(text) as { message?: string }).message ?? text;
        } catch {
          return text;
        }
      })();
      throw new ConsumerApiError(`${operation} (NetBird management)`, res.status, scrub((auth && patProblem(res.status, message)) || message.slice(0, 300) || "(empty body)"));
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * Waits until management answers (it may start after this container in compose): connection errors and
   * 502/503/504 are retried until `deadline`; anything else is an answer.
   */
  async waitReachable(deadline: number): Promise<{ setup_required: boolean } | undefined> {
    return pRetry(
      async () => {
        try {
          return await this.call<{ setup_required: boolean }>("read instance status", "GET", "/api/instance", undefined, false);
        } catch (error) {
          // Before v0.62 there is no /api/instance: an answer all the same.
          if (error instanceof ConsumerApiError && error.status === 404) return undefined;
          throw error;
        }
      },
      {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: 200,
        maxTimeout: 1000,
        maxRetryTime: Math.max(0, deadline - Date.now()),
        shouldRetry: ({ error }) => error instanceof ConsumerApiError && [0, 502, 503, 504].includes(error.status) && Date.now() < deadline,
      },
    );
  }

  /** The embedded IdP's issuer (`<mgmt>/oauth2/.well-known/openid-configuration`), or undefined without one. */
  async embeddedIssuer(): Promise<string | undefined> {
    try {
      const doc = await this.call<{ issuer?: string }>("read the embedded IdP's discovery document", "GET", "/oauth2/.well-known/openid-configuration", undefined, false);
      return typeof doc?.issuer === "string" ? doc.issuer : undefined;
    } catch (error) {
      if (error instanceof ConsumerApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** First run: create the owner; NetBird v0.70.5+ with NB_SETUP_PAT_ENABLED=true also returns a PAT. */
  async setup(email: string, password: string, days: number): Promise<{ userId: string; pat: string | undefined }> {
    const res = await this.call<{ user_id: string; personal_access_token?: string }>(
      "set up the NetBird owner",
      "POST",
      "/api/setup",
      { email, password, name: email, create_pat: true, pat_expire_in: days },
      false,
    );
    registerSecret(res.personal_access_token);
    return { userId: res.user_id, pat: res.personal_access_token };
  }

  async currentUser(): Promise<{ id: string }> {
    return this.call("read the user of the personal access token", "GET", "/api/users/current");
  }

  async tokens(userId: string): Promise<PersonalAccessToken[]> {
    return (await this.call<PersonalAccessToken[] | null>("list personal access tokens", "GET", `/api/users/${encodeURIComponent(userId)}/tokens`)) ?? [];
  }

  async createToken(userId: string, name: string, days: number): Promise<{ plain: string; token: PersonalAccessToken }> {
    const res = await this.call<{ plain_token: string; personal_access_token: PersonalAccessToken }>(
      `create personal access token '${name}'`,
      "POST",
      `/api/users/${encodeURIComponent(userId)}/tokens`,
      { name, expires_in: days },
    );
    registerSecret(res.plain_token);
    return { plain: res.plain_token, token: res.personal_access_token };
  }

  async deleteToken(userId: string, id: string): Promise<void> {
    await this.call(`delete personal access token ${id}`, "DELETE", `/api/users/${encodeURIComponent(userId)}/tokens/${encodeURIComponent(id)}`);
  }

  async listIdentityProviders(): Promise<IdentityProvider[]> {
    return this.call("list identity providers", "GET", "/api/identity-providers");
  }

  async createIdentityProvider(body: IdentityProviderRequest): Promise<IdentityProvider> {
    return this.call(`create identity provider '${body.name}'`, "POST", "/api/identity-providers", body);
  }

  async updateIdentityProvider(id: string, body: IdentityProviderRequest): Promise<IdentityProvider> {
    return this.call(`update identity provider '${body.name}'`, "PUT", `/api/identity-providers/${encodeURIComponent(id)}`, body);
  }

  async deleteIdentityProvider(id: string): Promise<void> {
    await this.call(`delete identity provider ${id}`, "DELETE", `/api/identity-providers/${encodeURIComponent(id)}`);
  }
}

/**
 * Pure: the connectors that are ours — authentik's issuer exactly; among them the one with our client id first
 * (a provider re-created in authentik leaves a connector with the old client id, which is then updated). The
 * type is not compared: the dashboard creates `authentik`, this tool `authentik` too, older runs `oidc`.
 */
export function matchConnectors(list: readonly IdentityProvider[], issuer: string, clientId: string): IdentityProvider[] {
  const ours = list.filter((p) => p.issuer === issuer);
  return [...ours.filter((p) => p.client_id === clientId), ...ours.filter((p) => p.client_id !== clientId)];
}

/**
 * Pure: which of several identical connectors (two runs at once each created one; NetBird has no uniqueness
 * check) to keep — the oldest (ids are time-ordered xids), so that concurrent runs agree.
 */
export function duplicatesToDelete(list: readonly IdentityProvider[], issuer: string, clientId: string): IdentityProvider[] {
  const same = list.filter((p) => p.issuer === issuer && p.client_id === clientId);
  const key = (p: IdentityProvider) => p.id.replace(/^[a-z]+-/, "");
  const keep = [...same].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))[0];
  return same.filter((p) => p !== keep);
}

/** Pure: NetBird's redirect for connectors (idp/dex/connector.go `GetRedirectURI`) from its embedded IdP's issuer. */
export function redirectFromIssuer(issuer: string): string {
  const base = issuer.replace(/\/+$/, "");
  return `${base.endsWith("/oauth2") ? base : `${base}/oauth2`}/callback`;
}

/** Why a fetch failed: undici puts the network error (ECONNREFUSED, …) in `cause`. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? error.cause.message : error.message;
}
