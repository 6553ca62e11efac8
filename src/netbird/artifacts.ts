/**
 * NetBird's generated configuration — what `configure.sh` writes into `artifacts/` (management.json,
 * docker-compose.yml, turnserver.conf, …) — kept in step with setup.env without running configure.sh over it
 * again. A re-run of configure.sh replaces every file wholesale: it reads `DataStoreEncryptionKey` only from a
 * `./management.json` beside itself (configure.sh lines 236-243), so the key NetBird generated is lost, and
 * base.setup.env empties the relay secret and the TURN password (lines 29 and 40), so both are regenerated.
 *
 * Instead NetBird's own script is asked where each value this tool owns lands: it renders the configuration
 * in scratch directories three times — with the real values, once more with the real values (whatever differs
 * between those two is randomly generated, never ours), and with a marker in place of each value this tool
 * owns. The places that differ between the real and the marked render are ours; only those are changed in
 * the existing artifacts, each by its JSON path or by its line, and every other byte stays as it was.
 */
import { constants } from "node:fs";
import { access, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { applyEdits, findNodeAtLocation, getNodeValue, modify, parseTree, type JSONPath, type Node } from "jsonc-parser";
import { ScriptError } from "../errors.ts";
import { scrub } from "../secrets.ts";
import { scriptEnvironment } from "../script.ts";
import { SCRIPT_INPUT } from "./script-input.ts";

/** Text files of an artifacts directory, by file name. */
export type ArtifactFiles = Readonly<Record<string, string>>;

/** One place in the artifacts that holds a value this tool owns. */
export type Location =
  { readonly file: string; readonly kind: "json"; readonly path: JSONPath } | { readonly file: string; readonly kind: "line"; readonly prefix: string; readonly line: string };

/** Files configure.sh writes that are not configuration (its downloaded discovery document, backups). */
const IGNORED = (name: string) => name === "openid-configuration.json" || name.includes(".bkp.") || name.startsWith(".");

/** Reads the top-level text files of an artifacts directory (none when it does not exist). */
export async function readArtifacts(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return files;
  }
  for (const name of names.sort()) {
    if (IGNORED(name)) continue;
    const path = join(dir, name);
    if (!(await stat(path)).isFile()) continue;
    files[name] = await readFile(path, "utf8");
  }
  return files;
}

/** A `curl` stand-in for the scratch renders: it serves recorded documents by URL and fails for anything else. */
function curlShim(): string {
  return `#!${process.execPath}
const fs = require("node:fs");
const args = process.argv.slice(2);
let out, url;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "-o") out = args[++i];
  else if (/^https?:\\/\\//.test(args[i])) url = args[i];
}
const map = JSON.parse(fs.readFileSync(process.env.AKB_CURL_MAP, "utf8"));
// curl's exit code 6 ("could not resolve host") for a URL it has no answer for.
if (!url || !(url in map)) process.exitCode = 6;
else if (out) fs.writeFileSync(out, map[url]);
else process.stdout.write(map[url]);
`;
}

/**
 * Runs configure.sh on `setupEnv` in a scratch copy of its directory (without its artifacts, setup.env or
 * management.json) and returns the artifacts it writes. Its downloads come from `documents` (URL → body), so a
 * render needs no network and gives the same result twice but for what the script generates at random;
 * `docker` answers nothing (the script only lists volumes with it).
 */
