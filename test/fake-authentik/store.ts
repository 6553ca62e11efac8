/**
 * The fake's state: plain data in the newest wire shape (snake_case), which tests may read and mutate to
 * arrange drift or conflicts. Serialisation per version happens in the server (schema-driven).
 */
import { randomBytes, randomUUID, X509Certificate, type KeyObject } from "node:crypto";
import type { Role } from "./rbac.ts";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keysOf, selfSigned, type KeyPairPem } from "./x509.ts";

export interface User {
  pk: number;
  uuid: string;
  username: string;
  name: string;
  type: "internal" | "external" | "service_account" | "internal_service_account";
  is_active: boolean;
  path: string;
  email: string;
  attributes: Record<string, unknown>;
  /** ISO timestamps (`date_joined` and `last_updated` are set by `addUser`; `last_login` stays null until a login). */
  date_joined?: string;
  last_updated?: string;
  last_login?: string | null;
}

export interface Group {
  pk: string;
  num_pk: number;
  name: string;
  is_superuser: boolean;
  users: number[];
  attributes: Record<string, unknown>;
  /** The parent group's pk (Group.parent, a single parent up to 2025.12). */
  parent?: string | null;
  /** The roles (pks) bound to the group (Group.roles). */
  roles?: string[];
}

export interface Token {
  pk: string;
  identifier: string;
  key: string;
  intent: "api" | "app_password" | "verification" | "recovery";
  user: number;
  description: string;
  expiring: boolean;
  expires: string | null;
  managed: string | null;
}

export interface Flow {
  pk: string;
  slug: string;
  name: string;
  title: string;
  designation: string;
  authentication: string;
  policy_engine_mode: string;
  layout: string;
  denied_action: string;
}

export interface Brand {
  brand_uuid: string;
  domain: string;
  default: boolean;
  branding_title: string;
  flow_authentication: string | null;
  flow_invalidation: string | null;
  flow_user_settings: string | null;
  flow_device_code: string | null;
  [key: string]: unknown;
}

export interface CertificateKeyPair {
  pk: string;
  name: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  certificatePem: string;
  managed: string | null;
  /** A certificate without its private key (`has_key=false`, `private_key_available: false`); tests may set it. */
  keyless?: boolean;
}

export interface ScopeMapping {
  pk: string;
  managed: string | null;
  name: string;
  scope_name: string;
  expression: string;
  description: string;
}

export interface RedirectUri {
  matching_mode: "strict" | "regex";
  url: string;
  /** 2026.5+: `authorization` (login) or `logout` (post-logout redirect). */
  redirect_uri_type?: "authorization" | "logout";
}

export interface Provider {
  pk: number;
  /** "oauth2" for OAuth2 providers; tests may add others (e.g. "saml") to exercise name conflicts. */
  type: string;
  name: string;
  authorization_flow: string | null;
  authentication_flow: string | null;
  invalidation_flow: string | null;
  property_mappings: string[];
  client_type: "confidential" | "public";
  client_id: string;
  client_secret: string;
  access_code_validity: string;
  access_token_validity: string;
  refresh_token_validity: string;
  include_claims_in_id_token: boolean;
  signing_key: string | null;
  encryption_key: string | null;
  redirect_uris: RedirectUri[];
  sub_mode: string;
  issuer_mode: string;
  grant_types: string[];
  [key: string]: unknown;
}

export interface Application {
  pk: string;
  name: string;
  slug: string;
  provider: number | null;
  meta_launch_url: string;
  meta_description: string;
  meta_publisher: string;
  policy_engine_mode: string;
  open_in_new_tab: boolean;
  group: string;
}

/** An entry of authentik's event log (`authentik_events.event`), as far as tests look at it. */
export interface AuditEvent {
  action: string;
  message: string;
  context: Record<string, unknown>;
  created: number;
}

export interface DeviceCode {
  device_code: string;
  user_code: string;
  client_id: string;
  expires: number;
  /** Space-separated scopes the device asked for (DeviceToken._scope). */
  scope?: string;
}

/**
 * The OAuth2 grants authentik keeps in its database (providers/oauth2/models.py, BaseGrantModel and its
 * subclasses): times are epoch milliseconds, `id_token` is the IDToken as a dict (`asdict(IDToken)` merged with
 * its claims, without null values), `scope` a list of scope names.
 */
export interface GrantBase {
  provider: number;
  user: number;
  scope: string[];
  auth_time: number;
  expires: number;
  revoked: boolean;
}

export interface AuthorizationCode extends GrantBase {
  code: string;
  nonce: string | null;
  code_challenge: string | null;
  code_challenge_method: string | null;
}

export interface RefreshToken extends GrantBase {
  token: string;
  id_token: Record<string, unknown>;
}

