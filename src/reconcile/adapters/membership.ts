/**
 * Group membership of the service account: the member is added (add_user), the group's member list never
 * rewritten. The group is the one carrying its role (least privilege, group.ts), or the superuser group with
 * SERVICE_ACCOUNT_ACCESS=admin-group. A membership in the superuser group that the role makes unnecessary is
 * reported, and ended only when asked (LEAVE_ADMIN_GROUP).
 */
import type { WireGroup, WireUser } from "../../authentik/wire.ts";
import type { Adapter, Objects } from "../adapter.ts";
import type { DesiredState } from "../desired.ts";
import { accessGroup, joinGroup } from "./access.ts";
import { serviceAccount } from "./service-account.ts";

/**
 * Pure. Membership is read from the user's `groups` (present in every version); a group list may leave out
 * `users` when asked without them.
 */
export function isMember(group: WireGroup, user: WireUser): boolean {
  return user.groups?.includes(group.pk) ?? group.users?.includes(user.pk) ?? false;
}

/** Whether the account is in the group; `false` for an account (or group) that does not exist yet. */
export interface Membership {
  member: boolean;
  /** The group, as the account's own group list names it (the superuser group's membership). */
  group?: WireGroup | undefined;
}

/** The group the account belongs in, by name, and as found or made (undefined: not made yet). */
function targetOf(d: DesiredState, objects: Objects): { name: string; group: WireGroup | undefined } {
  return d.access ? { name: d.access.name, group: objects.get(accessGroup) } : { name: d.adminGroup!.name, group: d.adminGroup };
}

export const membership: Adapter<Membership, true> = {
  kind: "group membership",
  get needs() {
    return [serviceAccount, accessGroup];
  },
  applies: (d) => d.serviceAccount !== undefined && (d.access !== undefined || d.adminGroup !== undefined),
  key: (d, seen) => `${d.serviceAccount!.username} in ${targetOf(d, seen).name}`,
  // No request: the account's groups came with the account.
  find: (_client, d, seen) => {
    const user = seen.get(serviceAccount);
    const { group } = targetOf(d, seen);
    return Promise.resolve({ member: user !== undefined && group !== undefined && isMember(group, user) });
  },
  diff(d, observed, seen) {
    if (observed?.member) return { action: "noop", changes: [] };
    const from = seen.get(serviceAccount) ? "(not a member)" : "(new account)";
    return { action: "update", changes: [{ field: "groups", from, to: `+ ${targetOf(d, seen).name}` }], patch: true };
  },
  create: () => Promise.resolve({ member: false }),
  async update(d, _current, _patch, done, { client }) {
    await joinGroup(client, targetOf(d, done).group!, done.get(serviceAccount)!);
    return { member: true };
  },
};

/** With role access: the account's membership in the superuser group, left alone unless LEAVE_ADMIN_GROUP. */
export const adminMembership: Adapter<Membership, true> = {
  kind: "superuser group membership",
  get needs() {
    return [serviceAccount];
  },
  applies: (d) => d.serviceAccount !== undefined && d.access !== undefined && d.adminGroupName !== undefined,
  key: (d) => `${d.serviceAccount!.username} in ${d.adminGroupName!}`,
  // No request: the account came with its groups, named (the superuser group is not looked up).
  find: (_client, d, seen) => {
    const found = seen.get(serviceAccount)?.groups_obj?.find((g) => g.name === d.adminGroupName);
    return Promise.resolve({ member: found !== undefined, group: found });
  },
  diff(d, observed) {
    if (!observed?.member) return { action: "noop", changes: [] };
    const group = d.adminGroupName!;
    if (d.leaveAdminGroup) {
      return { action: "update", changes: [{ field: "groups", from: group, to: `- ${group}` }], patch: true, note: "LEAVE_ADMIN_GROUP=true: the role is enough for NetBird" };
    }
    return {
      action: "noop",
      changes: [],
      warn: true,
      note: `the service account is still in '${group}', a superuser group: whoever reads setup.env or NetBird's management.json owns authentik. The role is all NetBird needs; set LEAVE_ADMIN_GROUP=true to take it out`,
    };
  },
  create: () => Promise.resolve({ member: false }),
  async update(_d, current, _patch, done, { client }) {
    await client.removeUserFromGroup(current.group!, done.get(serviceAccount)!);
    return { member: false };
  },
};
