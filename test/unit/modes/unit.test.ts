/** The output as its consumer reads it: the run's reading at its start serves while the output is unchanged. */
import { describe, expect, it } from "vitest";
import type { Context } from "../../../src/modes/unit.ts";
import { readOutput } from "../../../src/modes/unit.ts";
import type { Output } from "../../../src/output/output.ts";

function context(stamp: string | undefined, reading: Context["reading"]): { c: Context; reads: string[][] } {
  const reads: string[][] = [];
  const output = {
    stamp: () => Promise.resolve(stamp),
    read: (_path: string, keys: readonly string[]) => {
      reads.push([...keys]);
      return Promise.resolve(Object.fromEntries(keys.map((k) => [k, "now"])));
    },
  } as unknown as Output;
  const c = { consumer: { format: { kind: "bash" } }, path: "/out/setup.env", output, ...(reading ? { reading } : {}) } as unknown as Context;
  return { c, reads };
}

const START = { keys: ["A", "B"], values: { A: "then", B: "then" }, stamp: "1:2:3" };

describe("readOutput", () => {
  it("unchanged since the start (same stamp), keys all read then: no second reading", async () => {
    const { c, reads } = context("1:2:3", START);
    expect(await readOutput(c, ["B"])).toEqual(START.values);
    expect(reads).toEqual([]);
  });

  it("changed since (another stamp: written by this run or another): read again", async () => {
    const { c, reads } = context("1:2:4", START);
    expect(await readOutput(c, ["A", "B"])).toEqual({ A: "now", B: "now" });
    expect(reads).toEqual([["A", "B"]]);
  });

  it("a key the start did not read, no reading at the start, or an output without stamps: read now", async () => {
    for (const [stamp, reading, keys] of [
      ["1:2:3", START, ["A", "C"]],
      ["1:2:3", undefined, ["A"]],
      [undefined, START, ["A"]],
    ] as const) {
      const { c, reads } = context(stamp, reading);
      await readOutput(c, keys);
      expect(reads).toEqual([[...keys]]);
    }
  });
});
