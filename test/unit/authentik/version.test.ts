import { describe, expect, it } from "vitest";
import { featuresOf } from "../../../src/authentik/version.ts";

describe("featuresOf", () => {
  it.each([
    ["2024.2.0", { redirectUrisAsString: true, invalidationFlow: false, legacyScopeMappingPath: true, apiScopeMapping: false, grantTypes: false, uniqueGroupNames: false }],
    ["2024.4.4", { uniqueGroupNames: false }],
    ["2024.6.0", { redirectUrisAsString: true, invalidationFlow: false, legacyScopeMappingPath: true, apiScopeMapping: true, grantTypes: false, uniqueGroupNames: true }],
    ["2024.8.4", { redirectUrisAsString: true, legacyScopeMappingPath: false }],
    ["2024.8.5", { redirectUrisAsString: false }],
    ["2024.10.2", { redirectUrisAsString: true, invalidationFlow: true, legacyScopeMappingPath: false }],
    ["2024.10.3", { redirectUrisAsString: false, invalidationFlow: true }],
    ["2024.12.0", { redirectUrisAsString: false, invalidationFlow: true, apiScopeMapping: true, grantTypes: false }],
    ["2026.2.2", { grantTypes: false, unknownNewer: false }],
    ["2026.5.6", { grantTypes: true, unknownNewer: false }],
    ["2026.8.3", { grantTypes: true, unknownNewer: false }],
    ["2027.2.0", { grantTypes: true, unknownNewer: true }],
    ["dev-build", { grantTypes: true, redirectUrisAsString: false, unknownNewer: false }],
  ])("%s", (version, expected) => {
    expect(featuresOf(version)).toMatchObject(expected);
  });
});
