/** Read-only: the current state of every object the desired state names, fetched in parallel. */
import type { AuthentikClient } from "../authentik/client.ts";
import { observeApplication } from "../authentik/resources/application.ts";
import { brandForHost } from "../authentik/resources/device-flow.ts";
import { observeProvider } from "../authentik/resources/provider.ts";
import { appPasswordIdentifier, observeAppPassword, observeServiceAccount } from "../authentik/resources/service-account.ts";
import type { WireApplication, WireBrand, WireFlow, WireOAuth2Provider, WireToken, WireUser } from "../authentik/wire.ts";
import { ApiError } from "../errors.ts";
import { RETIRED_INFIX, type DesiredState } from "./desired.ts";

export interface Observed {
  provider: WireOAuth2Provider | undefined;
  application: WireApplication | undefined;
  user: WireUser | undefined;
  tokenIdentifier: string;
  token: WireToken | undefined;
  /** The app password's key, read with the token (so a no-op run needs no later read); never read in plan mode. */
  key: string | undefined;
  deviceFlow: WireFlow | undefined;
  /** The brand authentik picks for the public host (undefined: none, authentik falls back to an in-memory brand). */
  brand: WireBrand | undefined;
  /** Other brands authentik ≤2025.10.1 could pick for the same host (its rule leaves the choice to the database). */
  brandAmbiguous: WireBrand[];
  /** App passwords this tool retired earlier whose grace period is over. */
  expiredRetired: WireToken[];
}

export interface ObserveOptions {
  /**
   * Read the app password's key (`view_key`). authentik records every read as a `secret_view` event, so plan
   * mode, which must leave no trace, does not.
   */
  readKey: boolean;
  now?: number;
}

export async function observe(client: AuthentikClient, desired: DesiredState, options: ObserveOptions): Promise<Observed> {
  const now = options.now ?? Date.now();
  const sa = desired.serviceAccount;
  const tokenIdentifier = sa ? appPasswordIdentifier(sa.username) : "";
  const notFound = (e: unknown) => (e instanceof ApiError && e.status === 404 ? undefined : Promise.reject(e));
  const [provider, application, [user, token, key, appPasswords], deviceFlow] = await Promise.all([
    observeProvider(client, desired.provider.name, desired.application.slug),
    observeApplication(client, desired.application.slug),
    sa
      ? observeServiceAccount(client, sa.username).then(async (u) => {
          // Everything that needs the user, side by side: its app password, its key, tokens retired earlier.
          const [token, key, appPasswords] = await Promise.all([
            observeAppPassword(client, tokenIdentifier, u),
            u && options.readKey ? client.viewTokenKey(tokenIdentifier).catch(notFound) : undefined,
            u ? client.listAppPasswords(u.username) : [],
          ]);
          return [u, token, key, appPasswords] as const;
        })
      : ([undefined, undefined, undefined, []] as const),
    desired.deviceFlow ? client.findFlow(desired.deviceFlow.slug) : undefined,
  ]);
  // App passwords retired by an earlier rotation are cleaned up once expired (unless authentik's worker was faster).
  const expiredRetired = user
    ? appPasswords.filter((t) => t.identifier.startsWith(`${tokenIdentifier}${RETIRED_INFIX}`) && t.user === user.pk && t.expires && Date.parse(t.expires) <= now)
    : [];
  const { brand, ambiguous } = brandForHost(desired.brands, desired.publicHost, desired.features.brandRule);
  return { provider, application, user, tokenIdentifier, token, key: token ? key : undefined, deviceFlow, brand, brandAmbiguous: ambiguous, expiredRetired };
}
