/** Group membership of the service account: the member is added (add_user), the group's member list never rewritten. */
import type { WireGroup, WireUser } from "../../authentik/wire.ts";
import type { Adapter } from "../adapter.ts";
import { serviceAccount } from "./service-account.ts";

/**
 * Pure. Membership is read from the user's `groups` (present in every version); a group list may leave out
 * `users` when asked without them.
 */
function isMember(group: WireGroup, user: WireUser): boolean {
  return user.groups?.includes(group.pk) ?? group.users?.includes(user.pk) ?? false;
}

/** Whether the account is in the group; `false` for an account that does not exist yet. */
export interface Membership {
  member: boolean;
}

export const membership: Adapter<Membership, true> = {
  kind: "group membership",
  get needs() {
    return [serviceAccount];
  },
  applies: (d) => d.serviceAccount !== undefined && d.adminGroup !== undefined,
  key: (d) => `${d.serviceAccount!.username} in ${d.adminGroup!.name}`,
  // No request: the account's groups came with the account.
  find: (_client, d, seen) => {
    const user = seen.get(serviceAccount);
    return Promise.resolve({ member: user !== undefined && isMember(d.adminGroup!, user) });
  },
  diff(d, observed, seen) {
    if (observed?.member) return { action: "noop", changes: [] };
    return { action: "update", changes: [{ field: "groups", from: seen.get(serviceAccount) ? "(not a member)" : "(new account)", to: `+ ${d.adminGroup!.name}` }], patch: true };
  },
  create: () => Promise.resolve({ member: false }),
  async update(d, _current, _patch, done, { client }) {
    await client.addUserToGroup(d.adminGroup!, done.get(serviceAccount)!);
    return { member: true };
  },
};
