/**
 * The REST handlers, keyed by the schema's operationId. They work on the store and return internal wire
 * objects; the server shapes them per version. Uniqueness and foreign-key errors answer like DRF.
 */
import { randomUUID } from "node:crypto";
import { randomKey, type Application, type Brand, type Flow, type Group, type Provider, type RedirectUri, type Store, type Token, type User } from "./store.ts";
import { applicationWire, brandWire, certWire, flowWire, groupWire, providerWire, scopeMappingWire, tokenWire, userWire } from "./wire.ts";
import { permissionExists } from "./rbac.ts";
import type { Version } from "./schema.ts";

export class HttpError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** Assign plain fields of a body onto an object. */
function assign(target: object, body: Record<string, unknown>, keys: readonly string[]): void {
  for (const key of keys) if (body[key] !== undefined) (target as Record<string, unknown>)[key] = body[key];
}

export interface Ctx {
  store: Store;
  version: Version;
  /** What /admin/version/ says (normally the emulated version). */
  reportVersion: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, any>;
  user: User;
  host: string;
  /** `<scheme>://<host>` of the request (X-Forwarded-Proto honoured). */
  base?: string;
  /** The query parameters the emulated version's schema declares for this operation; others are ignored. */
  accepts?: Set<string>;
  /** Behaviours seen only on unreleased branches, switched on by tests (see README, "guess"). */
  quirks?: { groupListOmitsUsers?: boolean };
}

export interface Result {
  status?: number;
  body?: unknown;
}

export function atLeast(version: Version, major: number, minor: number): boolean {
  const [y, m] = version.split(".").map(Number) as [number, number];
  return y > major || (y === major && m >= minor);
}

function notFound(ctx: Ctx, model: string): HttpError {
  return new HttpError(404, { detail: atLeast(ctx.version, 2025, 4) ? `No ${model} matches the given query.` : "Not found." });
}

const unique = (field: string, model: string) => new HttpError(400, { [field]: [`${model} with this ${field.replace(/_/g, " ")} already exists.`] });
const invalidPk = (field: string, value: unknown) => new HttpError(400, { [field]: [`Invalid pk "${String(value)}" - object does not exist.`] });

/** Pagination like authentik's: page numbers, `next`/`previous` 0 for none, 404 past the end. */
function paginate(ctx: Ctx, items: unknown[]): Result {
  const newer = atLeast(ctx.version, 2025, 12);
  // DRF's _positive_int: anything but a positive integer falls back to the default size.
  const fallback = newer ? 20 : 100;
  const rawSize = ctx.query.get("page_size") ?? "";
  const requested = /^\d+$/.test(rawSize) && Number(rawSize) > 0 ? Number(rawSize) : fallback;
  const size = newer ? Math.min(requested, 100) : requested;
  // DRF: a page that is not a positive integer (or "last") is "Invalid page." like one past the end.
  const rawPage = ctx.query.get("page") ?? "1";
  const page = /^\d+$/.test(rawPage) ? Number(rawPage) : rawPage === "last" ? Math.max(1, Math.ceil(items.length / size)) : 0;
  if (page < 1) throw new HttpError(404, { detail: "Invalid page." });
  const total = Math.max(1, Math.ceil(items.length / size));
  if (page > total) throw new HttpError(404, { detail: "Invalid page." });
  const slice = items.slice((page - 1) * size, page * size);
  return {
    body: {
      pagination: {
        next: page < total ? page + 1 : 0,
        previous: page > 1 ? page - 1 : 0,
        count: items.length,
        current: page,
        total_pages: total,
        start_index: items.length ? (page - 1) * size + 1 : 0,
        end_index: (page - 1) * size + slice.length,
      },
      results: slice,
    },
  };
}

/** Exact-match filters the real list endpoints support, plus `search` (case-insensitive substring). */
function filtered<T extends Record<string, any>>(ctx: Ctx, items: T[], exact: Record<string, (item: T, value: string) => boolean>, searchFields: (keyof T)[]): T[] {
  let out = items;
  const known = (param: string) => !ctx.accepts || ctx.accepts.has(param);
  for (const [param, test] of Object.entries(exact)) {
    // A filter the version's schema does not declare is ignored by the real server (django-filter).
    if (!known(param)) continue;
    const values = ctx.query.getAll(param);
    if (values.length === 0) continue;
    out = out.filter((item) => values.some((v) => test(item, v)));
  }
  const search = known("search") ? ctx.query.get("search") : null;
  if (search)
    out = out.filter((item) =>
      searchFields.some((f) =>
        String(item[f] ?? "")
          .toLowerCase()
          .includes(search.toLowerCase()),
      ),
    );
  return out;
}

const bool = (v: string) => v === "true" || v === "True" || v === "1";

/**
 * DRF's `OrderingFilter`: `?ordering=a,-b` over the fields given (others are ignored), else the view's default
 * `ordering`. Like PostgreSQL, nulls sort last ascending and first descending; ties keep the store's order.
 */
function ordered<T>(ctx: Ctx, items: T[], fallback: string[], fields: Record<string, (item: T) => string | number | null>): T[] {
  const asked = ctx.accepts && !ctx.accepts.has("ordering") ? [] : (ctx.query.get("ordering") ?? "").split(",").map((f) => f.trim());
  const valid = asked.filter((f) => fields[f.replace(/^-/, "")]);
  const keys = (valid.length ? valid : fallback).map((f) => ({ desc: f.startsWith("-"), get: fields[f.replace(/^-/, "")]! }));
  return [...items].sort((a, b) => {
    for (const { desc, get } of keys) {
      const x = get(a);
      const y = get(b);
      if (x === y) continue;
      if (x === null) return desc ? -1 : 1;
      if (y === null) return desc ? 1 : -1;
      const c = x < y ? -1 : 1;
      return desc ? -c : c;
    }
    return 0;
  });
}

/**
 * django-filter's ChoiceFilter and AllValues(Multiple)Filter: a value outside the choices makes the filterset
 * invalid, and DRF's DjangoFilterBackend answers 400 (`{"managed": ["Select a valid choice. … is not one of the
 * available choices."]}`). For `AllValues…` the choices are the values currently in the database.
 */
function choice(ctx: Ctx, param: string, choices: readonly (string | null)[]): void {
  if (ctx.accepts && !ctx.accepts.has(param)) return;
  for (const v of ctx.query.getAll(param)) {
    if (v !== "" && !choices.includes(v)) throw new HttpError(400, { [param]: [`Select a valid choice. ${v} is not one of the available choices.`] });
  }
}

function flowRef(ctx: Ctx, field: string, value: unknown, required: boolean): string | null {
  if (value === undefined || value === null) {
    if (required) throw new HttpError(400, { [field]: ["This field may not be null."] });
    return null;
  }
  if (![...ctx.store.flows.values()].some((f) => f.pk === value)) throw invalidPk(field, value);
  return String(value);
}

