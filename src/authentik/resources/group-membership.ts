/** Group membership: add the member (add_user), never rewrite the group's member list. */
import type { FieldChange } from "../../reconcile/types.ts";
import type { WireGroup, WireUser } from "../wire.ts";

/** Pure. `user` undefined = the service account does not exist yet (plan mode). */
export function diffMembership(group: WireGroup, user: WireUser | undefined, username: string): FieldChange[] {
  if (user && (group.users ?? []).includes(user.pk)) return [];
  return [{ field: "users", from: `${(group.users ?? []).length} member(s)`, to: `+ ${username}` }];
}
