/** Application adapter: found by slug (retrieve, not list: the list is policy-filtered and cached). */
import type { ApplicationRequest, PatchedApplicationRequest } from "@goauthentik/api";
import type { WireApplication } from "../../authentik/wire.ts";
import { ConflictError } from "../../errors.ts";
import type { Adapter } from "../adapter.ts";
import { show, type FieldChange } from "../types.ts";
import { provider } from "./provider.ts";

export interface DesiredApplication {
  name: string;
  slug: string;
}

/** Pure. `providerPk` undefined = our provider does not exist yet (plan mode). */
function diffApplication(observed: WireApplication, providerPk: number | undefined, providerName: string): { changes: FieldChange[]; patch: PatchedApplicationRequest } {
  if (observed.provider !== null && observed.provider !== undefined && observed.provider !== providerPk) {
    throw new ConflictError(
      `Cannot use application '${observed.slug}': it is bound to another provider (pk ${observed.provider}), not to OAuth2 provider '${providerName}'. Unbind or delete that application in authentik, or set APP_SLUG to another slug.`,
    );
  }
  if (observed.provider === providerPk && providerPk !== undefined) return { changes: [], patch: {} };
  return { changes: [{ field: "provider", from: show(observed.provider), to: providerName }], patch: { provider: providerPk ?? null } };
}

function createApplicationBody(desired: DesiredApplication, providerPk: number): ApplicationRequest {
  return { name: desired.name, slug: desired.slug, provider: providerPk };
}

export const application: Adapter<WireApplication, PatchedApplicationRequest> = {
  kind: "application",
  needs: [],
  applies: () => true,
  key: (d) => d.application.slug,
  find: (client, d) => client.findApplication(d.application.slug),
  diff(d, observed, seen) {
    if (!observed) return { action: "create", changes: [{ field: "provider", from: "(none)", to: d.provider.name }] };
    const { changes, patch } = diffApplication(observed, seen.get(provider)?.pk, d.provider.name);
    return changes.length ? { action: "update", changes, patch } : { action: "noop", changes };
  },
  create: (d, done, { client }) => client.createApplication(createApplicationBody(d.application, done.get(provider)!.pk)),
  // The provider's pk as applied (it may have been created in this run).
  update: (d, _current, _patch, done, { client }) => client.patchApplication(d.application.slug, { provider: done.get(provider)!.pk }),
};