/**
 * From 2026.5 `Token.objects` is an `ExpiringManager` that hides expired tokens (core/models.py on main at
 * addbf5a2f, 2026-04; not verified in a release). The token API itself is unaffected — `TokenViewSet.queryset =
 * Token.objects.including_expired()` (core/api/tokens.py @addbf5a2f L127), so lists, retrieve and view_key show
 * expired tokens as before — but the identifier's unique validator uses the filtered default manager, so a
 * create with the identifier of an expired token passes validation and fails in the database (500).
 */
function hidesExpired(ctx: Ctx): boolean {
  return atLeast(ctx.version, 2026, 5);
}

export function isExpired(t: Token): boolean {
  return t.expiring && t.expires !== null && Date.parse(t.expires) < Date.now();
}

/**
 * TokenViewSet (core/api/tokens.py): a non-superuser sees and may change only their own tokens — `get_queryset`
 * filters by owner and `OwnerSuperuserPermissions` allows the owner (version/2024.2.0), from 2025.10
 * `ObjectPermissions` with `owner_field = "user"` and the `ObjectFilter` owner filter (version/2025.10.0). Another
 * user's token is a 404.
 */
function visibleTokens(ctx: Ctx): Token[] {
  const own = ctx.store.isSuperuser(ctx.user) ? undefined : ctx.user.pk;
  return [...ctx.store.tokens.values()].filter((t) => own === undefined || t.user === own);
}

function tokenByIdentifier(ctx: Ctx): Token {
  const t = ctx.store.tokens.get(ctx.params.identifier!);
  if (!t || !(ctx.store.isSuperuser(ctx.user) || t.user === ctx.user.pk)) throw notFound(ctx, "Token");
  return t;
}

/**
 * `@permission_required(perm)` (rbac/decorators.py): the global permission (superusers have all), else the object
 * is looked up (404 when invisible) and the object permission is needed (403 without).
 */
function requireObjectPermission(ctx: Ctx, perm: string): Token {
  const t = tokenByIdentifier(ctx);
  if (!ctx.store.hasPermission(ctx.user, perm, `token:${t.identifier}`)) throw new HttpError(403, { detail: "You do not have permission to perform this action." });
  return t;
}

function validityCheck(field: string, value: unknown): void {
  if (value !== undefined && !/^((weeks|days|hours|minutes|seconds|milliseconds|microseconds)=\d+(\.\d+)?;?)+$/.test(String(value))) {
    throw new HttpError(400, { [field]: [`Invalid timedelta value: ${String(value)}`] });
  }
}

/** Apply an OAuth2 provider body (create or patch) with authentik's checks. */
function applyProvider(ctx: Ctx, p: Provider, body: Record<string, any>, creating: boolean): void {
  const s = ctx.store;
  if (body.name !== undefined && [...s.providers.values()].some((o) => o.pk !== p.pk && o.name === body.name)) throw unique("name", "Provider");
  if (body.authorization_flow !== undefined) p.authorization_flow = flowRef(ctx, "authorization_flow", body.authorization_flow, true);
  if (body.invalidation_flow !== undefined) p.invalidation_flow = flowRef(ctx, "invalidation_flow", body.invalidation_flow, atLeast(ctx.version, 2024, 10));
  if (body.authentication_flow !== undefined) p.authentication_flow = flowRef(ctx, "authentication_flow", body.authentication_flow, false);
  for (const key of ["signing_key", "encryption_key"] as const) {
    if (body[key] !== undefined) {
      if (body[key] !== null && !s.certificates.has(body[key])) throw invalidPk(key, body[key]);
      p[key] = body[key];
    }
  }
  if (body.property_mappings !== undefined) {
    for (const pk of body.property_mappings as string[]) if (!s.scopeMappings.has(pk)) throw invalidPk("property_mappings", pk);
    p.property_mappings = [...(body.property_mappings as string[])];
  }
  for (const key of ["access_code_validity", "access_token_validity", "refresh_token_validity", "refresh_token_threshold"]) validityCheck(key, body[key]);
  if (body.redirect_uris !== undefined) {
    if (typeof body.redirect_uris === "string") {
      p.redirect_uris = body.redirect_uris
        .split(/\s+/)
        .filter(Boolean)
        .map((url: string) => ({ matching_mode: "regex" as const, url: url === "*" ? ".*" : url }));
    } else {
      for (const [i, r] of (body.redirect_uris as { matching_mode: string; url: string }[]).entries()) {
        if (r.matching_mode === "regex") {
          try {
            new RegExp(r.url);
          } catch {
            throw new HttpError(400, { redirect_uris: [`Invalid Regex Pattern: ${r.url} (entry ${i})`] });
          }
        }
      }
      // From 2026.5 each entry has `redirect_uri_type` (authorization by default); older serializers drop it.
      const typed = atLeast(ctx.version, 2026, 5);
      p.redirect_uris = (body.redirect_uris as RedirectUri[]).map((r) => ({
        matching_mode: r.matching_mode,
        url: r.url,
        ...(typed ? { redirect_uri_type: r.redirect_uri_type ?? "authorization" } : {}),
      }));
    }
  }
  if (body.grant_types !== undefined) {
    if (Array.isArray(body.grant_types) && body.grant_types.length === 0) throw new HttpError(400, { grant_types: ["This list may not be empty."] });
    p.grant_types = [...body.grant_types];
  }
  assign(p, body, [
    "name",
    "client_type",
    "client_id",
    "client_secret",
    "access_code_validity",
    "access_token_validity",
    "refresh_token_validity",
    "refresh_token_threshold",
    "include_claims_in_id_token",
    "sub_mode",
    "issuer_mode",
  ]);
  if (body.client_id !== undefined && [...s.providers.values()].some((o) => o.pk !== p.pk && o.client_id === body.client_id)) throw unique("client_id", "OAuth2 Provider");
  if (creating && atLeast(ctx.version, 2026, 5) && !body.grant_types) {
    p.grant_types = ["authorization_code", "refresh_token", ...(p.client_type === "confidential" ? ["client_credentials"] : [])];
  }
}

