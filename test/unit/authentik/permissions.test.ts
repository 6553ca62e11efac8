import { describe, expect, it } from "vitest";
import { listedPermission, toolPermissions } from "../../../src/authentik/permissions.ts";

describe("toolPermissions: the tool account's role, version by version", () => {
  it("2024.2: adding to a group is add_group + add_user (no add_user_to_group yet); reading roles needs auth.view_permission", () => {
    const p = toolPermissions("2024.2.0");
    expect(p).toEqual(expect.arrayContaining(["authentik_core.add_group", "authentik_core.add_user", "auth.view_permission"]));
    expect(p).not.toContain("authentik_core.add_user_to_group");
  });

  it("2024.4 brings add_user_to_group; 2025.2 drops auth.view_permission; 2025.12 needs view_certificatekeypair_certificate", () => {
    expect(toolPermissions("2024.4.0")).toContain("authentik_core.add_user_to_group");
    expect(toolPermissions("2024.12.0")).toContain("auth.view_permission");
    expect(toolPermissions("2025.2.0")).not.toContain("auth.view_permission");
    expect(toolPermissions("2025.10.0")).not.toContain("authentik_crypto.view_certificatekeypair_certificate");
    expect(toolPermissions("2025.12.0")).toContain("authentik_crypto.view_certificatekeypair_certificate");
  });

  it("no token permission but add_token (the service_account call makes one with the account), no delete, no superuser rights; sorted, no duplicates", () => {
    for (const v of ["2024.2.0", "2024.10.2", "2025.10.0", "2026.8.3"]) {
      const p = toolPermissions(v);
      expect(p.filter((x) => /token_key|(view|change|delete)_token|delete_|superuser/.test(x))).toEqual([]);
      expect([...p].sort()).toEqual(p);
      expect(new Set(p).size).toBe(p.length);
    }
  });

  it("authentik lists only its own apps' permissions", () => {
    expect(listedPermission("authentik_core.view_user")).toBe(true);
    expect(listedPermission("auth.view_permission")).toBe(false);
  });
});
