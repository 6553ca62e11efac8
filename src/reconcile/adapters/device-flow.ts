/**
 * The device-code flow. A device flow the brand already has (not ours) is kept unless the user asks to replace
 * it (DEVICE_FLOW_REPLACE): then ours is not even created.
 */
import type { FlowRequest, PatchedFlowRequest } from "@goauthentik/api";
import type { WireFlow } from "../../authentik/wire.ts";
import type { DesiredState } from "../desired.ts";
import type { Adapter, Objects } from "../adapter.ts";
import { show, type FieldChange } from "../types.ts";
import { brand } from "./brand.ts";

export interface DesiredDeviceFlow {
  slug: string;
  name: string;
  title: string;
}

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
