/**
 * Read-only: the current state of every object the desired state names. Each adapter's `find` starts as soon
 * as the ones it needs are found, so independent reads run side by side; what readiness read is not read
 * again, and a read two adapters need is sent once.
 */
import type { AuthentikClient } from "../authentik/client.ts";
import type { Defaults } from "../authentik/wait.ts";
import { Objects, type AccountTokens, type AnyAdapter, type FindOptions } from "./adapter.ts";
import type { DesiredState } from "./desired.ts";
import { CHAINS } from "./order.ts";

export interface ObserveOptions {
  /**
   * Read secrets (the app password's key, `view_key`). authentik records every read as a `secret_view` event,
   * so plan mode, which must leave no trace, does not.
   */
  readSecrets: boolean;
  now?: number;
  /** What readiness found, reused as it is. */
  known?: Defaults;
  /** A least-privilege run: NetBird's account reads its own app passwords. */
  tokens?: AccountTokens | undefined;
  /** The output was read and names no client: most likely a first run (FindOptions.fresh). */
  fresh?: boolean | undefined;
  /** Apply's observe on a first run: objects that are only made or adopted are not looked up (FindOptions.createUnlooked). */
  createUnlooked?: boolean | undefined;
}

export async function observe(client: AuthentikClient, desired: DesiredState, options: ObserveOptions): Promise<Objects> {
  const seen = new Objects();
  const reads = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    if (!reads.has(key)) reads.set(key, read());
    return reads.get(key) as Promise<T>;
  };
  const opts: FindOptions = {
    readSecrets: options.readSecrets,
    now: options.now ?? Date.now(),
    once,
    tokens: options.tokens,
    fresh: options.fresh,
    createUnlooked: options.createUnlooked,
    ...(options.known ? { known: options.known } : {}),
  };
  const started = new Map<AnyAdapter, Promise<void>>();
  const start = (adapter: AnyAdapter): Promise<void> => {
    let p = started.get(adapter);
    if (!p) {
      // A needed object the consumer does not have (e.g. no role with admin-group access) is simply not found.
      p = Promise.all(adapter.needs.map(start)).then(async () => seen.set(adapter, adapter.applies(desired) ? await adapter.find(client, desired, seen, opts) : undefined));
      started.set(adapter, p);
    }
    return p;
  };
  await Promise.all(
    CHAINS.flat()
      .filter((a) => a.applies(desired))
      .map(start),
  );
  return seen;
}
