/**
 * The service-account files as a pod sees them at /var/run/secrets/kubernetes.io/serviceaccount: a projected
 * volume written by the kubelet's AtomicWriter —
 *
 *     ..2026_01_01_12_00_00.123456789/{token,ca.crt,namespace}   the payload, in a timestamped directory
 *     ..data -> ..2026_01_01_12_00_00.123456789                   swapped atomically on every update
 *     token -> ..data/token, ca.crt -> ..data/ca.crt, namespace -> ..data/namespace
 *
 * Files are mode 0644 (the projected volume's default 0644 without fsGroup), so any uid in a container that
 * bind-mounts the directory can read them. `rotate()` writes a new payload the way the kubelet refreshes the
 * projected token (every ~48 min for a 1 h token): a client must read the token file again, not cache it forever.
 */
import { chmodSync, mkdirSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ServiceAccountPayload {
  token: string;
  /** PEM of the cluster CA (the fake's CA). */
  caCrt: string;
  namespace: string;
}

export interface ServiceAccountDir extends AsyncDisposable {
  /** Mount this at /var/run/secrets/kubernetes.io/serviceaccount (read-only). */
  readonly path: string;
  /** Replace the payload atomically (new timestamped directory, `..data` swapped), as the kubelet does. */
  rotate(payload: Partial<ServiceAccountPayload>): void;
  remove(): void;
}

let sequence = 0;
function stamp(): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const nanos = p(d.getUTCMilliseconds(), 3) + p(++sequence % 1_000_000, 6);
  return `..${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}.${nanos}`;
}

const FILES = { token: "token", caCrt: "ca.crt", namespace: "namespace" } as const;

/** Write the projected service-account volume into `dir` (default: a new temporary directory). */
export function writeServiceAccountDir(payload: ServiceAccountPayload, dir?: string): ServiceAccountDir {
  const path = dir ?? mkdtempSync(join(tmpdir(), "k8s-serviceaccount-"));
  mkdirSync(path, { recursive: true });
  chmodSync(path, 0o755);
  let current = { ...payload };

  const write = () => {
    const payloadDir = stamp();
    mkdirSync(join(path, payloadDir), { mode: 0o755 });
    for (const [key, file] of Object.entries(FILES)) {
      writeFileSync(join(path, payloadDir, file), current[key as keyof ServiceAccountPayload], { mode: 0o644 });
      chmodSync(join(path, payloadDir, file), 0o644);
    }
    let previous: string | undefined;
    try {
      previous = readlinkSync(join(path, "..data"));
    } catch {
      /* first write */
    }
    symlinkSync(payloadDir, join(path, "..data_tmp"));
    renameSync(join(path, "..data_tmp"), join(path, "..data"));
    for (const file of Object.values(FILES)) {
      try {
        symlinkSync(join("..data", file), join(path, file));
      } catch {
        /* already linked */
      }
    }
    if (previous) rmSync(join(path, previous), { recursive: true, force: true });
  };
  write();

  const remove = () => rmSync(path, { recursive: true, force: true });
  return {
    path,
    rotate(next) {
      current = { ...current, ...next };
      write();
    },
    remove,
    [Symbol.asyncDispose]() {
      remove();
      return Promise.resolve();
    },
  };
}