function applicationBody(ctx: Ctx, a: Application, body: Record<string, any>): void {
  const s = ctx.store;
  if (body.slug !== undefined) {
    if ([...s.applications.values()].some((o) => o.pk !== a.pk && o.slug === body.slug)) throw unique("slug", "Application");
    // Application.reserved_slugs (core/models.py, validate_slug in core/api/applications.py, from version/2025.8.0).
    if (atLeast(ctx.version, 2025, 8) && ["authorize", "token", "device", "userinfo", "introspect", "revoke"].includes(body.slug))
      throw new HttpError(400, { slug: [`The slug '${String(body.slug)}' is reserved and cannot be used for applications.`] });
  }
  if (body.provider !== undefined && body.provider !== null) {
    if (!s.providers.has(body.provider)) throw invalidPk("provider", body.provider);
    if ([...s.applications.values()].some((o) => o.pk !== a.pk && o.provider === body.provider))
      throw new HttpError(400, { provider: ["application with this provider already exists."] });
  }
  assign(a, body, ["name", "slug", "provider", "meta_launch_url", "meta_description", "meta_publisher", "policy_engine_mode", "open_in_new_tab", "group"]);
}

/** authentik's `timedelta_from_string` ("hours=1;minutes=30") in milliseconds; undefined if it does not parse. */
export function durationMs(text: string): number | undefined {
  const units: Record<string, number> = { weeks: 604_800_000, days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1000, milliseconds: 1, microseconds: 0.001 };
  let total = 0;
  for (const part of text.split(";").filter(Boolean)) {
    const [unit, n] = part.split("=");
    const f = units[unit?.trim() ?? ""];
    if (f === undefined || n === undefined || !Number.isFinite(Number(n))) return undefined;
    total += f * Number(n);
  }
  return total;
}

/** `default_token_duration()` (core/models.py): now + the tenant's default token duration (`minutes=30` on a fresh install). */
function defaultTokenExpiry(ctx: Ctx): number {
  return Date.now() + (durationMs(ctx.store.tenant.default_token_duration) ?? 1_800_000);
}

/** `User.group_attributes()`: the brand's, then every group's (by name), then the user's own attributes, merged. */
export function groupAttributes(store: Store, user: User): Record<string, unknown> {
  const groups = [...store.groups.values()].filter((g) => g.users.includes(user.pk)).sort((a, b) => a.name.localeCompare(b.name));
  return Object.assign({}, ...groups.map((g) => g.attributes), user.attributes) as Record<string, unknown>;
}

/**
 * `TokenSerializer.validate` (core/api/tokens.py), which DRF runs on partial updates too: a body without `user`
 * gets the caller, one without `intent` gets `api`; `api` tokens get `expires` = the default duration (2024.4+);
 * an `app_password`'s `expires` may not exceed the user's `goauthentik.io/user/token-maximum-lifetime`
 * (else the default duration) (2024.4+). `validate_user` refuses another user on an existing token (2024.6+).
 * Then every validated key is saved (DRF `ModelSerializer.update`).
 */
function applyToken(ctx: Ctx, t: Token, body: Record<string, any>, creating: boolean): void {
  const s = ctx.store;
  if (body.identifier !== undefined && body.identifier !== t.identifier && s.tokens.has(body.identifier)) throw unique("identifier", "Token");
  if (body.user !== undefined) {
    if (!s.users.has(body.user)) throw invalidPk("user", body.user);
    if (!creating && atLeast(ctx.version, 2024, 6) && body.user !== t.user) throw new HttpError(400, { user: ["User cannot be changed"] });
  }
  const user = (body.user as number | undefined) ?? ctx.user.pk;
  const intent = (body.intent as Token["intent"] | undefined) ?? "api";
  if (intent !== "api" && intent !== "app_password") throw new HttpError(400, { intent: [`Invalid intent ${intent}`] });
  let expires: string | null | undefined = "expires" in body ? (body.expires as string | null) : undefined;
  if (atLeast(ctx.version, 2024, 4)) {
    if (intent === "app_password") {
      // Up to 2025.12 the comparison has no None check: `expires: null` raises a TypeError (500).
      if (expires === null && !atLeast(ctx.version, 2026, 2)) throw new HttpError(500, { detail: "Internal Server Error" });
      const owner = s.users.get(user)!;
      const attr = groupAttributes(s, owner)["goauthentik.io/user/token-maximum-lifetime"];
      const attrMs = typeof attr === "string" ? durationMs(attr) : undefined;
      const max = attrMs !== undefined ? Date.now() + attrMs : defaultTokenExpiry(ctx);
      if (expires != null && Date.parse(expires) > max) {
        throw new HttpError(400, { expires: [`Token expires exceeds maximum lifetime (${new Date(max).toISOString().replace("T", " ").replace("Z", "+00:00")} UTC).`] });
      }
    } else {
      // "For API tokens, expires cannot be overridden"
      expires = new Date(defaultTokenExpiry(ctx)).toISOString();
    }
  }
  t.user = user;
  t.intent = intent;
  assign(t, body, ["identifier", "description", "expiring"]);
  if (expires !== undefined) t.expires = expires;
  // TokenViewSet.perform_create: a non-superuser's token is always their own, expiring per their attribute.
  if (creating && !s.isSuperuser(ctx.user)) {
    t.user = ctx.user.pk;
    t.expiring = ctx.user.attributes["goauthentik.io/user/token-expires"] !== false;
  }
  // core/signals.py expiring_model_pre_save: an expiring token without a date gets the default duration.
  if (t.expiring && t.expires === null) t.expires = new Date(defaultTokenExpiry(ctx)).toISOString();
}

function groupBody(ctx: Ctx, g: Group, body: Record<string, any>, creating = false): void {
  // Group names: a second one is refused from 2024.6 by the serializer's UniqueValidator (DRF's message), from
  // 2025.12 by the model's unique field (Django's); before 2024.6 it is accepted (core/api/groups.py, core/models.py).
  if (body.name !== undefined && atLeast(ctx.version, 2024, 6) && [...ctx.store.groups.values()].some((o) => o !== g && o.name === body.name)) {
    throw atLeast(ctx.version, 2025, 12) ? unique("name", "Group") : new HttpError(400, { name: ["This field must be unique."] });
  }
  if (body.users !== undefined) {
    for (const pk of body.users as number[]) if (!ctx.store.users.has(pk)) throw invalidPk("users", pk);
    g.users = [...(body.users as number[])];
  }
  if (body.parent !== undefined) {
    if (body.parent !== null && !ctx.store.groups.has(body.parent)) throw invalidPk("parent", body.parent);
    // GroupSerializer.validate_parent (core/api/groups.py at version/2024.2.0).
    if (!creating && body.parent === g.pk) throw new HttpError(400, { parent: ["Cannot set group as parent of itself."] });
    g.parent = body.parent;
  }
  if (body.roles !== undefined) {
    const roles = body.roles as string[];
    for (const pk of roles) if (!ctx.store.roles.has(pk)) throw invalidPk("roles", pk);
    // 2024.6 – 2025.10: rbac_group_role_m2m refuses a role another group carries (rbac/signals.py, version/2024.6.0).
    if (atLeast(ctx.version, 2024, 6) && !atLeast(ctx.version, 2025, 12)) {
      const taken = roles.filter((pk) => [...ctx.store.groups.values()].some((o) => o !== g && (o.roles ?? []).includes(pk)));
      if (taken.length) throw new HttpError(400, { non_field_errors: ["Roles can only be used with a single group."] });
    }
    // The serializer's many-to-many field replaces the whole set.
    g.roles = [...roles];
  }
  assign(g, body, ["name", "is_superuser", "attributes"]);
}

