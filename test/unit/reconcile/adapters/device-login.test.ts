import { describe, expect, it } from "vitest";
import type { AuthentikClient } from "../../../../src/authentik/client.ts";
import { featuresOf } from "../../../../src/authentik/version.ts";
import { ConflictError } from "../../../../src/errors.ts";
import { Objects } from "../../../../src/reconcile/adapter.ts";
import { brand } from "../../../../src/reconcile/adapters/device-login.ts";
import type { DesiredState } from "../../../../src/reconcile/desired.ts";

const d = (brands: DesiredState["brands"], version = "2026.2.2") =>
  ({ publicHost: "auth.example.com", brands, features: featuresOf(version), deviceFlow: { slug: "f", name: "f", title: "f" } }) as DesiredState;
// The brand adapter reads nothing: the brands were read while waiting for authentik.
const noClient = {} as AuthentikClient;
const find = (desired: DesiredState) => brand.find(noClient, desired, new Objects(), { readSecrets: false, now: 0 });

describe("brand adapter: the brand serving the public host", () => {
  it("no brand serves the host and none is default: a conflict naming the host, before anything is applied", async () => {
    await expect(find(d([{ brand_uuid: "x", domain: "other.org", default: false, flow_device_code: null }]))).rejects.toThrow(ConflictError);
    await expect(find(d([]))).rejects.toThrow(/auth\.example\.com/);
  });
  it("the default brand serves a host no brand names", async () => {
    const def = { brand_uuid: "b", domain: "authentik-default", default: true, flow_device_code: null };
    expect(await find(d([def]))).toEqual({ brand: def, ambiguous: [] });
  });
  it("authentik ≤2025.10.1 may pick any of several matching brands: the plan says so", async () => {
    const a = { brand_uuid: "a", domain: "example.com", default: false, flow_device_code: null };
    const b = { brand_uuid: "b", domain: "auth.example.com", default: false, flow_device_code: null };
    const found = await find(d([a, b], "2025.10.1"));
    expect(found?.ambiguous).toHaveLength(2);
    expect(brand.diff(d([a, b], "2025.10.1"), found, new Objects(), "plan").note).toMatch(/any of 'example\.com', 'auth\.example\.com'/);
  });
});
