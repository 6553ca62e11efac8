/** Read-only: the current state of every object the desired state names, fetched in parallel. */
import type { AuthentikClient } from "../authentik/client.ts";
import { observeApplication } from "../authentik/resources/application.ts";
import { brandForHost } from "../authentik/resources/device-flow.ts";
import { observeProvider } from "../authentik/resources/provider.ts";
import { appPasswordIdentifier, observeAppPassword, observeServiceAccount } from "../authentik/resources/service-account.ts";
import type { WireApplication, WireBrand, WireFlow, WireOAuth2Provider, WireToken, WireUser } from "../authentik/wire.ts";
import { RETIRED_INFIX, type DesiredState } from "./desired.ts";

export interface Observed {
  provider: WireOAuth2Provider | undefined;
  application: WireApplication | undefined;
  user: WireUser | undefined;
  tokenIdentifier: string;
  token: WireToken | undefined;
  deviceFlow: WireFlow | undefined;
  brand: WireBrand | undefined;
  /** App passwords this tool retired earlier whose grace period is over. */
  expiredRetired: WireToken[];
}

export async function observe(client: AuthentikClient, desired: DesiredState, now = Date.now()): Promise<Observed> {
  const sa = desired.serviceAccount;
  const tokenIdentifier = sa ? appPasswordIdentifier(sa.username) : "";
  const [provider, application, [user, token], deviceFlow] = await Promise.all([
    observeProvider(client, desired.provider.name, desired.application.slug),
    observeApplication(client, desired.application.slug),
    sa ? observeServiceAccount(client, sa.username).then(async (u) => [u, await observeAppPassword(client, tokenIdentifier, u)] as const) : ([undefined, undefined] as const),
    desired.deviceFlow ? client.findFlow(desired.deviceFlow.slug) : undefined,
  ]);
  // One read per run, so that app passwords retired by an earlier rotation are cleaned up once expired.
  const expiredRetired = user
    ? (await client.listAppPasswords(user.username)).filter(
        (t) => t.identifier.startsWith(`${tokenIdentifier}${RETIRED_INFIX}`) && t.user === user.pk && t.expires && Date.parse(t.expires) <= now,
      )
    : [];
  return { provider, application, user, tokenIdentifier, token, deviceFlow, brand: brandForHost(desired.brands, desired.publicHost), expiredRetired };
}
