/**
 * OAuth2 provider adapter: find by name (unique across all provider types), compare owned fields, create,
 * patch only what differs. Set-valued fields (redirect URIs, scope mappings, grant types) must contain what
 * we need; entries an admin added are kept.
 */
import { randomBytes } from "node:crypto";
import type { OAuth2ProviderRequest, PatchedOAuth2ProviderRequest } from "@goauthentik/api";
import type { AuthentikClient } from "../../authentik/client.ts";
import { escapeRegex, PAGE_SIZE } from "../../authentik/client.ts";
import type { RedirectUri, WireOAuth2Provider, WireProvider } from "../../authentik/wire.ts";
import { ConflictError } from "../../errors.ts";
import { registerSecret } from "../../secrets.ts";
import type { Adapter, Diff, FindOptions } from "../adapter.ts";
import type { DesiredProvider } from "../desired.ts";
import { show, type FieldChange } from "../types.ts";

export const OAUTH2_MODEL = "authentik_providers_oauth2.oauth2provider";

/** Read either wire form of `redirect_uris` into the list form (2026.5+ entries keep their type). */
export function normaliseRedirectUris(value: WireOAuth2Provider["redirect_uris"]): RedirectUri[] {
  if (Array.isArray(value)) return value.map((r) => ({ matching_mode: r.matching_mode, url: r.url, ...(r.redirect_uri_type ? { redirect_uri_type: r.redirect_uri_type } : {}) }));
  if (typeof value !== "string") return [];
  return value
    .split(/\s+/)
    .filter(Boolean)
    .map((entry) => {
      const literal = entry.replace(/\\(.)/g, "$1");
      // An entry that is an escaped literal (or has no regex syntax beyond dots) is a strict URL.
      return entry === escapeRegex(literal) ? { matching_mode: "strict" as const, url: literal } : { matching_mode: "regex" as const, url: entry };
    });
}

const typeOf = (r: RedirectUri) => r.redirect_uri_type ?? "authorization";

function sameRedirect(a: RedirectUri, b: RedirectUri): boolean {
  return a.matching_mode === b.matching_mode && a.url === b.url && typeOf(a) === typeOf(b);
}

/**
 * An entry this tool wrote on a string-form server (≤2024.10.2) as it looks after authentik's upgrade migration
 * (providers/oauth2/migrations/0024, in 2024.8.5, 2024.10.3 and 2024.12.0): every old line became `strict`, so
 * our escaped strict URL (`https://netbird\.example\.com`) and our regex (`https://netbird\.example\.com/.*`)
 * are now literal URLs that never match. Recognised only in exactly those two forms.
 */
function isMigratedLeftover(entry: RedirectUri, desired: RedirectUri): boolean {
  if (entry.matching_mode !== "strict" || typeOf(entry) !== typeOf(desired)) return false;
  return desired.matching_mode === "strict" ? entry.url !== desired.url && entry.url === escapeRegex(desired.url) : entry.url === desired.url;
}

function missingFrom<T>(have: readonly T[], want: readonly T[], eq: (a: T, b: T) => boolean = (a, b) => a === b): T[] {
  return want.filter((w) => !have.some((h) => eq(h, w)));
}

const showRedirects = (list: RedirectUri[]) => list.map((r) => `${r.matching_mode}:${r.url}${r.redirect_uri_type === "logout" ? " (logout)" : ""}`);

const toRequest = (r: RedirectUri) => ({ matchingMode: r.matching_mode, url: r.url, ...(r.redirect_uri_type ? { redirectUriType: r.redirect_uri_type } : {}) });

