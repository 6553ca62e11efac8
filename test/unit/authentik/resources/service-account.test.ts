import { describe, expect, it } from "vitest";
import { appPasswordIdentifier, diffAppPassword, slugify } from "../../../../src/authentik/resources/service-account.ts";
import { brandForHost, diffFlow } from "../../../../src/authentik/resources/device-flow.ts";

describe("slugify (Django's, as authentik names the app password)", () => {
  it.each([
    ["NetBird", "service-account-netbird-password"],
    ["openZro", "service-account-openzro-password"],
    ["net.bird", "service-account-netbird-password"],
    ["ops@example", "service-account-opsexample-password"],
    ["Ünïcödé", "service-account-unicode-password"],
    ["a_b-c", "service-account-a_b-c-password"],
  ])("%s → %s", (name, id) => expect(appPasswordIdentifier(name)).toBe(id));
  it("collapses spaces and dashes", () => expect(slugify("  a  --  b ")).toBe("a-b"));
});

describe("app password and device flow diffs", () => {
  it("an app password must not expire by itself", () => {
    expect(diffAppPassword({ pk: "1", identifier: "x", expiring: false }).changes).toEqual([]);
    expect(diffAppPassword({ pk: "1", identifier: "x", expiring: true }).patch).toEqual({ expiring: false });
  });
  it("a device flow is a stage-configuration flow that requires authentication", () => {
    expect(diffFlow({ pk: "f", slug: "d", name: "d", designation: "stage_configuration", authentication: "require_authenticated" }).changes).toEqual([]);
    expect(Object.keys(diffFlow({ pk: "f", slug: "d", name: "d", designation: "authentication", authentication: "none" }).patch).sort()).toEqual(["authentication", "designation"]);
  });
});

describe("brandForHost", () => {
  const brands = [
    { brand_uuid: "d", domain: "authentik-default", default: true },
    { brand_uuid: "e", domain: "example.com", default: false },
    { brand_uuid: "a", domain: "auth.example.com", default: false },
  ];
  it.each([
    ["auth.example.com", "a"],
    ["sso.auth.example.com", "a"],
    ["other.example.com", "e"],
    ["notexample.com", "d"],
    ["localhost", "d"],
  ])("%s → brand %s", (host, uuid) => expect(brandForHost(brands, host)?.brand_uuid).toBe(uuid));
});
