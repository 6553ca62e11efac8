/**
 * Internal objects → wire objects (a superset of every version's fields; the schema shaping then keeps what
 * the emulated version has). Pure.
 */
import { createHash } from "node:crypto";
import { X509Certificate } from "node:crypto";
import type { Application, Brand, CertificateKeyPair, Flow, Group, Provider, ScopeMapping, Store, Token, User } from "./store.ts";

const PROVIDER_TYPES: Record<string, { component: string; verbose: string; model: string }> = {
  oauth2: { component: "ak-provider-oauth2-form", verbose: "OAuth2/OpenID Provider", model: "authentik_providers_oauth2.oauth2provider" },
  saml: { component: "ak-provider-saml-form", verbose: "SAML Provider", model: "authentik_providers_saml.samlprovider" },
  proxy: { component: "ak-provider-proxy-form", verbose: "Proxy Provider", model: "authentik_providers_proxy.proxyprovider" },
};

export function groupLite(g: Group, store?: Store) {
  const parent = g.parent ? store?.groups.get(g.parent) : undefined;
  return { pk: g.pk, num_pk: g.num_pk, name: g.name, is_superuser: g.is_superuser, parent: g.parent ?? null, parent_name: parent?.name ?? null, attributes: g.attributes };
}

/** `User.uid` (core/models.py: sha256 of the pk and the install's secret; the fake has no secret). */
export function userUid(u: User): string {
  return createHash("sha256").update(String(u.pk)).digest("hex");
}

export function userLite(u: User) {
  return {
    pk: u.pk,
    username: u.username,
    name: u.name,
    is_active: u.is_active,
    last_login: u.last_login ?? null,
    email: u.email,
    attributes: u.attributes,
    uid: userUid(u),
    path: u.path,
    type: u.type,
    uuid: u.uuid,
  };
}

export function userWire(store: Store, u: User) {
  const groups = [...store.groups.values()].filter((g) => g.users.includes(u.pk));
  return {
    ...userLite(u),
    date_joined: u.date_joined ?? new Date(0).toISOString(),
    is_superuser: store.isSuperuser(u),
    groups: groups.map((g) => g.pk),
    groups_obj: groups.map((g) => groupLite(g, store)),
    roles: [],
    roles_obj: [],
    avatar: "data:image/svg+xml;base64,",
    password_change_date: new Date(0).toISOString(),
    last_updated: u.last_updated ?? new Date(0).toISOString(),
  };
}

export function groupWire(store: Store, g: Group, includeUsers: boolean) {
  const members = g.users.map((pk) => store.users.get(pk)).filter((u): u is User => Boolean(u));
  return {
    ...groupLite(g, store),
    parents: [],
    parents_obj: [],
    children: [],
    children_obj: [],
    users: [...g.users],
    users_obj: includeUsers ? members.map(userLite) : [],
    roles: [...(g.roles ?? [])],
    roles_obj: (g.roles ?? []).flatMap((pk) => {
      const r = store.roles.get(pk);
      return r ? [{ pk: r.pk, name: r.name }] : [];
    }),
    inherited_roles_obj: [],
  };
}

export function tokenWire(store: Store, t: Token) {
  const u = store.users.get(t.user);
  return {
    pk: t.pk,
    managed: t.managed,
    identifier: t.identifier,
    intent: t.intent,
    user: t.user,
    user_obj: u ? userWire(store, u) : null,
    description: t.description,
    expires: t.expires,
    expiring: t.expiring,
  };
}

export function flowWire(f: Flow) {
  return {
    ...f,
    policybindingmodel_ptr_id: f.pk,
    background: "",
    background_url: "",
    background_themed_urls: null,
    stages: [],
    policies: [],
    cache_count: 0,
    compatibility_mode: false,
    export_url: `/api/v3/flows/instances/${f.slug}/export/`,
  };
}

export function brandWire(b: Brand) {
  return { ...b };
}

export function certWire(c: CertificateKeyPair) {
  const x = c.certificatePem ? new X509Certificate(c.certificatePem) : undefined;
  return {
    pk: c.pk,
    name: c.name,
    fingerprint_sha256: x?.fingerprint256 ?? "",
    fingerprint_sha1: x?.fingerprint ?? "",
    cert_expiry: x ? new Date(x.validTo).toISOString() : null,
    cert_subject: x?.subject ?? "",
    private_key_available: !c.keyless,
    private_key_type: c.keyless ? null : "rsa",
    key_type: "rsa",
    certificate_download_url: `/api/v3/crypto/certificatekeypairs/${c.pk}/view_certificate/?download`,
    private_key_download_url: `/api/v3/crypto/certificatekeypairs/${c.pk}/view_private_key/?download`,
    managed: c.managed,
  };
}

export function scopeMappingWire(m: ScopeMapping) {
  return {
    ...m,
    component: "ak-property-mapping-provider-scope-form",
    verbose_name: "Scope Mapping",
    verbose_name_plural: "Scope Mappings",
    meta_model_name: "authentik_providers_oauth2.scopemapping",
  };
}

export function providerWire(store: Store, p: Provider) {
  const t = PROVIDER_TYPES[p.type] ?? PROVIDER_TYPES.oauth2!;
  const app = store.applicationOf(p);
  const { type: _type, ...rest } = p;
  return {
    ...rest,
    component: t.component,
    verbose_name: t.verbose,
    verbose_name_plural: `${t.verbose}s`,
    meta_model_name: t.model,
    assigned_application_slug: app?.slug ?? null,
    assigned_application_name: app?.name ?? null,
    assigned_backchannel_application_slug: null,
    assigned_backchannel_application_name: null,
    jwt_federation_sources: [],
    jwt_federation_providers: [],
    jwks_sources: [],
  };
}

export function applicationWire(store: Store, a: Application) {
  const p = a.provider !== null ? store.providers.get(a.provider) : undefined;
  return {
    ...a,
    // Stored as "" like authentik; the schema declares `format: uri`, so an empty one is left out.
    meta_launch_url: a.meta_launch_url || undefined,
    provider_obj: p ? providerWire(store, p) : null,
    backchannel_providers: [],
    backchannel_providers_obj: [],
    launch_url: a.meta_launch_url || null,
    meta_icon: null,
    meta_icon_url: null,
    meta_icon_themed_urls: null,
    pbm_uuid: a.pk,
  };
}
