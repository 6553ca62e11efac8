/**
 * This tool's own least-privilege account (TOOL_TOKEN_FILE / TOOL_TOKEN_SECRET_KEY): a service account, a role
 * with the permissions this tool's calls need on the running version (authentik/permissions.ts), the group that
 * carries it, the account's membership, and its API token, stored where the user asked the moment it is made.
 * A superuser run makes and repairs them all; a run with the tool token keeps its own role in line with the
 * version (an upgrade may need a new permission) and finds its token without a request (it is signed in with it).
 */
import type { WireToken, WireUser } from "../../authentik/wire.ts";
import { ConflictError } from "../../errors.ts";
import { registerSecret } from "../../secrets.ts";
import type { Adapter } from "../adapter.ts";
import type { DesiredState, DesiredTool } from "../desired.ts";
import { accessAdapters, joinGroup } from "./access.ts";
import { isMember, type Membership } from "./membership.ts";
import { appPasswordIdentifier, observeServiceAccount } from "./service-account.ts";

const tool = (d: DesiredState): DesiredTool => d.tool!;
const applies = (d: DesiredState) => d.tool !== undefined;

export const toolAccount: Adapter<WireUser, never> = {
  kind: "tool account",
  needs: [],
  applies,
  key: (d) => tool(d).account,
  find: (client, d) => observeServiceAccount(client, tool(d).account, "TOOL_ACCOUNT"),
  diff: (_d, observed) => ({ action: observed ? "noop" : "create", changes: [] }),
  async create(d, _done, { client }) {
    const name = tool(d).account;
    const created = await client.createServiceAccount({ name, createGroup: false, expiring: false });
    registerSecret(created.token);
    // authentik makes an app password with every service account; this account signs in with its API token
    // only, so that credential is not left lying around.
    await client.deleteToken(appPasswordIdentifier(name));
    return { pk: created.user_pk, username: created.username, type: "service_account", groups: [] };
  },
  update: (_d, current) => Promise.resolve(current),
};

const access = accessAdapters(
  (d) => d.tool?.access,
  (done) => done.get(toolAccount),
  // Signed in with the tool's token, or holding one: its account, role and group were made.
  (d) => d.ownTokens === true || d.tool?.stored !== undefined,
);
export const toolRole = access.role;
export const toolGroup = access.group;

export const toolMembership: Adapter<Membership, true> = {
  kind: "group membership",
  get needs() {
    return [toolAccount, toolGroup];
  },
  applies,
  key: (d) => `${tool(d).account} in ${tool(d).access.name}`,
  // The account's groups came with the account.
  find: (_client, _d, seen) => {
    const user = seen.get(toolAccount);
    const group = seen.get(toolGroup);
    return Promise.resolve({ member: user !== undefined && group !== undefined && isMember(group, user) });
  },
  diff: (d, observed) =>
    observed?.member ? { action: "noop", changes: [] } : { action: "update", changes: [{ field: "groups", from: "(not a member)", to: `+ ${tool(d).access.name}` }], patch: true },
  create: () => Promise.resolve({ member: false }),
  async update(_d, _current, _patch, done, { client }) {
    await joinGroup(client, done.get(toolGroup)!, done.get(toolAccount)!);
    return { member: true };
  },
};

/** The token and, when read, its key. */
export interface ToolToken {
  token: WireToken;
  key?: string | undefined;
}

async function keep(key: string, keepToolToken: ((key: string) => Promise<void>) | undefined): Promise<void> {
  if (!keepToolToken) throw new Error("internal: no place to keep the tool token");
  registerSecret(key);
  await keepToolToken(key);
}

export const toolToken: Adapter<ToolToken, true> = {
  kind: "tool token",
  get needs() {
    return [toolAccount];
  },
  applies,
  key: (d) => tool(d).tokenIdentifier,
  async find(client, d, seen, opts) {
    const user = seen.get(toolAccount);
    if (!user) return undefined;
    const { tokenIdentifier: identifier, stored } = tool(d);
    // Signed in with it: it exists and is the stored one.
    if (d.ownTokens) return { token: { pk: "", identifier, intent: "api", user: user.pk, expiring: false }, key: stored };
    const token = await client.findToken(identifier);
    if (token && (token.intent !== "api" || token.user !== user.pk)) {
      throw new ConflictError(
        `Cannot use token '${identifier}' as the API token of '${user.username}': it exists with intent '${token.intent ?? "?"}' for user pk ${String(token.user)}. Delete that token in authentik.`,
      );
    }
    if (!token) return undefined;
    // A superuser run compares the stored key with authentik's (plan mode reads no secret).
    return { token, key: opts.readSecrets ? await client.viewTokenKey(identifier) : undefined };
  },
  diff(d, observed) {
    const { stored, storeName } = tool(d);
    if (!observed) return { action: "create", changes: [{ field: "key", from: "(none)", to: `(new, never expires; kept in ${storeName})` }] };
    if (stored === undefined || (observed.key !== undefined && observed.key !== stored)) {
      return { action: "update", changes: [{ field: storeName, from: stored === undefined ? "(not there)" : "(another key)", to: "(the token's key)" }], patch: true };
    }
    return { action: "noop", changes: [] };
  },
  async create(d, done, { client, keepToolToken }) {
    const user = done.get(toolAccount)!;
    const identifier = tool(d).tokenIdentifier;
    // A superuser may make a token for another user, never expiring (core/api/tokens.py).
    const token = await client.createToken({
      identifier,
      intent: "api",
      user: user.pk,
      expiring: false,
      description: "API token of authentik-bootstrap's least-privilege account",
    });
    const key = await client.viewTokenKey(identifier);
    await keep(key, keepToolToken);
    return { token, key };
  },
  async update(_d, current, _patch, _done, { client, keepToolToken }) {
    const key = current.key ?? (await client.viewTokenKey(current.token.identifier));
    await keep(key, keepToolToken);
    return { ...current, key };
  },
};
