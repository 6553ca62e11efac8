import { describe, expect, it } from "vitest";
import type { DesiredState } from "../../../src/reconcile/desired.ts";
import { Objects } from "../../../src/reconcile/adapter.ts";
import { application } from "../../../src/reconcile/adapters/application.ts";
import { appPassword, serviceAccount } from "../../../src/reconcile/adapters/service-account.ts";
import { brand, deviceFlow } from "../../../src/reconcile/adapters/device-login.ts";
import { accessGroup, role } from "../../../src/reconcile/adapters/access.ts";
import { adminMembership, membership } from "../../../src/reconcile/adapters/membership.ts";
import { provider } from "../../../src/reconcile/adapters/provider.ts";
import { retiredTokens } from "../../../src/reconcile/adapters/retired-tokens.ts";
import { hasChanges, plan, stepOf, stepsOf } from "../../../src/reconcile/plan.ts";
import type { AnyAdapter } from "../../../src/reconcile/adapter.ts";
import { WAITS } from "../../../src/reconcile/order.ts";
import { renderPlan, summarise } from "../../../src/report.ts";
import { ConflictError } from "../../../src/errors.ts";
import { featuresOf } from "../../../src/authentik/version.ts";
import type { WireBrand } from "../../../src/authentik/wire.ts";

const defaultBrand = (flow: string | null): WireBrand => ({ brand_uuid: "b", domain: "authentik-default", default: true, flow_device_code: flow });

/** A desired state and the objects that match it (as observe finds them); tests change one thing at a time. */
function fixtures() {
  const desired: DesiredState = {
    provider: {
      name: "NetBird",
      clientType: "public",
      redirectUris: [{ matching_mode: "strict", url: "http://localhost:53000" }],
      signingKey: "cert",
      accessCodeValidity: "minutes=10",
      subMode: "user_id",
      issuerMode: "per_provider",
      propertyMappings: ["m"],
      grantTypes: undefined,
      authorizationFlow: "f",
      invalidationFlow: "i",
    },
    application: { name: "NetBird", slug: "netbird" },
    serviceAccount: { username: "NetBird" },
    adminGroup: { pk: "g", name: "authentik Admins", users: [1, 7] },
    deviceFlow: { slug: "default-device-code-flow", name: "Device", title: "Device" },
    replaceDeviceFlow: false,
    publicHost: "auth.example.com",
    brands: [defaultBrand("df")],
    features: featuresOf("2026.8.3"),
    rotate: { appPassword: false, clientSecret: false, graceMs: 3_600_000 },
  };
  const seen = new Objects();
  seen.set(provider, {
    pk: 3,
    name: "NetBird",
    authorization_flow: "f",
    client_id: "id",
    client_type: "public",
    redirect_uris: [{ matching_mode: "strict", url: "http://localhost:53000" }],
    signing_key: "cert",
    access_code_validity: "minutes=10",
    sub_mode: "user_id",
    issuer_mode: "per_provider",
    property_mappings: ["m"],
  });
  seen.set(application, { pk: "a", name: "NetBird", slug: "netbird", provider: 3 });
  seen.set(serviceAccount, { pk: 7, username: "NetBird", type: "service_account", groups: ["g"] });
  seen.set(appPassword, { token: { pk: "t", identifier: "service-account-netbird-password", intent: "app_password", user: 7, expiring: false }, key: "app-password-key" });
  seen.set(membership, { member: true });
  seen.set(retiredTokens, []);
  seen.set(deviceFlow, { pk: "df", slug: "default-device-code-flow", name: "Device", designation: "stage_configuration", authentication: "require_authenticated" });
  seen.set(brand, { brand: defaultBrand("df"), ambiguous: [] });
  return { desired, seen };
}

/** What observe finds in an authentik without our objects: no membership, no retired tokens, the default brand. */
function nothingFound(): Objects {
  const empty = new Objects();
  empty.set(membership, { member: false });
  empty.set(adminMembership, { member: false });
  empty.set(retiredTokens, []);
  empty.set(brand, { brand: defaultBrand(null), ambiguous: [] });
  return empty;
}

const actions = (d: DesiredState, o: Objects) => stepsOf(plan(d, o)).map((s) => `${s.kind}:${s.action}`);

