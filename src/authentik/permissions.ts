/**
 * The global permissions each of this tool's API calls needs as a non-superuser, version by version, and from
 * them the role of the least-privilege tool account (TOOL_TOKEN_FILE / TOOL_TOKEN_SECRET_KEY). Read in authentik's
 * source (SAY-5/authentik, tags version/2024.2.0 … version/2026.2.2):
 * - `rbac/permissions.py` `ObjectPermissions` (DRF DjangoObjectPermissions: POST → add_X, PATCH → change_X on the
 *   view's queryset model) and `rbac/filters.py` `ObjectFilter` (a list, a retrieve and the object of a PATCH
 *   need view_X held globally, else 403);
 * - the viewsets: core/api/{users,groups,applications,providers,brands}.py, flows/api/flows.py, crypto/api.py,
 *   providers/oauth2/api/{providers,scopes}.py, rbac/api/{roles,rbac,rbac_assigned_by_roles}.py.
 * Token calls are not here: the tool account only ever reads its own token (TokenViewSet lets an owner do that
 * without permission), and NetBird's app password is handled as NetBird's account itself (session.ts).
 */
import { versionAtLeast } from "./version.ts";

type Perms = (version: string) => readonly string[];

const fixed =
  (...perms: string[]): Perms =>
  () =>
    perms;
const view = (app: string, model: string) => fixed(`${app}.view_${model}`);
const add = (app: string, model: string) => fixed(`${app}.add_${model}`);
const change = (app: string, model: string) => fixed(`${app}.view_${model}`, `${app}.change_${model}`);

/** By operation id (authentik's schema), the permissions a caller without superuser rights needs. */
export const TOOL_CALLS: Readonly<Record<string, Perms>> = {
  // admin/api/version.py: IsAuthenticated only.
  admin_version_retrieve: fixed(),
  flows_instances_list: view("authentik_flows", "flow"),
  flows_instances_create: add("authentik_flows", "flow"),
  flows_instances_partial_update: change("authentik_flows", "flow"),
  // The scope mappings' path moved in 2024.8; same viewset, same model.
  propertymappings_scope_list: view("authentik_providers_oauth2", "scopemapping"),
  propertymappings_provider_scope_list: view("authentik_providers_oauth2", "scopemapping"),
  crypto_certificatekeypairs_list: view("authentik_crypto", "certificatekeypair"),
  // view_certificate: no filter up to 2024.6; ObjectFilter from 2024.8; and @permission_required
  // ("view_certificatekeypair_certificate") from 2025.12, a codename that only exists from then.
  crypto_certificatekeypairs_view_certificate_retrieve: (v) =>
    versionAtLeast(v, 2025, 12)
      ? ["authentik_crypto.view_certificatekeypair", "authentik_crypto.view_certificatekeypair_certificate"]
      : versionAtLeast(v, 2024, 8)
        ? ["authentik_crypto.view_certificatekeypair"]
        : [],
  core_brands_list: view("authentik_brands", "brand"),
  core_brands_partial_update: change("authentik_brands", "brand"),
  core_groups_list: view("authentik_core", "group"),
  core_groups_create: add("authentik_core", "group"),
  core_groups_partial_update: change("authentik_core", "group"),
  // GroupViewSet.add_user/remove_user: 2024.4+ their own permissions (global) and the user visible; 2024.2: a
  // POST on Group (add_group) and @permission_required("authentik_core.add_user").
  core_groups_add_user_create: (v) =>
    versionAtLeast(v, 2024, 4)
      ? ["authentik_core.add_user_to_group", "authentik_core.view_user"]
      : ["authentik_core.add_group", "authentik_core.add_user", "authentik_core.view_user"],
  core_groups_remove_user_create: (v) =>
    versionAtLeast(v, 2024, 4)
      ? ["authentik_core.remove_user_from_group", "authentik_core.view_user"]
      : ["authentik_core.add_group", "authentik_core.add_user", "authentik_core.view_user"],
  core_users_list: view("authentik_core", "user"),
  core_users_partial_update: change("authentik_core", "user"),
  // UserViewSet.service_account: a POST on User and @permission_required(None, ["add_user", "add_token"]).
  core_users_service_account_create: fixed("authentik_core.add_user", "authentik_core.add_token"),
  providers_oauth2_list: view("authentik_providers_oauth2", "oauth2provider"),
  providers_oauth2_create: add("authentik_providers_oauth2", "oauth2provider"),
  providers_oauth2_partial_update: change("authentik_providers_oauth2", "oauth2provider"),
  // ProviderViewSet's queryset model is the base Provider.
  providers_all_list: view("authentik_core", "provider"),
  core_applications_retrieve: view("authentik_core", "application"),
  core_applications_create: add("authentik_core", "application"),
  core_applications_partial_update: change("authentik_core", "application"),
  rbac_roles_list: view("authentik_rbac", "role"),
  rbac_roles_create: add("authentik_rbac", "role"),
  // assign is a POST action (add_role on the object) behind @permission_required("assign_role_permissions");
  // unassign a PATCH action (change_role) behind "unassign_role_permissions".
  rbac_permissions_assigned_by_roles_assign: fixed("authentik_rbac.assign_role_permissions", "authentik_rbac.add_role"),
  rbac_permissions_assigned_by_roles_unassign_partial_update: fixed("authentik_rbac.unassign_role_permissions", "authentik_rbac.change_role"),
  // PermissionViewSet: ObjectFilter on Django's Permission up to 2024.12, IsAuthenticated only from 2025.2.
  rbac_permissions_list: (v) => (versionAtLeast(v, 2025, 2) ? [] : ["auth.view_permission"]),
};

/** The tool account's role on this version: every permission one of its calls needs, sorted. */
export function toolPermissions(version: string): string[] {
  return [...new Set(Object.values(TOOL_CALLS).flatMap((perms) => perms(version)))].sort();
}

/**
 * What a role's permission list shows: `/rbac/permissions/` only lists permissions of apps whose label starts
 * with `authentik` (rbac/api/rbac.py `PermissionViewSet.get_queryset`), so `auth.view_permission` is assigned
 * but never read back.
 */
export const listedPermission = (perm: string): boolean => perm.startsWith("authentik");
