/**
 * The Kubernetes Secret output, its I/O part (the merge is secret-data.ts): get → merge → nothing sent when
 * nothing changed → update carrying the resourceVersion it was read at. A 409 — someone wrote in between, or
 * created the Secret first — is answered by reading again and merging again, never by overwriting. Errors name the
 * Secret, the operation and the reason; a 403 from RBAC names the verb the Role lacks.
 */
import { randomBytes } from "node:crypto";
import { OutputError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { DONE } from "../reconcile/types.ts";
import { scrub } from "../secrets.ts";
import { checkValue, UnsafeValueError } from "./env-file.ts";
import type { Entries, FilePlan, FileShare } from "./files.ts";
import { KubernetesApi, NoAnswerError, PodFileError, tokenSubject, type ApiResponse, type StatusBody } from "./kubernetes-api.ts";
import type { Output } from "./output.ts";
import { mergeSecret, readKeys, SecretContentError, TOOL, type SecretChange, type SecretContent, type SecretObject, type SecretRef } from "./secret-data.ts";

export interface KubernetesSettings {
  /** The Secret's name and namespace. */
  secret: string;
  namespace: string;
  serviceAccountDir: string;
  host: string;
  port: string;
}

/** Reads and writes between which another writer changed the Secret, before giving up. */
const CONFLICT_ATTEMPTS = 5;
/** The manager name the API server records for our writes (metadata.managedFields). */
const FIELD_MANAGER = `fieldManager=${TOOL}`;

type Verb = "get" | "create" | "update";

/** Bytes for a key generated once: 32 random bytes, base64 (as `openssl rand -base64 32`; NetBird's chart wants a base64 32-byte datastore key). */
const generate = () => randomBytes(32).toString("base64");

export class SecretStore {
  readonly ref: SecretRef;
  private readonly api: KubernetesApi;
  private readonly logger: Logger;
  private readonly path: string;

  constructor(api: KubernetesApi, ref: SecretRef, logger: Logger) {
    this.api = api;
    this.ref = ref;
    this.logger = logger;
    this.path = `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/secrets`;
  }

  get label(): string {
    return `Secret '${this.ref.namespace}/${this.ref.name}'`;
  }

  private async call(verb: Verb, method: string, path: string, body?: unknown): Promise<ApiResponse> {
    try {
      return await this.api.request(method, path, body);
    } catch (error) {
      if (error instanceof NoAnswerError || error instanceof PodFileError) throw new OutputError(`Cannot ${verb} ${this.label}: ${error.message}`, { cause: error });
      throw error;
    }
  }

  /** The Secret, or undefined if it does not exist. */
  async get(): Promise<SecretObject | undefined> {
    const res = await this.call("get", "GET", `${this.path}/${encodeURIComponent(this.ref.name)}`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await this.failure("get", res);
    return res.body as SecretObject;
  }

  /** Merge `content` in: read, merge, write if anything changed; a conflict is read and merged again. */
  async write(content: SecretContent): Promise<SecretChange> {
    for (let attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
      const current = await this.get();
      let change: SecretChange;
      try {
        change = mergeSecret(current, content, this.ref);
      } catch (error) {
        if (error instanceof SecretContentError) throw new OutputError(`Cannot update ${this.label}: ${error.message}`, { cause: error });
        throw error;
      }
      if (change.action === "noop") return change;
      const verb: Verb = current ? "update" : "create";
      const res = current
        ? await this.call(verb, "PUT", `${this.path}/${encodeURIComponent(this.ref.name)}?${FIELD_MANAGER}`, change.body)
        : await this.call(verb, "POST", `${this.path}?${FIELD_MANAGER}`, change.body);
      if (res.status === 200 || res.status === 201) return change;
      // 409: changed since it was read (Conflict), or created meanwhile (AlreadyExists); 404 on update: deleted meanwhile.
      if (res.status === 409 || (current && res.status === 404)) {
        this.logger.debug(
          { secret: `${this.ref.namespace}/${this.ref.name}`, attempt, status: res.status, reason: (res.body as StatusBody | undefined)?.reason },
          "Secret changed meanwhile: reading it again",
        );
        continue;
      }
      throw await this.failure(verb, res);
    }
    throw new OutputError(
      `Cannot update ${this.label}: 409 Conflict: it changed between reading and writing ${CONFLICT_ATTEMPTS} times in a row (another writer keeps changing it?)`,
    );
  }

  /**
   * Before authentik is touched: may this service account write the Secret? Asked with a SelfSubjectAccessReview
   * (every authenticated user may create one: ClusterRole system:basic-user). When the review itself cannot be made,
   * the write will tell.
   */
  async mayWrite(exists: boolean): Promise<void> {
    const verb: Verb = exists ? "update" : "create";
    const review = {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      spec: { resourceAttributes: { namespace: this.ref.namespace, verb, resource: "secrets", ...(exists ? { name: this.ref.name } : {}) } },
    };
    let res: ApiResponse;
    try {
      res = await this.api.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review);
    } catch (error) {
      this.logger.debug({ err: error }, "could not ask the API server whether the Secret may be written");
      return;
    }
    const allowed = (res.body as { status?: { allowed?: unknown } } | undefined)?.status?.allowed;
    if ((res.status === 200 || res.status === 201) && allowed === false) throw new OutputError(`Cannot ${verb} ${this.label}: ${await this.lacks(verb)}`);
    if (res.status !== 200 && res.status !== 201) this.logger.debug({ status: res.status }, "could not ask the API server whether the Secret may be written");
  }

  private async who(): Promise<string> {
    return tokenSubject(await this.api.token().catch(() => "")) ?? "this pod's service account";
  }

  private async lacks(verb: Verb): Promise<string> {
    const who = await this.who();
    return verb === "create"
      ? `it does not exist and the Role bound to ${who} lacks 'create' on secrets in namespace '${this.ref.namespace}'. RBAC cannot limit create to one name: apply the empty Secret (deploy/kubernetes/secret.yaml) so that get and update on it suffice`
      : `the Role bound to ${who} lacks '${verb}' on secrets '${this.ref.name}' in namespace '${this.ref.namespace}' (resourceNames)`;
  }

  private async failure(verb: Verb, res: ApiResponse): Promise<OutputError> {
    const status = typeof res.body === "object" && res.body !== null ? (res.body as StatusBody) : undefined;
    const detail = scrub(status?.message ?? (typeof res.body === "string" ? res.body.slice(0, 300) : ""));
    const prefix = `Cannot ${verb} ${this.label}: ${res.status}${status?.reason ? ` ${status.reason}` : ""}`;
    if (res.status === 401) {
      return new OutputError(`${prefix}: the API server refused the service account token from '${this.api.tokenFile}' (expired, revoked, or from another cluster)`);
    }
    // RBAC's denial reads "... cannot <verb> resource ..." (apiserver endpoints/handlers/responsewriters/errors.go
    // forbiddenMessage); other 403s (an admission webhook's, say) are passed on as they came.
    if (res.status === 403 && / cannot \S+ resource /.test(detail)) return new OutputError(`${prefix}: ${await this.lacks(verb)} (the API server: ${detail})`);
    return new OutputError(`${prefix}: ${detail || "no details"}`);
  }
}

/** One Secret for every consumer of the run: the shares' entries (later ones win) and their chart keys. */
export function secretOutput(settings: KubernetesSettings, opts: { timeoutMs: number; logger: Logger; retryDelayMs?: number }): Output {
  const ref: SecretRef = { namespace: settings.namespace, name: settings.secret };
  const api = new KubernetesApi({
    host: settings.host,
    port: settings.port,
    serviceAccountDir: settings.serviceAccountDir,
    timeoutMs: opts.timeoutMs,
    ...(opts.retryDelayMs !== undefined ? { retryDelayMs: opts.retryDelayMs } : {}),
  });
  const store = new SecretStore(api, ref, opts.logger);
  const name = `Secret ${ref.namespace}/${ref.name}`;

  const contentOf = (shares: readonly FileShare[]): SecretContent => {
    const entries: (readonly [string, string])[] = [];
    const generated: (readonly [string, string])[] = [];
    for (const share of shares) {
      const own = [...share.entries, ...(share.kubernetes?.entries ?? [])];
      // NetBird's chart pastes values into management.json, as configure.sh's envsubst does: the same values are refused.
      if (share.format.kind === "bash") {
        try {
          for (const [k, v] of own) checkValue(k, v, share.format.rawJson);
        } catch (error) {
          if (error instanceof UnsafeValueError) throw new OutputError(`Refusing to write ${store.label}: ${error.message}`, { cause: error });
          throw error;
        }
      }
      entries.push(...own);
      for (const key of share.kubernetes?.generated ?? []) generated.push([key, generate()]);
    }
    return { entries, generated };
  };

  const log = (change: SecretChange) =>
    opts.logger.info(
      { secret: `${ref.namespace}/${ref.name}`, keys: change.keys, metadata: change.metadata },
      `${store.label} ${DONE[change.action]}${change.keys.length ? `: keys ${change.keys.join(", ")}` : ""}`,
    );

  return {
    noun: "Secret",
    name: () => name,
    async check() {
      await store.mayWrite((await store.get()) !== undefined);
    },
    async read(_path, keys) {
      const got = readKeys(await store.get(), keys);
      return Object.keys(got).length ? got : undefined;
    },
    // Reading the Secret is one request, as asking for its version would be.
    stamp: () => Promise.resolve(undefined),
    how: () => "read from its data",
    expected: (share): Entries => [...share.entries, ...(share.kubernetes?.entries ?? [])],
    async persist(share) {
      log(await store.write(contentOf([share])));
    },
    async write(shares) {
      const change = await store.write(contentOf(shares));
      log(change);
      // The kubelet puts a Secret's values into environment variables only when a container starts
      // (kubernetes.io/docs/concepts/configuration/secret: "not updated automatically"); mounted files follow within its sync period.
      if (change.replaced.length) {
        opts.logger.warn(
          { secret: `${ref.namespace}/${ref.name}`, keys: change.replaced },
          `${store.label} changed: pods that read these keys as environment variables see the new values only after a restart (kubectl -n ${ref.namespace} rollout restart deployment/<name>)`,
        );
      }
      return change.action === "noop" ? [] : [name];
    },
    async plan(shares, unknown): Promise<FilePlan[]> {
      const current = await store.get();
      const path = `${ref.namespace}/${ref.name}`;
      if (shares.some((s) => unknown.has(s.path))) {
        return [{ kind: "Secret", path, action: current ? "update" : "create", keys: ["(all owned keys: values are known once the objects exist)"] }];
      }
      const content = contentOf(shares);
      const generated = new Set(content.generated.map(([k]) => k));
      const change = mergeSecret(current, content, ref);
      const keys = [...change.keys.map((k) => (generated.has(k) ? `${k} (generated once)` : k)), ...change.metadata.map((m) => `${m} (metadata)`)];
      return [{ kind: "Secret", path, action: change.action, keys }];
    },
    close: () => api.close(),
  };
}
