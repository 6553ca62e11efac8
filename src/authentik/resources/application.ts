/** Application adapter: found by slug (retrieve, not list: the list is policy-filtered and cached). */
import type { ApplicationRequest, PatchedApplicationRequest } from "@goauthentik/api";
import { ConflictError } from "../../errors.ts";
import { show, type FieldChange } from "../../reconcile/types.ts";
import type { AuthentikClient } from "../client.ts";
import type { WireApplication } from "../wire.ts";

export interface DesiredApplication {
  name: string;
  slug: string;
}

export async function observeApplication(client: AuthentikClient, slug: string): Promise<WireApplication | undefined> {
  return client.findApplication(slug);
}

/** Pure. `providerPk` undefined = our provider does not exist yet (plan mode). */
export function diffApplication(observed: WireApplication, providerPk: number | undefined, providerName: string): { changes: FieldChange[]; patch: PatchedApplicationRequest } {
  if (observed.provider !== null && observed.provider !== undefined && observed.provider !== providerPk) {
    throw new ConflictError(
      `Cannot use application '${observed.slug}': it is bound to another provider (pk ${observed.provider}), not to OAuth2 provider '${providerName}'. Unbind or delete that application in authentik, or set APP_SLUG to another slug.`,
    );
  }
  if (observed.provider === providerPk && providerPk !== undefined) return { changes: [], patch: {} };
  return { changes: [{ field: "provider", from: show(observed.provider), to: providerName }], patch: { provider: providerPk ?? null } };
}

export function createApplicationBody(desired: DesiredApplication, providerPk: number): ApplicationRequest {
  return { name: desired.name, slug: desired.slug, provider: providerPk };
}