describe("plan", () => {
  it("converged → every step noop", () => {
    const { desired, seen } = fixtures();
    expect(hasChanges(plan(desired, seen))).toBe(false);
  });

  it("empty authentik → creates, membership and brand updates, in the order of each chain", () => {
    const { desired } = fixtures();
    expect(actions(desired, nothingFound())).toEqual([
      "OAuth2 provider:create",
      "application:create",
      "service account:create",
      "app password:create",
      "group membership:update",
      "retired app passwords:noop",
      "device-code flow:create",
      "brand:update",
    ]);
  });

  it("provider drift → only the provider updates", () => {
    const { desired, seen } = fixtures();
    seen.set(provider, { ...seen.get(provider)!, sub_mode: "hashed_user_id" });
    expect(actions(desired, seen).filter((a) => !a.endsWith(":noop"))).toEqual(["OAuth2 provider:update"]);
  });

  it("an application bound to another provider is a conflict, raised before anything is applied", () => {
    const { desired, seen } = fixtures();
    seen.set(application, { ...seen.get(application)!, provider: 99 });
    expect(() => plan(desired, seen)).toThrow(ConflictError);
    expect(() => plan(desired, seen)).toThrow(/APP_SLUG/);
  });

  it("an application bound to an OAuth2 provider with our name, made after ours was looked for (another run), is ours", () => {
    const { desired, seen } = fixtures();
    seen.set(provider, undefined);
    const oauth2 = { name: "NetBird", meta_model_name: "authentik_providers_oauth2.oauth2provider" };
    seen.set(application, { ...seen.get(application)!, provider: 99, provider_obj: oauth2 });
    expect(stepOf(plan(desired, seen), application)).toMatchObject({ action: "update", changes: [{ field: "provider", to: "NetBird" }] });
    // A provider of another type with that name is not ours.
    seen.set(application, { ...seen.get(application)!, provider_obj: { ...oauth2, meta_model_name: "authentik_providers_saml.samlprovider" } });
    expect(() => plan(desired, seen)).toThrow(ConflictError);
  });

  it("an application without a provider is bound to ours", () => {
    const { desired, seen } = fixtures();
    seen.set(application, { ...seen.get(application)!, provider: null });
    expect(stepOf(plan(desired, seen), application)).toMatchObject({ action: "update", changes: [{ field: "provider", to: "NetBird" }] });
  });

  it("a device flow the brand already has is kept with a note, unless replacing is asked for", () => {
    const { desired, seen } = fixtures();
    seen.set(brand, { brand: defaultBrand("someone-elses"), ambiguous: [] });
    const kept = plan(desired, seen);
    expect(stepOf(kept, brand)!.action).toBe("noop");
    expect(stepOf(kept, deviceFlow)!.note).toContain("DEVICE_FLOW_REPLACE");
    expect(stepOf(plan({ ...desired, replaceDeviceFlow: true }, seen), brand)!.action).toBe("update");
  });

  it("a device flow with drifted settings is updated; the brand is left alone", () => {
    const { desired, seen } = fixtures();
    seen.set(deviceFlow, { ...seen.get(deviceFlow)!, designation: "authentication" });
    const p = plan(desired, seen);
    expect(stepOf(p, deviceFlow)).toMatchObject({ action: "update", changes: [{ field: "designation", to: "stage_configuration" }] });
    expect(stepOf(p, brand)!.action).toBe("noop");
  });

  it("an account without its app password → the app password is created; ROTATE → update naming the key", () => {
    const { desired, seen } = fixtures();
    const without = seen.copy();
    without.set(appPassword, undefined);
    expect(stepOf(plan(desired, without), appPassword)!.action).toBe("create");
    const rotate = stepOf(plan({ ...desired, rotate: { ...desired.rotate, appPassword: true } }, seen), appPassword);
    expect(rotate).toMatchObject({ action: "update", changes: [{ field: "key" }, { field: "attributes.goauthentik.io/user/token-maximum-lifetime" }] });
  });

  it("membership: a member is left alone; a non-member is added to the group", () => {
    const { desired, seen } = fixtures();
    expect(stepOf(plan(desired, seen), membership)!.action).toBe("noop");
    seen.set(membership, { member: false });
    expect(stepOf(plan(desired, seen), membership)).toMatchObject({ action: "update", changes: [{ field: "groups", from: "(not a member)", to: "+ authentik Admins" }] });
  });

  it("retired app passwords past their grace are deleted", () => {
    const { desired, seen } = fixtures();
    const retired = {
      pk: "r",
      identifier: "service-account-netbird-password-retired-20260101000000",
      intent: "app_password",
      user: 7,
      expiring: true,
      expires: "2026-01-01T00:00:00Z",
    };
    seen.set(retiredTokens, [retired]);
    expect(stepOf(plan(desired, seen), retiredTokens)).toMatchObject({ action: "update", changes: [{ field: retired.identifier, to: "(deleted)" }] });
  });

  it("consumers without a service account or device login have no such steps", () => {
    const { desired, seen } = fixtures();
    const { serviceAccount: _s, adminGroup: _g, deviceFlow: _d, ...rest } = desired;
    expect(actions(rest, seen)).toEqual(["OAuth2 provider:noop", "application:noop"]);
  });
});

