/**
 * The role that gives NetBird's service account exactly what NetBird's IdP manager for authentik calls
 * (netbirdio/netbird management/server/idp/authentik.go: list users, also by e-mail; retrieve a user; delete a
 * user), instead of the superuser group. authentik's RBAC (rbac/api/roles.py, rbac/api/rbac_assigned_by_roles.py,
 * every version from 2024.2) holds global permissions on roles; a group carries the role (group.ts) and its
 * members hold them. The role is owned: missing permissions are assigned, others taken away.
 */
import type { WireRole } from "../../authentik/wire.ts";
import type { Adapter } from "../adapter.ts";

/**
 * `view_user` lets ObjectFilter (rbac/filters.py) return the whole user list and any user; `delete_user` is
 * DELETE /core/users/{id}/ (DjangoObjectPermissions). Both codenames exist in every version from 2024.2.0 to
 * 2026.2.2 (authentik/core/models.py); NetBird needs nothing else (users.py serialises groups without checks).
 */
export const NETBIRD_IDP_PERMISSIONS = ["authentik_core.view_user", "authentik_core.delete_user"] as const;

export interface DesiredAccess {
  /** The role's name, and the group's. */
  name: string;
  permissions: readonly string[];
}

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
  needs: [],
  applies: (d) => d.access !== undefined,
  key: (d) => d.access!.name,
  async find(client, d) {
    const found = await client.findRole(d.access!.name);
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
