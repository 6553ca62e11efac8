import { describe, expect, it } from "vitest";
import type { AuthentikClient } from "../../../../src/authentik/client.ts";
import type { WireGroup, WireUser } from "../../../../src/authentik/wire.ts";
import { Objects } from "../../../../src/reconcile/adapter.ts";
import { accessGroup, role } from "../../../../src/reconcile/adapters/access.ts";
import { adminMembership, membership } from "../../../../src/reconcile/adapters/membership.ts";
import { serviceAccount } from "../../../../src/reconcile/adapters/service-account.ts";
import type { DesiredState } from "../../../../src/reconcile/desired.ts";

const d = { serviceAccount: { username: "NetBird" }, access: { name: "NetBird IdP manager", permissions: [] }, adminGroupName: "authentik Admins" } as unknown as DesiredState;
const noClient = {} as AuthentikClient;
const opts = { readSecrets: false, now: 0 };

function seenWith(user: WireUser): Objects {
  const seen = new Objects();
  seen.set(serviceAccount, user);
  return seen;
}

describe("adminMembership (role access): the superuser group from the account's own groups", () => {
  it("finds the membership by the group's name in groups_obj, without a request", async () => {
    const admins = { pk: "g1", name: "authentik Admins", is_superuser: true };
    const user = { pk: 7, username: "NetBird", groups: ["g1", "g2"], groups_obj: [admins, { pk: "g2", name: "NetBird IdP manager" }] };
    await expect(adminMembership.find(noClient, d, seenWith(user), opts)).resolves.toEqual({ member: true, group: admins });
  });

  it("an account without it, or whose groups are not named (null), is not a member", async () => {
    await expect(adminMembership.find(noClient, d, seenWith({ pk: 7, username: "NetBird", groups_obj: [] }), opts)).resolves.toEqual({ member: false, group: undefined });
    await expect(adminMembership.find(noClient, d, seenWith({ pk: 7, username: "NetBird", groups_obj: null }), opts)).resolves.toMatchObject({ member: false });
  });

  it("leaving takes the account out of the group it was found in", async () => {
    const removed: [string, number][] = [];
    const client = { removeUserFromGroup: (g: { pk: string }, u: WireUser) => Promise.resolve(void removed.push([g.pk, u.pk])) } as unknown as AuthentikClient;
    const done = seenWith({ pk: 7, username: "NetBird" });
    const ctx = { client, log: undefined as never, rotated: [] };
    await expect(adminMembership.update(d, { member: true, group: { pk: "g1", name: "authentik Admins" } }, true, done, ctx)).resolves.toEqual({ member: false });
    expect(removed).toEqual([["g1", 7]]);
  });
});

describe("membership: the account joins the group carrying its role", () => {
  const user = { pk: 7, username: "NetBird", groups: [] };

  function withGroup(group: WireGroup): { client: AuthentikClient; added: [string, number][]; created: [string, number[]][]; done: Objects } {
    const added: [string, number][] = [];
    const created: [string, number[]][] = [];
    const client = {
      addUserToGroup: (g: WireGroup, u: WireUser) => Promise.resolve(void added.push([g.pk, u.pk])),
      createGroup: (name: string, _roles: string[], users: number[]) => Promise.resolve((created.push([name, users]), { ...group, users })),
    } as unknown as AuthentikClient;
    const done = seenWith(user);
    done.set(role, { role: { pk: "r1", name: "NetBird IdP manager" }, permissions: [] });
    return { client, added, created, done };
  }

  it("a group made in this run is made with the account in it: no add_user", async () => {
    const { client, added, created, done } = withGroup({ pk: "g2", name: "NetBird IdP manager" });
    const ctx = { client, log: undefined as never, rotated: [] };
    done.set(accessGroup, await accessGroup.create(d, done, ctx));
    await expect(membership.update(d, { member: false }, true, done, ctx)).resolves.toEqual({ member: true });
    expect(created).toEqual([["NetBird IdP manager", [7]]]);
    expect(added).toEqual([]);
  });

  it("a group found existing gets the account with add_user, whatever its member list said when it was read", async () => {
    const { client, added, done } = withGroup({ pk: "g2", name: "NetBird IdP manager" });
    done.set(accessGroup, { pk: "g2", name: "NetBird IdP manager", users: [7] });
    await expect(membership.update(d, { member: false }, true, done, { client, log: undefined as never, rotated: [] })).resolves.toEqual({ member: true });
    expect(added).toEqual([["g2", 7]]);
  });
});
