/**
 * One shape for every object type this tool owns in authentik: its kind, its natural key, `find` (read-only),
 * `diff` (pure: what to do and the owned fields that differ), `create` and `update`. observe.ts, plan.ts and
 * apply.ts run every adapter the same way; order.ts is the one place that sets the order.
 */
import type { AuthentikClient } from "../authentik/client.ts";
import type { Defaults } from "../authentik/wait.ts";
import type { Logger } from "../log.ts";
import type { DesiredState, Rotation } from "./desired.ts";
import type { Action, FieldChange } from "./types.ts";

export type { Action, FieldChange };

/** What `diff` decides for one object. */
export interface Diff<P = unknown> {
  action: Action;
  changes: FieldChange[];
  /** The partial update carrying only what differs (updates only). */
  patch?: P;
  /** Why nothing is done although something differs, or what an update means. */
  note?: string;
  /** The note is a warning (logged as one, and listed in the summary). */
  warn?: boolean;
}

export interface FindOptions {
  /** Read secrets (the app password's key): authentik records each read; plan mode does not. */
  readSecrets: boolean;
  /** For time-dependent decisions (retired tokens past their grace). */
  now: number;
  /** Observe only: what readiness read just before (the flows), not read again. A lookup in apply reads anew. */
  known?: Defaults;
  /** Observe only: a read several adapters need (the account's app passwords) is sent once per pass. */
  once?: <T>(key: string, read: () => Promise<T>) => Promise<T>;
  /** A least-privilege run: the app password as its account sees it. */
  tokens?: AccountTokens | undefined;
  /**
   * Observe only: the consumer's output was read and names no client, so its provider most likely does not exist
   * yet. Decides only which reads are made, and in what order (provider.ts, application.ts), never what is found.
   */
  fresh?: boolean | undefined;
  /**
   * Observe before applying a first run (`fresh`): an object whose lookup serves only to choose between making
   * it and adopting it, and that nothing found points at, is not looked up. Apply makes it, and authentik's 400
   * on its taken name has it looked up and adopted then (apply.ts `createOrAdopt`), reported as adopted; a step
   * planned against its absence is planned anew against it (apply.ts `converge`). Only for objects a name clash
   * never makes a conflict: the role (one name, always adopted) and, where authentik refuses a second group of
   * a name (2024.6+), the group carrying it (adopted and repaired).
   */
  createUnlooked?: boolean | undefined;
}

/**
 * NetBird's account logged in with the app password its consumer's output holds (authentik/session.ts). A
 * superuser run takes a login that works as proof of the key (no `view_key`, so no `secret_view` event on every
 * run); a least-privilege run (`own`) also makes the account's token calls through it.
 */
export interface AccountTokens {
  /** The account's session, opened on first use; rejects when authentik refuses the login. */
  client: () => Promise<AuthentikClient>;
  /** The app password the output holds, and the client id it logs in with. */
  key: string;
  clientId: string;
  /** The token endpoint it logs in at. */
  tokenUrl: string;
  /** The token calls themselves go through the session (the tool token may not touch another user's tokens). */
  own: boolean;
  /** The token endpoint's answer to the login, once it succeeded (verification reuses it when nothing changed). */
  answer?: { status: number; text: string; json: unknown };
}

/** What a run hands the adapters besides the desired state. */
export interface RunExtras {
  tokens?: AccountTokens | undefined;
  /** Stores this tool's own token where TOOL_TOKEN_FILE / TOOL_TOKEN_SECRET_KEY say, the moment it is known. */
  keepToolToken?: ((key: string) => Promise<void>) | undefined;
}

/** What applying needs besides the adapters' own inputs. */
export interface ApplyContext extends RunExtras {
  client: AuthentikClient;
  log: Logger;
  /** Secrets replaced in this run (filled by the adapters that rotate). */
  rotated: Rotation[];
}

/**
 * An object type. `seen`/`done` hold what the other adapters of the run found (observe) or made (apply), so an
 * adapter can use its dependencies (the application needs the provider's pk, the app password the user).
 */
export interface Adapter<O, P = unknown> {
  readonly kind: string;
  /** The adapters whose objects this one's `find` needs (observe runs the others side by side). */
  readonly needs: readonly AnyAdapter[];
  /** Whether the consumer needs this object at all (no service account, no device login …). */
  applies(d: DesiredState): boolean;
  /** The natural key, as people read it. */
  key(d: DesiredState, seen: Objects): string;
  find(client: AuthentikClient, d: DesiredState, seen: Objects, opts: FindOptions): Promise<O | undefined>;
  /** `phase`: "plan" with what observe found; "adopt" with what apply found made meanwhile (rotate nothing then). */
  diff(d: DesiredState, observed: O | undefined, seen: Objects, phase: "plan" | "adopt"): Diff<P>;
  create(d: DesiredState, done: Objects, ctx: ApplyContext): Promise<O>;
  update(d: DesiredState, current: O, patch: P, done: Objects, ctx: ApplyContext): Promise<O>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of adapters of different object types
export type AnyAdapter = Adapter<any, any>;

/** The objects of one run, by adapter: found by observe, then replaced by what apply made. Typed by the adapter. */
export class Objects {
  readonly #byAdapter = new Map<AnyAdapter, unknown>();

  get<O>(adapter: Adapter<O, unknown>): O | undefined {
    return this.#byAdapter.get(adapter) as O | undefined;
  }

  set<O>(adapter: Adapter<O, unknown>, value: O | undefined): void {
    if (value === undefined) this.#byAdapter.delete(adapter);
    else this.#byAdapter.set(adapter, value);
  }

  has(adapter: AnyAdapter): boolean {
    return this.#byAdapter.has(adapter);
  }

  copy(): Objects {
    const out = new Objects();
    for (const [a, v] of this.#byAdapter) out.#byAdapter.set(a, v);
    return out;
  }
}
