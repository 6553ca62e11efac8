/**
 * Application adapter: found by slug (retrieve, not list: the list is policy-filtered and cached). In a re-run's
 * observe, when our provider already backs an application with that slug, the provider's answer (read once for
 * both adapters) says all the diff needs; a first run reads the application beside the provider's search.
 */
import type { ApplicationRequest, PatchedApplicationRequest } from "@goauthentik/api";
import type { WireApplication } from "../../authentik/wire.ts";
import { ConflictError } from "../../errors.ts";
import type { Adapter } from "../adapter.ts";
import type { DesiredApplication } from "../desired.ts";
import { show, type FieldChange } from "../types.ts";
import { OAUTH2_MODEL, oauth2ProviderNamed, provider } from "./provider.ts";

/**
 * Pure: the application is bound to an OAuth2 provider with our name that was not there when ours was looked for,
 * so another run made both in between (names are unique across providers): it is ours, not a conflict.
 */
function boundToOursMeanwhile(observed: WireApplication, providerPk: number | undefined, providerName: string): boolean {
  return providerPk === undefined && observed.provider_obj?.name === providerName && observed.provider_obj.meta_model_name === OAUTH2_MODEL;
}

/** Pure. `providerPk` undefined = our provider does not exist yet (plan mode). */
function diffApplication(observed: WireApplication, providerPk: number | undefined, providerName: string): { changes: FieldChange[]; patch: PatchedApplicationRequest } {
  if (observed.provider !== null && observed.provider !== undefined && observed.provider !== providerPk && !boundToOursMeanwhile(observed, providerPk, providerName)) {
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
  async find(client, d, _seen, opts) {
    // A first run's provider is most likely missing: the application is read at once, beside its search.
    if (opts.fresh) return client.findApplication(d.application.slug);
    const p = opts.once ? await oauth2ProviderNamed(client, d.provider.name, opts) : undefined;
    if (p?.assigned_application_slug === d.application.slug) return { name: p.assigned_application_name ?? d.application.name, slug: d.application.slug, provider: p.pk };
    return client.findApplication(d.application.slug);
  },
  diff(d, observed, seen) {
    if (!observed) return { action: "create", changes: [{ field: "provider", from: "(none)", to: d.provider.name }] };
    const { changes, patch } = diffApplication(observed, seen.get(provider)?.pk, d.provider.name);
    return changes.length ? { action: "update", changes, patch } : { action: "noop", changes };
  },
  create: (d, done, { client }) => client.createApplication(createApplicationBody(d.application, done.get(provider)!.pk)),
  // The provider's pk as applied (it may have been created in this run).
  update: (d, _current, _patch, done, { client }) => client.patchApplication(d.application.slug, { provider: done.get(provider)!.pk }),
};
