/**
 * NetBird's service account acting for itself. A least-privilege caller cannot read, make or change another
 * user's tokens (core/api/tokens.py `TokenViewSet`: a non-superuser's queryset is their own tokens, and
 * `perform_create` makes every token theirs; version/2024.2.0 … version/2026.2.2), so the app password is handled
 * as its account: the client_credentials grant with the current app password and the `goauthentik.io/api` scope
 * gives an access token that authenticates as the account (api/authentication.py), which may list, create,
 * rename and delete its own tokens and read the key of a token it created (`view_token_key`, assigned by
 * `perform_create`).
 */
import { ApiError } from "../errors.ts";
import { registerSecret } from "../secrets.ts";
import type { AuthentikClient } from "./client.ts";

export interface AccountLogin {
  clientId: string;
  username: string;
  password: string;
  /** Where the password was read (the output file, the Secret), for the error message. */
  source: string;
  /** The token endpoint: the public one when the run verifies (the login is then also NetBird's), else the internal one. */
  tokenUrl: string;
}

export interface AccountSession {
  client: AuthentikClient;
  /** The token endpoint's answer. */
  answer: { status: number; text: string; json: unknown };
}

export async function accountSession(ak: AuthentikClient, login: AccountLogin): Promise<AccountSession> {
  const operation = `log in as '${login.username}' with the app password in ${login.source} (client_credentials, to handle its own app passwords)`;
  if (!login.clientId || !login.password) {
    throw new ApiError(
      operation,
      0,
      `${login.source} holds no client id or app password. A least-privilege token cannot read or make another account's app password (authentik lets only superusers do that): run once with AUTHENTIK_TOKEN set to a superuser's token`,
    );
  }
  const answer = await ak.external(login.tokenUrl, {
    form: { grant_type: "client_credentials", client_id: login.clientId, username: login.username, password: login.password, scope: "goauthentik.io/api" },
  });
  const token = (answer.json as { access_token?: unknown } | undefined)?.access_token;
  // No answer, or authentik's own trouble: not the password's fault.
  if (answer.status === 0 || answer.status === 429 || answer.status >= 500) {
    throw new ApiError(
      operation,
      answer.status,
      `${login.tokenUrl} ${answer.status === 0 ? `did not answer (${answer.text})` : "answered with an error"}; try again when authentik answers there`,
    );
  }
  if (answer.status !== 200 || typeof token !== "string") {
    const error = (answer.json as { error?: unknown; error_description?: unknown } | undefined) ?? {};
    const text = (v: unknown) => (typeof v === "string" ? v : "");
    const detail = `${login.tokenUrl}: ${`${text(error.error)} ${text(error.error_description)}`.trim() || "no access token"}`;
    throw new ApiError(
      operation,
      answer.status,
      `${detail}. The app password there is not (or no longer) accepted, and a least-privilege token cannot read or make another account's app password: run once with AUTHENTIK_TOKEN set to a superuser's token to repair it`,
    );
  }
  registerSecret(token);
  return { client: ak.withToken(token), answer };
}
