/**
 * The service account and its app password. authentik's `POST /core/users/service_account/` makes the user and
 * its app password (`service-account-<slug(username)>-password`, intent `app_password`, never expiring) in one
 * go, so the two adapters share a module. The account is found by exact username. An existing app password is
 * read back (view_key), never regenerated; a missing one (expired, deleted) is created; `ROTATE=app-password`
 * renames the current one to `…-retired-<time>` with an expiry after the grace period and creates a new one.
 */
import type { PatchedTokenRequest, PatchedUserRequest, TokenRequest, UserServiceAccountRequest } from "@goauthentik/api";
import type { AuthentikClient } from "../../authentik/client.ts";
import type { Features } from "../../authentik/version.ts";
import type { WireToken, WireUser } from "../../authentik/wire.ts";
import { ApiError, ConflictError } from "../../errors.ts";
import { registerSecret } from "../../secrets.ts";
import type { AccountTokens, Adapter, FindOptions } from "../adapter.ts";
import { RETIRED_INFIX } from "../desired.ts";
import { show, type FieldChange } from "../types.ts";

/** Django's slugify, as authentik applies it to the token identifier. */
export function slugify(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[^\p{ASCII}]/gu, "")
    .toLowerCase()
    .replace(/[^\w\s-]/g, "")
    .replace(/[-\s]+/g, "-")
    .replace(/^[-_]+|[-_]+$/g, "");
}

export function appPasswordIdentifier(username: string): string {
  return slugify(`service-account-${username}-password`);
}

/**
 * Who handles the account's tokens: the run's own client (a superuser), or in a least-privilege run the account
 * itself (authentik/session.ts), since only superusers may touch another user's tokens.
 */
export function tokenClient(client: AuthentikClient, tokens: AccountTokens | undefined): Promise<AuthentikClient> {
  return tokens?.own ? tokens.client() : Promise.resolve(client);
}

/** The account's app passwords (ours and the retired ones), listed once per observe pass for all adapters. */
export function appPasswordsOf(client: AuthentikClient, username: string, opts: FindOptions): Promise<WireToken[]> {
  const read = async () => (await tokenClient(client, opts.tokens)).listAppPasswords(username);
  return opts.once ? opts.once(`app passwords of ${username}`, read) : read();
}

/** The service account by exact user name; a user of that name that is no service account is a conflict. */
export async function observeServiceAccount(client: AuthentikClient, username: string, setting = "SERVICE_ACCOUNT"): Promise<WireUser | undefined> {
  return checkedAccount(await client.findUser(username), username, setting);
}

/**
 * NetBird's account. When the output holds its app password (a re-run), the account's app passwords are listed
 * first (the app password adapters need them anyway) and each names its owner in full (`user_obj`): the account
 * is then known without a lookup of its own, one request and one round trip fewer on every re-run. Without a
 * token of its own (a fresh run, a deleted password) it is looked up by name — and always in a least-privilege
 * run, whose list needs the account's own login: a deleted or renamed account must be found missing (and made
 * again), not fail that login.
 */
async function findNetbirdAccount(client: AuthentikClient, username: string, opts: FindOptions): Promise<WireUser | undefined> {
  if (opts.tokens?.key && !opts.tokens.own && opts.once) {
    const owner = (await appPasswordsOf(client, username, opts)).find((t) => t.user_obj?.username === username)?.user_obj;
    if (owner) return checkedAccount(owner, username, "SERVICE_ACCOUNT");
  }
  return observeServiceAccount(client, username);
}

function checkedAccount(user: WireUser | undefined, username: string, setting: string): WireUser | undefined {
  if (user && user.type !== "service_account") {
    throw new ConflictError(
      `Cannot use '${username}' as the service account: a user with that name exists and is a '${user.type ?? "unknown"}' user, not a service account. Rename or delete that user in authentik, or set ${setting} to another name.`,
    );
  }
  return user;
}

function createServiceAccountBody(username: string): UserServiceAccountRequest {
  // expiring: false — the default app password expires after 360 days and is then deleted.
  return { name: username, createGroup: false, expiring: false };
}

export const serviceAccount: Adapter<WireUser, never> = {
  kind: "service account",
  needs: [],
  applies: (d) => d.serviceAccount !== undefined,
  key: (d) => d.serviceAccount!.username,
  find: (client, d, _seen, opts) => findNetbirdAccount(client, d.serviceAccount!.username, opts),
  diff: (_d, observed) => ({ action: observed ? "noop" : "create", changes: [] }),
  async create(d, done, { client }) {
    const username = d.serviceAccount!.username;
    const created = await client.createServiceAccount(createServiceAccountBody(username));
    registerSecret(created.token);
    // Its app password came with it (authentik's answer: the key, not the token object).
    const token: WireToken = { pk: "", identifier: appPasswordIdentifier(username), intent: "app_password", user: created.user_pk, expiring: false };
    done.set(appPassword, { token, key: created.token });
    return { pk: created.user_pk, username: created.username, type: "service_account" };
  },
  update: (_d, current) => Promise.resolve(current),
};

