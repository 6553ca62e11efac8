/**
 * The output files of a run: the entries of every consumer writing into the same file merged in order, each
 * file rendered over its existing content (other lines kept) and written only when it changed.
 */
import { OutputError } from "../errors.ts";
import { changedKeys, mergeEnvFile, UnsafeValueError, type FileFormat } from "./env-file.ts";
import { readIfExists, writeFileAtomic } from "./write-atomic.ts";

export type Entries = readonly (readonly [string, string])[];

/** One consumer's share of an output file. */
export interface FileShare {
  path: string;
  entries: Entries;
  format: FileFormat;
  /** Written only into a Kubernetes Secret: the keys the consumer's chart reads, and keys generated once. */
  kubernetes?: { entries: Entries; generated: readonly string[] };
}

/** What writing a file would do, for the plan. */
export interface FilePlan {
  path: string;
  /** What is written ("file" unless said: "Secret"). */
  kind?: string;
  action: "create" | "update" | "noop";
  keys: string[];
}

/** Pure: the shares grouped by file, in order; consumers sharing a bash file get the strictest rule (raw JSON). */
function byFile(shares: readonly FileShare[]): FileShare[] {
  const files = new Map<string, FileShare>();
  for (const share of shares) {
    const prev = files.get(share.path);
    const format: FileFormat = prev?.format.kind === "bash" && share.format.kind === "bash" ? { kind: "bash", rawJson: prev.format.rawJson || share.format.rawJson } : share.format;
    files.set(share.path, { path: share.path, entries: [...(prev?.entries ?? []), ...share.entries], format });
  }
  return [...files.values()];
}

/** Pure: the file with our entries merged into its existing content; a value the format cannot carry is refused. */
export function renderFile(file: FileShare, existing: string | undefined): string {
  try {
    return mergeEnvFile(existing, file.entries, file.format);
  } catch (error) {
    if (error instanceof UnsafeValueError) throw new OutputError(`Refusing to write '${file.path}': ${error.message}`, { cause: error });
    throw error;
  }
}

/** Merge the entries into the file now; returns whether it changed. */
export async function writeShare(file: FileShare): Promise<boolean> {
  return writeFileAtomic(file.path, renderFile(file, readIfExists(file.path)));
}

/** Write every file that changed; returns the paths written. */
export async function writeFiles(shares: readonly FileShare[]): Promise<string[]> {
  const written: string[] = [];
  for (const file of byFile(shares)) if (await writeShare(file)) written.push(file.path);
  return written;
}

/** Plan mode: what writing would do. `unknown`: files whose values do not exist yet (objects still to create). */
export function planFiles(shares: readonly FileShare[], unknown: ReadonlySet<string>): FilePlan[] {
  const plans: FilePlan[] = [];
  for (const file of byFile(shares)) {
    const existing = readIfExists(file.path);
    const keys = unknown.has(file.path) ? ["(all owned keys: values are known once the objects exist)"] : changedKeys(existing, file.entries, file.format);
    plans.push({ path: file.path, keys, action: existing === undefined ? "create" : keys.length ? "update" : "noop" });
  }
  return plans;
}
