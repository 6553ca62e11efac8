/**
 * The role that gives NetBird's service account exactly what NetBird's IdP manager for authentik calls
 * (netbirdio/netbird management/server/idp/authentik.go: list users, also by e-mail; retrieve a user; delete a
 * user), instead of the superuser group. authentik's RBAC (rbac/api/roles.py, rbac/api/rbac_assigned_by_roles.py,
 * every version from 2024.2) holds global permissions on roles; a group carries the role and its members hold
 * them (rbac/signals.py up to 2025.10, User.all_roles() from 2025.12). Both are owned: missing permissions are
 * assigned, others taken away; the group carries our role and is never a superuser group. Two adapters in one
 * module: each reads the other (the group names its roles; the group's diff needs the role). The same pair, made
 * by `accessAdapters`, gives this tool's own account its role (TOOL_TOKEN_FILE).
 */
import { listedPermission } from "../../authentik/permissions.ts";
import type { AuthentikClient } from "../../authentik/client.ts";
import type { WireGroup, WireRole, WireUser } from "../../authentik/wire.ts";
import type { Adapter, Objects } from "../adapter.ts";
import type { DesiredAccess, DesiredState } from "../desired.ts";
import { serviceAccount } from "./service-account.ts";

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

/** The groups made in this run, with the account they were made with (the membership then needs no request). */
const madeWith = new WeakMap<WireGroup, number>();

/** The account joins the group: by `add_user`, unless the group was made in this run with it in. */
export async function joinGroup(client: AuthentikClient, group: WireGroup, user: WireUser): Promise<void> {
  if (madeWith.get(group) !== user.pk) await client.addUserToGroup(group, user);
}

/**
 * The role and the group carrying it, for the access `pick` chooses (NetBird's account's, or the tool's).
 * `member`: the account that belongs in the group, once made: a group made after it is made with it in
 * (GroupSerializer's `users`, writable in every version), and its membership then needs no request of its own.
 */
export function accessAdapters(
  pick: (d: DesiredState) => DesiredAccess | undefined,
  member: (done: Objects) => WireUser | undefined,
  /** The group was made before, most likely (the tool's, when its token is at hand): looked up, not made blind. */
  exists: (d: DesiredState) => boolean = () => false,
): {
  role: Adapter<RoleWithPermissions, PermissionPatch>;
  group: Adapter<WireGroup, GroupPatch>;
} {
  const want = (d: DesiredState) => pick(d)!;
  const role: Adapter<RoleWithPermissions, PermissionPatch> = {
    kind: "role",
    get needs() {
      return [group];
    },
    applies: (d) => pick(d) !== undefined,
    key: (d) => want(d).name,
    // The group, when it exists, names its roles: no search for the role then. Without the group (or not looked
    // for), on a first run, not searched at all: a role of that name is adopted anyway, on its creation's 400
    // (role names are unique: rbac/models.py, every version).
    async find(client, d, seen, opts) {
      const name = want(d).name;
      const carrier = seen.get(group);
      if (!carrier && opts.createUnlooked) return undefined;
      const found = carrier?.roles_obj?.find((r) => r.name === name) ?? (await client.findRole(name));
      return found ? { role: found, permissions: await client.rolePermissions(found) } : undefined;
    },
    diff(d, observed) {
      const wanted = want(d).permissions;
      if (!observed) return { action: "create", changes: [{ field: "permissions", from: "(none)", to: wanted.join(", ") }] };
      // Compared as authentik lists them (only `authentik*` apps).
      const assign = wanted.filter((p) => listedPermission(p) && !observed.permissions.includes(p));
      const unassign = observed.permissions.filter((p) => !wanted.includes(p));
      if (!assign.length && !unassign.length) return { action: "noop", changes: [] };
      return {
        action: "update",
        changes: [{ field: "permissions", from: observed.permissions.join(", ") || "(none)", to: wanted.filter(listedPermission).join(", ") }],
        patch: { assign, unassign },
      };
    },
    async create(d, _done, { client }) {
      const made = await client.createRole(want(d).name);
      await client.assignRolePermissions(made, want(d).permissions);
      return { role: made, permissions: [...want(d).permissions] };
    },
    async update(d, current, patch, _done, { client }) {
      if (patch.assign.length) await client.assignRolePermissions(current.role, patch.assign);
      if (patch.unassign.length) await client.unassignRolePermissions(current.role, patch.unassign);
      return { role: current.role, permissions: [...want(d).permissions] };
    },
  };

  const group: Adapter<WireGroup, GroupPatch> = {
    kind: "group",
    // Found first: it names its roles, which spares the role a search. Its diff reads the role.
    needs: [],
    applies: (d) => pick(d) !== undefined,
    key: (d) => want(d).name,
    // Not looked for on a first run where authentik refuses a second group of the name (2024.6+): made, or adopted
    // on the 400 and repaired; what was planned against its absence (the membership) is planned anew then.
    find: (client, d, _seen, opts) => (opts.createUnlooked && client.features.uniqueGroupNames && !exists(d) ? Promise.resolve(undefined) : client.findGroup(want(d).name)),
    diff(d, observed, seen) {
      const ours = seen.get(role)?.role.pk;
      if (!observed) return { action: "create", changes: [{ field: "roles", from: "(none)", to: want(d).name }] };
      const changes = [];
      const patch: GroupPatch = {};
      if (ours === undefined || !(observed.roles ?? []).includes(ours)) {
        changes.push({ field: "roles", from: "(without the role)", to: `+ ${want(d).name}` });
        patch.roles = [];
      }
      if (observed.is_superuser) {
        changes.push({ field: "is_superuser", from: "true", to: "false" });
        patch.is_superuser = false;
      }
      return changes.length ? { action: "update", changes, patch } : { action: "noop", changes };
    },
    async create(d, done, { client }) {
      const account = member(done);
      const made = await client.createGroup(want(d).name, [done.get(role)!.role.pk], account ? [account.pk] : []);
      if (account && made.users?.includes(account.pk)) madeWith.set(made, account.pk);
      return made;
    },
    async update(_d, current, patch, done, { client }) {
      // One partial update. `roles` replaces the whole set: the group's other roles are kept.
      return client.patchGroup(current, {
        ...(patch.roles ? { roles: [...(current.roles ?? []), done.get(role)!.role.pk] } : {}),
        ...(patch.is_superuser === false ? { isSuperuser: false } : {}),
      });
    },
  };
  return { role, group };
}

/** The group that carries the role. */
interface GroupPatch {
  roles?: string[];
  is_superuser?: false;
}

/** NetBird's service account's role and group. */
const netbird = accessAdapters(
  (d) => d.access,
  (done) => done.get(serviceAccount),
);
export const role = netbird.role;
export const accessGroup = netbird.group;