export interface AccessToken extends GrantBase {
  /** The JWT (or JWE) handed out; also accepted as an API bearer token when `scope` has `goauthentik.io/api`. */
  token: string;
  id_token: Record<string, unknown>;
}

export class Store {
  users = new Map<number, User>();
  groups = new Map<string, Group>();
  /** RBAC roles with their global permissions (rbac.ts). */
  roles = new Map<string, Role>();
  tokens = new Map<string, Token>();
  flows = new Map<string, Flow>();
  brands = new Map<string, Brand>();
  certificates = new Map<string, CertificateKeyPair>();
  scopeMappings = new Map<string, ScopeMapping>();
  providers = new Map<number, Provider>();
  applications = new Map<string, Application>();
  deviceCodes: DeviceCode[] = [];
  authorizationCodes: AuthorizationCode[] = [];
  refreshTokens: RefreshToken[] = [];
  accessTokens: AccessToken[] = [];
  /** Browser sessions (the `authentik_session` cookie → user pk), for the views that need a logged-in user. */
  sessions = new Map<string, number>();
  /**
   * Object permissions (django-guardian / RBAC), as `<perm>|<user pk>|<object key>`: only what the fake's
   * handlers grant themselves (e.g. `authentik_core.view_token_key` on a token a non-superuser created).
   */
  objectPermissions = new Set<string>();
  /** Device-authorization requests per client IP (the endpoint's throttle). */
  deviceRequests = new Map<string, number[]>();
  /** The event log: `configuration_error` from the token endpoint, `secret_view` from view_key, … */
  events: AuditEvent[] = [];
  /** The tenant's settings the fake uses (tenants migration 0002: `default_token_duration` defaults to minutes=30). */
  tenant: { default_token_duration: string; flags: Record<string, unknown> } = { default_token_duration: "minutes=30", flags: {} };
  private nextUser = 1;
  private nextProvider = 1;
  private nextGroup = 1;
  private lastStamp = 0;

  /** A strictly increasing "now" (ISO), so creation order survives in `date_joined`/`last_updated` like microseconds in the database. */
  stamp(): string {
    this.lastStamp = Math.max(Date.now(), this.lastStamp + 1);
    return new Date(this.lastStamp).toISOString();
  }

  addUser(u: Partial<User> & { username: string }): User {
    const at = this.stamp();
    const user: User = {
      pk: this.nextUser++,
      uuid: randomUUID(),
      name: u.username,
      type: "internal",
      is_active: true,
      path: "users",
      email: "",
      attributes: {},
      date_joined: at,
      last_updated: at,
      last_login: null,
      ...u,
    };
    this.users.set(user.pk, user);
    return user;
  }

  addGroup(g: Partial<Group> & { name: string }): Group {
    const group: Group = { pk: randomUUID(), num_pk: this.nextGroup++, is_superuser: false, users: [], attributes: {}, ...g };
    this.groups.set(group.pk, group);
    return group;
  }

  addToken(t: Partial<Token> & { identifier: string; user: number }): Token {
    const token: Token = { pk: randomUUID(), key: randomKey(64), intent: "api", description: "", expiring: true, expires: null, managed: null, ...t };
    this.tokens.set(token.identifier, token);
    return token;
  }

  addFlow(f: Partial<Flow> & { slug: string; designation: string }): Flow {
    const flow: Flow = {
      pk: randomUUID(),
      name: f.slug,
      title: f.slug,
      authentication: "none",
      policy_engine_mode: "any",
      layout: "stacked",
      denied_action: "message_continue",
      ...f,
    };
    this.flows.set(flow.pk, flow);
    return flow;
  }

  addProvider(p: Partial<Provider> & { name: string }): Provider {
    const provider: Provider = {
      pk: this.nextProvider++,
      type: "oauth2",
      authorization_flow: null,
      authentication_flow: null,
      invalidation_flow: null,
      property_mappings: [],
      client_type: "confidential",
      client_id: randomKey(40),
      client_secret: randomKey(128),
      access_code_validity: "minutes=1",
      access_token_validity: "hours=1",
      refresh_token_validity: "days=30",
      // From 2025.10 (providers/oauth2/models.py): renew refresh tokens only this close to their expiry; 0 = always.
      refresh_token_threshold: "seconds=0",
      include_claims_in_id_token: true,
      signing_key: null,
      encryption_key: null,
      redirect_uris: [],
      sub_mode: "hashed_user_id",
      issuer_mode: "per_provider",
      grant_types: [],
      ...p,
    };
    this.providers.set(provider.pk, provider);
    return provider;
  }