function flowBody(ctx: Ctx, f: Flow, body: Record<string, any>): void {
  if (body.slug !== undefined && [...ctx.store.flows.values()].some((o) => o.pk !== f.pk && o.slug === body.slug)) throw unique("slug", "Flow");
  assign(f, body, ["name", "slug", "title", "designation", "authentication", "policy_engine_mode", "layout", "denied_action"]);
}

/** A role's global permission as PermissionSerializer shows it (rbac/api/rbac.py). */
function permissionWire(perm: string, id: number) {
  const [app, codename] = perm.split(".") as [string, string];
  const model = codename.replace(/^(view|add|change|delete)_/, "");
  return { id, name: codename.replace(/_/g, " "), codename, model, app_label: app, app_label_verbose: app, model_verbose: model };
}

/** Global permissions in an assign/unassign body: each `app_label.codename` (PermissionAssignSerializer). */
function globalPermissionsOf(ctx: Ctx): string[] {
  const perms = (ctx.body.permissions ?? []) as string[];
  if (ctx.body.model !== undefined || ctx.body.object_pk !== undefined) throw new HttpError(501, { detail: "fake authentik: object permissions on roles are not modelled" });
  if (perms.some((p) => !p.includes("."))) throw new HttpError(400, { non_field_errors: ["When assigning global permissions, codename must be given as app_label.codename"] });
  // An unknown codename: Permission.objects.get raises DoesNotExist inside assign_perm, unhandled (a guess: 500).
  if (perms.some((p) => !permissionExists(p, ctx.version))) throw new HttpError(500, { detail: "Internal Server Error" });
  return perms;
}

function roleOf(ctx: Ctx) {
  const r = ctx.store.roles.get(ctx.params.uuid!);
  if (!r) throw notFound(ctx, "Role");
  return r;
}

