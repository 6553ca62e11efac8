/**
 * Service account and its app password. The user is found by exact username; the app password is the token
 * authentik names `service-account-<slug(username)>-password`. A missing token (expired, deleted) is
 * recreated; an existing one is read back with view_key, never regenerated.
 */
import type { PatchedTokenRequest, PatchedUserRequest, TokenRequest, UserServiceAccountRequest } from "@goauthentik/api";
import { ConflictError } from "../../errors.ts";
import { show, type FieldChange } from "../../reconcile/types.ts";
import type { AuthentikClient } from "../client.ts";
import type { Features } from "../version.ts";
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

/**
 * Every token write names the intent and the owner. authentik's `TokenSerializer.validate`
 * (core/api/tokens.py, every version) runs on partial updates too: a body without `user` hands the token to the
 * caller and one without `intent` makes it an `api` token — NetBird's app password would become a Bearer token
 * of whoever runs this tool. `validate_user` (2024.6+) accepts the unchanged owner.
 */
export function tokenIdentity(user: WireUser): Pick<PatchedTokenRequest, "intent" | "user"> {
  return { intent: "app_password", user: user.pk };
}

/** Pure: an app password must never expire by itself. */
export function diffAppPassword(observed: WireToken, user: WireUser): { changes: FieldChange[]; patch: PatchedTokenRequest } {
  if (observed.expiring === false) return { changes: [], patch: {} };
  return { changes: [{ field: "expiring", from: show(observed.expiring), to: "false" }], patch: { ...tokenIdentity(user), expiring: false } };
}

export function createAppPasswordBody(identifier: string, user: WireUser): TokenRequest {
  return { identifier, ...tokenIdentity(user), expiring: false, description: "App password for NetBird's IdP manager (managed by authentik-bootstrap)" };
}

/** authentik's user attribute that caps the expiry of the user's app passwords (core/models.py). */
export const MAX_LIFETIME_ATTRIBUTE = "goauthentik.io/user/token-maximum-lifetime";
/** Head room over the grace period: our clock and authentik's may differ a little. */
const LIFETIME_MARGIN_S = 600;

/** authentik's `timedelta_from_string` ("hours=1;minutes=30") in ms; undefined if it does not parse. */
export function durationMs(text: string): number | undefined {
  const units: Record<string, number> = { weeks: 604_800_000, days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1000, milliseconds: 1, microseconds: 0.001 };
  let total = 0;
  const parts = text.split(";").filter((p) => p.trim());
  if (parts.length === 0) return undefined;
  for (const part of parts) {
    const [unit, n] = part.split("=").map((x) => x.trim());
    const f = units[unit ?? ""];
    if (f === undefined || n === undefined || n === "" || !Number.isFinite(Number(n))) return undefined;
    total += f * Number(n);
  }
  return total;
}

/**
 * Pure: the rotated-out app password keeps working for `graceMs`, so its `expires` is that far ahead. From 2024.4
 * authentik refuses an app password's `expires` beyond the owner's `goauthentik.io/user/token-maximum-lifetime`,
 * else the tenant's default token duration (`minutes=30` on a fresh install, and not readable without admin
 * settings access). So before the rotation the service account's own limit is raised to the grace period plus
 * a margin — an attribute of the account this tool owns; a larger limit an admin set is kept.
 */
export function lifetimeForGrace(
  user: WireUser,
  graceMs: number,
  features: Pick<Features, "tokenMaximumLifetime">,
): { change: FieldChange; patch: PatchedUserRequest } | undefined {
  if (!features.tokenMaximumLifetime) return undefined;
  const current = user.attributes?.[MAX_LIFETIME_ATTRIBUTE];
  const needS = Math.ceil(graceMs / 1000) + LIFETIME_MARGIN_S;
  const currentMs = typeof current === "string" ? durationMs(current) : undefined;
  if (currentMs !== undefined && currentMs >= needS * 1000) return undefined;
  const value = `seconds=${needS}`;
  return {
    change: { field: `attributes.${MAX_LIFETIME_ATTRIBUTE}`, from: show(current), to: `${value} (room for the grace period)` },
    patch: { attributes: { ...(user.attributes ?? {}), [MAX_LIFETIME_ATTRIBUTE]: value } },
  };
}

/** The rotated-out token: renamed, still the account's app password, valid until `validUntil`. */
export function retireBody(user: WireUser, retiredIdentifier: string, validUntil: Date): PatchedTokenRequest {
  return {
    ...tokenIdentity(user),
    identifier: retiredIdentifier,
    expiring: true,
    expires: validUntil,
    description: `Retired by authentik-bootstrap; valid until ${validUntil.toISOString()}`,
  };
}
