/**
 * NetBird management's REST API, the part that registers an external IdP as a connector of NetBird's
 * embedded IdP: `/api/identity-providers` (auth `Token <PAT>`), plus the first-run `/api/instance` and
 * `/api/setup` (which returns a PAT when management runs with NB_SETUP_PAT_ENABLED=true).
 */
import { ApiError } from "../errors.ts";
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

export class NetbirdManagement {
  private readonly base: string;
  private readonly timeoutMs: number;
  private token: string | undefined;
  requests = 0;
  writes = 0;

  constructor(baseUrl: string, token: string | undefined, timeoutMs: number) {
    this.base = baseUrl.replace(/\/+$/, "");
    this.token = token;
    this.timeoutMs = timeoutMs;
    registerSecret(token);
  }

  get currentToken(): string | undefined {
    return this.token;
  }

  private async call<T>(operation: string, method: string, path: string, body?: unknown, auth = true): Promise<T> {
    this.requests += 1;
    if (method !== "GET") this.writes += 1;
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (auth && this.token) headers.authorization = `Token ${this.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new ApiError(`${operation} (NetBird management ${this.base})`, 0, `no answer (${scrub(String((error as Error).cause ?? (error as Error).message))})`, { cause: error });
    }
    const text = await res.text();
    if (!res.ok) throw new ApiError(`${operation} (NetBird management)`, res.status, scrub(text.slice(0, 300) || "(empty body)"));
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** First run without a PAT: create the owner and get a PAT (only with NB_SETUP_PAT_ENABLED=true). */
  async setupIfRequired(email: string, password: string): Promise<boolean> {
    const status = await this.call<{ setup_required: boolean }>("read instance status", "GET", "/api/instance", undefined, false);
    if (!status.setup_required) return false;
    const res = await this.call<{ personal_access_token?: string }>(
      "set up the NetBird owner",
      "POST",
      "/api/setup",
      { email, password, name: email, create_pat: true, pat_expire_in: 1 },
      false,
    );
    if (!res.personal_access_token) {
      throw new ApiError(
        "set up the NetBird owner",
        200,
        "management created the owner but returned no personal access token: run NetBird management with NB_SETUP_PAT_ENABLED=true, or pass NETBIRD_PAT",
      );
    }
    this.token = res.personal_access_token;
    registerSecret(this.token);
    return true;
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
}

/**
 * Pure: which connector is ours. Match on issuer and client id; a connector with our issuer but another
 * client id (the provider was recreated) is updated rather than duplicated.
 */
export function matchConnector(list: readonly IdentityProvider[], issuer: string, clientId: string): IdentityProvider | undefined {
  return list.find((p) => p.issuer === issuer && p.client_id === clientId) ?? list.find((p) => p.issuer === issuer);
}