export const handlers: Record<string, (ctx: Ctx) => Result> = {
  // Roles (rbac/api/roles.py): `search` on the name in every version, the `name` filter from 2025.10 and
  // `group__name` before (the Django group of the same name).
  rbac_roles_list: (ctx) => {
    const roles = filtered(ctx, [...ctx.store.roles.values()], { name: (r, v) => r.name === v, group__name: (r, v) => r.name === v }, ["name"]);
    return paginate(
      ctx,
      roles.map((r) => ({ pk: r.pk, name: r.name })),
    );
  },
  rbac_roles_create: (ctx) => {
    const name = String(ctx.body.name);
    if ([...ctx.store.roles.values()].some((r) => r.name === name)) throw unique("name", "Role");
    const r = { pk: randomUUID(), name, permissions: new Set<string>() };
    ctx.store.roles.set(r.pk, r);
    return { status: 201, body: { pk: r.pk, name: r.name } };
  },
  // A deleted role leaves the groups that carried it (the many-to-many rows go with it).
  rbac_roles_destroy: (ctx) => {
    const r = roleOf(ctx);
    ctx.store.roles.delete(r.pk);
    for (const g of ctx.store.groups.values()) g.roles = (g.roles ?? []).filter((pk) => pk !== r.pk);
    return { status: 204 };
  },
  // Idempotent (group.permissions.add / get_or_create); 204 up to 2024.6, 200 with ids after (the schema says which).
  rbac_permissions_assigned_by_roles_assign: (ctx) => {
    const r = roleOf(ctx);
    const perms = globalPermissionsOf(ctx);
    for (const p of perms) r.permissions.add(p);
    return { body: perms.map((_p, i) => ({ id: String(i + 1) })) };
  },
  rbac_permissions_assigned_by_roles_unassign_partial_update: (ctx) => {
    const r = roleOf(ctx);
    for (const p of globalPermissionsOf(ctx)) r.permissions.delete(p);
    return { status: 204 };
  },
  rbac_permissions_list: (ctx) => {
    const role = ctx.query.get("role");
    const r = role ? ctx.store.roles.get(role) : undefined;
    const all = role ? [...(r?.permissions ?? [])] : [...new Set([...ctx.store.roles.values()].flatMap((x) => [...x.permissions]))];
    // PermissionViewSet.get_queryset: only content types whose app label starts with "authentik"
    // (rbac/api/rbac.py, version/2024.2.0 … version/2026.2.2): `auth.view_permission` is held, never listed.
    const perms = all.filter((p) => p.startsWith("authentik"));
    return paginate(
      ctx,
      perms.sort().map((p, i) => permissionWire(p, i + 1)),
    );
  },
  admin_version_retrieve: (ctx) => ({
    body: { version_current: ctx.reportVersion, version_latest: ctx.reportVersion, version_latest_valid: true, build_hash: "fake", outdated: false, outpost_outdated: false },
  }),
  core_users_list: (ctx) => {
    choice(ctx, "type", ["internal", "external", "service_account", "internal_service_account"]);
    const at = (v: string | null | undefined) => (v ? Date.parse(v) : NaN);
    const users = filtered(
      ctx,
      [...ctx.store.users.values()],
      {
        username: (u, v) => u.username === v,
        type: (u, v) => u.type === v,
        email: (u, v) => u.email === v,
        name: (u, v) => u.name === v,
        uuid: (u, v) => u.uuid === v,
        path: (u, v) => u.path === v,
        path_startswith: (u, v) => u.path.startsWith(v),
        is_active: (u, v) => u.is_active === bool(v),
        is_superuser: (u, v) => ctx.store.isSuperuser(u) === bool(v),
        groups_by_name: (u, v) => ctx.store.groupByName(v)?.users.includes(u.pk) ?? false,
        groups_by_pk: (u, v) => ctx.store.groups.get(v)?.users.includes(u.pk) ?? false,
        // IsoDateTimeFilter / BooleanFilter on the timestamps (UsersFilter, core/api/users.py at version/2026.2.2).
        date_joined: (u, v) => at(u.date_joined) === at(v),
        date_joined__lt: (u, v) => at(u.date_joined) < at(v),
        date_joined__gt: (u, v) => at(u.date_joined) > at(v),
        last_updated: (u, v) => at(u.last_updated) === at(v),
        last_updated__lt: (u, v) => at(u.last_updated) < at(v),
        last_updated__gt: (u, v) => at(u.last_updated) > at(v),
        last_login: (u, v) => at(u.last_login) === at(v),
        last_login__lt: (u, v) => at(u.last_login) < at(v),
        last_login__gt: (u, v) => at(u.last_login) > at(v),
        last_login__isnull: (u, v) => (u.last_login == null) === bool(v),
      },
      ["username", "name", "email"],
    );
    return paginate(
      ctx,
      ordered(ctx, users, ["username"], {
        pk: (u) => u.pk,
        username: (u) => u.username,
        name: (u) => u.name,
        email: (u) => u.email,
        date_joined: (u) => at(u.date_joined),
        last_updated: (u) => at(u.last_updated),
        last_login: (u) => (u.last_login ? at(u.last_login) : null),
        is_active: (u) => Number(u.is_active),
        type: (u) => u.type,
        path: (u) => u.path,
      }).map((u) => userWire(ctx.store, u)),
    );
  },
  core_users_retrieve: (ctx) => {
    // view_user is checked before (rbac.ts): whoever gets here sees every user.
    const u = ctx.store.users.get(Number(ctx.params.id));
    if (!u) throw notFound(ctx, "User");
    return { body: userWire(ctx.store, u) };
  },
  core_users_me_retrieve: (ctx) => {
    // UserSelf embeds its groups as {pk, name} objects, not as uuids.
    const groups = [...ctx.store.groups.values()].filter((g) => g.users.includes(ctx.user.pk)).map((g) => ({ pk: g.pk, name: g.name }));
    return { body: { user: { ...userWire(ctx.store, ctx.user), groups, roles: [], settings: {}, system_permissions: [] }, users: [] } };
  },
  // A user's tokens cascade (Token.user on_delete=CASCADE) and its group memberships go with it.
  core_users_destroy: (ctx) => {
    const u = ctx.store.users.get(Number(ctx.params.id));
    if (!u) throw notFound(ctx, "User");
    ctx.store.users.delete(u.pk);
    for (const [id, t] of ctx.store.tokens) if (t.user === u.pk) ctx.store.tokens.delete(id);
    for (const g of ctx.store.groups.values()) g.users = g.users.filter((pk) => pk !== u.pk);
    return { status: 204 };
  },
  core_users_partial_update: (ctx) => {
    const u = ctx.store.users.get(Number(ctx.params.id));
    if (!u) throw notFound(ctx, "User");
    assign(u, ctx.body, ["name", "is_active", "email", "path", "type", "attributes"]);
    if (ctx.body.username !== undefined) {
      if (ctx.store.userByName(ctx.body.username) && ctx.store.userByName(ctx.body.username) !== u) throw unique("username", "User");
      u.username = ctx.body.username;
    }
    // `last_updated` is `auto_now` (core/models.py).
    u.last_updated = ctx.store.stamp();
    // UserViewSet.partial_update: an inactive user's sessions are deleted (core/api/users.py at version/2024.2.0).
    if (!u.is_active) for (const [key, pk] of [...ctx.store.sessions]) if (pk === u.pk) ctx.store.sessions.delete(key);
    return { body: userWire(ctx.store, u) };
  },
  core_users_service_account_create: (ctx) => {
    // From 2025.10 the body goes through UserServiceAccountSerializer, whose CharField trims whitespace: a blank
    // name is "This field may not be blank." (core/api/users.py at version/2025.10.0).
    const name = atLeast(ctx.version, 2025, 10) ? String(ctx.body.name).trim() : String(ctx.body.name);
    if (atLeast(ctx.version, 2025, 10) && !name) throw new HttpError(400, { name: ["This field may not be blank."] });
    const identifier = slugify(`service-account-${name}-password`);
    if (ctx.store.userByName(name)) {
      throw new HttpError(
        400,
        atLeast(ctx.version, 2025, 10)
          ? { name: ["This field must be unique."] }
          : { non_field_errors: ['duplicate key value violates unique constraint "authentik_core_user_username_key"'] },
      );
    }
    if (ctx.store.tokens.has(identifier)) throw new HttpError(400, { non_field_errors: ["A user/group with these details already exists"] });
    // `Group.objects.create` skips the serializer: a taken group name trips the database only from 2025.12 (unique).
    if (ctx.body.create_group && atLeast(ctx.version, 2025, 12) && ctx.store.groupByName(name)) {
      throw new HttpError(400, { non_field_errors: ["A user/group with these details already exists"] });
    }
    const expiring = ctx.body.expiring !== false;
    const user = ctx.store.addUser({
      username: name,
      name,
      type: "service_account",
      path: "goauthentik.io/service-accounts",
      attributes: { "goauthentik.io/user/token-expires": expiring },
    });
    let groupPk: string | undefined;
    if (ctx.body.create_group) groupPk = ctx.store.addGroup({ name, users: [user.pk] }).pk;
    const expires = ctx.body.expires ?? new Date(Date.now() + 360 * 86_400_000).toISOString();
    const token = ctx.store.addToken({ identifier, intent: "app_password", user: user.pk, expiring, expires: expiring ? expires : expires, description: "" });
    return {
      status: 200,
      body: { username: user.username, token: token.key, user_uid: userWire(ctx.store, user).uid, user_pk: user.pk, ...(groupPk ? { group_pk: groupPk } : {}) },
    };
  },

  core_groups_list: (ctx) => {
    const groups = filtered(
      ctx,
      [...ctx.store.groups.values()],
      {
        name: (g, v) => g.name === v,
        is_superuser: (g, v) => g.is_superuser === bool(v),
        members_by_username: (g, v) => g.users.some((pk) => ctx.store.users.get(pk)?.username === v),
        members_by_pk: (g, v) => g.users.includes(Number(v)),
      },
      ["name"],
    );
    const include = atLeast(ctx.version, 2024, 4) ? bool(ctx.query.get("include_users") ?? "true") : true;
    return paginate(
      ctx,
      groups
        .sort((a, b) => a.num_pk - b.num_pk)
        .map((g) => groupWire(ctx.store, g, include))
        // A fork branch (fix/groups-include-users-omit, not in a release) drops `users` with include_users=false.
        .map((g) => (!include && ctx.quirks?.groupListOmitsUsers ? { ...g, users: undefined } : g)),
    );
  },
  core_groups_create: (ctx) => {
    const g = ctx.store.addGroup({ name: "\u0000pending" });
    try {
      groupBody(ctx, g, ctx.body, true);
    } catch (error) {
      ctx.store.groups.delete(g.pk);
      throw error;
    }
    return { status: 201, body: groupWire(ctx.store, g, true) };
  },
  core_groups_destroy: (ctx) => {
    const g = ctx.store.groups.get(ctx.params.group_uuid!);
    if (!g) throw notFound(ctx, "Group");
    ctx.store.groups.delete(g.pk);
    return { status: 204 };
  },
  core_groups_retrieve: (ctx) => {
    const g = ctx.store.groups.get(ctx.params.group_uuid!);
    if (!g) throw notFound(ctx, "Group");
    return { body: groupWire(ctx.store, g, true) };
  },
  core_groups_partial_update: (ctx) => {
    const g = ctx.store.groups.get(ctx.params.group_uuid!);
    if (!g) throw notFound(ctx, "Group");
    groupBody(ctx, g, ctx.body);
    return { body: groupWire(ctx.store, g, true) };
  },
  core_groups_add_user_create: (ctx) => {
    const g = ctx.store.groups.get(ctx.params.group_uuid!);
    if (!g) throw notFound(ctx, "Group");
    const u = ctx.store.users.get(Number(ctx.body.pk));
    if (!u) throw new HttpError(404, { detail: "Not found." });
    if (!g.users.includes(u.pk)) g.users.push(u.pk);
    return { status: 204 };
  },
  core_groups_remove_user_create: (ctx) => {
    const g = ctx.store.groups.get(ctx.params.group_uuid!);
    if (!g) throw notFound(ctx, "Group");
    // Like add_user: an unknown user is `Http404` (core/api/groups.py).
    const u = ctx.store.users.get(Number(ctx.body.pk));
    if (!u) throw new HttpError(404, { detail: "Not found." });
    g.users = g.users.filter((pk) => pk !== u.pk);
    return { status: 204 };
  },

  core_tokens_list: (ctx) => {
    choice(ctx, "intent", ["api", "app_password", "recovery", "verification"]);
    const tokens = filtered(
      ctx,
      visibleTokens(ctx),
      {
        identifier: (t, v) => t.identifier === v,
        intent: (t, v) => t.intent === v,
        user__username: (t, v) => ctx.store.users.get(t.user)?.username === v,
        managed: (t, v) => t.managed === v,
        expiring: (t, v) => t.expiring === bool(v),
        description: (t, v) => t.description === v,
      },
      ["identifier", "description"],
    );
    return paginate(
      ctx,
      tokens.sort((a, b) => a.identifier.localeCompare(b.identifier)).map((t) => tokenWire(ctx.store, t)),
    );
  },
  core_tokens_create: (ctx) => {
    // `rbac_allow_create_without_perm` / `OwnerSuperuserPermissions`: any authenticated user may create tokens.
    const existing = ctx.store.tokens.get(ctx.body.identifier);
    if (existing) {
      // 2026.5+: the unique validator queries the filtered manager; an expired row then trips the database constraint.
      if (hidesExpired(ctx) && isExpired(existing)) throw new HttpError(500, { detail: "Internal Server Error" });
      throw unique("identifier", "Token");
    }
    const t: Token = {
      pk: randomUUID(),
      identifier: String(ctx.body.identifier),
      key: randomKey(64),
      intent: "api",
      user: ctx.user.pk,
      description: "",
      expiring: true,
      expires: null,
      managed: null,
    };
    applyToken(ctx, t, ctx.body, true);
    ctx.store.tokens.set(t.identifier, t);
    // perform_create: a non-superuser gets `view_token_key` on their new token.
    if (!ctx.store.isSuperuser(ctx.user)) ctx.store.grantPermission("authentik_core.view_token_key", ctx.user.pk, `token:${t.identifier}`);
    return { status: 201, body: tokenWire(ctx.store, t) };
  },
  core_tokens_retrieve: (ctx) => ({ body: tokenWire(ctx.store, tokenByIdentifier(ctx)) }),
  core_tokens_partial_update: (ctx) => {
    const t = tokenByIdentifier(ctx);
    const old = t.identifier;
    const before = structuredClone(t);
    try {
      applyToken(ctx, t, ctx.body, false);
    } catch (error) {
      Object.assign(t, before);
      throw error;
    }
    if (t.identifier !== old) {
      ctx.store.tokens.delete(old);
      ctx.store.tokens.set(t.identifier, t);
      for (const key of [...ctx.store.objectPermissions].filter((k) => k.endsWith(`|token:${old}`))) {
        ctx.store.objectPermissions.delete(key);
        ctx.store.objectPermissions.add(key.replace(`|token:${old}`, `|token:${t.identifier}`));
      }
    }
    return { body: tokenWire(ctx.store, t) };
  },
  // PUT: the same serializer (TokenRequest requires `identifier`), so the same checks.
  core_tokens_update: (ctx) => handlers.core_tokens_partial_update!(ctx),
  core_tokens_destroy: (ctx) => {
    const t = tokenByIdentifier(ctx);
    ctx.store.tokens.delete(t.identifier);
    return { status: 204 };
  },
  core_tokens_view_key_retrieve: (ctx) => {
    const t = requireObjectPermission(ctx, "authentik_core.view_token_key");
    // Every read of a key is an audit event (`Event.new(EventAction.SECRET_VIEW, secret=token)`).
    ctx.store.addEvent("secret_view", "", { secret: t.identifier });
    return { body: { key: t.key } };
  },
  core_tokens_set_key_create: (ctx) => {
    // `set_token_key` is never granted per object by the fake: superusers only.
    const t = requireObjectPermission(ctx, "authentik_core.set_token_key");
    if (!ctx.body.key) return { status: 400 };
    t.key = String(ctx.body.key);
    ctx.store.addEvent("model_updated", "", { model: { identifier: t.identifier } });
    return { status: 204 };
  },

  flows_instances_list: (ctx) => {
    choice(ctx, "designation", ["authentication", "authorization", "invalidation", "enrollment", "unenrollment", "recovery", "stage_configuration"]);
    choice(ctx, "denied_action", ["message_continue", "message", "continue"]);
    const flows = filtered(
      ctx,
      [...ctx.store.flows.values()],
      { slug: (f, v) => f.slug === v, designation: (f, v) => f.designation === v, name: (f, v) => f.name === v, flow_uuid: (f, v) => f.pk === v },
      ["slug", "name", "title"],
    );
    return paginate(ctx, flows.map(flowWire));
  },
  flows_instances_retrieve: (ctx) => {
    const f = ctx.store.flowBySlug(ctx.params.slug!);
    if (!f) throw notFound(ctx, "Flow");
    return { body: flowWire(f) };
  },
  flows_instances_create: (ctx) => {
    if (ctx.store.flowBySlug(ctx.body.slug)) throw unique("slug", "Flow");
    const f = ctx.store.addFlow({ slug: ctx.body.slug, designation: ctx.body.designation });
    flowBody(ctx, f, ctx.body);
    return { status: 201, body: flowWire(f) };
  },
  flows_instances_partial_update: (ctx) => {
    const f = ctx.store.flowBySlug(ctx.params.slug!);
    if (!f) throw notFound(ctx, "Flow");
    flowBody(ctx, f, ctx.body);
    return { body: flowWire(f) };
  },
  // Brand.flow_* are `on_delete=SET_NULL` (brands/models.py): a deleted flow leaves the brands without it.
  flows_instances_destroy: (ctx) => {
    const f = ctx.store.flowBySlug(ctx.params.slug!);
    if (!f) throw notFound(ctx, "Flow");
    ctx.store.flows.delete(f.pk);
    for (const b of ctx.store.brands.values()) for (const k of Object.keys(b)) if (k.startsWith("flow_") && b[k] === f.pk) b[k] = null;
    return { status: 204 };
  },

  core_brands_list: (ctx) => {
    const brands = filtered(
      ctx,
      [...ctx.store.brands.values()],
      {
        domain: (b, v) => b.domain === v,
        default: (b, v) => b.default === bool(v),
        brand_uuid: (b, v) => b.brand_uuid === v,
        flow_device_code: (b, v) => b.flow_device_code === v,
      },
      ["domain", "branding_title"],
    );
    return paginate(ctx, brands.map(brandWire));
  },
  core_brands_partial_update: (ctx) => {
    const b = ctx.store.brands.get(ctx.params.brand_uuid!);
    if (!b) throw notFound(ctx, "Brand");
    for (const [key, value] of Object.entries(ctx.body)) {
      if (key.startsWith("flow_")) b[key] = flowRef(ctx, key, value, false);
      else if (key === "default" && value === true && [...ctx.store.brands.values()].some((o) => o !== b && o.default))
        throw new HttpError(400, { non_field_errors: ["Only a single brand can be set as default."] });
      else b[key] = value;
    }
    return { body: brandWire(b) };
  },
  core_brands_create: (ctx) => {
    if ([...ctx.store.brands.values()].some((o) => o.domain === ctx.body.domain)) throw unique("domain", "Brand");
    const uuid = randomUUID();
    const b = {
      brand_uuid: uuid,
      domain: String(ctx.body.domain),
      default: false,
      branding_title: "authentik",
      flow_authentication: null,
      flow_invalidation: null,
      flow_user_settings: null,
      flow_device_code: null,
    };
    ctx.store.brands.set(uuid, b);
    try {
      handlers.core_brands_partial_update!({ ...ctx, params: { brand_uuid: uuid }, body: Object.fromEntries(Object.entries(ctx.body).filter(([k]) => k !== "domain")) });
    } catch (error) {
      ctx.store.brands.delete(uuid);
      throw error;
    }
    return { status: 201, body: brandWire(ctx.store.brands.get(uuid)!) };
  },
  core_brands_current_retrieve: (ctx) => {
    // Anonymous (AllowAny). CurrentBrandSerializer (brands/api.py): `matched_domain` is the brand's domain (the
    // in-memory DEFAULT_BRAND "fallback" when none matches), logo and favicon the brand's (model defaults), flows
    // by slug and left out when unset, `flags` the public flags only.
    const b = brandFor(ctx.store, ctx.host, ctx.version);
    const slug = (pk: unknown) => (typeof pk === "string" ? ctx.store.flows.get(pk)?.slug : undefined);
    // Flag.get: the tenant's value unless null, else the default.
    const flags = Object.fromEntries(Object.entries(PUBLIC_FLAGS[ctx.version]).map(([k, d]) => [k, ctx.store.tenant.flags[k] ?? d]));
    return {
      body: {
        matched_domain: b?.domain ?? "fallback",
        branding_title: b?.branding_title ?? "authentik",
        branding_logo: (b?.branding_logo as string | undefined) || "/static/dist/assets/icons/icon_left_brand.svg",
        branding_logo_themed_urls: null,
        branding_favicon: (b?.branding_favicon as string | undefined) || "/static/dist/assets/icons/icon.png",
        branding_favicon_themed_urls: null,
        branding_custom_css: (b?.branding_custom_css as string | undefined) ?? "",
        ui_footer_links: [],
        ui_theme: "automatic",
        default_locale: (b?.default_locale as string | undefined) ?? "",
        flags,
        flow_authentication: slug(b?.flow_authentication),
        flow_invalidation: slug(b?.flow_invalidation),
        flow_recovery: slug(b?.flow_recovery),
        flow_unenrollment: slug(b?.flow_unenrollment),
        flow_user_settings: slug(b?.flow_user_settings),
        flow_device_code: slug(b?.flow_device_code),
      },
    };
  },

  crypto_certificatekeypairs_list: (ctx) => {
    const certs = filtered(
      ctx,
      [...ctx.store.certificates.values()],
      { name: (c, v) => c.name === v, has_key: (c, v) => !c.keyless === bool(v), managed: (c, v) => c.managed === v },
      ["name"],
    );
    return paginate(ctx, certs.map(certWire));
  },
  crypto_certificatekeypairs_view_certificate_retrieve: (ctx) => {
    const c = ctx.store.certificates.get(ctx.params.kp_uuid!);
    if (!c) throw notFound(ctx, "CertificateKeyPair");
    return { body: { data: c.certificatePem } };
  },

  propertymappings_provider_scope_list: (ctx) => {
    // `managed` is an AllValuesMultipleFilter (core/api/property_mappings.py): only values that exist now are valid.
    choice(
      ctx,
      "managed",
      [...ctx.store.scopeMappings.values()].map((m) => m.managed),
    );
    const list = filtered(
      ctx,
      [...ctx.store.scopeMappings.values()],
      {
        managed: (m, v) => m.managed === v,
        managed__isnull: (m, v) => (m.managed === null) === bool(v),
        scope_name: (m, v) => m.scope_name === v,
        name: (m, v) => m.name === v,
      },
      ["name", "scope_name"],
    );
    return paginate(ctx, list.map(scopeMappingWire));
  },
  // `search` covers the provider's name and its application's (core/api/providers.py search_fields).
  providers_all_list: (ctx) => {
    const rows = [...ctx.store.providers.values()].map((p) => ({ p, name: p.name, application__name: ctx.store.applicationOf(p)?.name }));
    const list = filtered(ctx, rows, { application__isnull: ({ p }, v) => !ctx.store.applicationOf(p) === bool(v) }, ["name", "application__name"]);
    return paginate(
      ctx,
      list.map(({ p }) => providerWire(ctx.store, p)),
    );
  },
  providers_oauth2_list: (ctx) => {
    choice(ctx, "client_type", ["confidential", "public"]);
    choice(ctx, "sub_mode", ["hashed_user_id", "user_id", "user_uuid", "user_username", "user_email", "user_upn"]);
    choice(ctx, "issuer_mode", ["global", "per_provider"]);
    const list = filtered(
      ctx,
      [...ctx.store.providers.values()].filter((p) => p.type === "oauth2"),
      {
        name: (p, v) => p.name === v,
        client_id: (p, v) => p.client_id === v,
        client_type: (p, v) => p.client_type === v,
        sub_mode: (p, v) => p.sub_mode === v,
        issuer_mode: (p, v) => p.issuer_mode === v,
        authorization_flow: (p, v) => p.authorization_flow === v,
        signing_key: (p, v) => p.signing_key === v,
        application: (p, v) => ctx.store.applicationOf(p)?.pk === v,
      },
      ["name"],
    );
    return paginate(
      ctx,
      list.map((p) => providerWire(ctx.store, p)),
    );
  },
  providers_oauth2_retrieve: (ctx) => ({ body: providerWire(ctx.store, oauth2(ctx)) }),
  providers_oauth2_create: (ctx) => {
    const p: Provider = ctx.store.addProvider({ name: "\u0000pending" });
    try {
      applyProvider(ctx, p, ctx.body, true);
    } catch (error) {
      ctx.store.providers.delete(p.pk);
      throw error;
    }
    return { status: 201, body: providerWire(ctx.store, p) };
  },
  providers_oauth2_partial_update: (ctx) => {
    const p = oauth2(ctx);
    const before = structuredClone(p);
    try {
      applyProvider(ctx, p, ctx.body, false);
    } catch (error) {
      Object.assign(p, before);
      throw error;
    }
    return { body: providerWire(ctx.store, p) };
  },
  providers_oauth2_destroy: (ctx) => {
    const p = oauth2(ctx);
    ctx.store.providers.delete(p.pk);
    for (const a of ctx.store.applications.values()) if (a.provider === p.pk) a.provider = null;
    return { status: 204 };
  },
  core_applications_list: (ctx) => {
    const list = filtered(
      ctx,
      [...ctx.store.applications.values()],
      { slug: (a, v) => a.slug === v, name: (a, v) => a.name === v, group: (a, v) => a.group === v, meta_publisher: (a, v) => a.meta_publisher === v },
      ["name", "slug", "meta_publisher", "meta_description"],
    );
    return paginate(
      ctx,
      list.map((a) => applicationWire(ctx.store, a)),
    );
  },
  core_applications_retrieve: (ctx) => ({ body: applicationWire(ctx.store, application(ctx)) }),
  core_applications_create: (ctx) => {
    const a: Application = {
      pk: randomUUID(),
      name: "",
      slug: "",
      provider: null,
      meta_launch_url: "",
      meta_description: "",
      meta_publisher: "",
      policy_engine_mode: "any",
      open_in_new_tab: false,
      group: "",
    };
    applicationBody(ctx, a, ctx.body);
    ctx.store.applications.set(a.pk, a);
    return { status: 201, body: applicationWire(ctx.store, a) };
  },
  core_applications_partial_update: (ctx) => {
    const a = application(ctx);
    applicationBody(ctx, a, ctx.body);
    return { body: applicationWire(ctx.store, a) };
  },
  core_applications_destroy: (ctx) => {
    ctx.store.applications.delete(application(ctx).pk);
    return { status: 204 };
  },
};

