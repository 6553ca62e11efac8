/**
 * The service account, found by exact username. authentik's `POST /core/users/service_account/` makes the user
 * and its app password (`service-account-<slug(username)>-password`) in one go.
 */
import type { UserServiceAccountRequest } from "@goauthentik/api";
import type { AuthentikClient } from "../../authentik/client.ts";
import type { WireToken, WireUser } from "../../authentik/wire.ts";
import { ConflictError } from "../../errors.ts";
import { registerSecret } from "../../secrets.ts";
import type { Adapter, FindOptions } from "../adapter.ts";
import { appPassword } from "./app-password.ts";

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

/** The account's app passwords (ours and the retired ones), listed once per observe pass for both adapters. */
export function appPasswordsOf(client: AuthentikClient, user: WireUser, opts: FindOptions): Promise<WireToken[]> {
  const read = () => client.listAppPasswords(user.username);
  return opts.once ? opts.once(`app passwords of ${user.username}`, read) : read();
}

async function observeServiceAccount(client: AuthentikClient, username: string): Promise<WireUser | undefined> {
  const user = await client.findUser(username);
  if (user && user.type !== "service_account") {
    throw new ConflictError(
      `Cannot use '${username}' as the service account: a user with that name exists and is a '${user.type ?? "unknown"}' user, not a service account. Rename or delete that user in authentik, or set SERVICE_ACCOUNT to another name.`,
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
  find: (client, d) => observeServiceAccount(client, d.serviceAccount!.username),
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
