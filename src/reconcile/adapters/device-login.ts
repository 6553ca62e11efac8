/**
 * Device login: the device-code flow, and the brand serving the public host, whose device-code flow is set to
 * ours. A device flow the brand already has (not ours) is kept unless the user asks to replace it
 * (DEVICE_FLOW_REPLACE): then ours is not even created. The brand is the one authentik picks for the host, by
 * the rule of the running version. Two adapters in one module: each decides with the other's object.
 */
import type { FlowRequest, PatchedFlowRequest } from "@goauthentik/api";
import type { BrandRule } from "../../authentik/version.ts";
import type { WireBrand, WireFlow } from "../../authentik/wire.ts";
import { ConflictError } from "../../errors.ts";
import type { Adapter, Objects } from "../adapter.ts";
import type { DesiredDeviceFlow, DesiredState } from "../desired.ts";
import { show, type FieldChange } from "../types.ts";

function createFlowBody(desired: DesiredDeviceFlow): FlowRequest {
  return { name: desired.name, slug: desired.slug, title: desired.title, designation: "stage_configuration", authentication: "require_authenticated" };
}

/** Pure: a device-code flow must be a stage-configuration flow that requires authentication. */
export function diffFlow(observed: WireFlow): { changes: FieldChange[]; patch: PatchedFlowRequest } {
  const changes: FieldChange[] = [];
  const patch: PatchedFlowRequest = {};
  if (observed.designation !== "stage_configuration") {
    changes.push({ field: "designation", from: show(observed.designation), to: "stage_configuration" });
    patch.designation = "stage_configuration";
  }
  if (observed.authentication !== "require_authenticated") {
    changes.push({ field: "authentication", from: show(observed.authentication), to: "require_authenticated" });
    patch.authentication = "require_authenticated";
  }
  return { changes, patch };
}

/** Pure: the brand serving the public host has a device-code flow that is not ours, and replacing it was not asked for. */
export function keepsForeignFlow(d: DesiredState, seen: Objects): boolean {
  const current = seen.get(brand)?.brand.flow_device_code ?? null;
  return current !== null && current !== seen.get(deviceFlow)?.pk && !d.replaceDeviceFlow;
}

export const deviceFlow: Adapter<WireFlow, PatchedFlowRequest> = {
  kind: "device-code flow",
  needs: [],
  applies: (d) => d.deviceFlow !== undefined,
  key: (d) => d.deviceFlow!.slug,
  // Observe: among the flows readiness listed. Apply (after a lost answer): read again.
  find: (client, d, _seen, opts) => (opts.known ? Promise.resolve(opts.known.flows.get(d.deviceFlow!.slug)) : client.findFlow(d.deviceFlow!.slug)),
  diff(d, observed, seen) {
    if (keepsForeignFlow(d, seen)) {
      const domain = seen.get(brand)!.brand.domain;
      return { action: "noop", changes: [], note: `not needed: brand '${domain}' already has a device-code flow (kept; set DEVICE_FLOW_REPLACE=true to replace it)` };
    }
    if (!observed) return { action: "create", changes: [{ field: "designation", from: "(none)", to: "stage_configuration" }] };
    const { changes, patch } = diffFlow(observed);
    return changes.length ? { action: "update", changes, patch } : { action: "noop", changes };
  },
  create: (d, _done, { client }) => client.createFlow(createFlowBody(d.deviceFlow!)),
  update: (d, _current, patch, _done, { client }) => client.patchFlow(d.deviceFlow!.slug, patch),
};

/**
 * Pure: the brand authentik uses for requests whose Host header is `host` (with its port when not the default
 * one, as browsers send it), by the version's rule (`get_brand_for_request`, brands/utils.py), and the other
 * brands it could pick as well where the rule leaves the choice to the database (≤2025.10.1). Undefined: none
 * matches and there is no default brand, so authentik uses an in-memory fallback no setting can reach.
 */
export function brandForHost(brands: readonly WireBrand[], host: string, rule: BrandRule): { brand: WireBrand | undefined; ambiguous: WireBrand[] } {
  const h = host.toLowerCase();
  const fallback = brands.find((b) => b.default);
  if (rule === "any-suffix") {
    const matches = brands.filter((b) => !b.default && b.domain && h.endsWith(b.domain.toLowerCase()));
    return { brand: matches[0] ?? fallback, ambiguous: matches.length > 1 ? matches : [] };
  }
  const priority = (b: WireBrand) => {
    const d = b.domain.toLowerCase();
    const match = rule === "longest-dot-suffix" ? h === d || h.endsWith(`.${d}`) : d !== "" && h.endsWith(d);
    return match ? d.length : -1;
  };
  const ranked = brands.filter((b) => priority(b) > -1 || b.default).sort((a, b) => priority(b) - priority(a) || Number(b.default) - Number(a.default));
  return { brand: ranked[0], ambiguous: [] };
}

/** The brand for the public host, and the others authentik ≤2025.10.1 could pick for it as well. */
export interface ServingBrand {
  brand: WireBrand;
  ambiguous: WireBrand[];
}

/** authentik ≤2025.10.1 picks any of several brands whose domain ends the host: say which; verification checks. */
function ambiguity(b: ServingBrand): string | undefined {
  if (b.ambiguous.length < 2) return undefined;
  return `authentik may serve the host with any of ${b.ambiguous.map((x) => `'${x.domain}'`).join(", ")}; verification asks authentik which one it uses`;
}

export const brand: Adapter<ServingBrand, true> = {
  kind: "brand",
  needs: [],
  applies: (d) => d.deviceFlow !== undefined,
  key: (d, seen) => seen.get(brand)?.brand.domain ?? d.publicHost,
  // No request: the brands were read while waiting for authentik.
  find(_client, d) {
    const { brand: found, ambiguous } = brandForHost(d.brands, d.publicHost, d.features.brandRule);
    if (!found) {
      return Promise.reject(
        new ConflictError(
          `Cannot give the public host '${d.publicHost}' a device-code flow: no brand in authentik serves it and there is no default brand, so authentik uses a built-in fallback no setting can change. Create a brand for '${d.publicHost}' (System → Brands), or mark one as default.`,
        ),
      );
    }
    return Promise.resolve({ brand: found, ambiguous });
  },
  diff(d, observed, seen) {
    const note = observed ? ambiguity(observed) : undefined;
    const current = observed?.brand.flow_device_code ?? null;
    const ours = seen.get(deviceFlow)?.pk;
    if (keepsForeignFlow(d, seen) || (ours !== undefined && current === ours)) return { action: "noop", changes: [], ...(note ? { note } : {}) };
    return {
      action: "update",
      changes: [{ field: "flow_device_code", from: current ? "another flow" : "(none)", to: d.deviceFlow!.slug }],
      patch: true,
      ...(note ? { note } : {}),
    };
  },
  create: () => Promise.reject(new Error("brands are never created")),
  async update(_d, current, _patch, done, { client }) {
    return { ...current, brand: await client.patchBrand(current.brand, { flowDeviceCode: done.get(deviceFlow)!.pk }) };
  },
};