export async function renderArtifacts(
  script: string,
  setupEnv: string,
  documents: Readonly<Record<string, string>>,
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
): Promise<ArtifactFiles> {
  const source = dirname(script);
  const dir = await mkdtemp(join(tmpdir(), "akb-render-"));
  try {
    await cp(source, dir, {
      recursive: true,
      filter: (src) => {
        const rel = src.slice(source.length).replace(/^\//, "");
        return rel === "" || !(rel === "artifacts" || rel.startsWith("artifacts/") || rel === SCRIPT_INPUT || rel === "management.json" || rel.includes(".bkp."));
      },
    });
    await writeFile(join(dir, SCRIPT_INPUT), setupEnv, { mode: 0o600 });
    const bin = join(dir, ".akb-bin");
    await mkdir(bin);
    await writeFile(join(bin, "curl"), curlShim(), { mode: 0o755 });
    // configure.sh asks `docker volume ls` for volumes named wiretrustee-* (lines 117-125); a render must not
    // depend on the host's containers, and the answer only names volumes, never a value of ours.
    await writeFile(join(bin, "docker"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    await writeFile(join(bin, "map.json"), JSON.stringify(documents), { mode: 0o600 });
    const base = scriptEnvironment(env);
    const { execa } = await import("execa");
    const result = await execa(join(dir, basename(script)), [], {
      cwd: dir,
      env: { ...base, PATH: `${bin}:${base.PATH ?? "/usr/local/bin:/usr/bin:/bin"}`, AKB_CURL_MAP: join(bin, "map.json") },
      extendEnv: false,
      timeout: timeoutMs,
      reject: false,
      stdin: "ignore",
      all: true,
    });
    if (result.failed) {
      const tail = String(result.all ?? "")
        .split("\n")
        .slice(-3)
        .join(" | ");
      throw new ScriptError(
        `Cannot render NetBird's configuration with '${script}' (in a scratch directory, to find where the values this tool owns go): ${result.timedOut ? "timed out" : `exit ${String(result.exitCode)}`}; last lines: ${scrub(tail)}`,
      );
    }
    return await readArtifacts(join(dir, "artifacts"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function leaves(node: Node | undefined, path: JSONPath = [], out = new Map<string, { path: JSONPath; value: unknown }>()): Map<string, { path: JSONPath; value: unknown }> {
  if (!node) return out;
  if (node.type === "object") {
    for (const prop of node.children ?? []) {
      const [key, value] = prop.children ?? [];
      if (key && value) leaves(value, [...path, String(key.value)], out);
    }
  } else if (node.type === "array") {
    (node.children ?? []).forEach((child, i) => leaves(child, [...path, i], out));
  } else out.set(JSON.stringify(path), { path, value: getNodeValue(node) });
  return out;
}

/** The line's beginning that names the setting (up to the last `=`, `:`, `"` or space before the value). */
function linePrefix(real: string, marked: string): string {
  let i = 0;
  while (i < real.length && real[i] === marked[i]) i++;
  const common = real.slice(0, i);
  const cut = Math.max(common.lastIndexOf("="), common.lastIndexOf(":"), common.lastIndexOf('"'), common.lastIndexOf(" "));
  return cut >= 0 ? common.slice(0, cut + 1) : "";
}

/**
 * Pure: the places of the values this tool owns. `real` and `again` are two renders with the real values
 * (their differences are generated secrets), `marked` a render with markers in place of the owned values.
 * A text file whose renders do not line up is reported as `unaligned` (its owned places cannot be told).
 */
export function ownedLocations(real: ArtifactFiles, again: ArtifactFiles, marked: ArtifactFiles): { locations: Location[]; unaligned: string[] } {
  const locations: Location[] = [];
  const unaligned: string[] = [];
  for (const [file, text] of Object.entries(real)) {
    const other = marked[file];
    const twice = again[file];
    if (other === undefined || twice === undefined || other === text) continue;
    if (file.endsWith(".json")) {
      const a = leaves(parseTree(text));
      const b = leaves(parseTree(twice));
      const m = leaves(parseTree(other));
      for (const [key, { path, value }] of a) {
        const same = JSON.stringify(b.get(key)?.value) === JSON.stringify(value);
        if (same && JSON.stringify(m.get(key)?.value) !== JSON.stringify(value)) locations.push({ file, kind: "json", path });
      }
      continue;
    }
    const [ra, rb, rm_] = [text.split("\n"), twice.split("\n"), other.split("\n")];
    if (ra.length !== rm_.length || ra.length !== rb.length) {
      unaligned.push(file);
      continue;
    }
    ra.forEach((line, i) => {
      if (line === rb[i] && line !== rm_[i]) {
        const prefix = linePrefix(line, rm_[i]!);
        if (prefix.trim() === "") unaligned.push(`${file}:${i + 1}`);
        else locations.push({ file, kind: "line", prefix, line });
      }
    });
  }
  return { locations, unaligned };
}

/** A location's name for people (never its value). */
export function describeLocation(l: Location): string {
  return l.kind === "json" ? `${l.file} ${l.path.join(".")}` : `${l.file} ${l.prefix.trim().replace(/^- /, "").replace(/[=:]$/, "")}`;
}

/**
 * Pure: the existing artifacts with the owned places set to what the real render has. JSON values are
 * replaced in the text (formatting, key order and every other value untouched); a line is found by its
 * prefix and replaced only if exactly one line has it. Returns only the files that change.
 */
export function applyLocations(
  current: ArtifactFiles,
  real: ArtifactFiles,
  locations: readonly Location[],
): { files: Record<string, string>; changed: Location[]; unplaced: Location[] } {
  const files: Record<string, string> = {};
  const changed: Location[] = [];
  const unplaced: Location[] = [];
  for (const loc of locations) {
    const text = files[loc.file] ?? current[loc.file];
    if (text === undefined) {
      unplaced.push(loc);
      continue;
    }
    if (loc.kind === "json") {
      const tree = parseTree(text);
      const wanted = getNodeValue(findNodeAtLocation(parseTree(real[loc.file]!)!, loc.path)!) as unknown;
      const node = tree ? findNodeAtLocation(tree, loc.path) : undefined;
      if (!tree) {
        unplaced.push(loc);
        continue;
      }
      if (node && JSON.stringify(getNodeValue(node)) === JSON.stringify(wanted)) continue;
      const indent = /\n( +)"/.exec(text)?.[1]?.length ?? 4;
      files[loc.file] = applyEdits(text, modify(text, loc.path, wanted, { formattingOptions: { insertSpaces: true, tabSize: indent } }));
      changed.push(loc);
      continue;
    }
    const lines = text.split("\n");
    const at = lines.flatMap((l, i) => (l.startsWith(loc.prefix) ? [i] : []));
    if (at.length !== 1) {
      unplaced.push(loc);
      continue;
    }
    if (lines[at[0]!] === loc.line) continue;
    lines[at[0]!] = loc.line;
    files[loc.file] = lines.join("\n");
    changed.push(loc);
  }
  return { files, changed, unplaced };
}

/** Pure: the compose services that read a changed place (management.json → management, a compose line → its service). */
export function servicesFor(changed: readonly Location[], compose: string | undefined): string[] {
  const services = new Set<string>();
  const composeLines = (compose ?? "").split("\n");
  for (const loc of changed) {
    if (loc.file === "management.json") services.add("management");
    else if (loc.file === "turnserver.conf") services.add("coturn");
    else if (loc.file.startsWith("docker-compose") && loc.kind === "line") {
      const at = composeLines.findIndex((l) => l.startsWith(loc.prefix));
      for (let i = at; i >= 0; i--) {
        const m = /^ {2}([A-Za-z0-9_.-]+):\s*$/.exec(composeLines[i]!);
        if (m) {
          services.add(m[1]!);
          break;
        }
      }
    } else services.add(loc.file.replace(/\.[^.]+$/, "").replace(/\.config$/, ""));
  }
  return [...services].sort();
}

export async function exists(path: string): Promise<boolean> {
  return access(path, constants.F_OK).then(
    () => true,
    () => false,
  );
}