// Older operation ids for the same handlers.
handlers.propertymappings_scope_list = handlers.propertymappings_provider_scope_list!;
// The same endpoint's operationId up to 2024.2.
handlers.rbac_permissions_assigned_by_roles_assign_create = handlers.rbac_permissions_assigned_by_roles_assign!;

function oauth2(ctx: Ctx): Provider {
  const p = ctx.store.providers.get(Number(ctx.params.id));
  if (!p || p.type !== "oauth2") throw notFound(ctx, "OAuth2Provider");
  return p;
}

function application(ctx: Ctx): Application {
  const a = [...ctx.store.applications.values()].find((x) => x.slug === ctx.params.slug);
  if (!a) throw notFound(ctx, "Application");
  return a;
}

/**
 * The public tenant flags per release (`Flag` subclasses with `visibility = "public"`, default values):
 * policies/apps.py at version/2025.10.0; flows/apps.py and policies/apps.py at version/2026.2.2; flows/apps.py on
 * main at addbf5a2f (2026.5.0-rc1, policies_buffered_access_view gone). The schema lists every flag as required
 * (FlagsJSONExtension uses `Flag.available()`), the view returns only the public ones: see `applyErrata` in schema.ts.
 */
const PUBLIC_FLAGS: Record<Version, Record<string, unknown>> = {
  "2024.2.0": {},
  "2024.10.2": {},
  "2024.12.0": {},
  "2025.10.0": { policies_buffered_access_view: false },
  "2026.2.2": { flows_refresh_others: false, flows_continuous_login: false, policies_buffered_access_view: false },
  "2026.5.6": { flows_refresh_others: false, flows_continuous_login: false },
  "2026.8.3": { flows_refresh_others: false, flows_continuous_login: false },
};

