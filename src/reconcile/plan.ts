/**
 * Pure: desired + observed → one operation per object, with the owned fields that differ. Conflicts are
 * raised here, so a run that cannot finish stops before its first write.
 */
import type { PatchedApplicationRequest, PatchedFlowRequest, PatchedOAuth2ProviderRequest, PatchedTokenRequest } from "@goauthentik/api";
import { diffApplication } from "../authentik/resources/application.ts";
import { diffFlow } from "../authentik/resources/device-flow.ts";
import { diffMembership } from "../authentik/resources/group-membership.ts";
import { describeCreate, diffProvider } from "../authentik/resources/provider.ts";
import { diffAppPassword, lifetimeForGrace } from "../authentik/resources/service-account.ts";
import { ConflictError } from "../errors.ts";
import type { DesiredState } from "./desired.ts";
import type { Observed } from "./observe.ts";
import type { Action, FieldChange, Step } from "./types.ts";

export interface Op<P = undefined> {
  step: Step;
  patch?: P;
}

export interface Plan {
  provider: Op<PatchedOAuth2ProviderRequest>;
  application: Op<PatchedApplicationRequest>;
  /** The service-account part: absent when the consumer needs no service account. */
  account?: {
    serviceAccount: Op;
    appPassword: Op<PatchedTokenRequest>;
    membership: Op;
    /** Delete app passwords this tool retired whose grace period is over. */
    cleanup: Op;
  };
  /** The device-login part: absent when the consumer has no device login. */
  device?: { deviceFlow: Op<PatchedFlowRequest>; brand: Op };
}

function op<P>(kind: string, name: string, action: Action, changes: FieldChange[] = [], patch?: P, note?: string): Op<P> {
  return { step: { kind, name, action, changes, ...(note ? { note } : {}) }, ...(patch ? { patch } : {}) };
}

function fromDiff<P>(kind: string, name: string, diff: { changes: FieldChange[]; patch: P }): Op<P> {
  return diff.changes.length ? op(kind, name, "update", diff.changes, diff.patch) : op<P>(kind, name, "noop");
}

export function plan(desired: DesiredState, observed: Observed): Plan {
  const d = desired;
  const o = observed;

  const provider = o.provider
    ? withSecretRotation(fromDiff("OAuth2 provider", d.provider.name, diffProvider(d.provider, o.provider)), d.rotate.clientSecret && d.provider.clientType === "confidential")
    : op<PatchedOAuth2ProviderRequest>("OAuth2 provider", d.provider.name, "create", describeCreate(d.provider));

  const application = o.application
    ? fromDiff("application", d.application.slug, diffApplication(o.application, o.provider?.pk, d.provider.name))
    : op<PatchedApplicationRequest>("application", d.application.slug, "create", [{ field: "provider", from: "(none)", to: d.provider.name }]);

  return { provider, application, account: planAccount(d, o), device: planDevice(d, o) };
}

function planAccount(d: DesiredState, o: Observed): Plan["account"] {
  if (!d.serviceAccount || !d.adminGroup) return undefined;
  const username = d.serviceAccount.username;
  const serviceAccount = op<undefined>("service account", username, o.user ? "noop" : "create");
  const graceS = Math.round(d.rotate.graceMs / 1000);
  const lifetime = o.user && d.rotate.appPassword ? lifetimeForGrace(o.user, d.rotate.graceMs, d.features) : undefined;
  const appPassword = o.user
    ? o.token
      ? d.rotate.appPassword
        ? op<PatchedTokenRequest>(
            "app password",
            o.tokenIdentifier,
            "update",
            [{ field: "key", from: "(current)", to: `(new; the current one stays valid for ${graceS} s)` }, ...(lifetime ? [lifetime.change] : [])],
            undefined,
            "ROTATE=app-password",
          )
        : fromDiff("app password", o.tokenIdentifier, diffAppPassword(o.token, o.user))
      : op<PatchedTokenRequest>("app password", o.tokenIdentifier, "create", [], undefined, "the service account has no app password (expired or deleted)")
    : op<PatchedTokenRequest>("app password", o.tokenIdentifier, "create", [], undefined, "created with the service account, never expires");
  const membershipChanges = diffMembership(d.adminGroup, o.user, username);
  const membership = op<undefined>("group membership", `${username} in ${d.adminGroup.name}`, membershipChanges.length ? "update" : "noop", membershipChanges);
  const cleanup = o.expiredRetired.length
    ? op<undefined>(
        "retired app passwords",
        username,
        "update",
        o.expiredRetired.map((t) => ({ field: t.identifier, from: `expired ${t.expires ?? ""}`, to: "(deleted)" })),
      )
    : op<undefined>("retired app passwords", username, "noop");
  return { serviceAccount, appPassword, membership, cleanup };
}

