/**
 * NetBird's configure.sh, run once and never over what it generated. The first run (no
 * `artifacts/management.json` yet) runs the real script in its directory. Every later run updates only the
 * places of the existing artifacts that hold values this tool owns (see artifacts.ts), so the datastore
 * encryption key NetBird generated, the relay secret, the TURN credentials and every hand edit survive;
 * it then says which services must restart to read the change.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, stat, writeFile, copyFile, chmod } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ScriptError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { mergeEnvFile } from "../output/env-file.ts";
import { readIfExists, writeFileAtomic } from "../output/write-atomic.ts";
import { runScript } from "../script.ts";
import { applyLocations, describeLocation, exists, ownedLocations, readArtifacts, renderArtifacts, servicesFor } from "./artifacts.ts";
import { SCRIPT_INPUT } from "./script-input.ts";

/** What a consumer's configure.sh needs to know about the keys this tool writes into setup.env. */
export interface ConfigureKeys {
  /** Values authentik hands out (client ids, app password, discovery URL): their places are always ours. */
  readonly provisioned: readonly string[];
  /** Keys whose value is a discovery URL that configure.sh downloads (served to scratch renders from a copy). */
  readonly discovery: readonly string[];
}

export interface ConfigureInput {
  script: string;
  /** setup.env beside the script as this run wrote it. */
  setupEnv: string;
  /** This run's owned entries of setup.env. */
  owned: readonly (readonly [string, string])[];
  /** The owned keys' values as setup.env had them before this run (undefined: there was no file). */
  before: Readonly<Record<string, string>> | undefined;
  keys: ConfigureKeys;
  /** Downloads a discovery document (the body, or undefined when it cannot be had). */
  fetchDocument: (url: string) => Promise<string | undefined>;
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Plan mode: find out what would change, write nothing. */
  dryRun: boolean;
}

export interface Restart {
  services: string[];
  /** Run in `directory` (the artifacts folder with NetBird's docker-compose.yml). */
  command: string;
  directory: string;
}

export interface ConfigureResult {
  action: "generated" | "updated" | "unchanged";
  /** The places changed (names, never values). */
  changed: string[];
  /** Owned places that could not be found in the existing files (hand-restructured): left as they are. */
  unplaced: string[];
  restart: Restart | undefined;
}

const FINGERPRINT = ".authentik-bootstrap.sha256";

/** Everything the update depends on; equal to the stored one means the artifacts are known to be in step. */
async function fingerprint(scriptDir: string, setupEnv: string, artifacts: Readonly<Record<string, string>>): Promise<string> {
  const hash = createHash("sha256").update(setupEnv);
  for (const name of (await readdir(scriptDir)).sort()) {
    if (name === SCRIPT_INPUT || name === "artifacts" || name === "management.json" || name.includes(".bkp.")) continue;
    const path = join(scriptDir, name);
    if ((await stat(path)).isFile()) hash.update(`\0${name}\0`).update(await readFile(path));
  }
  for (const [name, text] of Object.entries(artifacts)) hash.update(`\0artifacts/${name}\0${text}`);
  return hash.digest("hex");
}

function markerDocument(base: string): string {
  return JSON.stringify({
    issuer: `${base}/issuer/`,
    jwks_uri: `${base}/jwks/`,
    token_endpoint: `${base}/token/`,
    device_authorization_endpoint: `${base}/device/`,
    authorization_endpoint: `${base}/authorize/`,
    userinfo_endpoint: `${base}/userinfo/`,
    end_session_endpoint: `${base}/end-session/`,
  });
}

