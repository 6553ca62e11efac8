/** Talk to the fake authentik as an admin would, to arrange drift or conflicts through the real API. */
import { TOKEN } from "./env.ts";

export function admin(url: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/api/v3${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const named = async (path: string, key: string, value: string) =>
    ((await call("GET", `${path}?${key}=${encodeURIComponent(value)}`)).results as any[]).filter((o) => o[key] === value);
  return {
    get: (p: string) => call("GET", p),
    post: (p: string, b: unknown) => call("POST", p, b),
    patch: (p: string, b: unknown) => call("PATCH", p, b),
    del: (p: string) => call("DELETE", p),
    provider: (name = "NetBird") => named("/providers/oauth2/", "name", name),
    users: (username: string) => named("/core/users/", "username", username),
    tokens: async (username: string) =>
      ((await call("GET", `/core/tokens/?user__username=${encodeURIComponent(username)}`)).results as any[]).filter(
        (t) => t.user_obj?.username === username || t.identifier.includes(username.toLowerCase()),
      ),
    key: async (identifier: string) => (await call("GET", `/core/tokens/${identifier}/view_key/`)).key as string,
    defaultBrand: async () => ((await call("GET", "/core/brands/")).results as any[]).find((b) => b.default),
    group: async (name: string) => ((await call("GET", `/core/groups/?name=${encodeURIComponent(name)}`)).results as any[]).find((g) => g.name === name),
  };
}

/** NetBird's IdP manager's token request (client_credentials with username + app password). */
export async function netbirdToken(url: string, clientId: string, username: string, password: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/application/o/token/`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, username, password, scope: "goauthentik.io/api" }).toString(),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}