/** Device flow: keep a flow the brand already has (not ours) unless asked to replace it. */
function planDevice(d: DesiredState, o: Observed): Plan["device"] {
  if (!d.deviceFlow) return undefined;
  if (!o.brand) {
    throw new ConflictError(
      `Cannot give the public host '${d.publicHost}' a device-code flow: no brand in authentik serves it and there is no default brand, so authentik uses a built-in fallback no setting can change. Create a brand for '${d.publicHost}' (System → Brands), or mark one as default.`,
    );
  }
  const brandName = o.brand.domain;
  const current = o.brand?.flow_device_code ?? null;
  const keepForeign = current !== null && current !== o.deviceFlow?.pk && !d.replaceDeviceFlow;
  if (keepForeign) {
    return {
      deviceFlow: op<PatchedFlowRequest>(
        "device-code flow",
        d.deviceFlow.slug,
        "noop",
        [],
        undefined,
        `not needed: brand '${brandName}' already has a device-code flow (kept; set DEVICE_FLOW_REPLACE=true to replace it)`,
      ),
      brand: op<undefined>("brand", brandName, "noop", [], undefined, ambiguity(o)),
    };
  }
  const deviceFlow = o.deviceFlow
    ? fromDiff("device-code flow", d.deviceFlow.slug, diffFlow(o.deviceFlow))
    : op<PatchedFlowRequest>("device-code flow", d.deviceFlow.slug, "create", [{ field: "designation", from: "(none)", to: "stage_configuration" }]);
  const ours = o.deviceFlow?.pk;
  const brand =
    ours !== undefined && current === ours
      ? op<undefined>("brand", brandName, "noop", [], undefined, ambiguity(o))
      : op<undefined>("brand", brandName, "update", [{ field: "flow_device_code", from: current ? "another flow" : "(none)", to: d.deviceFlow.slug }], undefined, ambiguity(o));
  return { deviceFlow, brand };
}

/** authentik ≤2025.10.1 picks any of several brands whose domain ends the host: say which, verification checks. */
function ambiguity(o: Observed): string | undefined {
  if (o.brandAmbiguous.length < 2) return undefined;
  return `authentik may serve the host with any of ${o.brandAmbiguous.map((b) => `'${b.domain}'`).join(", ")}; verification asks authentik which one it uses`;
}

/** ROTATE=client-secret: the provider gets a new secret (generated at apply time, never shown). */
function withSecretRotation(o: Op<PatchedOAuth2ProviderRequest>, rotate: boolean): Op<PatchedOAuth2ProviderRequest> {
  if (!rotate) return o;
  return {
    step: { ...o.step, action: "update", changes: [...o.step.changes, { field: "client_secret", from: "(current)", to: "(new)" }], note: "ROTATE=client-secret" },
    patch: { ...(o.patch ?? {}), clientSecret: "(generated at apply)" },
  };
}

/** The plan's steps in the order they are applied. */
export function stepsOf(p: Plan): Step[] {
  const a = p.account;
  const d = p.device;
  return [p.provider, p.application, ...(a ? [a.serviceAccount, a.appPassword, a.membership, a.cleanup] : []), ...(d ? [d.deviceFlow, d.brand] : [])].map((o) => o.step);
}

export function hasChanges(p: Plan): boolean {
  return stepsOf(p).some((s) => s.action !== "noop");
}