/** `[year, minor, patch]` of an emulated version. */
function triple(version: Version): [number, number, number] {
  const [y, m, p] = version.split(".").map(Number) as [number, number, number];
  return [y, m, p ?? 0];
}

/**
 * `get_brand_for_request` (brands/utils.py), per release, against the Host header as sent (with a non-default
 * port; `USE_X_FORWARDED_HOST` is off). Up to 2025.10.1: any brand whose domain is a plain suffix of the host,
 * non-default first (ties in database order), else the default. 2025.10.2–2025.12: the longest plain suffix,
 * else the default. From 2026.2.0: exact match or a "." + domain suffix, longest first, else the default.
 * Undefined stands for the in-memory `DEFAULT_BRAND` (domain "fallback") used when nothing matches.
 */
export function brandFor(store: Store, host: string, version: Version): Brand | undefined {
  const h = host.toLowerCase();
  const brands = [...store.brands.values()];
  const [y, m, p] = triple(version);
  const before = (yy: number, mm: number, pp: number) => y < yy || (y === yy && (m < mm || (m === mm && p < pp)));
  if (before(2025, 10, 2)) {
    return brands.filter((b) => h.endsWith(b.domain.toLowerCase()) || b.default).sort((a, b) => Number(a.default) - Number(b.default))[0];
  }
  const strict = !before(2026, 2, 0);
  const priority = (b: Brand) => {
    const d = b.domain.toLowerCase();
    const match = strict ? h === d || h.endsWith(`.${d}`) : h.endsWith(d);
    return match ? d.length : -1;
  };
  return brands.filter((b) => priority(b) > -1 || b.default).sort((a, b) => priority(b) - priority(a) || (b.default ? 0 : -2) - (a.default ? 0 : -2))[0];
}

export function slugify(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[^\p{ASCII}]/gu, "")
    .toLowerCase()
    .replace(/[^\w\s-]/g, "")
    .replace(/[-\s]+/g, "-")
    .replace(/^[-_]+|[-_]+$/g, "");
}
