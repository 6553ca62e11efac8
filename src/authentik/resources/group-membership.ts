/** Group membership: add the member (add_user), never rewrite the group's member list. */
import type { FieldChange } from "../../reconcile/types.ts";
import type { WireGroup, WireUser } from "../wire.ts";

/**
 * Pure. `user` undefined = the service account does not exist yet (plan mode). Membership is read from the
 * user's `groups` (present in every version); a group list may leave out `users` when asked without them.
 */
export function isMember(group: WireGroup, user: WireUser): boolean {
  return user.groups?.includes(group.pk) ?? group.users?.includes(user.pk) ?? false;
}

export function diffMembership(group: WireGroup, user: WireUser | undefined, username: string): FieldChange[] {
  if (user && isMember(group, user)) return [];
  return [{ field: "groups", from: user ? "(not a member)" : "(new account)", to: `+ ${group.name}` }];
}