export async function configureNetbird(input: ConfigureInput): Promise<ConfigureResult> {
  const scriptDir = dirname(input.script);
  const artifactsDir = join(scriptDir, "artifacts");
  const log = input.logger.child({ step: "configure.sh" });

  if (!(await exists(join(artifactsDir, "management.json")))) {
    if (!input.dryRun) await runScript(input.script, input.timeoutMs, log, input.env);
    return { action: "generated", changed: ["artifacts/ (all files)"], unplaced: [], restart: { services: [], command: "docker compose up -d", directory: artifactsDir } };
  }

  const current = await readArtifacts(artifactsDir);
  const stored = readIfExists(join(artifactsDir, FINGERPRINT))?.trim();
  if (stored && stored === (await fingerprint(scriptDir, input.setupEnv, current))) {
    log.debug("NetBird's configuration is in step with setup.env (fingerprint unchanged)");
    return { action: "unchanged", changed: [], unplaced: [], restart: undefined };
  }

  // Which owned keys get a marker: the provisioned ones always, the others when this run changes them.
  const marked = input.owned.filter(([k, v]) => input.keys.provisioned.includes(k) || (input.before !== undefined && input.before[k] !== v));
  const documents: Record<string, string> = {};
  const markers: [string, string][] = marked.map(([k, v], i) => {
    // Some values are pasted into management.json as JSON literals (`"DisablePromptLogin": $…`): their marker
    // must be a literal of the same kind.
    if (v === "true" || v === "false") return [k, v === "true" ? "false" : "true"];
    if (/^\d+$/.test(v)) return [k, String(Number(v) + 7919)];
    if (!input.keys.discovery.includes(k)) return [k, `akb-marker-${i}`];
    const base = `http://akb-marker-${i}.invalid/o`;
    documents[`${base}/.well-known/openid-configuration`] = markerDocument(base);
    return [k, `${base}/.well-known/openid-configuration`];
  });
  for (const [k, url] of input.owned.filter(([k]) => input.keys.discovery.includes(k))) {
    const body = await input.fetchDocument(url);
    if (body === undefined) {
      throw new ScriptError(`Cannot update NetBird's configuration: the discovery document ${url} (${k}) could not be downloaded`);
    }
    documents[url] = body;
  }
  const markedEnv = mergeEnvFile(input.setupEnv, markers);
  const [real, again, withMarkers] = await Promise.all([
    renderArtifacts(input.script, input.setupEnv, documents, input.timeoutMs, input.env),
    renderArtifacts(input.script, input.setupEnv, documents, input.timeoutMs, input.env),
    renderArtifacts(input.script, markedEnv, documents, input.timeoutMs, input.env),
  ]);
  const { locations, unaligned } = ownedLocations(real, again, withMarkers);
  const { files, changed, unplaced } = applyLocations(current, real, locations);
  const unplacedNames = [...unplaced.map(describeLocation), ...unaligned];
  if (unplacedNames.length)
    log.warn({ places: unplacedNames }, "some places of NetBird's configuration that hold this tool's values could not be found (edited by hand?): left as they are");

  const services = servicesFor(changed, files["docker-compose.yml"] ?? current["docker-compose.yml"]);
  if (!input.dryRun) {
    const stamp = Math.floor(Date.now() / 1000);
    for (const [name, text] of Object.entries(files)) {
      const path = join(artifactsDir, name);
      const mode = (await stat(path)).mode & 0o777;
      // A copy of what was there, as configure.sh keeps them (`<file>.bkp.<epoch>`), private: it holds secrets.
      await copyFile(path, `${path}.bkp.${stamp}`);
      await chmod(`${path}.bkp.${stamp}`, 0o600);
      await writeFileAtomic(path, text, mode);
    }
    await writeFile(join(artifactsDir, FINGERPRINT), `${await fingerprint(scriptDir, input.setupEnv, await readArtifacts(artifactsDir))}\n`, { mode: 0o600 });
  }
  return {
    action: changed.length ? "updated" : "unchanged",
    changed: changed.map(describeLocation),
    unplaced: unplacedNames,
    restart: services.length ? { services, command: `docker compose up -d --force-recreate ${services.join(" ")}`, directory: artifactsDir } : undefined,
  };
}