/** Pure: the owned fields of `observed` that differ from `desired`, with what they would become. */
export function diffProvider(desired: DesiredProvider, observed: WireOAuth2Provider): { changes: FieldChange[]; patch: PatchedOAuth2ProviderRequest } {
  const changes: FieldChange[] = [];
  const patch: PatchedOAuth2ProviderRequest = {};
  const scalar = <K extends keyof PatchedOAuth2ProviderRequest>(field: string, key: K, have: unknown, want: PatchedOAuth2ProviderRequest[K]) => {
    if ((have ?? null) !== (want ?? null)) {
      changes.push({ field, from: show(have), to: show(want) });
      patch[key] = want;
    }
  };
  scalar("client_type", "clientType", observed.client_type, desired.clientType);
  scalar("signing_key", "signingKey", observed.signing_key, desired.signingKey);
  scalar("access_code_validity", "accessCodeValidity", observed.access_code_validity, desired.accessCodeValidity);
  scalar("sub_mode", "subMode", observed.sub_mode, desired.subMode);
  scalar("issuer_mode", "issuerMode", observed.issuer_mode, desired.issuerMode);

  // Entries an admin added (logout URIs with their type included) are kept as they are; our own entries that
  // an upgrade turned into dead literals are replaced.
  const redirects = normaliseRedirectUris(observed.redirect_uris);
  const kept = redirects.filter((r) => !desired.redirectUris.some((d) => isMigratedLeftover(r, d)));
  const missingRedirects = missingFrom(kept, desired.redirectUris, sameRedirect);
  if (missingRedirects.length || kept.length !== redirects.length) {
    const next = [...kept, ...missingRedirects];
    changes.push({ field: "redirect_uris", from: show(showRedirects(redirects)), to: show(showRedirects(next)) });
    patch.redirectUris = next.map(toRequest);
  }
  const mappings = observed.property_mappings ?? [];
  const missingMappings = missingFrom(mappings, desired.propertyMappings);
  if (missingMappings.length) {
    changes.push({ field: "property_mappings", from: `${mappings.length} mapping(s)`, to: `${mappings.length + missingMappings.length} mapping(s) (+${missingMappings.length})` });
    patch.propertyMappings = [...mappings, ...missingMappings];
  }
  if (desired.grantTypes) {
    const grants = observed.grant_types ?? [];
    const missingGrants = missingFrom(grants, desired.grantTypes);
    if (missingGrants.length) {
      const next = [...grants, ...missingGrants];
      changes.push({ field: "grant_types", from: show(grants), to: show(next) });
      patch.grantTypes = next as PatchedOAuth2ProviderRequest["grantTypes"];
    }
  }
  return { changes, patch };
}

export function createBody(desired: DesiredProvider): OAuth2ProviderRequest {
  return {
    name: desired.name,
    authorizationFlow: desired.authorizationFlow,
    invalidationFlow: desired.invalidationFlow as string,
    clientType: desired.clientType,
    redirectUris: desired.redirectUris.map(toRequest),
    signingKey: desired.signingKey,
    accessCodeValidity: desired.accessCodeValidity,
    subMode: desired.subMode,
    issuerMode: desired.issuerMode,
    propertyMappings: desired.propertyMappings,
    ...(desired.grantTypes ? { grantTypes: desired.grantTypes as OAuth2ProviderRequest["grantTypes"] } : {}),
  };
}

/** Creation fields shown in plan mode. */
function describeCreate(desired: DesiredProvider): FieldChange[] {
  return [
    { field: "client_type", from: "(none)", to: desired.clientType },
    { field: "redirect_uris", from: "(none)", to: show(showRedirects(desired.redirectUris)) },
    { field: "sub_mode", from: "(none)", to: desired.subMode },
    { field: "access_code_validity", from: "(none)", to: desired.accessCodeValidity },
    { field: "property_mappings", from: "(none)", to: `${desired.propertyMappings.length} mapping(s)` },
  ];
}

/** Providers of every type whose name contains `name`: read once per observe pass. */
function providersSearched(client: AuthentikClient, name: string, opts: FindOptions): Promise<WireProvider[]> {
  const read = () => client.searchProviders(name);
  return opts.once ? opts.once(`providers ${name}`, read) : read();
}

/**
 * The OAuth2 provider with this name: read once per observe pass (the application's adapter asks too). On a
 * first run (`fresh`) providers of every type are searched first, and the OAuth2 provider is read only when one
 * has the name: the search that a missing provider needs anyway then answers alone.
 */