describe("render", () => {
  it("prints one line per object and changed field, and the counts", () => {
    const { desired, seen } = fixtures();
    seen.set(provider, { ...seen.get(provider)!, sub_mode: "hashed_user_id" });
    const steps = stepsOf(plan(desired, seen));
    const text = renderPlan(steps, [{ path: "/out/setup.env", action: "update", keys: ["NETBIRD_AUTH_CLIENT_ID"] }]);
    expect(text.split("\n")).toEqual(
      expect.arrayContaining([
        "~ OAuth2 provider 'NetBird': update",
        "      sub_mode: hashed_user_id → user_id",
        "~ file '/out/setup.env': update",
        "      keys: NETBIRD_AUTH_CLIENT_ID",
      ]),
    );
    expect(text.split("\n").at(-1)).toBe("Plan: 0 to create, 1 to update, 7 unchanged; 1 file(s) to write.");
    expect(summarise(steps).updated).toEqual(["OAuth2 provider 'NetBird'"]);
  });
});

describe("plan: least-privilege access (role and group)", () => {
  const access = { name: "NetBird IdP manager", permissions: ["authentik_core.view_user", "authentik_core.delete_user"] };
  const roleObject = { pk: "r", name: "NetBird IdP manager" };

  function withAccess() {
    const { desired, seen } = fixtures();
    // Role access: the superuser group is known by name only (the account's groups name it).
    const { adminGroup: _admins, ...rest } = desired;
    const d: DesiredState = { ...rest, access, leaveAdminGroup: false, adminGroupName: "authentik Admins" };
    seen.set(role, { role: roleObject, permissions: [...access.permissions] });
    seen.set(accessGroup, { pk: "lp", name: "NetBird IdP manager", is_superuser: false, roles: ["r"], roles_obj: [roleObject] });
    seen.set(membership, { member: true });
    seen.set(adminMembership, { member: false });
    return { d, seen };
  }

  it("converged: role, group and membership unchanged", () => {
    const { d, seen } = withAccess();
    expect(hasChanges(plan(d, seen))).toBe(false);
  });

  it("nothing yet: the role and its group are created, the account added; the group waits for the account, the membership for the group", () => {
    const { d } = withAccess();
    const p = plan(d, nothingFound());
    const chainOf = (a: AnyAdapter) => p.chains.findIndex((c) => c.some((o) => o.adapter === a));
    const inOrder = (a: AnyAdapter) => p.chains[chainOf(a)]!.map((o) => o.adapter);
    expect(actions(d, nothingFound()).slice(2, 9)).toEqual([
      "role:create",
      "group:create",
      "service account:create",
      "app password:create",
      "group membership:update",
      "superuser group membership:noop",
      "retired app passwords:noop",
    ]);
    expect(inOrder(role)).toEqual([role, accessGroup]);
    expect(inOrder(serviceAccount).slice(0, 4)).toEqual([serviceAccount, appPassword, membership, adminMembership]);
    expect(WAITS.get(accessGroup)).toEqual([serviceAccount]);
    expect(WAITS.get(membership)).toEqual([accessGroup]);
  });

  it("a drifted role: missing permissions assigned, others taken away", () => {
    const { d, seen } = withAccess();
    seen.set(role, { role: roleObject, permissions: ["authentik_core.view_user", "authentik_core.change_user"] });
    const p = plan(d, seen)
      .chains.flat()
      .find((o) => o.adapter === role)!;
    expect(p.diff).toMatchObject({ action: "update", patch: { assign: ["authentik_core.delete_user"], unassign: ["authentik_core.change_user"] } });
  });

  it("a group without the role, or made a superuser group, is repaired", () => {
    const { d, seen } = withAccess();
    seen.set(accessGroup, { pk: "lp", name: "NetBird IdP manager", is_superuser: true, roles: [], roles_obj: [] });
    const step = stepOf(plan(d, seen), accessGroup)!;
    expect(step.action).toBe("update");
    expect(step.changes.map((c) => c.field)).toEqual(["roles", "is_superuser"]);
  });

  it("an account still in the superuser group: a warning, no change — unless LEAVE_ADMIN_GROUP", () => {
    const { d, seen } = withAccess();
    seen.set(adminMembership, { member: true });
    const kept = stepOf(plan(d, seen), adminMembership)!;
    expect(kept).toMatchObject({ action: "noop", warn: true });
    expect(kept.note).toContain("LEAVE_ADMIN_GROUP=true");
    expect(summarise(stepsOf(plan(d, seen))).warnings).toHaveLength(1);
    expect(stepOf(plan({ ...d, leaveAdminGroup: true }, seen), adminMembership)).toMatchObject({ action: "update", changes: [{ to: "- authentik Admins" }] });
  });
});
