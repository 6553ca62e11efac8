/**
 * The brand that serves the public host: the one authentik picks for it, by the rule of the running version.
 * Its device-code flow is set to ours (unless it has another one that is kept, see device-flow.ts).
 */
import type { BrandRule } from "../../authentik/version.ts";
import type { WireBrand } from "../../authentik/wire.ts";
import { ConflictError } from "../../errors.ts";
import type { Adapter } from "../adapter.ts";
import { deviceFlow, keepsForeignFlow } from "./device-flow.ts";

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
