/**
 * Removes what a run created, through the API, whatever state the scenarios left: the brands' device-code
 * flows restored to what they were before, then per consumer the application, the provider, the service
 * account's tokens (retired ones included) and the account, the user authentik makes for a client_credentials
 * grant with a client secret, and the device-code flow. Every step is tried; failures are collected.
 */
import { ApiError, type Api } from "./api.ts";
import type { RunNames } from "./target.ts";

export interface CleanupReport {
  removed: string[];
  failed: string[];
}

export class Cleanup {
  readonly #api: Api;
  readonly #tracked: RunNames[] = [];
  #brands: Map<string, string | null> | undefined;

  constructor(api: Api) {
    this.#api = api;
  }

  /** Remember every brand's device-code flow (before the first run). */
  async snapshotBrands(): Promise<void> {
    this.#brands = new Map((await this.#api.list("/core/brands/")).map((b) => [b.brand_uuid as string, (b.flow_device_code ?? null) as string | null]));
  }

  /** Register names before the run that may create them. */
  track(names: RunNames): RunNames {
    this.#tracked.push(names);
    return names;
  }

  async run(): Promise<CleanupReport> {
    const report: CleanupReport = { removed: [], failed: [] };
    const attempt = async (what: string, action: () => Promise<unknown>) => {
      try {
        await action();
        report.removed.push(what);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return;
        report.failed.push(`${what}: ${(error as Error).message}`);
      }
    };
    const api = this.#api;

    // 1. Brands first: a brand must not be left pointing at a flow this run is about to delete.
    if (this.#brands) {
      try {
        for (const brand of await api.list("/core/brands/")) {
          const before = this.#brands.get(brand.brand_uuid);
          if (before === undefined || (brand.flow_device_code ?? null) === before) continue;
          await attempt(`brand '${brand.domain}': flow_device_code back to ${before ?? "null"}`, () =>
            api.patch(`/core/brands/${brand.brand_uuid}/`, { flow_device_code: before }),
          );
        }
      } catch (error) {
        report.failed.push(`list brands: ${(error as Error).message}`);
      }
    }

    for (const n of this.#tracked) {
      await attempt(`application '${n.slug}'`, () => api.del(`/core/applications/${n.slug}/`));
      await attempt(`OAuth2 provider '${n.provider}'`, async () => {
        const [provider] = await api.named("/providers/oauth2/", "name", n.provider);
        if (!provider) throw new ApiError("GET", "/providers/oauth2/", 404, "");
        await api.del(`/providers/oauth2/${provider.pk}/`);
      });
      for (const username of [n.serviceAccount, `ak-${n.provider}-client_credentials`]) {
        const [user] = await api.named("/core/users/", "username", username).catch((error: Error) => {
          report.failed.push(`look up user '${username}': ${error.message}`);
          return [];
        });
        if (!user) continue;
        // Only tokens that really are this user's: an ignored filter must never reach anyone else's token.
        await attempt(`tokens of '${username}'`, async () => {
          const tokens = await api.list(`/core/tokens/?user__username=${encodeURIComponent(username)}`);
          for (const t of tokens.filter((t) => t.user === user.pk)) await api.del(`/core/tokens/${encodeURIComponent(t.identifier)}/`);
        });
        await attempt(`user '${username}'`, () => api.del(`/core/users/${user.pk}/`));
      }
      if (await api.maybe(`/flows/instances/${n.deviceFlow}/`).catch(() => true)) {
        await attempt(`flow '${n.deviceFlow}'`, () => api.del(`/flows/instances/${n.deviceFlow}/`));
      }
      // The least-privilege group and role (exact names: the role list's name filter differs by version).
      for (const [path, key, what] of [
        ["/core/groups/", "pk", "group"],
        ["/rbac/roles/", "pk", "role"],
      ] as const) {
        const found = await api.named(path, "name", n.accessRole).catch(() => []);
        for (const o of found) await attempt(`${what} '${n.accessRole}'`, () => api.del(`${path}${String(o[key])}/`));
      }
    }

    // 2. Nothing is left that could be deleted.
    for (const n of this.#tracked) {
      const left: string[] = [];
      if (await api.maybe(`/core/applications/${n.slug}/`)) left.push(`application '${n.slug}'`);
      if ((await api.named("/providers/oauth2/", "name", n.provider)).length) left.push(`OAuth2 provider '${n.provider}'`);
      const [user] = await api.named("/core/users/", "username", n.serviceAccount);
      if (user) {
        const tokens = await api.list(`/core/tokens/?user__username=${encodeURIComponent(n.serviceAccount)}`);
        if (tokens.some((t) => t.user === user.pk)) left.push(`tokens of '${n.serviceAccount}'`);
        left.push(`user '${n.serviceAccount}'`);
      }
      if (await api.maybe(`/flows/instances/${n.deviceFlow}/`)) left.push(`flow '${n.deviceFlow}'`);
      for (const what of left) report.failed.push(`${what} is still there`);
    }
    return report;
  }
}
