/** Verify mode: check what exists, as the consumers will use it, with the values from their output files. */
import type { AuthentikClient } from "../authentik/client.ts";
import { VerifyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { registerSecret } from "../secrets.ts";
import { checkUnit, readOutput, type Unit } from "./unit.ts";

export async function verifyMode(ak: AuthentikClient, units: readonly Unit[], logger: Logger): Promise<void> {
  const failed: { check: string; message: string }[] = [];
  for (const u of units) {
    const read = await readOutput(u, u.consumer.fileVars);
    if (!read) {
      failed.push({
        check: "output",
        message: `${u.output.name(u.path)} ${u.output.noun === "Secret" ? "holds none of the keys yet" : "does not exist"}: run without --verify first`,
      });
      continue;
    }
    const values = u.consumer.fromFile(read);
    for (const v of [values.clientSecret, values.appPassword]) registerSecret(v);
    // Asked for by a person: the throttled device endpoint is called too.
    const results = await checkUnit(ak, u, values, u.plan.seen, { device: "always", access: true, grant: true }, logger);
    failed.push(...results.filter((r) => !r.ok));
  }
  if (failed.length) throw new VerifyError(failed);
}
