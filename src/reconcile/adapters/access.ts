/**
 * The role that gives NetBird's service account exactly what NetBird's IdP manager for authentik calls
 * (netbirdio/netbird management/server/idp/authentik.go: list users, also by e-mail; retrieve a user; delete a
 * user), instead of the superuser group. authentik's RBAC (rbac/api/roles.py, rbac/api/rbac_assigned_by_roles.py,
 * every version from 2024.2) holds global permissions on roles; a group carries the role and its members hold
 * them (rbac/signals.py up to 2025.10, User.all_roles() from 2025.12). Both are owned: missing permissions are
 * assigned, others taken away; the group carries our role and is never a superuser group. Two adapters in one
 * module: each reads the other (the group names its roles; the group's diff needs the role).
 */
import type { WireGroup, WireRole } from "../../authentik/wire.ts";
import type { Adapter } from "../adapter.ts";

/**
 * `view_user` lets ObjectFilter (rbac/filters.py) return the whole user list and any user; `delete_user` is
 * DELETE /core/users/{id}/ (DjangoObjectPermissions). Both codenames exist in every version from 2024.2.0 to
 * 2026.2.2 (authentik/core/models.py); NetBird needs nothing else (users.py serialises groups without checks).
 */
export const NETBIRD_IDP_PERMISSIONS = ["authentik_core.view_user", "authentik_core.delete_user"] as const;

export interface RoleWithPermissions {
  role: WireRole;
  /** Its global permissions, as `app_label.codename`. */
  permissions: string[];
}

interface PermissionPatch {
  assign: string[];
  unassign: string[];
}

export const role: Adapter<RoleWithPermissions, PermissionPatch> = {
  kind: "role",
  get needs() {
    return [accessGroup];
  },
  applies: (d) => d.access !== undefined,
  key: (d) => d.access!.name,
  // The group, when it exists, names its roles: no search for the role then.
  async find(client, d, seen) {
    const name = d.access!.name;
    const found = seen.get(accessGroup)?.roles_obj?.find((r) => r.name === name) ?? (await client.findRole(name));
    return found ? { role: found, permissions: await client.rolePermissions(found) } : undefined;
  },
  diff(d, observed) {
    const wanted = d.access!.permissions;
    if (!observed) return { action: "create", changes: [{ field: "permissions", from: "(none)", to: wanted.join(", ") }] };
    const assign = wanted.filter((p) => !observed.permissions.includes(p));
    const unassign = observed.permissions.filter((p) => !wanted.includes(p));
    if (!assign.length && !unassign.length) return { action: "noop", changes: [] };
    return {
      action: "update",
      changes: [{ field: "permissions", from: observed.permissions.join(", ") || "(none)", to: wanted.join(", ") }],
      patch: { assign, unassign },
    };
  },
  async create(d, _done, { client }) {
    const made = await client.createRole(d.access!.name);
    await client.assignRolePermissions(made, d.access!.permissions);
    return { role: made, permissions: [...d.access!.permissions] };
  },
  async update(d, current, patch, _done, { client }) {
    if (patch.assign.length) await client.assignRolePermissions(current.role, patch.assign);
    if (patch.unassign.length) await client.unassignRolePermissions(current.role, patch.unassign);
    return { role: current.role, permissions: [...d.access!.permissions] };
  },
};

/** The group that carries the role. */
interface GroupPatch {
  roles?: string[];
  is_superuser?: false;
}

export const accessGroup: Adapter<WireGroup, GroupPatch> = {
  kind: "group",
  // Found first: it names its roles, which spares the role a search (role.ts). Its diff reads the role.
  needs: [],
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