export function oauth2ProviderNamed(client: AuthentikClient, name: string, opts: FindOptions): Promise<WireOAuth2Provider | undefined> {
  const read = async () => {
    if (opts.fresh) {
      const found = await providersSearched(client, name, opts);
      const named = found.find((p) => p.name === name);
      // More than one page of matches: pages of an unordered list may shift between reads, so it is read by name.
      const whole = found.length <= PAGE_SIZE;
      if (whole && (!named || (named.meta_model_name !== undefined && named.meta_model_name !== OAUTH2_MODEL))) return undefined;
    }
    return client.findOAuth2Provider(name);
  };
  return opts.once ? opts.once(`OAuth2 provider ${name}`, read) : read();
}

/**
 * Find our provider by exact name. A provider of another type with the same name, or our provider bound to
 * another application, is a conflict the user must resolve: stop before any write. Providers of every type are
 * searched only when no OAuth2 provider has the name (names are unique across types, so one that has it rules
 * any other out), or first on a first run.
 */
async function observeProvider(client: AuthentikClient, name: string, appSlug: string, opts: FindOptions): Promise<WireOAuth2Provider | undefined> {
  const oauth = await oauth2ProviderNamed(client, name, opts);
  const any = oauth ? [] : await providersSearched(client, name, opts);
  const other = any.find((p) => p.name === name && p.meta_model_name !== undefined && p.meta_model_name !== OAUTH2_MODEL);
  if (!oauth && other) {
    throw new ConflictError(
      `Cannot use provider name '${name}': a ${other.verbose_name ?? other.meta_model_name} with that name already exists (provider names are unique across all types). Rename or delete that provider in authentik, or set PROVIDER_NAME to another name.`,
    );
  }
  if (oauth?.assigned_application_slug && oauth.assigned_application_slug !== appSlug) {
    throw new ConflictError(
      `Cannot use OAuth2 provider '${name}': it already backs application '${oauth.assigned_application_slug}' (a provider serves one application). Set PROVIDER_NAME to another name, or set APP_SLUG=${oauth.assigned_application_slug}.`,
    );
  }
  return oauth;
}

/** authentik-style secret: 128 characters from [A-Za-z0-9]. */
function newSecret(length = 128): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248) out += alphabet[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** The placeholder the plan carries for a client secret generated only when applying (never shown). */
const GENERATED = "(generated at apply)";

export const provider: Adapter<WireOAuth2Provider, PatchedOAuth2ProviderRequest> = {
  kind: "OAuth2 provider",
  needs: [],
  applies: () => true,
  key: (d) => d.provider.name,
  find: (client, d, _seen, opts) => observeProvider(client, d.provider.name, d.application.slug, opts),
  diff(d, observed): Diff<PatchedOAuth2ProviderRequest> {
    if (!observed) return { action: "create", changes: describeCreate(d.provider) };
    const { changes, patch } = diffProvider(d.provider, observed);
    // ROTATE=client-secret: a new secret, generated at apply time.
    if (d.rotate.clientSecret && d.provider.clientType === "confidential") {
      return {
        action: "update",
        changes: [...changes, { field: "client_secret", from: "(current)", to: "(new)" }],
        patch: { ...patch, clientSecret: GENERATED },
        note: "ROTATE=client-secret",
      };
    }
    return changes.length ? { action: "update", changes, patch } : { action: "noop", changes };
  },
  create: (d, _done, { client }) => client.createOAuth2Provider(createBody(d.provider)),
  async update(d, current, patch, _done, { client, rotated }) {
    const body = { ...patch };
    if (body.clientSecret === GENERATED) {
      body.clientSecret = newSecret();
      registerSecret(body.clientSecret);
      rotated.push({ kind: "client-secret", credential: `client secret of '${d.provider.name}'`, previousValidUntil: null });
    }
    return client.patchOAuth2Provider(current, body);
  },
};
