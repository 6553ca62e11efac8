/**
 * What changes between authentik releases, as data. Everything version-dependent in the tool asks this
 * module, never compares version strings itself. Each fact names the authentik source it was read in.
 */

/** How `get_brand_for_request` (brands/utils.py) picks the brand for a request's Host. */
export type BrandRule =
  /** ≤2025.10.1: any brand whose domain is a plain suffix of the host, non-default first (ties: database order). */
  | "any-suffix"
  /** 2025.10.2–2025.12.x: the longest plain suffix. */
  | "longest-suffix"
  /** 2026.2.0+: exact match or a "." + domain suffix, longest first. */
  | "longest-dot-suffix";

export interface Features {
  readonly version: string;
  /** ≤2024.10.2 (except 2024.8.5+): `redirect_uris` is one newline-separated string of regexes. */
  readonly redirectUrisAsString: boolean;
  /** 2026.5+: each redirect URI has `redirect_uri_type` (authorization or logout). Schema 2026.5.6. */
  readonly redirectUriTypes: boolean;
  /** 2024.10+: providers need `invalidation_flow`. */
  readonly invalidationFlow: boolean;
  /** <2024.8: scope mappings live under /propertymappings/scope/. */
  readonly legacyScopeMappingPath: boolean;
  /** 2024.6+: the `goauthentik.io/api` scope mapping exists. */
  readonly apiScopeMapping: boolean;
  /**
   * 2026.5+: providers have `grant_types`. Not verified in source (no 2026.5 source was available; only its
   * schema): whether authentik enforces them at the token and device endpoints is a guess.
   */
  readonly grantTypes: boolean;
  /** The brand authentik picks for a Host. */
  readonly brandRule: BrandRule;
  /** 2024.4+: an app password's `expires` may not exceed the maximum token lifetime (tokens.py). */
  readonly tokenMaximumLifetime: boolean;
  /**
   * 2024.6+: the API refuses a second group of the same name (`UniqueValidator` on `GroupSerializer.name`,
   * core/api/groups.py @2024.6.0, absent @2024.4.4; `unique=True` on the model from 2025.12.0, core/models.py).
   * Groups made before 2024.6 may still share a name.
   */
  readonly uniqueGroupNames: boolean;
  /** Newer than the newest version this tool was tested with. */
  readonly unknownNewer: boolean;
}

const NEWEST_KNOWN = "2026.8";

type Triple = [number, number, number];

function parseVersion(text: string): Triple | undefined {
  const m = /^(\d{4})\.(\d{1,2})(?:\.(\d+))?/.exec(text.trim());
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

function atLeast(v: Triple, major: number, minor: number, patch = 0): boolean {
  if (v[0] !== major) return v[0] > major;
  if (v[1] !== minor) return v[1] > minor;
  return v[2] >= patch;
}

/** Whether a version string is `major.minor` or later (an unparseable one counts as the newest known). */
export function versionAtLeast(versionText: string, major: number, minor: number): boolean {
  return atLeast(parseVersion(versionText) ?? [2026, 8, 0], major, minor);
}

export function featuresOf(versionText: string): Features {
  const parsed = parseVersion(versionText);
  // An unparseable version (a development build) is treated as the newest known one.
  const v: Triple = parsed ?? [2026, 8, 0];
  const newest = parseVersion(NEWEST_KNOWN) as Triple;
  const listRedirects = atLeast(v, 2024, 12) || (v[0] === 2024 && v[1] === 10 && v[2] >= 3) || (v[0] === 2024 && v[1] === 8 && v[2] >= 5);
  return {
    version: versionText,
    redirectUrisAsString: !listRedirects,
    redirectUriTypes: atLeast(v, 2026, 5),
    invalidationFlow: atLeast(v, 2024, 10),
    legacyScopeMappingPath: !atLeast(v, 2024, 8),
    apiScopeMapping: atLeast(v, 2024, 6),
    grantTypes: atLeast(v, 2026, 5),
    brandRule: atLeast(v, 2026, 2) ? "longest-dot-suffix" : atLeast(v, 2025, 10, 2) ? "longest-suffix" : "any-suffix",
    tokenMaximumLifetime: atLeast(v, 2024, 4),
    uniqueGroupNames: atLeast(v, 2024, 6),
    unknownNewer: parsed !== undefined && !atLeast(newest, v[0], v[1]),
  };
}
