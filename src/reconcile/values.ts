/** The values a consumer's output file is made of, taken from the objects (as applied, or as they are now). */
import type { AuthentikClient } from "../authentik/client.ts";
import type { Objects } from "./adapter.ts";
import { appPassword, serviceAccount } from "./adapters/service-account.ts";
import { provider } from "./adapters/provider.ts";
import type { DesiredState, Provisioned } from "./desired.ts";

/** After apply: every object exists. The app password's key is read only if it was not read with the token. */
export async function appliedValues(client: AuthentikClient, d: DesiredState, done: Objects): Promise<Provisioned> {
  const p = done.get(provider)!;
  const values: Provisioned = { clientId: p.client_id };
  if (d.provider.clientType === "confidential") values.clientSecret = p.client_secret;
  if (d.serviceAccount) {
    const token = done.get(appPassword)!;
    values.username = done.get(serviceAccount)!.username;
    values.appPassword = token.key ?? (await client.viewTokenKey(token.token.identifier));
  }
  return values;
}

/**
 * Plan mode: the values as they are now, if every object exists (reads only). The app password is not read
 * (authentik would record a `secret_view` event): the output file's value stands in for it.
 */
export function currentValues(d: DesiredState, seen: Objects, fromFile: Partial<Provisioned>): Provisioned | undefined {
  const p = seen.get(provider);
  if (!p) return undefined;
  const values: Provisioned = { clientId: p.client_id };
  if (d.provider.clientType === "confidential") values.clientSecret = p.client_secret;
  if (d.serviceAccount) {
    const user = seen.get(serviceAccount);
    if (!user || !seen.get(appPassword)) return undefined;
    values.username = user.username;
    values.appPassword = fromFile.appPassword ?? "";
  }
  return values;
}
