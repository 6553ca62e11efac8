/**
 * Device-code flow and the brand that serves it. The brand is the one authentik picks for the public host,
 * by the rule of the running version. A device flow the brand already has is kept unless the user asks to
 * replace it.
 */
import type { FlowRequest, PatchedFlowRequest } from "@goauthentik/api";
import { show, type FieldChange } from "../../reconcile/types.ts";
import type { BrandRule } from "../version.ts";
import type { WireBrand, WireFlow } from "../wire.ts";

export interface DesiredDeviceFlow {
  slug: string;
  name: string;
  title: string;
}

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

export function createFlowBody(desired: DesiredDeviceFlow): FlowRequest {
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
