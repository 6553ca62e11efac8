/**
 * The shapes this tool reads from authentik, in wire form (snake_case), reduced to the fields it uses.
 * Responses are read raw because the generated deserialisers assume the newest shapes (e.g. they call
 * `.map` on `redirect_uris`, a string before 2024.12).
 */

export interface Paginated<T> {
  pagination: { next: number; count: number };
  results: T[];
}

export interface RedirectUri {
  matching_mode: "strict" | "regex";
  url: string;
  /** 2026.5+; absent means `authorization`. */
  redirect_uri_type?: "authorization" | "logout";
}

export interface WireOAuth2Provider {
  pk: number;
  name: string;
  authorization_flow: string;
  invalidation_flow?: string | null;
  property_mappings?: string[];
  client_type?: "confidential" | "public";
  client_id: string;
  client_secret?: string;
  access_code_validity?: string;
  signing_key?: string | null;
  redirect_uris?: RedirectUri[] | string;
  sub_mode?: string;
  issuer_mode?: string;
  grant_types?: string[];
  assigned_application_slug?: string | null;
  assigned_application_name?: string | null;
}

export interface WireProvider {
  pk: number;
  name: string;
  meta_model_name?: string;
  verbose_name?: string;
  assigned_application_slug?: string | null;
}

export interface WireApplication {
  /** Absent when the application is known from its provider (`assigned_application_slug`) only. */
  pk?: string;
  name: string;
  slug: string;
  provider: number | null;
  /** The provider it is bound to (any type). */
  provider_obj?: { name: string; meta_model_name?: string } | null;
}

export interface WireUser {
  pk: number;
  username: string;
  name?: string;
  type?: string;
  is_active?: boolean;
  attributes?: Record<string, unknown>;
  /** The groups (pks) the user is a direct member of; in every version, whatever `include_groups` says. */
  groups?: string[];
  /** The same groups with their names (UserSerializer, every version; `null` only with include_groups=false, 2024.10+). */
  groups_obj?: { pk: string; name: string; is_superuser?: boolean }[] | null;
}

export interface WireGroup {
  pk: string;
  name: string;
  is_superuser?: boolean;
  users?: number[];
  /** The roles (pks) bound to the group; their members hold the roles' permissions. */
  roles?: string[];
  /** The same roles with their names (GroupSerializer, every version from 2024.2). */
  roles_obj?: WireRole[];
}

export interface WireRole {
  pk: string;
  name: string;
}

export interface WireToken {
  pk: string;
  identifier: string;
  intent?: string;
  user?: number;
  expiring?: boolean;
  expires?: string | null;
  description?: string;
  /** Its owner, serialized as a user is (TokenSerializer.user_obj = UserSerializer, every version from 2024.2). */
  user_obj?: WireUser | null;
}

export interface WireFlow {
  pk: string;
  slug: string;
  name: string;
  designation: string;
  authentication?: string;
}

export interface WireBrand {
  brand_uuid: string;
  domain: string;
  default: boolean;
  flow_device_code?: string | null;
}

/** `GET /core/brands/current/` (anonymous): the brand authentik picks for the request's Host, flows by slug. */
export interface WireCurrentBrand {
  matched_domain: string;
  flow_device_code?: string | null;
}

export interface WireCertificate {
  pk: string;
  name: string;
  private_key_available?: boolean;
  /** Hex pairs separated by colons (every version; lower case in authentik). */
  fingerprint_sha256?: string | null;
}

export interface WireScopeMapping {
  pk: string;
  managed?: string | null;
  name: string;
  scope_name: string;
}

export interface WireServiceAccount {
  username: string;
  token: string;
  user_uid: string;
  user_pk: number;
  group_pk?: string;
}
