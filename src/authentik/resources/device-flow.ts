/**
 * Device-code flow and the brand that serves it. The brand is the one whose domain matches the public
 * host (longest suffix, as authentik picks it), else the default brand. A device flow the brand already has
 * is kept unless the user asks to replace it.
 */
import type { FlowRequest, PatchedFlowRequest } from "@goauthentik/api";
import { show, type FieldChange } from "../../reconcile/types.ts";
import type { WireBrand, WireFlow } from "../wire.ts";

export interface DesiredDeviceFlow {
  slug: string;
  name: string;
  title: string;
}

/** Pure: the brand authentik uses for requests to `host`. */
export function brandForHost(brands: readonly WireBrand[], host: string): WireBrand | undefined {
  const h = host.toLowerCase();
  const matching = brands.filter((b) => b.domain && (h === b.domain.toLowerCase() || h.endsWith(`.${b.domain.toLowerCase()}`))).sort((a, b) => b.domain.length - a.domain.length);
  return matching[0] ?? brands.find((b) => b.default);
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
