import { describe, expect, it } from "vitest";
import type { DesiredState } from "../../../src/reconcile/desired.ts";
import type { Observed } from "../../../src/reconcile/observe.ts";
import { hasChanges, plan, stepsOf } from "../../../src/reconcile/plan.ts";
import { renderPlan, summarise } from "../../../src/reconcile/render.ts";
import { ConflictError } from "../../../src/errors.ts";
import { featuresOf } from "../../../src/authentik/version.ts";

/** A desired state and the observed state that matches it; tests change one thing at a time. */
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
    brands: [],
    features: featuresOf("2026.8.3"),
    rotate: { appPassword: false, clientSecret: false, graceMs: 3_600_000 },
  };
  const observed: Observed = {
    provider: {
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
    },
    application: { pk: "a", name: "NetBird", slug: "netbird", provider: 3 },
    user: { pk: 7, username: "NetBird", type: "service_account", groups: ["g"] },
    tokenIdentifier: "service-account-netbird-password",
    token: { pk: "t", identifier: "service-account-netbird-password", intent: "app_password", user: 7, expiring: false },
    key: "app-password-key",
    deviceFlow: { pk: "df", slug: "default-device-code-flow", name: "Device", designation: "stage_configuration", authentication: "require_authenticated" },
    brand: { brand_uuid: "b", domain: "authentik-default", default: true, flow_device_code: "df" },
    brandAmbiguous: [],
    expiredRetired: [],
  };
  return { desired, observed };
}

const actions = (d: DesiredState, o: Observed) => stepsOf(plan(d, o)).map((s) => `${s.kind}:${s.action}`);

describe("plan", () => {
  it("converged → every step noop", () => {
    const { desired, observed } = fixtures();
    expect(hasChanges(plan(desired, observed))).toBe(false);
  });

  it("empty authentik → creates, membership and brand updates", () => {
    const { desired } = fixtures();
    const empty: Observed = {
      provider: undefined,
      application: undefined,
      user: undefined,
      tokenIdentifier: "service-account-netbird-password",
      token: undefined,
      key: undefined,
      deviceFlow: undefined,
      brand: { brand_uuid: "b", domain: "authentik-default", default: true, flow_device_code: null },
      brandAmbiguous: [],
      expiredRetired: [],
    };
    expect(actions(desired, empty)).toEqual([
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
    const { desired, observed } = fixtures();
    observed.provider!.sub_mode = "hashed_user_id";
    expect(actions(desired, observed).filter((a) => !a.endsWith(":noop"))).toEqual(["OAuth2 provider:update"]);
  });

  it("an application bound to another provider is a conflict, raised before anything is applied", () => {
    const { desired, observed } = fixtures();
    observed.application!.provider = 99;
    expect(() => plan(desired, observed)).toThrow(ConflictError);
    expect(() => plan(desired, observed)).toThrow(/APP_SLUG/);
  });

  it("a device flow the brand already has is kept with a note, unless replacing is asked for", () => {
    const { desired, observed } = fixtures();
    observed.brand!.flow_device_code = "someone-elses";
    const kept = plan(desired, observed).device!;
    expect(kept.brand.step.action).toBe("noop");
    expect(kept.deviceFlow.step.note).toContain("DEVICE_FLOW_REPLACE");
    expect(plan({ ...desired, replaceDeviceFlow: true }, observed).device!.brand.step.action).toBe("update");
  });

  it("an account without its app password → the app password is created; ROTATE → update naming the key", () => {
    const { desired, observed } = fixtures();
    expect(plan(desired, { ...observed, token: undefined }).account!.appPassword.step.action).toBe("create");
    const rotate = plan({ ...desired, rotate: { ...desired.rotate, appPassword: true } }, observed).account!.appPassword.step;
    expect(rotate).toMatchObject({ action: "update", changes: [{ field: "key" }, { field: "attributes.goauthentik.io/user/token-maximum-lifetime" }] });
  });

  it("membership is read from the user's groups, so a group list without `users` changes nothing", () => {
    const { desired, observed } = fixtures();
    expect(plan({ ...desired, adminGroup: { pk: "g", name: "authentik Admins" } }, observed).account!.membership.step.action).toBe("noop");
    expect(plan(desired, { ...observed, user: { ...observed.user!, groups: [] } }).account!.membership.step.action).toBe("update");
  });

  it("no brand serves the public host and none is default: a conflict before anything is applied", () => {
    const { desired, observed } = fixtures();
    expect(() => plan(desired, { ...observed, brand: undefined })).toThrow(ConflictError);
    expect(() => plan(desired, { ...observed, brand: undefined })).toThrow(/auth\.example\.com/);
  });

  it("consumers without a service account or device login have no such steps", () => {
    const { desired, observed } = fixtures();
    const { serviceAccount: _s, adminGroup: _g, deviceFlow: _d, ...rest } = desired;
    expect(actions(rest, observed)).toEqual(["OAuth2 provider:noop", "application:noop"]);
  });
});

describe("render", () => {
  it("prints one line per object and changed field, and the counts", () => {
    const { desired, observed } = fixtures();
    observed.provider!.sub_mode = "hashed_user_id";
    const steps = stepsOf(plan(desired, observed));
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
