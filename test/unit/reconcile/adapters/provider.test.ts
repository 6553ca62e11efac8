import { describe, expect, it } from "vitest";
import { createBody, diffProvider, normaliseRedirectUris } from "../../../../src/reconcile/adapters/provider.ts";
import type { DesiredProvider } from "../../../../src/reconcile/desired.ts";
import type { WireOAuth2Provider } from "../../../../src/authentik/wire.ts";

const desired: DesiredProvider = {
  name: "NetBird",
  clientType: "public",
  redirectUris: [
    { matching_mode: "strict", url: "http://localhost:53000" },
    { matching_mode: "regex", url: "https://nb\\.example\\.com/.*" },
  ],
  signingKey: "cert-1",
  accessCodeValidity: "minutes=10",
  subMode: "user_id",
  issuerMode: "per_provider",
  propertyMappings: ["m1", "m2"],
  grantTypes: ["authorization_code", "client_credentials"],
  authorizationFlow: "flow-1",
  invalidationFlow: "flow-2",
};

const converged: WireOAuth2Provider = {
  pk: 1,
  name: "NetBird",
  authorization_flow: "other-flow",
  client_id: "id",
  client_type: "public",
  redirect_uris: [...desired.redirectUris, { matching_mode: "strict", url: "https://admin-added.example.com" }],
  signing_key: "cert-1",
  access_code_validity: "minutes=10",
  sub_mode: "user_id",
  issuer_mode: "per_provider",
  property_mappings: ["m2", "m1", "m-admin"],
  grant_types: ["client_credentials", "authorization_code", "refresh_token"],
};

describe("normaliseRedirectUris", () => {
  it("reads the list form and the legacy string (escaped literal → strict, else regex)", () => {
    expect(normaliseRedirectUris("http://localhost:53000\nhttps://nb\\.example\\.com/.*  https://x\\.com")).toEqual([
      { matching_mode: "strict", url: "http://localhost:53000" },
      { matching_mode: "regex", url: "https://nb\\.example\\.com/.*" },
      { matching_mode: "strict", url: "https://x.com" },
    ]);
    expect(normaliseRedirectUris(undefined)).toEqual([]);
  });
});

describe("diffProvider", () => {
  it("finds nothing to do when owned fields match, whatever an admin added or reordered", () => {
    expect(diffProvider(desired, converged)).toEqual({ changes: [], patch: {} });
  });

  it.each([
    ["client_type", { client_type: "confidential" as const }, "clientType"],
    ["signing_key", { signing_key: null }, "signingKey"],
    ["access_code_validity", { access_code_validity: "minutes=1" }, "accessCodeValidity"],
    ["sub_mode", { sub_mode: "hashed_user_id" }, "subMode"],
    ["issuer_mode", { issuer_mode: "global" }, "issuerMode"],
    ["redirect_uris", { redirect_uris: [] }, "redirectUris"],
    ["property_mappings", { property_mappings: ["m1"] }, "propertyMappings"],
    ["grant_types", { grant_types: ["authorization_code"] }, "grantTypes"],
  ])("one drifted field (%s) gives one change and a patch with only that field", (field, drift, key) => {
    const { changes, patch } = diffProvider(desired, { ...converged, ...drift });
    expect(changes.map((c) => c.field)).toEqual([field]);
    expect(Object.keys(patch)).toEqual([key]);
  });

  it("patches set-valued fields with the union, keeping what an admin added", () => {
    const { patch } = diffProvider(desired, { ...converged, property_mappings: ["m-admin"] });
    expect(patch.propertyMappings).toEqual(["m-admin", "m1", "m2"]);
  });

  it("ignores grant types when the server has none (before 2026.5), and flows are create-only", () => {
    expect(diffProvider({ ...desired, grantTypes: undefined }, { ...converged, grant_types: undefined }).changes).toEqual([]);
    expect(createBody(desired)).toMatchObject({ authorizationFlow: "flow-1", invalidationFlow: "flow-2", grantTypes: desired.grantTypes });
    expect(createBody({ ...desired, grantTypes: undefined })).not.toHaveProperty("grantTypes");
  });

  it("2026.5+: entries keep their type; an admin's logout URI is sent back as a logout URI", () => {
    const typed = { ...desired, redirectUris: desired.redirectUris.map((r) => ({ ...r, redirect_uri_type: "authorization" as const })) };
    const logout = { matching_mode: "strict" as const, url: "https://nb.example.com/logged-out", redirect_uri_type: "logout" as const };
    const observed = { ...converged, redirect_uris: [typed.redirectUris[0]!, logout] };
    const { patch } = diffProvider(typed, observed);
    expect(patch.redirectUris).toEqual([
      { matchingMode: "strict", url: "http://localhost:53000", redirectUriType: "authorization" },
      { matchingMode: "strict", url: "https://nb.example.com/logged-out", redirectUriType: "logout" },
      { matchingMode: "regex", url: "https://nb\\.example\\.com/.*", redirectUriType: "authorization" },
    ]);
    // The same URL as a logout entry does not count as the login entry.
    expect(diffProvider(typed, { ...converged, redirect_uris: typed.redirectUris.map((r) => ({ ...r, redirect_uri_type: "logout" as const })) }).changes).toHaveLength(1);
  });

  it("replaces its own entries that authentik's upgrade migration turned into dead strict literals, and nothing else", () => {
    const strictDomain = { ...desired, redirectUris: [...desired.redirectUris, { matching_mode: "strict" as const, url: "https://nb.example.com" }] };
    const migrated = {
      ...converged,
      redirect_uris: [
        { matching_mode: "strict" as const, url: "http://localhost:53000" },
        { matching_mode: "strict" as const, url: "https://nb\\.example\\.com" },
        { matching_mode: "strict" as const, url: "https://nb\\.example\\.com/.*" },
        { matching_mode: "strict" as const, url: "https://admin\\.example\\.com" },
      ],
    };
    const { patch, changes } = diffProvider(strictDomain, migrated);
    expect(changes.map((c) => c.field)).toEqual(["redirect_uris"]);
    expect(patch.redirectUris).toEqual([
      { matchingMode: "strict", url: "http://localhost:53000" },
      { matchingMode: "strict", url: "https://admin\\.example\\.com" },
      { matchingMode: "regex", url: "https://nb\\.example\\.com/.*" },
      { matchingMode: "strict", url: "https://nb.example.com" },
    ]);
  });
});
