/**
 * authentik's RBAC as the fake models it: global permissions held by roles, roles bound to groups, a user holding
 * the permissions of the roles of their groups; superusers (members of an `is_superuser` group) hold all.
 *
 * Sources (SAY-5/authentik, release tags):
 * - `authentik/rbac/permissions.py` `ObjectPermissions` (DRF DjangoObjectPermissions: POST → add_X, PATCH/PUT →
 *   change_X, DELETE → delete_X on the view's queryset model) and `authentik/rbac/filters.py` `ObjectFilter`
 *   (view_X held globally → the whole queryset; none → 403 PermissionDenied), version/2024.2.0 … version/2026.2.2.
 *   Object-level permissions are not modelled here (only the token handlers' own, in api.ts): without the global
 *   permission a list or a retrieve is a 403, as for a user holding no object permission.
 * - User → roles: up to 2025.10 a role's permissions sit on a Django group its authentik group's members are
 *   copied into (`rbac/signals.py` version/2024.2.0); from 2025.12 `User.all_roles()` = the roles of the user's
 *   groups and their ancestors (`core/models.py` version/2026.2.2). The fake uses direct membership before
 *   2025.12 and adds the parent chain from 2025.12.
 * - Per-endpoint permissions: the table below, derived from each viewset at those tags (core/api/users.py,
 *   groups.py, applications.py, providers.py, brands/api.py, flows/api/flows.py, crypto/api.py,
 *   providers/oauth2/api/{providers,scopes}.py, rbac/api/{roles,rbac,rbac_assigned_by_roles}.py).
 */
import { atLeast } from "./api.ts";
import type { Version } from "./schema.ts";
import type { Store, User } from "./store.ts";

export interface Role {
  pk: string;
  name: string;
  /** Global permissions, `app_label.codename`. */
  permissions: Set<string>;
}

/** Codenames that only exist from a version on (core/models.py, crypto/models.py per tag); earlier, assigning one fails. */
export const PERMISSION_SINCE: Record<string, [number, number]> = {
  "authentik_core.add_user_to_group": [2024, 4],
  "authentik_core.remove_user_from_group": [2024, 4],
  "authentik_core.enable_group_superuser": [2025, 2],
  "authentik_core.disable_group_superuser": [2025, 2],
  "authentik_core.set_token_key": [2025, 8],
  "authentik_crypto.view_certificatekeypair_certificate": [2025, 12],
  "authentik_crypto.view_certificatekeypair_key": [2025, 12],
};

export function permissionExists(perm: string, version: Version): boolean {
  const since = PERMISSION_SINCE[perm];
  return since === undefined || atLeast(version, since[0], since[1]);
}

/** The user's global permissions (not for superusers, who hold every one). */
export function globalPermissions(store: Store, user: User, version: Version): Set<string> {
  const groups = [...store.groups.values()].filter((g) => g.users.includes(user.pk));
  if (atLeast(version, 2025, 12)) {
    for (let i = 0; i < groups.length; i++) {
      const parent = groups[i]!.parent ? store.groups.get(groups[i]!.parent!) : undefined;
      if (parent && !groups.includes(parent)) groups.push(parent);
    }
  }
  const perms = new Set<string>();
  for (const g of groups) for (const pk of g.roles ?? []) for (const p of store.roles.get(pk)?.permissions ?? []) perms.add(p);
  return perms;
}

const core = (...codenames: string[]) => codenames.map((c) => `authentik_core.${c}`);
const model = (app: string, name: string) => ({
  list: [`${app}.view_${name}`],
  create: [`${app}.add_${name}`],
  update: [`${app}.view_${name}`, `${app}.change_${name}`],
  destroy: [`${app}.view_${name}`, `${app}.delete_${name}`],
});

/**
 * The global permissions an operation needs, or undefined where the handler decides itself (tokens: owner
 * semantics, TokenViewSet) or anyone authenticated may call it.
 */
