import { describe, expect, it } from "vitest";
import { duplicatesToDelete, matchConnectors, redirectFromIssuer } from "../../../src/netbird/management.ts";

const issuer = "https://auth.example.com/application/o/netbird/";
const idp = (id: string, type: string, client_id: string, iss = issuer) => ({ id, type, name: "x", issuer: iss, client_id });

describe("matchConnectors", () => {
  it("finds ours by issuer exactly, whatever the type, the one with our client id first", () => {
    const list = [idp("a", "oidc", "old"), idp("authentik-b", "authentik", "ours"), idp("c", "oidc", "ours", `${issuer}x`), idp("d", "oidc", "ours", issuer.slice(0, -1))];
    expect(matchConnectors(list, issuer, "ours").map((p) => p.id)).toEqual(["authentik-b", "a"]);
    expect(matchConnectors(list, "https://other/", "ours")).toEqual([]);
  });
});

describe("duplicatesToDelete", () => {
  it("keeps the oldest of identical connectors (ids are time-ordered), whatever the prefix", () => {
    const list = [idp("authentik-d0002", "authentik", "ours"), idp("authentik-d0001", "authentik", "ours"), idp("authentik-d0000", "authentik", "other")];
    expect(duplicatesToDelete(list, issuer, "ours").map((p) => p.id)).toEqual(["authentik-d0002"]);
    expect(duplicatesToDelete(list.slice(0, 1), issuer, "ours")).toEqual([]);
  });
});

describe("redirectFromIssuer (NetBird's GetRedirectURI)", () => {
  it.each([
    ["https://nb.example.com/oauth2", "https://nb.example.com/oauth2/callback"],
    ["https://nb.example.com/oauth2/", "https://nb.example.com/oauth2/callback"],
    ["http://10.0.0.5:8080", "http://10.0.0.5:8080/oauth2/callback"],
    ["https://api.example.com:33073/oauth2", "https://api.example.com:33073/oauth2/callback"],
  ])("%s → %s", (iss, want) => expect(redirectFromIssuer(iss)).toBe(want));
});
