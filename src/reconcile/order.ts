/**
 * The one place that sets the order. Each chain is applied in its order (an object after the ones it needs);
 * the chains run side by side, and where an object needs one of another chain, WAITS says so. Adding an object
 * type: its adapter, and one entry here.
 */
import type { AnyAdapter } from "./adapter.ts";
import { application } from "./adapters/application.ts";
import { appPassword, serviceAccount } from "./adapters/service-account.ts";
import { brand, deviceFlow } from "./adapters/device-login.ts";
import { accessGroup, role } from "./adapters/access.ts";
import { adminMembership, membership } from "./adapters/membership.ts";
import { provider } from "./adapters/provider.ts";
import { retiredTokens } from "./adapters/retired-tokens.ts";
import { toolAccount, toolGroup, toolMembership, toolRole, toolToken } from "./adapters/tool.ts";

/**
 * The tool's own account (least-privilege mode), applied before every other chain: its role then holds what
 * this version's calls need before they are made (an authentik upgrade may need a new permission). Its token is
 * made last, when the account holds its rights.
 */
export const FIRST: readonly AnyAdapter[] = [toolAccount, toolRole, toolGroup, toolMembership, toolToken];

export const CHAINS: readonly (readonly AnyAdapter[])[] = [
  FIRST,
  [provider, application],
  [role, accessGroup],
  // The account is in the group carrying its role before it leaves the superuser group: NetBird never loses access.
  [serviceAccount, appPassword, membership, adminMembership, retiredTokens],
  [deviceFlow, brand],
];

/**
 * An object applied only once these, of other chains, are: the group carrying NetBird's role is made with the
 * account in it (access.ts: its membership then needs no request), and the account joins the group once it is
 * there. The role is made meanwhile.
 */
export const WAITS: ReadonlyMap<AnyAdapter, readonly AnyAdapter[]> = new Map<AnyAdapter, readonly AnyAdapter[]>([
  [accessGroup, [serviceAccount]],
  [membership, [accessGroup]],
]);
