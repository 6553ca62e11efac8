/**
 * A consumer (NetBird, openZro, Firezone …) as data: its default names, what it needs in authentik, and the
 * file it reads. Adding a consumer: a module implementing `Consumer`, its id in `src/consumer-ids.ts` and its line in
 * `index.ts` (the compiler holds the two together); settings of its own go into config.ts's SPECS and
 * `toConfig` (the README's variable table follows: `npm run docs`).
 */
import type { Config } from "../config.ts";
import type { Features } from "../authentik/version.ts";
import type { Defaults } from "../authentik/wait.ts";
import type { Logger } from "../log.ts";
import type { FileFormat } from "../output/env-file.ts";
import type { ConfigureKeys } from "../netbird/configure.ts";
import type { DesiredProvider, DesiredState, Provisioned } from "../reconcile/desired.ts";
import type { Step } from "../reconcile/types.ts";

export interface Names {
  app: string;
  slug: string;
  provider: string;
  serviceAccount: string;
  adminGroup: string;
  /** The role NetBird's service account gets, and the group that carries it. */
  accessRole: string;
  authorizationFlow: string;
  invalidationFlow: string;
  signingKey: string;
  deviceFlow: string;
  outputFile: string;
}

export interface ConsumerContext {
  config: Config;
  names: Names;
  /** The consumer's own settings this tool reads (never writes) from the existing output file (`reads`). */
  file: Readonly<Record<string, string>>;
  /** What `prepare` learned from the consumer before authentik is changed (e.g. NetBird's callback, a kept PAT). */
  prepared: Readonly<Record<string, string>>;
  /** Requests to the consumer's own API, counted into the summary. */
  stats: { requests: number; writes: number };
}

/** What `prepare` may use: whether to change anything, a deadline for waiting, and a way to keep values at once. */
export interface PrepareIO {
  dryRun: boolean;
  /** Epoch ms until which a consumer that is still starting is waited for. */
  deadline: number;
  logger: Logger;
  /** Merge these entries into the output file now (a value that must survive whatever fails later). */
  persist(entries: readonly (readonly [string, string])[]): Promise<void>;
}

export interface Prepared {
  prepared: Record<string, string>;
  /** What preparing did or (dry run) would do, for the plan and the summary. */
  steps?: Step[];
  credentials?: { credential: string; expires: string }[];
}

/** What the consumer must do to pick up a change (restart a service), for the log, the summary and the plan. */
export interface RestartNotice {
  services: string[];
  command: string;
  directory: string;
  reason: string;
  /** When the previous credential stops working (the restart must happen before). */
  before?: string;
}

export interface Consumer {
  readonly id: string;
  readonly title: string;
  /** Names used unless the user sets APP_NAME, APP_SLUG, … (only allowed with a single consumer). */
  readonly defaults: Pick<Names, "app" | "slug" | "provider" | "serviceAccount" | "authorizationFlow" | "outputFile">;
  readonly uses: { serviceAccount: boolean; deviceFlow: boolean };
  /** Problems with the configuration for this consumer (e.g. its domain missing), reported before anything is touched. */
  checkConfig(ctx: ConsumerContext): string[];
  /** Settings of the consumer's own that are read from its existing output file (e.g. PKCE redirect ports). */
  readonly reads?: readonly string[];
  /** Talk to the consumer before authentik is changed (learn its callback, make sure of a token). */
  prepare?(ctx: ConsumerContext, io: PrepareIO): Promise<Prepared>;
  /** Managed ids of the scope mappings the provider gets. */
  scopeMappings(features: Features): string[];
  desired(ctx: ConsumerContext, defaults: Defaults): DesiredState;
  /** The entries of the output file, in order. */
  outputs(ctx: ConsumerContext, values: Provisioned): [string, string][];
  /** Verify mode: the file's variables that hold the values the consumer uses … */
  readonly fileVars: readonly string[];
  /** … and how to read them back. */
  fromFile(vars: Readonly<Record<string, string>>): Provisioned;
  /** How the output file is written and read: bash (`rawJson`: values later pasted raw into JSON by envsubst), or a docker/compose env file. */
  readonly format: FileFormat;
  readonly publish?: Publisher;
  /** Consumers whose setup.env is read by NetBird's (or openZro's) configure.sh. */
  readonly configure?: ConfigureKeys;
  /**
   * Written only into a Kubernetes Secret (KUBERNETES_SECRET), beside the file's entries: the keys the consumer's
   * Helm chart reads, and keys generated once (32 random bytes, base64) and never changed afterwards.
   */
  readonly kubernetes?: { entries(ctx: ConsumerContext, values: Provisioned): [string, string][]; generated?: readonly string[] };
}

/** A step outside authentik: handing the values to the consumer's own API (NetBird's connector). */
export interface Publisher {
  /** Read-only: what publishing would do. */
  plan(ctx: ConsumerContext, values: Provisioned | undefined): Promise<Step>;
  apply(
    ctx: ConsumerContext,
    values: Provisioned,
    opts: { secretRotated: boolean; logger: Logger; print: (text: string) => void },
  ): Promise<{ step: Step; restart?: RestartNotice }>;
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
export function simpleDesired(ctx: ConsumerContext, defaults: Defaults, spec: ProviderSpec): DesiredState {
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

export function desiredProvider({ names }: ConsumerContext, defaults: Defaults, spec: ProviderSpec): DesiredProvider {
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
