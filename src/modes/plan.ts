/** Plan mode: print what would change — objects, files, the consumers' APIs, NetBird's configuration — and change nothing. */
import type { AuthentikClient } from "../authentik/client.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { BASH } from "../output/env-file.ts";
import { renderFile } from "../output/files.ts";
import type { Output } from "../output/output.ts";
import { readIfExists } from "../output/write-atomic.ts";
import { hasChanges } from "../reconcile/plan.ts";
import type { Step } from "../reconcile/types.ts";
import { currentValues } from "../reconcile/values.ts";
import { renderPlan } from "../report.ts";
import { configureStep, ownedBefore, restartNotice, scriptInput, type ScriptInput } from "./configure-sh.ts";
import { shareOf, type Unit } from "./unit.ts";

/** Prints the plan; returns whether anything would change. */
export async function planMode(
  ak: AuthentikClient,
  config: Config,
  units: readonly Unit[],
  steps: Step[],
  io: { env: NodeJS.ProcessEnv; logger: Logger; print: (text: string) => void; output: Output },
): Promise<boolean> {
  const current = await Promise.all(
    units.map(async (u) => {
      const read = await io.output.read(u.path, u.consumer.fileVars, u.consumer.format);
      return { u, values: currentValues(u.desired, u.plan.seen, read ? u.consumer.fromFile(read) : {}) };
    }),
  );
  const files = await io.output.plan(
    current.map(({ u, values }) => (values ? shareOf(u, values) : { path: u.path, entries: [], format: u.consumer.format })),
    new Set(current.filter((c) => !c.values).map((c) => c.u.path)),
  );
  for (const { u, values } of current) if (u.consumer.publish) steps.push(await u.consumer.publish.plan(u.ctx, values));
  const script = scriptInput(config, current);
  if (script) steps.push(await configurePlan(ak, config, script, current, io));
  io.print(renderPlan(steps, files));
  return units.some((u) => hasChanges(u.plan)) || files.some((f) => f.action !== "noop") || steps.some((s) => s.action !== "noop");
}

async function configurePlan(
  ak: AuthentikClient,
  config: Config,
  script: ScriptInput,
  current: readonly { u: Unit; values: unknown }[],
  io: { env: NodeJS.ProcessEnv; logger: Logger },
): Promise<Step> {
  const name = script.artifactsDir;
  // Values that do not exist yet (a provider to create, a key to rotate) cannot be rendered: say what changes.
  if (current.some((c) => !c.values) || current.some((c) => c.u.desired.rotate.appPassword)) {
    return {
      kind: "NetBird configuration",
      name,
      action: "update",
      changes: [],
      note: "the places holding a new client id or app password are updated once they exist; then restart management (and the dashboard for a new client id)",
    };
  }
  const existing = readIfExists(script.setupEnv);
  const setupEnv = renderFile({ path: script.setupEnv, entries: script.entries, format: BASH }, existing);
  const result = await configureStep(ak, config, script, await ownedBefore(script, existing !== undefined), setupEnv, { ...io, dryRun: true });
  const restart = restartNotice(result, []);
  return {
    kind: "NetBird configuration",
    name,
    action: result.action === "generated" ? "create" : result.action === "updated" ? "update" : "noop",
    changes: result.action === "updated" ? result.changed.map((place) => ({ field: place, from: "(current)", to: "(new)" })) : [],
    ...(restart ? { note: `then: ${restart.command}` } : {}),
  };
}
