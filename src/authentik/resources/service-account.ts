/**
 * Service account and its app password. The user is found by exact username; the app password is the token
 * authentik names `service-account-<slug(username)>-password`. A missing token (expired, deleted) is
 * recreated; an existing one is read back with view_key, never regenerated.
 */
import type { PatchedTokenRequest, TokenRequest, UserServiceAccountRequest } from "@goauthentik/api";
import { ConflictError } from "../../errors.ts";
import { show, type FieldChange } from "../../reconcile/types.ts";
import type { AuthentikClient } from "../client.ts";
import type { WireToken, WireUser } from "../wire.ts";

/** Django's slugify, as authentik applies it to the token identifier. */
export function slugify(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[^\x00-\x7f]/g, "")
    .toLowerCase()
    .replace(/[^\w\s-]/g, "")
    .replace(/[-\s]+/g, "-")
    .replace(/^[-_]+|[-_]+$/g, "");
}

export function appPasswordIdentifier(username: string): string {
  return slugify(`service-account-${username}-password`);
}

export async function observeServiceAccount(client: AuthentikClient, username: string): Promise<WireUser | undefined> {
  const user = await client.findUser(username);
  if (user && user.type !== "service_account") {
    throw new ConflictError(
      `Cannot use '${username}' as the service account: a user with that name exists and is a '${user.type ?? "unknown"}' user, not a service account. Rename or delete that user in authentik, or set SERVICE_ACCOUNT to another name.`,
    );
  }
  return user;
}

export function createServiceAccountBody(username: string): UserServiceAccountRequest {
  // expiring: false — the default app password expires after 360 days and is then deleted.
  return { name: username, createGroup: false, expiring: false };
}

export async function observeAppPassword(client: AuthentikClient, identifier: string, user: WireUser | undefined): Promise<WireToken | undefined> {
  if (!user) return undefined;
  const token = await client.findToken(identifier);
  if (token && (token.intent !== "app_password" || token.user !== user.pk)) {
    throw new ConflictError(
      `Cannot use token '${identifier}' as the app password of '${user.username}': it exists with intent '${token.intent ?? "?"}' for user pk ${String(token.user)}. Delete that token in authentik.`,
    );
  }
  return token;
}

/** Pure: an app password must never expire by itself. */
export function diffAppPassword(observed: WireToken): { changes: FieldChange[]; patch: PatchedTokenRequest } {
  if (observed.expiring === false) return { changes: [], patch: {} };
  return { changes: [{ field: "expiring", from: show(observed.expiring), to: "false" }], patch: { expiring: false } };
}

export function createAppPasswordBody(identifier: string, user: WireUser): TokenRequest {
  return { identifier, intent: "app_password", user: user.pk, expiring: false, description: "App password for NetBird's IdP manager (managed by authentik-bootstrap)" };
}