  addBrand(b: Partial<Brand> & { domain: string }): Brand {
    const brand: Brand = {
      brand_uuid: randomUUID(),
      default: false,
      branding_title: "authentik",
      flow_authentication: null,
      flow_invalidation: null,
      flow_user_settings: null,
      flow_device_code: null,
      ...b,
    };
    this.brands.set(brand.brand_uuid, brand);
    return brand;
  }

  /**
   * A real self-signed X.509 certificate (RSA 2048, node:crypto), fresh unless `reuse`: the start-up
   * certificate reuses one key pair per machine (cached in the temp directory) so a start takes no key generation.
   */
  addCertificate(name: string, managed: string | null = null, reuse = false, opts: { validityDays?: number; altNames?: string[] } = {}): CertificateKeyPair {
    const { keyPem, certPem } = reuse ? startupPair() : selfSigned(name, opts);
    const { privateKey, publicKey } = keysOf(keyPem);
    const cert: CertificateKeyPair = { pk: randomUUID(), name, privateKey, publicKey, certificatePem: certPem, managed };
    this.certificates.set(cert.pk, cert);
    return cert;
  }

  addAuthorizationCode(c: Partial<AuthorizationCode> & { code: string; provider: number; user: number }): AuthorizationCode {
    const now = Date.now();
    const code: AuthorizationCode = {
      scope: [],
      auth_time: now,
      // ExpiringModel's default: default_token_duration() (the tenant's default, minutes=30)
      expires: now + 30 * 60_000,
      revoked: false,
      nonce: null,
      code_challenge: null,
      code_challenge_method: null,
      ...c,
    };
    this.authorizationCodes.push(code);
    return code;
  }

  addRefreshToken(t: Partial<RefreshToken> & { provider: number; user: number }): RefreshToken {
    const now = Date.now();
    const token: RefreshToken = { token: randomKey(128), scope: [], auth_time: now, expires: now + 30 * 60_000, revoked: false, id_token: {}, ...t };
    this.refreshTokens.push(token);
    return token;
  }

  grantPermission(perm: string, user: number, object: string): void {
    this.objectPermissions.add(`${perm}|${user}|${object}`);
  }

  hasPermission(user: User, perm: string, object: string): boolean {
    return this.isSuperuser(user) || this.objectPermissions.has(`${perm}|${user.pk}|${object}`);
  }

  userByName(username: string): User | undefined {
    return [...this.users.values()].find((u) => u.username === username);
  }

  flowBySlug(slug: string): Flow | undefined {
    return [...this.flows.values()].find((f) => f.slug === slug);
  }

  groupByName(name: string): Group | undefined {
    return [...this.groups.values()].find((g) => g.name === name);
  }

  /**
   * The upgrade migration `providers/oauth2/migrations/0024_remove_oauth2provider_redirect_uris_and_more.py`
   * (2024.12.0; also in 2024.8.5 and 2024.10.3): every line of the old newline-separated string becomes a
   * `strict` entry, except `*` and `.*`, which become `regex`. The fake stores old-form lines as regex entries.
   */
  migrateRedirectUrisToList(): void {
    for (const p of this.providers.values()) {
      p.redirect_uris = p.redirect_uris.map((r) => ({ matching_mode: r.url === "*" || r.url === ".*" ? "regex" : "strict", url: r.url }));
    }
  }

  addEvent(action: string, message: string, context: Record<string, unknown> = {}): void {
    this.events.push({ action, message, context, created: Date.now() });
  }

  isSuperuser(user: User): boolean {
    return [...this.groups.values()].some((g) => g.is_superuser && g.users.includes(user.pk));
  }

  applicationOf(provider: Provider): Application | undefined {
    return [...this.applications.values()].find((a) => a.provider === provider.pk);
  }
}

let sharedPair: KeyPairPem | undefined;

function startupPair(): KeyPairPem {
  if (sharedPair) return sharedPair;
  const file = join(process.env.FAKE_AK_CACHE_DIR ?? tmpdir(), "fake-authentik-self-signed-v1.json");
  try {
    const cached = JSON.parse(readFileSync(file, "utf8")) as KeyPairPem;
    keysOf(cached.keyPem);
    if (Date.parse(new X509Certificate(cached.certPem).validTo) < Date.now() + 30 * 86_400_000) throw new Error("expiring soon");
    return (sharedPair = cached);
  } catch {
    sharedPair = selfSigned("authentik Self-signed Certificate");
    try {
      const tmp = `${file}.${process.pid}`;
      writeFileSync(tmp, JSON.stringify(sharedPair), { mode: 0o600 });
      renameSync(tmp, file);
    } catch {
      /* a read-only temp dir only costs speed */
    }
    return sharedPair;
  }
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export function randomKey(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length)) if (b < 248 && out.length < length) out += ALPHABET[b % 62];
  }
  return out;
}