export function requiredPermissions(operationId: string, version: Version): string[] | undefined {
  const users = model("authentik_core", "user");
  const groups = model("authentik_core", "group");
  const flows = model("authentik_flows", "flow");
  const brands = model("authentik_brands", "brand");
  const apps = model("authentik_core", "application");
  const oauth2 = model("authentik_providers_oauth2", "oauth2provider");
  const table: Record<string, string[]> = {
    core_users_list: users.list,
    core_users_retrieve: users.list,
    core_users_partial_update: users.update,
    core_users_destroy: users.destroy,
    // UserViewSet.service_account: add_user (POST on User) + @permission_required(None, ["add_user", "add_token"]).
    core_users_service_account_create: core("add_user", "add_token"),
    core_groups_list: groups.list,
    core_groups_retrieve: groups.list,
    core_groups_create: groups.create,
    core_groups_partial_update: groups.update,
    core_groups_destroy: groups.destroy,
    // GroupViewSet.add_user / remove_user: 2024.4+ `add_user_to_group` / `remove_user_from_group` and the user
    // visible (view_user); 2024.2: POST on Group (add_group) + @permission_required("authentik_core.add_user").
    core_groups_add_user_create: atLeast(version, 2024, 4) ? core("add_user_to_group", "view_user") : core("add_group", "add_user", "view_user"),
    core_groups_remove_user_create: atLeast(version, 2024, 4) ? core("remove_user_from_group", "view_user") : core("add_group", "add_user", "view_user"),
    flows_instances_list: flows.list,
    flows_instances_retrieve: flows.list,
    flows_instances_create: flows.create,
    flows_instances_partial_update: flows.update,
    flows_instances_destroy: flows.destroy,
    core_brands_list: brands.list,
    core_brands_create: brands.create,
    core_brands_partial_update: brands.update,
    crypto_certificatekeypairs_list: ["authentik_crypto.view_certificatekeypair"],
    // view_certificate: `filter_backends=[]` up to 2024.6; ObjectFilter from 2024.8; plus
    // @permission_required("view_certificatekeypair_certificate") from 2025.12 (crypto/api.py per tag).
    crypto_certificatekeypairs_view_certificate_retrieve: atLeast(version, 2025, 12)
      ? ["authentik_crypto.view_certificatekeypair", "authentik_crypto.view_certificatekeypair_certificate"]
      : atLeast(version, 2024, 8)
        ? ["authentik_crypto.view_certificatekeypair"]
        : [],
    propertymappings_provider_scope_list: ["authentik_providers_oauth2.view_scopemapping"],
    propertymappings_scope_list: ["authentik_providers_oauth2.view_scopemapping"],
    // ProviderViewSet's queryset model is the base Provider (core/api/providers.py).
    providers_all_list: core("view_provider"),
    providers_oauth2_list: oauth2.list,
    providers_oauth2_retrieve: oauth2.list,
    providers_oauth2_create: oauth2.create,
    providers_oauth2_partial_update: oauth2.update,
    providers_oauth2_destroy: oauth2.destroy,
    // The list is policy-filtered for the caller instead (ApplicationViewSet.list); retrieve is not.
    core_applications_retrieve: apps.list,
    core_applications_create: apps.create,
    core_applications_partial_update: apps.update,
    core_applications_destroy: apps.destroy,
    rbac_roles_list: ["authentik_rbac.view_role"],
    rbac_roles_create: ["authentik_rbac.add_role"],
    rbac_roles_destroy: ["authentik_rbac.view_role", "authentik_rbac.delete_role"],
    rbac_permissions_assigned_by_roles_assign: ["authentik_rbac.assign_role_permissions", "authentik_rbac.add_role"],
    rbac_permissions_assigned_by_roles_assign_create: ["authentik_rbac.assign_role_permissions", "authentik_rbac.add_role"],
    rbac_permissions_assigned_by_roles_unassign_partial_update: ["authentik_rbac.unassign_role_permissions", "authentik_rbac.change_role"],
    // PermissionViewSet: ObjectFilter on Django's Permission up to 2024.12; IsAuthenticated only from 2025.2.
    rbac_permissions_list: atLeast(version, 2025, 2) ? [] : ["auth.view_permission"],
  };
  return table[operationId];
}

/** The permissions of `needed` the user lacks (none for superusers). */
export function missingPermissions(store: Store, user: User, needed: readonly string[], version: Version): string[] {
  if (store.isSuperuser(user)) return [];
  const held = globalPermissions(store, user, version);
  return needed.filter((p) => !held.has(p));
}
