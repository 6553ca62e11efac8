/**
 * Carries out a plan with one function for every object type (`converge`). The chains (order.ts) run side by
 * side, each in its order. Returns what the objects are after the run and what was rotated.
 */
import type { AuthentikClient } from "../authentik/client.ts";
import { ApiError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { AnyAdapter, ApplyContext, Diff, Objects, RunExtras } from "./adapter.ts";
import type { DesiredState, Rotation } from "./desired.ts";
import { FIRST, WAITS } from "./order.ts";
import type { Operation, Plan } from "./plan.ts";
import { DONE, type Step } from "./types.ts";

export interface Applied {
  /** Every object as it is after the run (found unchanged, created, or updated). */
  done: Objects;
  rotated: Rotation[];
  /**
   * Steps done otherwise than planned, by the step as planned: a creation that found the object there and adopted
   * it, and a step planned anew against such an object (`converge`).
   */
  asDone: ReadonlyMap<Step, Step>;
}

const LOST_ANSWER = new Set([0, 502, 503, 504]);

/** The note of a step whose object was found there when it was to be made. */
const ADOPTED = "it existed already: adopted";

/**
 * Create, or — when authentik answers 400 because the object is there already (made by a concurrent run, or
 * not looked for: FindOptions.createUnlooked), or the answer was lost (connection dropped, timeout, 5xx from a
 * proxy) and the create may or may not have happened — look it up by its natural key and continue with it. Only
 * if it is not there is the create tried again, so a retried create never duplicates. `adopted` says whether it
 * most likely existed before, or this run made it and lost the answer.
 */
async function createOrAdopt<T>(
  create: () => Promise<T>,
  find: () => Promise<T | undefined>,
  log: Logger,
  what: string,
  attempts = 4,
): Promise<{ value: T; adopted?: "existed" | "made" }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await create() };
    } catch (error) {
      const lost = error instanceof ApiError && LOST_ANSWER.has(error.status);
      if (!(error instanceof ApiError) || (error.status !== 400 && !lost)) throw error;
      const existing = await find();
      if (existing !== undefined) {
        // A lost answer, or a 400 after a try whose answer was lost (a retry, here or in the client): most likely
        // this run made it.
        const made = lost || error.retried || attempt > 1;
        log.info(
          { what, attempt },
          made ? `${what}: the answer to its creation was lost; found it, continuing with it` : `${what} exists already (made before, or by another run meanwhile); adopting it`,
        );
        return { value: existing, adopted: made ? "made" : "existed" };
      }
      if (!lost || attempt >= attempts) throw error;
      log.warn({ what, attempt, err: error.message }, `${what}: creation failed in transit and it does not exist; trying again`);
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

function logDone(log: Logger, step: Step, adopted: boolean): void {
  log.info(
    { kind: step.kind, name: step.name, action: DONE[step.action], fields: step.changes.map((c) => c.field), ...(adopted ? { adopted } : {}) },
    `${step.kind} '${step.name}' ${DONE[step.action]}${adopted ? ` (${ADOPTED})` : ""}`,
  );
  if (step.warn && step.note) log.warn({ kind: step.kind, name: step.name }, `${step.kind} '${step.name}': ${step.note}`);
}

/**
 * One object: leave it, update it with the planned patch, or create it — adopting one that is there already (made
 * by another run meanwhile, or not looked for: FindOptions.createUnlooked). Returns the object and, when it was
 * done otherwise than planned, the step as done (`adopted`: it was found there).
 */
async function converge(
  adapter: AnyAdapter,
  d: DesiredState,
  op: Operation,
  seen: Objects,
  done: Objects,
  ctx: ApplyContext,
  found: ReadonlySet<AnyAdapter>,
): Promise<{ value: unknown; asDone?: Step; adopted?: boolean }> {
  const { step } = op;
  let planned = op.diff;
  let observed: unknown = seen.get(adapter);
  let replanned: Step | undefined;
  // A lookup in apply reads anew, secrets included (what observe found may be out of date).
  const lookUp = () => adapter.find(ctx.client, d, done, { readSecrets: true, now: Date.now(), tokens: ctx.tokens });
  // Planned while an object it needs was to be made, and that object was found there instead (a group not looked
  // for on a first run): planned anew against what was found, as observation would have.
  if (planned.action !== "create" && adapter.needs.some((n) => found.has(n))) {
    observed = await lookUp();
    planned = adapter.diff(d, observed, done, "adopt");
    replanned = stepAsDone(step, planned);
  }
  if (planned.action === "noop") return { value: observed, asDone: replanned };
  if (planned.action === "update") return { value: await adapter.update(d, observed, planned.patch, done, ctx), asDone: replanned };
  // Made already by an object it comes with (the app password with its service account).
  if (done.get(adapter) !== undefined) return { value: done.get(adapter), asDone: replanned };
  const what = `${adapter.kind} '${adapter.key(d, done)}'`;
  const made = await createOrAdopt(() => adapter.create(d, done, ctx), lookUp, ctx.log, what);
  if (!made.adopted) return { value: made.value, asDone: replanned };
  // Found there: bring its owned fields in line (nothing is rotated on an object just found).
  const again = adapter.diff(d, made.value, done, "adopt");
  const value: unknown = again.action === "update" ? await adapter.update(d, made.value, again.patch, done, ctx) : made.value;
  // Most likely made by this run, its answer lost: reported as planned, created.
  if (made.adopted === "made") return { value, asDone: replanned };
  return { value, adopted: true, asDone: stepAsDone(step, again, [ADOPTED, again.note].filter(Boolean).join("; ")) };
}

/** The step as a diff made in apply says it was done: its kind and name, the diff's action, changes and note. */
function stepAsDone(step: Step, diff: Diff, note = diff.note): Step {
  return { kind: step.kind, name: step.name, action: diff.action, changes: diff.changes, ...(note ? { note } : {}), ...(diff.warn ? { warn: true } : {}) };
}

/** Thrown where an object waited for one of another chain that failed: that chain's error is the one to report. */
class WaitedInVain extends Error {}

/** When each planned object is applied (order.ts WAITS); an object of a chain that failed never is. */
class Progress {
  readonly #when = new Map<AnyAdapter, { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void }>();

  constructor(chains: readonly (readonly Operation[])[]) {
    for (const { adapter } of chains.flat()) {
      const entry = Promise.withResolvers<void>();
      // Nobody may wait for it: a failure here is reported through its own chain.
      entry.promise.catch(() => undefined);
      this.#when.set(adapter, entry);
    }
  }

  /** Resolves once every one of `adapters` in the plan is applied (those not in it do not apply to this run). */
  async after(adapters: readonly AnyAdapter[]): Promise<void> {
    await Promise.all(adapters.flatMap((a) => this.#when.get(a)?.promise ?? []));
  }

  applied(adapter: AnyAdapter): void {
    this.#when.get(adapter)?.resolve();
  }

  failed(chain: readonly Operation[]): void {
    for (const { adapter } of chain) this.#when.get(adapter)?.reject(new WaitedInVain(`${adapter.kind} was not applied`));
  }
}

async function applyChain(
  chain: readonly Operation[],
  d: DesiredState,
  seen: Objects,
  done: Objects,
  ctx: ApplyContext,
  progress: Progress,
  asDone: Map<Step, Step>,
  found: Set<AnyAdapter>,
): Promise<void> {
  try {
    for (const op of chain) {
      const { adapter, step } = op;
      await progress.after(WAITS.get(adapter) ?? []);
      const result = await converge(adapter, d, op, seen, done, ctx, found);
      done.set(adapter, result.value);
      if (result.adopted) found.add(adapter);
      if (result.asDone) asDone.set(step, result.asDone);
      progress.applied(adapter);
      logDone(ctx.log, result.asDone ?? step, result.adopted === true);
    }
  } catch (error) {
    // What waits for the rest of this chain fails too (a settled promise ignores the second settle).
    progress.failed(chain);
    throw error;
  }
}

export async function apply(client: AuthentikClient, desired: DesiredState, p: Plan, logger: Logger, extras: RunExtras = {}): Promise<Applied> {
  const ctx: ApplyContext = { ...extras, client, log: logger.child({ step: "apply" }), rotated: [] };
  // What the later objects of a chain need comes from here: found unchanged, or as made in this run.
  const done = p.seen.copy();
  const progress = new Progress(p.chains);
  const asDone = new Map<Step, Step>();
  // The objects planned to be made and found there (adopted).
  const found = new Set<AnyAdapter>();
  const first = p.chains.filter((chain) => FIRST.includes(chain[0]!.adapter));
  for (const chain of first) await applyChain(chain, desired, p.seen, done, ctx, progress, asDone, found);
  const rest = p.chains.filter((chain) => !first.includes(chain));
  const results = await Promise.allSettled(rest.map((chain) => applyChain(chain, desired, p.seen, done, ctx, progress, asDone, found)));
  const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
  const failed = failures.find((e) => !(e instanceof WaitedInVain)) ?? failures[0];
  if (failed) throw failed;
  return { done, rotated: ctx.rotated, asDone };
}
