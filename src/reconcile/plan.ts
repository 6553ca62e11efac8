/**
 * Pure: desired + observed → one operation per object, with the owned fields that differ. Conflicts are raised
 * here (or while observing), so a run that cannot finish stops before its first write.
 */
import type { AnyAdapter, Diff, Objects } from "./adapter.ts";
import type { DesiredState } from "./desired.ts";
import { CHAINS } from "./order.ts";
import type { Step } from "./types.ts";

export interface Operation {
  adapter: AnyAdapter;
  step: Step;
  diff: Diff;
}

export interface Plan {
  /** The operations chain by chain, each chain in the order it is applied (order.ts). */
  chains: Operation[][];
  /** What was observed, which apply starts from. */
  seen: Objects;
}

export function plan(desired: DesiredState, seen: Objects): Plan {
  const chains = CHAINS.map((chain) =>
    chain
      .filter((adapter) => adapter.applies(desired))
      .map((adapter): Operation => {
        const diff = adapter.diff(desired, seen.get(adapter), seen, "plan");
        const step: Step = {
          kind: adapter.kind,
          name: adapter.key(desired, seen),
          action: diff.action,
          changes: diff.changes,
          ...(diff.note ? { note: diff.note } : {}),
          ...(diff.warn ? { warn: true } : {}),
        };
        return { adapter, step, diff };
      }),
  ).filter((chain) => chain.length > 0);
  return { chains, seen };
}

/** The plan's steps in the order they are applied. */
export function stepsOf(p: Plan): Step[] {
  return p.chains.flat().map((o) => o.step);
}

export function hasChanges(p: Plan): boolean {
  return stepsOf(p).some((s) => s.action !== "noop");
}

/** The step of one object type, if the plan has it. */
export function stepOf(p: Plan, adapter: AnyAdapter): Step | undefined {
  return p.chains.flat().find((o) => o.adapter === adapter)?.step;
}
