/**
 * Apply mode: authentik first, then the output files, then the consumers' own APIs, then the checks (whose
 * requests to authentik go out while the files are written), then NetBird's configuration. Returns the summary's
 * share of the run.
 */
import type { AuthentikClient } from "../authentik/client.ts";
import type { Config } from "../config.ts";
import type { RestartNotice } from "../consumers/types.ts";
import { VerifyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { FileShare } from "../output/files.ts";
import type { Output } from "../output/output.ts";
import { readIfExists } from "../output/write-atomic.ts";
import type { Objects } from "../reconcile/adapter.ts";
import { application } from "../reconcile/adapters/application.ts";
import type { AnyAdapter } from "../reconcile/adapter.ts";
import { accessGroup, role } from "../reconcile/adapters/access.ts";
import { appPassword, serviceAccount } from "../reconcile/adapters/service-account.ts";
import { adminMembership, membership } from "../reconcile/adapters/membership.ts";
import { brand, deviceFlow } from "../reconcile/adapters/device-login.ts";
import { provider } from "../reconcile/adapters/provider.ts";
import { apply } from "../reconcile/apply.ts";
import type { Provisioned, Rotation } from "../reconcile/desired.ts";
import { stepOf } from "../reconcile/plan.ts";
import { DONE, type Step } from "../reconcile/types.ts";
import { appliedValues } from "../reconcile/values.ts";
import type { Summary } from "../report.ts";
import { configureStep, ownedBefore, restartNotice, scriptCopy, scriptInput } from "./configure-sh.ts";
import { checkUnit, shareOf, type Unit } from "./unit.ts";

type Applied = { u: Unit; values: Provisioned; done: Objects; rotated: Rotation[]; asDone: ReadonlyMap<Step, Step> };
export type ApplyResult = Pick<Summary, "rotated" | "credentials" | "output" | "configureSh" | "restart">;

/** The throttled device endpoint is called only when something it depends on changed in this run (and NetBird's login did not prove it). */
const DEVICE_INPUTS = [provider, application, deviceFlow, brand];
/** The account's rights are probed (an admin call refused) when something they come from changed. */
const ACCESS_INPUTS = [serviceAccount, appPassword, role, accessGroup, membership, adminMembership];
/** Whether this run changed one of `adapters`' objects: as done, not as planned (an object adopted unchanged did not change). */
const changed = ({ u, asDone }: Applied, adapters: readonly AnyAdapter[]) =>
  adapters.some((adapter) => {
    const planned = stepOf(u.plan, adapter);
    const step = planned && (asDone.get(planned) ?? planned);
    return (step?.action ?? "noop") !== "noop";
  });

export async function applyMode(
  ak: AuthentikClient,
  config: Config,
  units: readonly Unit[],
  steps: Step[],
  io: { env: NodeJS.ProcessEnv; logger: Logger; print: (text: string) => void; output: Output },
): Promise<ApplyResult> {
  const { logger } = io;
  // Consumers one after the other (each one's chains run side by side).
  const applied: Applied[] = [];
  for (const u of units) {
    const { done, rotated, asDone } = await apply(ak, u.desired, u.plan, logger.child({ consumer: u.consumer.id }), u.extras);
    // The summary tells what was done: an object planned to be made and found there is reported as adopted, and a
    // step planned anew against it as done.
    for (const [planned, actual] of asDone) {
      const at = steps.indexOf(planned);
      if (at >= 0) steps[at] = actual;
    }
    applied.push({ u, done, rotated, asDone, values: await appliedValues(ak, u.desired, done) });
  }
  const rotated = applied.flatMap((a) => a.rotated);

  // The files: read what configure.sh's setup.env held before they are written.
  const script = scriptInput(config, applied);
  const before = script ? await ownedBefore(script, readIfExists(script.setupEnv) !== undefined) : undefined;
  // The output the configuration picked: files in OUTPUT_DIR, or a Kubernetes Secret.
  const shares: FileShare[] = applied.map(({ u, values }) => shareOf(u, values));
  const writing = io.output.write([...shares, ...(script ? scriptCopy(script) : [])]);
  // The checks need authentik only: their requests go out while the output is written (a synced write on a slow
  // disk takes its time), and the output check reads it once the write is done. A failed write is the run's
  // error, and then the checks' answers are not looked at (they never reject).
  const fileReady = writing.then(
    () => undefined,
    () => undefined,
  );
  const checking = config.verify
    ? Promise.all(
        applied.map((a) =>
          checkUnit(
            ak,
            a.u,
            a.values,
            a.done,
            { device: changed(a, DEVICE_INPUTS) ? "unproven" : "never", access: changed(a, ACCESS_INPUTS), grant: !changed(a, [provider, application, ...ACCESS_INPUTS]) },
            logger,
            fileReady,
          ),
        ),
      )
    : undefined;
  const written = await writing;
  const outputs = [...new Set(shares.map((s) => io.output.name(s.path)))];
  for (const file of outputs) logger.info({ file, written: written.includes(file) }, `${io.output.noun} ${written.includes(file) ? "written" : "unchanged"}`);

  // Then the consumers with an API for it (NetBird's connector): authentik and the files hold the values first.
  const restarts: RestartNotice[] = [];
  for (const a of applied) {
    const publish = a.u.consumer.publish;
    if (!publish) continue;
    const secretRotated = a.rotated.some((r) => r.kind === "client-secret");
    const { step, restart } = await publish.apply(a.u.ctx, a.values, { secretRotated, logger, print: io.print });
    steps.push(step);
    if (restart) restarts.push(restart);
    logger.info({ kind: step.kind, name: step.name, action: DONE[step.action] }, `${step.kind} '${step.name}' ${DONE[step.action]}`);
  }

  if (checking) {
    const results = await checking;
    const failed = results.flat().filter((r) => !r.ok);
    if (failed.length) throw new VerifyError(failed);
  }

  let configureSh: NonNullable<Summary["configureSh"]> = { action: "not-configured", changed: [] };
  if (script) {
    const result = await configureStep(ak, config, script, before, readIfExists(script.setupEnv) ?? "", { env: io.env, logger, dryRun: false });
    configureSh = { action: result.action, changed: result.changed, ...(result.unplaced.length ? { unplaced: result.unplaced } : {}) };
    const notice = restartNotice(result, rotated);
    if (notice) restarts.push(notice);
  } else if (written.some((p) => units.some((u) => u.consumer.configure && p === u.path))) {
    logger.warn(
      "setup.env changed: NetBird's generated configuration must follow. Let the bootstrap do it (CONFIGURE_SH): re-running configure.sh by hand over existing artifacts loses NetBird's DataStoreEncryptionKey, relay secret and TURN password",
    );
  }
  for (const r of restarts) {
    logger.warn(
      { restart: r },
      `NetBird must restart to use it: ${r.command} (in ${r.directory})${r.before ? `, before ${r.before} when the previous app password stops working` : ""}: ${r.reason}`,
    );
  }
  const credentials = [
    ...applied.filter((a) => a.values.username).map((a) => ({ credential: `app password of '${a.values.username!}'`, expires: "never" })),
    ...rotated.filter((r) => r.previousValidUntil).map((r) => ({ credential: `previous ${r.credential}`, expires: r.previousValidUntil! })),
  ];
  return {
    rotated,
    credentials,
    output: { file: outputs.join(","), written: outputs.some((p) => written.includes(p)) },
    configureSh,
    ...(restarts.length ? { restart: restarts } : {}),
  };
}
