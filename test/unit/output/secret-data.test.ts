import { describe, expect, it } from "vitest";
import { decode, encode, MANAGED_BY, mergeSecret, OWNED_KEYS, readKeys, SecretContentError, type SecretObject } from "../../../src/output/secret-data.ts";

const ref = { namespace: "netbird", name: "netbird" };

function secret(data: Record<string, string>, extra: Partial<SecretObject["metadata"]> = {}, rest: Partial<SecretObject> = {}): SecretObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "netbird", namespace: "netbird", resourceVersion: "42", uid: "u-1", ...extra },
    type: "Opaque",
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, encode(v)])),
    ...rest,
  };
}

const ours = { [MANAGED_BY]: "authentik-bootstrap" };

describe("mergeSecret", () => {
  it("creates a missing Secret with our keys, the managed-by label and the owner annotation (no resourceVersion)", () => {
    const change = mergeSecret(
      undefined,
      {
        entries: [
          ["B", "2"],
          ["A", "1"],
        ],
        generated: [["G", "random"]],
      },
      ref,
    );
    expect(change.action).toBe("create");
    expect(change.keys).toEqual(["B", "A", "G"]);
    expect(change.replaced).toEqual([]);
    expect(change.body).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "netbird", namespace: "netbird", labels: ours, annotations: { [OWNED_KEYS]: "A,B,G" } },
      type: "Opaque",
      data: { B: encode("2"), A: encode("1"), G: encode("random") },
    });
  });

  it("fills the shipped empty Secret, keeping what is there and sending its resourceVersion", () => {
    const empty = secret({}, { labels: { "app.kubernetes.io/name": "authentik-bootstrap" }, annotations: { note: "kept" } });
    delete empty.data;
    const change = mergeSecret(empty, { entries: [["A", "1"]], generated: [] }, ref);
    expect(change.action).toBe("update");
    expect(change.keys).toEqual(["A"]);
    expect(change.replaced).toEqual([]);
    expect(change.body.metadata).toMatchObject({
      resourceVersion: "42",
      uid: "u-1",
      labels: { "app.kubernetes.io/name": "authentik-bootstrap", ...ours },
      annotations: { note: "kept", [OWNED_KEYS]: "A" },
    });
  });

  it("changes nothing when every owned key already has its value (compared as bytes)", () => {
    const current = secret({ A: "1", mine: "x", G: "earlier" }, { labels: ours, annotations: { [OWNED_KEYS]: "A,G" } });
    const change = mergeSecret(current, { entries: [["A", "1"]], generated: [["G", "fresh"]] }, ref);
    expect(change).toMatchObject({ action: "noop", keys: [], metadata: [] });
  });

  it.each([
    ["an owned key with another value is replaced", { A: "old" }, [["A", "new"]], [], ["A"], ["A"]],
    ["a missing owned key is added", {}, [["A", "1"]], [], ["A"], []],
    ["a generated key is made only when missing", { G: "kept" }, [], [["G", "fresh"]], [], []],
    ["a generated key that is also owned is owned", { G: "old" }, [["G", "set"]], [["G", "fresh"]], ["G"], ["G"]],
    [
      "the later of two entries for a key wins",
      {},
      [
        ["A", "1"],
        ["A", "2"],
      ],
      [],
      ["A"],
      [],
    ],
  ] as [string, Record<string, string>, [string, string][], [string, string][], string[], string[]][])("%s", (_name, data, entries, generated, keys, replaced) => {
    const current = secret({ ...data, other: "kept" }, { labels: ours, annotations: { [OWNED_KEYS]: "A,G" } });
    const change = mergeSecret(current, { entries, generated }, ref);
    expect(change.keys).toEqual(keys);
    expect(change.replaced).toEqual(replaced);
    expect(readKeys(change.body, ["other"])).toEqual({ other: "kept" });
    if (entries.length) expect(readKeys(change.body, ["A"]).A ?? readKeys(change.body, ["G"]).G).toBe(entries.at(-1)![1]);
    if (data.G && !entries.length) expect(readKeys(change.body, ["G"])).toEqual({ G: "kept" });
  });

  it("keeps another manager's label (a chart's Helm) and extends the owner annotation instead of dropping earlier keys", () => {
    const current = secret({ A: "1" }, { labels: { [MANAGED_BY]: "Helm" }, annotations: { [OWNED_KEYS]: "OLD" } });
    const change = mergeSecret(current, { entries: [["A", "1"]], generated: [] }, ref);
    expect(change.action).toBe("update");
    expect(change.metadata).toEqual([OWNED_KEYS]);
    expect(change.body.metadata.labels).toEqual({ [MANAGED_BY]: "Helm" });
    expect(change.body.metadata.annotations).toEqual({ [OWNED_KEYS]: "A,OLD" });
  });

  it("does not send managedFields back (the server keeps them and records our update)", () => {
    const current = secret({}, { managedFields: [{ manager: "kubectl" }] });
    const change = mergeSecret(current, { entries: [["A", "1"]], generated: [] }, ref);
    expect(change.body.metadata).not.toHaveProperty("managedFields");
  });

  it("refuses to change an immutable Secret, and leaves one alone whose keys already match", () => {
    expect(() => mergeSecret(secret({ A: "old" }, {}, { immutable: true }), { entries: [["A", "new"]], generated: [] }, ref)).toThrow(SecretContentError);
    expect(() =>
      mergeSecret(secret({ A: "same" }, { labels: ours, annotations: { [OWNED_KEYS]: "A" } }, { immutable: true }), { entries: [["A", "same"]], generated: [] }, ref),
    ).not.toThrow();
  });

  it.each(["with space", "a/b", "..", "..x", "x".repeat(254)])("refuses %j as a key (not a valid Secret key)", (key) => {
    expect(() => mergeSecret(undefined, { entries: [[key, "v"]], generated: [] }, ref)).toThrow(SecretContentError);
  });

  it("round-trips any UTF-8 value", () => {
    for (const value of ["", "é日本🦊", "a\nb", "'\"$`\\"]) expect(decode(encode(value))).toBe(value);
  });
});
