/** What a consumer asks for in authentik, and the values provisioning hands back for its output file. */
import type { Features } from "../authentik/version.ts";
import type { WireBrand, WireGroup } from "../authentik/wire.ts";
import type { DesiredApplication } from "./adapters/application.ts";
import type { DesiredDeviceFlow } from "./adapters/device-flow.ts";
import type { DesiredProvider } from "./adapters/provider.ts";
import type { DesiredAccess } from "./adapters/access.ts";

export interface DesiredState {
  provider: DesiredProvider;
  application: DesiredApplication;
  /** Absent when the consumer needs no service account (no IdP manager). */
  serviceAccount?: { username: string };
  /** The superuser group: the service account's group with admin-group access, else only checked (and maybe left). */
  adminGroup?: WireGroup;
  /** Least-privilege access: a role with these global permissions, carried by a group the account is put in. */
  access?: DesiredAccess;
  /** Take the service account out of the admin group (role access only). */
  leaveAdminGroup?: boolean;
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
