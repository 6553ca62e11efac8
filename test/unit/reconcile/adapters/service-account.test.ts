import { describe, expect, it } from "vitest";
import {
  appPasswordIdentifier,
  diffAppPassword,
  lifetimeForGrace,
  MAX_LIFETIME_ATTRIBUTE,
  retireBody,
  slugify,
  TOKENS_EXPIRE_ATTRIBUTE,
} from "../../../../src/reconcile/adapters/service-account.ts";
import { brandForHost, diffFlow } from "../../../../src/reconcile/adapters/device-login.ts";

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
  const account = { pk: 7, username: "NetBird", type: "service_account" };
  it("an app password must not expire by itself; the repair names intent and owner (a PATCH without them makes an API token of the caller)", () => {
    expect(diffAppPassword({ pk: "1", identifier: "x", expiring: false }, account).changes).toEqual([]);
    expect(diffAppPassword({ pk: "1", identifier: "x", expiring: true }, account).patch).toEqual({ expiring: false, intent: "app_password", user: 7 });
  });
  it("the retired token stays the account's app password, with an expiry", () => {
    const until = new Date("2026-01-01T00:00:00Z");
    expect(retireBody(account, "x-retired-1", until)).toMatchObject({ intent: "app_password", user: 7, identifier: "x-retired-1", expiring: true, expires: until });
  });
  it.each([
    [undefined, 3_600_000, "seconds=4200"],
    ["minutes=30", 3_600_000, "seconds=4200"],
    ["hours=2", 3_600_000, undefined],
    ["days=1", 600_000, undefined],
    ["not a duration", 60_000, "seconds=660"],
  ])("max lifetime attribute %s, grace %i ms → %s", (current, grace, want) => {
    const user = { ...account, attributes: { other: 1, ...(current ? { [MAX_LIFETIME_ATTRIBUTE]: current } : {}) } };
    const got = lifetimeForGrace(user, grace, { tokenMaximumLifetime: true });
    expect(got?.patch.attributes?.[MAX_LIFETIME_ATTRIBUTE]).toBe(want);
    if (got) expect(got.patch.attributes?.other).toBe(1);
  });
  it("authentik 2024.2 has no maximum lifetime: nothing to raise", () => {
    expect(lifetimeForGrace(account, 86_400_000, { tokenMaximumLifetime: false })).toBeUndefined();
  });
  it("the account makes its own new app password (least privilege): its tokens-expire attribute is set to false first", () => {
    const long = { [MAX_LIFETIME_ATTRIBUTE]: "days=1" };
    const got = lifetimeForGrace({ ...account, attributes: long }, 3_600_000, { tokenMaximumLifetime: true }, true);
    expect(got?.patch.attributes).toEqual({ ...long, [TOKENS_EXPIRE_ATTRIBUTE]: false });
    expect(got?.changes.map((c) => c.field)).toEqual([`attributes.${TOKENS_EXPIRE_ATTRIBUTE}`]);
    expect(lifetimeForGrace({ ...account, attributes: { ...long, [TOKENS_EXPIRE_ATTRIBUTE]: false } }, 3_600_000, { tokenMaximumLifetime: true }, true)).toBeUndefined();
    // Made by a superuser (selfMade false): the attribute does not matter.
    expect(lifetimeForGrace({ ...account, attributes: long }, 3_600_000, { tokenMaximumLifetime: true }, false)).toBeUndefined();
  });
  it("a device flow is a stage-configuration flow that requires authentication", () => {
    expect(diffFlow({ pk: "f", slug: "d", name: "d", designation: "stage_configuration", authentication: "require_authenticated" }).changes).toEqual([]);
    expect(Object.keys(diffFlow({ pk: "f", slug: "d", name: "d", designation: "authentication", authentication: "none" }).patch).sort()).toEqual(["authentication", "designation"]);
  });
});

describe("brandForHost: authentik's get_brand_for_request (brands/utils.py) per release", () => {
  const brands = [
    { brand_uuid: "d", domain: "authentik-default", default: true },
    { brand_uuid: "e", domain: "example.com", default: false },
    { brand_uuid: "a", domain: "auth.example.com", default: false },
  ];
  it.each([
    // host, ≤2025.10.1 (any suffix, non-default first, database order), 2025.10.2–2025.12 (longest suffix), 2026.2+ (exact or dot suffix)
    ["auth.example.com", "e", "a", "a"],
    ["sso.auth.example.com", "e", "a", "a"],
    ["other.example.com", "e", "e", "e"],
    ["notexample.com", "e", "e", "d"],
    ["localhost", "d", "d", "d"],
    ["auth.example.com:8443", "d", "d", "d"],
  ])("%s → %s / %s / %s", (host, anySuffix, longest, dotted) => {
    expect(brandForHost(brands, host, "any-suffix").brand?.brand_uuid).toBe(anySuffix);
    expect(brandForHost(brands, host, "longest-suffix").brand?.brand_uuid).toBe(longest);
    expect(brandForHost(brands, host, "longest-dot-suffix").brand?.brand_uuid).toBe(dotted);
  });
  it("a port is part of the host: a brand for it matches only with the port", () => {
    const withPort = [...brands, { brand_uuid: "p", domain: "auth.example.com:8443", default: false }];
    expect(brandForHost(withPort, "auth.example.com:8443", "longest-dot-suffix").brand?.brand_uuid).toBe("p");
  });
  it("≤2025.10.1 leaves the choice among several matching brands to the database: all are reported", () => {
    expect(brandForHost(brands, "auth.example.com", "any-suffix").ambiguous.map((b) => b.brand_uuid)).toEqual(["e", "a"]);
    expect(brandForHost(brands, "auth.example.com", "longest-dot-suffix").ambiguous).toEqual([]);
  });
  it("no match and no default brand: none (authentik's in-memory fallback)", () => {
    expect(brandForHost(brands.slice(1), "localhost", "longest-dot-suffix").brand).toBeUndefined();
  });
});
