/**
 * The group that carries the role (role.ts): its members hold the role's permissions (rbac/signals.py up to
 * 2025.10, User.all_roles() from 2025.12). Owned: it carries our role and is never a superuser group.
 */
import type { WireGroup } from "../../authentik/wire.ts";
import type { Adapter } from "../adapter.ts";
import { role } from "./role.ts";

interface GroupPatch {
  roles?: string[];
  is_superuser?: false;
}

export const accessGroup: Adapter<WireGroup, GroupPatch> = {
  kind: "group",
  get needs() {
    return [role];
  },
  applies: (d) => d.access !== undefined,
  key: (d) => d.access!.name,
  find: (client, d) => client.findGroup(d.access!.name),
  diff(d, observed, seen) {
    const ours = seen.get(role)?.role.pk;
    if (!observed) return { action: "create", changes: [{ field: "roles", from: "(none)", to: d.access!.name }] };
    const changes = [];
    const patch: GroupPatch = {};
    if (ours === undefined || !(observed.roles ?? []).includes(ours)) {
      changes.push({ field: "roles", from: "(without the role)", to: `+ ${d.access!.name}` });
      patch.roles = [];
    }
    if (observed.is_superuser) {
      changes.push({ field: "is_superuser", from: "true", to: "false" });
      patch.is_superuser = false;
    }
    return changes.length ? { action: "update", changes, patch } : { action: "noop", changes };
  },
  create: (d, done, { client }) => client.createGroup(d.access!.name, [done.get(role)!.role.pk]),
  async update(_d, current, patch, done, { client }) {
    let group = current;
    // `roles` replaces the whole set: the group's other roles are kept.
    if (patch.roles) group = await client.setGroupRoles(group, [...(group.roles ?? []), done.get(role)!.role.pk]);
    if (patch.is_superuser === false) group = await client.patchGroup(group, { isSuperuser: false });
    return group;
  },
};
