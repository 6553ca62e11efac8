/**
 * The Kubernetes API from inside a pod, as much as the Secret output needs: node:https to
 * `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT` trusting only the pod's `ca.crt`, the service
 * account's token as a Bearer token, JSON in and out — what client-go's `rest.InClusterConfig` sets up
 * (staging/src/k8s.io/client-go/rest/config.go), without a client library for four calls.
 *
 * The token is read from its file on every request: the kubelet rewrites the projected token before it expires
 * (about every 48 minutes for the default one-hour token) and client-go re-reads it too
 * (staging/src/k8s.io/client-go/transport/token_source.go, `cachingTokenSource`). Transient answers (no answer,
 * 429, 5xx) are retried a few times; everything else goes back to the caller as it came.
 */
import { readFile } from "node:fs/promises";
import type { Agent } from "node:https";
import { isIP } from "node:net";
import { join } from "node:path";
import { registerSecret } from "../secrets.ts";

export interface InClusterOptions {
  /** KUBERNETES_SERVICE_HOST (an IP, v4 or v6, or a name). */
  host: string;
  /** KUBERNETES_SERVICE_PORT. */
  port: string;
  /** Where the service account's `token`, `ca.crt` and `namespace` are (a pod: /var/run/secrets/kubernetes.io/serviceaccount). */
  serviceAccountDir: string;
  timeoutMs: number;
  /** Pause before the n-th retry of a transient failure (tests shorten it). */
  retryDelayMs?: number;
}

export interface ApiResponse {
  status: number;
  /** The parsed JSON body (a `Status` object for errors), or the raw text if it was not JSON. */
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** The API server's error object (k8s.io/apimachinery/pkg/apis/meta/v1 `Status`). */
export interface StatusBody {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
}

/** A file of the pod's service account that cannot be read (no token mounted, not in a pod). */
export class PodFileError extends Error {}

/** No HTTP answer at all: connection refused, TLS failure, timeout. */
export class NoAnswerError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

const TRANSIENT = new Set([429, 500, 502, 503, 504]);
const ATTEMPTS = 3;

/** `user` of a service-account token (its `sub` claim, e.g. system:serviceaccount:netbird:authentik-bootstrap), if it is a JWT. */
export function tokenSubject(token: string): string | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const sub = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { sub?: unknown }).sub;
    return typeof sub === "string" ? sub : undefined;
  } catch {
    return undefined;
  }
}

export class KubernetesApi {
  /** https://host:port, for messages. */
  readonly server: string;
  readonly tokenFile: string;
  readonly caFile: string;
  private agent: Agent | undefined;
  private readonly opts: InClusterOptions;

  constructor(opts: InClusterOptions) {
    this.opts = opts;
    this.server = `https://${isIP(opts.host) === 6 ? `[${opts.host}]` : opts.host}:${opts.port}`;
    this.tokenFile = join(opts.serviceAccountDir, "token");
    this.caFile = join(opts.serviceAccountDir, "ca.crt");
  }

  /** The service account's token as it is now. */
  async token(): Promise<string> {
    const token = (await this.readFileOf(this.tokenFile, "the service account token", "is automountServiceAccountToken off for this pod?")).trim();
    if (!token) throw new PodFileError(`the service account token '${this.tokenFile}' is empty`);
    registerSecret(token);
    return token;
  }

  private async readFileOf(path: string, what: string, hint: string): Promise<string> {
    try {
      return await readFile(path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
      throw new PodFileError(`${what} '${path}' cannot be read (${code}): ${hint}`, { cause: error });
    }
  }

  private async agentFor(): Promise<Agent> {
    if (!this.agent) {
      const ca = await this.readFileOf(this.caFile, "the cluster's CA certificate", "is this running in a pod with a service account?");
      // Loaded here, not imported: node:https and node:tls are about 7 MB a run without this output need not carry.
      this.agent = new (process.getBuiltinModule("node:https").Agent)({ ca, keepAlive: true, maxSockets: 4 });
    }
    return this.agent;
  }

  /** One request, transient failures retried (a PUT carries its resourceVersion, so a repeat cannot overwrite blindly). */
  async request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.once(method, path, body);
        if (!TRANSIENT.has(res.status) || attempt >= ATTEMPTS) return res;
        await this.pause(attempt, res.headers["retry-after"]);
      } catch (error) {
        if (!(error instanceof NoAnswerError) || attempt >= ATTEMPTS) throw error;
        await this.pause(attempt, undefined);
      }
    }
  }

  private pause(attempt: number, retryAfter: string | string[] | undefined): Promise<void> {
    const base = this.opts.retryDelayMs ?? 500;
    const asked = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    const ms = Number.isFinite(asked) && asked > 0 ? Math.min(asked * 1000, 5_000) : base * 2 ** (attempt - 1);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  private async once(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const token = await this.token();
    const agent = await this.agentFor();
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), "utf8");
    return new Promise<ApiResponse>((resolve, reject) => {
      const req = process.getBuiltinModule("node:https").request(
        `${this.server}${path}`,
        {
          method,
          agent,
          timeout: this.opts.timeoutMs,
          headers: {
            authorization: `Bearer ${token}`,
            accept: "application/json",
            "user-agent": "authentik-bootstrap",
            ...(payload ? { "content-type": "application/json", "content-length": String(payload.length) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (error) => reject(new NoAnswerError(`the answer from ${this.server} broke off (${error.message})`, undefined, { cause: error })));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              /* not JSON: kept as text */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
          });
        },
      );
      req.on("timeout", () => req.destroy(Object.assign(new Error(`no answer within ${this.opts.timeoutMs} ms`), { code: "ETIMEDOUT" })));
      req.on("error", (error: NodeJS.ErrnoException) => reject(new NoAnswerError(describeNoAnswer(this.server, this.caFile, error), error.code, { cause: error })));
      req.end(payload);
    });
  }

  close(): void {
    this.agent?.destroy();
  }
}

/** Why there was no answer, in words: TLS problems name the CA file that did not fit. */
function describeNoAnswer(server: string, caFile: string, error: NodeJS.ErrnoException): string {
  const code = error.code ?? "";
  if (/CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|DEPTH_ZERO|ALTNAME/.test(code) || /certificate/i.test(error.message)) {
    return `no trusted answer from ${server}: its certificate is not accepted with the CA in '${caFile}' (${code || error.message})`;
  }
  return `no answer from ${server} (${code || error.message})`;
}
