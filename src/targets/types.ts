/**
 * A consumer (NetBird, openZro, Firezone …) as data: its default names, what it needs in authentik, and the
 * file it reads. Adding a consumer means one module implementing `Target` and one line in `index.ts`.
 */
import type { Config } from "../config.ts";
import type { Features } from "../authentik/version.ts";
import type { Defaults } from "../authentik/wait.ts";
import type { DesiredProvider } from "../authentik/resources/provider.ts";
import type { Logger } from "../log.ts";
import type { ConfigureKeys } from "../netbird/configure.ts";
import type { DesiredState, Provisioned } from "../reconcile/desired.ts";
import type { Step } from "../reconcile/types.ts";

export interface Names {
  app: string;
  slug: string;
  provider: string;
  serviceAccount: string;
  adminGroup: string;
  authorizationFlow: string;
  invalidationFlow: string;
  signingKey: string;
  deviceFlow: string;
  outputFile: string;
}

export interface TargetContext {
  config: Config;
  names: Names;
  /** The consumer's own settings this tool reads (never writes) from the existing output file (`reads`). */
  file: Readonly<Record<string, string>>;
}

export interface Target {
  readonly id: string;
  readonly title: string;
  /** Names used unless the user sets APP_NAME, APP_SLUG, … (only allowed with a single consumer). */
  readonly defaults: Pick<Names, "app" | "slug" | "provider" | "serviceAccount" | "authorizationFlow" | "outputFile">;
  readonly uses: { serviceAccount: boolean; deviceFlow: boolean };
  /** Problems with the configuration for this consumer (e.g. its domain missing), reported before anything is touched. */
  checkConfig(ctx: TargetContext): string[];
  /** Settings of the consumer's own that are read from its existing output file (e.g. PKCE redirect ports). */
  readonly reads?: readonly string[];
  /** Managed ids of the scope mappings the provider gets. */
  scopeMappings(features: Features): string[];
  desired(ctx: TargetContext, defaults: Defaults): DesiredState;
  /** The entries of the output file, in order. */
  outputs(ctx: TargetContext, values: Provisioned): [string, string][];
  /** Verify mode: the file's variables that hold the values the consumer uses … */
  readonly fileVars: readonly string[];
  /** … and how to read them back. */
  fromFile(vars: Readonly<Record<string, string>>): Provisioned;
  /** Values are later pasted raw into JSON (NetBird's envsubst): refuse `"` and `\` in them. */
  readonly rawJsonSubstitution: boolean;
  readonly publish?: Publisher;
  /** Consumers whose setup.env is read by NetBird's (or openZro's) configure.sh. */
  readonly configure?: ConfigureKeys;
}

/** A step outside authentik: handing the values to the consumer's own API (NetBird's connector). */
export interface Publisher {
  /** Read-only: what publishing would do. */
  plan(ctx: TargetContext, values: Provisioned | undefined, existingFile: Readonly<Record<string, string>>): Promise<Step>;
  /** Publish; may add values (`extra`) the output file keeps for later runs. */
  apply(
    ctx: TargetContext,
    values: Provisioned,
    opts: { secretRotated: boolean; existingFile: Readonly<Record<string, string>>; logger: Logger; print: (text: string) => void },
  ): Promise<Step>;
  /** Variables of the existing output file the publisher reads (e.g. a stored PAT). */
  readonly fileVars: readonly string[];
}

export const scopeId = (name: string) => `goauthentik.io/providers/oauth2/scope-${name}`;

/** What differs between consumers' providers; the rest (signing key, flows, mappings by id) is common. */
export interface ProviderSpec {
  clientType: "public" | "confidential";
  redirectUris: DesiredProvider["redirectUris"];
  scopes: readonly string[];
  subMode: DesiredProvider["subMode"];
  accessCodeValidity: string;
  /** Grant types for 2026.5+ (ignored before). */
  grantTypes: readonly string[];
}

/** The desired state of a consumer with a provider and an application only (no service account, no device login). */
export function simpleDesired(ctx: TargetContext, defaults: Defaults, spec: ProviderSpec): DesiredState {
  const { config, names } = ctx;
  return {
    provider: desiredProvider(ctx, defaults, spec),
    application: { name: names.app, slug: names.slug },
    replaceDeviceFlow: false,
    publicHost: new URL(config.publicUrl).host,
    brands: defaults.brands,
    features: defaults.features,
    rotate: { appPassword: false, clientSecret: spec.clientType === "confidential" && config.rotate.includes("client-secret"), graceMs: config.rotateGraceMs },
  };
}

export function desiredProvider({ names }: TargetContext, defaults: Defaults, spec: ProviderSpec): DesiredProvider {
  const f = defaults.features;
  return {
    name: names.provider,
    clientType: spec.clientType,
    // From 2026.5 every entry carries its type; before, the field does not exist (and logout entries are not sent).
    redirectUris: f.redirectUriTypes
      ? spec.redirectUris.map((r) => ({ ...r, redirect_uri_type: r.redirect_uri_type ?? "authorization" }))
      : spec.redirectUris.filter((r) => r.redirect_uri_type !== "logout"),
    signingKey: defaults.certificate.pk,
    accessCodeValidity: spec.accessCodeValidity,
    subMode: spec.subMode,
    issuerMode: "per_provider",
    propertyMappings: spec.scopes.map((id) => defaults.scopeMappings.get(id)!.pk),
    grantTypes: f.grantTypes ? [...spec.grantTypes] : undefined,
    authorizationFlow: defaults.flows.get(names.authorizationFlow)!.pk,
    invalidationFlow: f.invalidationFlow ? defaults.flows.get(names.invalidationFlow)?.pk : undefined,
  };
}
