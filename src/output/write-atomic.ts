/**
 * Write a file so that readers only ever see the old complete file or the new complete file: temp file in
 * the same directory (same filesystem), fsync, chmod, rename, fsync the directory. An identical file is not
 * rewritten.
 */
import { accessSync, closeSync, constants, fsyncSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { chmod, open, realpath, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { OutputError } from "../errors.ts";

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ENOENT: "does not exist",
    ENOTDIR: "is not a directory",
    EACCES: "permission denied",
    EPERM: "permission denied",
    EROFS: "read-only file system",
    ENOSPC: "no space left on device",
    EDQUOT: "disk quota exceeded",
    EISDIR: "is a directory",
  };
  return code ? `${known[code] ?? code} (${code})` : String((error as Error).message);
}

/**
 * A name no other writer picks at the same moment. It need not be unguessable: both files are opened "wx"
 * (O_EXCL), which refuses a path that exists, a planted symlink included. Not node:crypto, which would be loaded
 * before the first request for this alone (about 7 ms).
 */
const uniqueSuffix = () => `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

/**
 * Fails early — before authentik is touched — if `dir` is not a directory this process can write a file
 * into: it writes, syncs and removes a 64 KiB probe, which also catches read-only mounts (even for root, who
 * bypasses permission bits) and a full disk. Synchronous: it runs before the first request, when nothing else
 * is in flight, and a round through libuv's thread pool per call (seven) would only delay that request.
 */
export function checkWritableDir(dir: string, what = "OUTPUT_DIR"): void {
  const probe = join(dir, `.probe-${uniqueSuffix()}`);
  // Removed at the end only if made here: "wx" refuses a path someone else made, which is theirs.
  let made = false;
  try {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
    accessSync(dir, constants.W_OK);
    const fd = openSync(probe, "wx", 0o600);
    made = true;
    try {
      writeFileSync(fd, Buffer.alloc(64 * 1024));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new OutputError(`Cannot write to ${what} '${dir}': ${reason(error)}`, { cause: error });
  } finally {
    if (made) {
      try {
        unlinkSync(probe);
      } catch {
        /* gone already */
      }
    }
  }
}

/**
 * The file's text, or undefined when there is none. Synchronous: the files read are a few hundred bytes (the
 * output's, configure.sh's), and the first read comes before the first request, with nothing else in flight.
 */
export function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new OutputError(`Cannot read '${path}': ${reason(error)}`, { cause: error });
  }
}

/** Returns true if the file was (re)written or its mode corrected, false if it was already identical. */
export async function writeFileAtomic(path: string, content: string, mode = 0o600): Promise<boolean> {
  let target = path;
  try {
    target = await realpath(path);
  } catch {
    /* does not exist yet */
  }
  const existing = readIfExists(target);
  if (existing === content) {
    const s = await stat(target);
    if ((s.mode & 0o777) === mode) return false;
    await chmod(target, mode).catch((error: unknown) => {
      throw new OutputError(`Cannot set mode of '${target}': ${reason(error)}`, { cause: error });
    });
    return true;
  }
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.tmp-${uniqueSuffix()}`);
  let made = false;
  try {
    const handle = await open(tmp, "wx", mode);
    made = true;
    try {
      await handle.writeFile(content, "utf8");
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
  } catch (error) {
    // Not a temporary file someone else made (the name was taken: "wx" refused it).
    if (made) await unlink(tmp).catch(() => undefined);
    throw new OutputError(`Cannot write '${target}': ${reason(error)}`, { cause: error });
  }
  try {
    const d = await open(dir, "r");
    await d.sync().finally(() => d.close());
  } catch {
    /* some filesystems cannot fsync a directory; the rename is still atomic */
  }
  return true;
}
