/**
 * App passwords this tool retired in earlier rotations (`<identifier>-retired-<stamp>`): deleted once their
 * grace period is over (unless authentik's worker was faster). Nothing else is ever deleted.
 */
import type { WireToken } from "../../authentik/wire.ts";
import type { Adapter } from "../adapter.ts";
import { appPasswordsOf, hasExpired, retiredOf, serviceAccount, tokenClient } from "./service-account.ts";

export const retiredTokens: Adapter<WireToken[], WireToken[]> = {
  kind: "retired app passwords",
  get needs() {
    return [serviceAccount];
  },
  applies: (d) => d.serviceAccount !== undefined,
  key: (d) => d.serviceAccount!.username,
  async find(client, _d, seen, opts) {
    const user = seen.get(serviceAccount);
    if (!user) return [];
    return retiredOf(await appPasswordsOf(client, user.username, opts), user).filter((t) => hasExpired(t, opts.now));
  },
  diff: (_d, observed) =>
    observed?.length
      ? { action: "update", changes: observed.map((t) => ({ field: t.identifier, from: `expired ${t.expires ?? ""}`, to: "(deleted)" })), patch: observed }
      : { action: "noop", changes: [] },
  create: () => Promise.resolve([]),
  async update(_d, _current, patch, _done, { client, tokens }) {
    const owner = await tokenClient(client, tokens);
    for (const t of patch) await owner.deleteToken(t.identifier);
    return [];
  },
};
