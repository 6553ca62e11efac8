/**
 * Where a run's output goes, picked by configuration (run.ts): files in OUTPUT_DIR (the default, here), or one
 * Kubernetes Secret (KUBERNETES_SECRET, secret.ts). Both take the consumers' shares — the entries of their output file — and merge them into
 * what is there, keeping everything they do not own and writing nothing when nothing changed.
 */
import { statSync } from "node:fs";
import type { FileFormat } from "./env-file.ts";
import { planFiles, writeFiles, writeShare, type Entries, type FilePlan, type FileShare } from "./files.ts";
import { readVars } from "./read-file.ts";
import { checkWritableDir, readIfExists } from "./write-atomic.ts";

export interface Output {
  /** What the output is called in logs ("output file", "Secret"). */
  readonly noun: string;
  /** The name a share's output goes by in logs, the summary and verification (a file's path, `Secret <ns>/<name>`). */
  name(path: string): string;
  /** Apply mode, before authentik is touched: fail now if the output could not be written. */
  check(): Promise<void>;
  /** The values of `keys` as the consumer reads them; undefined when there is nothing to read yet. */
  read(path: string, keys: readonly string[], format: FileFormat): Promise<Record<string, string> | undefined>;
  /**
   * A stamp that changes whenever the output does (a file's inode, size and times); undefined where there is none
   * to compare. A reading taken after a stamp is still the output's while the stamp is the same.
   */
  stamp(path: string): Promise<string | undefined>;
  /** How `read` reads, for verification messages. */
  how(format: FileFormat): string;
  /** The entries the consumer will read from a share (verification compares them). */
  expected(share: FileShare): Entries;
  /** Merge one share in now (a value that must survive whatever fails later). */
  persist(share: FileShare): Promise<void>;
  /** Merge every share in; returns the names of the outputs that changed. */
  write(shares: readonly FileShare[]): Promise<string[]>;
  /** Plan mode: what writing would do. `unknown`: paths whose values do not exist yet. */
  plan(shares: readonly FileShare[], unknown: ReadonlySet<string>): Promise<FilePlan[]>;
  close(): void;
}

/** Who the file at `path` is (device, inode) and its size and times; undefined when it cannot be read. */
function stampOf(path: string): string | undefined {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return undefined;
  }
}

/** Files in OUTPUT_DIR, each written atomically and read back as its consumer reads it. */
export function fileOutput(outputDir: string): Output {
  return {
    noun: "output file",
    name: (path) => path,
    // A rejection, not a throw, when the probe fails (the executor's throw rejects).
    check: () => new Promise<void>((done) => done(checkWritableDir(outputDir))),
    read: async (path, keys, format) => {
      const text = readIfExists(path);
      return text === undefined ? undefined : readVars(path, keys, format, text);
    },
    // An atomic write is a rename onto the path: a new inode.
    stamp: (path) => Promise.resolve(stampOf(path)),
    how: (format) => (format.kind === "bash" ? "sourced by bash" : "read as docker reads an env file"),
    expected: (share) => share.entries,
    persist: async (share) => void (await writeShare(share)),
    write: writeFiles,
    plan: (shares, unknown) => new Promise((done) => done(planFiles(shares, unknown))),
    close: () => undefined,
  };
}