/** The token and, when read, its key. */
export interface AppPassword {
  token: WireToken;
  key?: string | undefined;
}

/** Whether a token has stopped working by itself at `now` (never, for a token that does not expire). */
export function hasExpired(t: WireToken, now: number): boolean {
  return t.expiring !== false && typeof t.expires === "string" && Date.parse(t.expires) <= now;
}

/** The app passwords of the account this tool retired in earlier rotations (`<identifier>-retired-<stamp>`). */
export function retiredOf(tokens: readonly WireToken[], user: WireUser): WireToken[] {
  const prefix = `${appPasswordIdentifier(user.username)}${RETIRED_INFIX}`;
  return tokens.filter((t) => t.identifier.startsWith(prefix) && t.user === user.pk);
}

/**
 * Our token is among the account's app passwords (`listed`, read once for this and the retired ones); only when
 * it is not there is it read by its identifier, which then finds a token of that name that is not the account's.
 */
async function observeAppPassword(client: AuthentikClient, identifier: string, user: WireUser, listed: readonly WireToken[], opts: FindOptions): Promise<WireToken | undefined> {
  const ours = listed.find((t) => t.identifier === identifier && t.user === user.pk);
  const token = ours ?? (await (await tokenClient(client, opts.tokens)).findToken(identifier));
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
function tokenIdentity(user: WireUser): Pick<PatchedTokenRequest, "intent" | "user"> {
  return { intent: "app_password", user: user.pk };
}

/** Pure: an app password must never expire by itself. */
export function diffAppPassword(observed: WireToken, user: WireUser): { changes: FieldChange[]; patch: PatchedTokenRequest } {
  if (observed.expiring === false) return { changes: [], patch: {} };
  return { changes: [{ field: "expiring", from: show(observed.expiring), to: "false" }], patch: { ...tokenIdentity(user), expiring: false } };
}

function createAppPasswordBody(identifier: string, user: WireUser): TokenRequest {
  return { identifier, ...tokenIdentity(user), expiring: false, description: "App password for NetBird's IdP manager (managed by authentik-bootstrap)" };
}

/**
 * authentik's user attribute that decides whether the tokens a non-superuser makes for themselves expire
 * (`TokenViewSet.perform_create`, core/api/tokens.py); `service_account` sets it from its `expiring` field.
 */
export const TOKENS_EXPIRE_ATTRIBUTE = "goauthentik.io/user/token-expires";

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
  selfMade = false,
): { changes: FieldChange[]; patch: PatchedUserRequest } | undefined {
  const changes: FieldChange[] = [];
  const attributes = { ...(user.attributes ?? {}) };
  if (features.tokenMaximumLifetime) {
    const current = user.attributes?.[MAX_LIFETIME_ATTRIBUTE];
    const needS = Math.ceil(graceMs / 1000) + LIFETIME_MARGIN_S;
    const currentMs = typeof current === "string" ? durationMs(current) : undefined;
    if (currentMs === undefined || currentMs < needS * 1000) {
      const value = `seconds=${needS}`;
      changes.push({ field: `attributes.${MAX_LIFETIME_ATTRIBUTE}`, from: show(current), to: `${value} (room for the grace period)` });
      attributes[MAX_LIFETIME_ATTRIBUTE] = value;
    }
  }
  // The account makes its new app password itself (least-privilege run): it must not expire by default.
  if (selfMade && user.attributes?.[TOKENS_EXPIRE_ATTRIBUTE] !== false) {
    changes.push({ field: `attributes.${TOKENS_EXPIRE_ATTRIBUTE}`, from: show(user.attributes?.[TOKENS_EXPIRE_ATTRIBUTE]), to: "false (its own new app password never expires)" });
    attributes[TOKENS_EXPIRE_ATTRIBUTE] = false;
  }
  return changes.length ? { changes, patch: { attributes } } : undefined;
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

/** The patch of a rotation: the account's lifetime attribute when it must grow, then the rename and a new token. */
type AppPasswordPatch = PatchedTokenRequest | { rotate: { lifetime?: PatchedUserRequest } };

const notFound = (e: unknown): undefined => {
  if (e instanceof ApiError && e.status === 404) return undefined;
  throw e;
};

async function makeAppPassword(client: AuthentikClient, user: WireUser): Promise<AppPassword> {
  const id = appPasswordIdentifier(user.username);
  const token = await client.createToken(createAppPasswordBody(id, user));
  return { token, key: await client.viewTokenKey(id) };
}

export const appPassword: Adapter<AppPassword, AppPasswordPatch> = {
  kind: "app password",
  get needs() {
    return [serviceAccount];
  },
  applies: (d) => d.serviceAccount !== undefined,
  key: (d) => appPasswordIdentifier(d.serviceAccount!.username),
  async find(client, d, seen, opts) {
    const user = seen.get(serviceAccount);
    if (!user) return undefined;
    const id = appPasswordIdentifier(user.username);
    const tokens = opts.tokens;
    const listed = await appPasswordsOf(client, user.username, opts);
    const token = await observeAppPassword(client, id, user, listed, opts);
    if (!token || !opts.readSecrets) return token ? { token } : undefined;
    // The account logging in with the output's key proves the key. Not with an expired token: authentik's
    // `Token.filter_not_expired`, which the token endpoint calls, deletes the expired tokens with that key
    // (providers/oauth2/views/token.py, core/models.py) — the repair below keeps it and its key instead.
    const loggedIn =
      tokens && (tokens.own || !hasExpired(token, opts.now))
        ? await tokens.client().then(
            () => true,
            (e: unknown) => {
              // A least-privilege run cannot do without the login; a superuser run reads the key instead.
              if (tokens.own) throw e as Error;
              return false;
            },
          )
        : false;
    // Unless a retired password is still in its grace: the login may have been its (a rotation cut short).
    const proven = loggedIn && !retiredOf(listed, user).some((t) => !hasExpired(t, opts.now));
    if (proven) return { token, key: tokens!.key };
    // Least privilege: the account may read the key of a token it made itself (view_token_key, perform_create);
    // one a superuser made (a rotation whose output was never written) it may not, and then nothing tells
    // whether the output's password is the current one or the retired one.
    if (tokens?.own) {
      const session = await tokens.client();
      const key = await session.viewTokenKey(id).catch((e: unknown) => {
        if (!(e instanceof ApiError) || (e.status !== 403 && e.status !== 404)) throw e;
        throw new ApiError(
          `read the key of app password '${id}' as '${user.username}'`,
          e.status,
          `a retired app password is still valid, so the login with the output's password does not show it is the current one, and this account may not read the key of a token it did not make: run once with AUTHENTIK_TOKEN set to a superuser's token`,
        );
      });
      return { token, key };
    }
    return { token, key: (await client.viewTokenKey(id).catch(notFound)) ?? undefined };
  },
  diff(d, observed, seen, phase) {
    const user = seen.get(serviceAccount);
    if (!observed) {
      return { action: "create", changes: [], note: user ? "the service account has no app password (expired or deleted)" : "created with the service account, never expires" };
    }
    // Only a token that existed before this run is rotated (not one just made with its account).
    if (d.rotate.appPassword && phase === "plan") {
      const graceS = Math.round(d.rotate.graceMs / 1000);
      const lifetime = user ? lifetimeForGrace(user, d.rotate.graceMs, d.features, d.ownTokens === true) : undefined;
      return {
        action: "update",
        changes: [{ field: "key", from: "(current)", to: `(new; the current one stays valid for ${graceS} s)` }, ...(lifetime ? lifetime.changes : [])],
        patch: { rotate: lifetime ? { lifetime: lifetime.patch } : {} },
        note: "ROTATE=app-password",
      };
    }
    const { changes, patch } = diffAppPassword(observed.token, user!);
    return changes.length ? { action: "update", changes, patch } : { action: "noop", changes };
  },
  create: async (_d, done, { client, tokens }) => makeAppPassword(await tokenClient(client, tokens), done.get(serviceAccount)!),
  async update(d, current, patch, done, { client, rotated, tokens: account }) {
    const user = done.get(serviceAccount)!;
    const id = current.token.identifier;
    // The token calls go through the account itself in a least-privilege run; the user's attributes never.
    const tokens = await tokenClient(client, account);
    if (!("rotate" in patch)) return { token: await tokens.patchToken(id, patch), key: current.key ?? (await tokens.viewTokenKey(id)) };
    // Rotation: the current token is renamed and expires after the grace period, counted on authentik's clock
    // (which decides when it stops working); a new one takes its name.
    const validUntil = new Date(client.serverNow() + d.rotate.graceMs);
    const retired = `${id}${RETIRED_INFIX}${validUntil
      .toISOString()
      .replace(/[-:.TZ]/g, "")
      .slice(0, 14)}`;
    if (patch.rotate.lifetime) await client.patchUser(user, patch.rotate.lifetime);
    await tokens.patchToken(id, retireBody(user, retired, validUntil));
    const fresh = await makeAppPassword(tokens, user);
    rotated.push({ kind: "app-password", credential: `app password of '${user.username}'`, previousValidUntil: validUntil.toISOString() });
    return fresh;
  },
};
