/** What a consumer asks for in authentik, and the values provisioning hands back for its output file. */
import type { Features } from "../authentik/version.ts";
import type { RedirectUri, WireBrand, WireGroup } from "../authentik/wire.ts";

export interface DesiredProvider {
  name: string;
  clientType: "public" | "confidential";
  redirectUris: RedirectUri[];
  signingKey: string;
  accessCodeValidity: string;
  subMode: "user_id" | "hashed_user_id" | "user_uuid" | "user_username" | "user_email" | "user_upn";
  /** The issuer the consumer is given is the provider's own (`per_provider`); `global` would change it to the site root. */
  issuerMode: "per_provider";
  propertyMappings: string[];
  /** Sent only when the server knows grant types (2026.5+). */
  grantTypes: string[] | undefined;
  /** Create-only: an admin may change these later without the tool fighting back. */
  authorizationFlow: string;
  invalidationFlow: string | undefined;
}

export interface DesiredApplication {
  name: string;
  slug: string;
}

export interface DesiredDeviceFlow {
  slug: string;
  name: string;
  title: string;
}

export interface DesiredAccess {
  /** The role's name, and the group's. */
  name: string;
  permissions: readonly string[];
}

/** This tool's own least-privilege account (TOOL_TOKEN_FILE / TOOL_TOKEN_SECRET_KEY). */
export interface DesiredTool {
  account: string;
  /** Its role (the permissions this tool's calls need on this version) and the group carrying it. */
  access: DesiredAccess;
  /** Its API token's identifier. */
  tokenIdentifier: string;
  /** The token as the store holds it; undefined: nothing stored yet. */
  stored: string | undefined;
  /** Where it is stored, as people read it. */
  storeName: string;
}

export interface DesiredState {
  provider: DesiredProvider;
  application: DesiredApplication;
  /** Absent when the consumer needs no service account (no IdP manager). */
  serviceAccount?: { username: string };
  /** The superuser group, with admin-group access: the service account's group. */
  adminGroup?: WireGroup;
  /** With role access: the superuser group's name, only checked for the account (and maybe left). */
  adminGroupName?: string;
  /** Least-privilege access: a role with these global permissions, carried by a group the account is put in. */
  access?: DesiredAccess;
  /** Take the service account out of the admin group (role access only). */
  leaveAdminGroup?: boolean;
  /**
   * A least-privilege run (every consumer): it signs in with the tool token, and NetBird's account makes its own
   * token calls, so a rotation first makes sure the tokens it makes itself never expire.
   */
  ownTokens?: boolean;
  /** Least-privilege mode: the tool's own account, role and token (on the first consumer only). */
  tool?: DesiredTool;
  /** Absent when the consumer has no device login. */
  deviceFlow?: DesiredDeviceFlow;
  replaceDeviceFlow: boolean;
  /** Host of the public authentik URL as browsers send it (port included unless default): picks the brand. */
  publicHost: string;
  brands: readonly WireBrand[];
  /** What the running authentik version does that the plan depends on. */
  features: Features;
  rotate: { appPassword: boolean; clientSecret: boolean; graceMs: number };
}

export interface Provisioned {
  clientId: string;
  /** Confidential clients only. */
  clientSecret?: string;
  username?: string;
  appPassword?: string;
}

/** The secrets `ROTATE` can replace. */
export const ROTATABLE = ["app-password", "client-secret"] as const;
export type Rotatable = (typeof ROTATABLE)[number];

/** A secret replaced in this run; the previous one stays valid until `previousValidUntil`. */
export interface Rotation {
  kind: Rotatable;
  credential: string;
  previousValidUntil: string | null;
}

/** Tokens this tool retired in earlier rotations are named `<identifier>-retired-<stamp>`. */
export const RETIRED_INFIX = "-retired-";
