/** Where the shared reference data lives: FAKE_AK_SHARED_DIR, else `../shared` beside the repository. */
import { fileURLToPath } from "node:url";

export function sharedDir(): string {
  return process.env.FAKE_AK_SHARED_DIR ?? fileURLToPath(new URL("../../../shared", import.meta.url));
}
