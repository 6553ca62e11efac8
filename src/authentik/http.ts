/**
 * HTTP(S) requests on `node:http` and `node:https`, as the client needs them: a text answer with its status and
 * headers, redirects followed as fetch follows them, one deadline for the whole exchange, and TLS settings of
 * its own (a private CA, or no verification) without touching the process's. Node's `fetch` would load its own
 * HTTP stack (undici, with a WebAssembly parser) and a userland undici for the TLS settings another: together
 * about 45 MB more resident memory for a run of a few dozen small requests.
 */
import { readFileSync } from "node:fs";
import type { Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { Agent as HttpsAgent } from "node:https";

// Not `import … from "node:http"`: an ES module import of it reads every export, and its lazy WebSocket ones load
// undici (about 14 MB). node:https (with node:tls, about 7 MB) is loaded once a URL asks for it.
const http = process.getBuiltinModule("node:http");

export interface HttpOptions {
  /** PEM file of a CA to trust besides Node's own (AUTHENTIK_CA_FILE). */
  caFile?: string | undefined;
  /** No certificate verification at all (AUTHENTIK_INSECURE_TLS). */
  insecureTls?: boolean | undefined;
}

export interface HttpInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The whole exchange, redirects and body included. */
  timeoutMs: number;
  /** "manual": a redirect is the answer (fetch's `redirect: "manual"`). */
  redirect?: "follow" | "manual";
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** No answer within the deadline (named as fetch names it, so callers tell it from a refused connection). */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class Http {
  readonly #options: HttpOptions;
  readonly #http: HttpAgent = new http.Agent({ keepAlive: true });
  #https: HttpsAgent | undefined;
  /** Requests made and not yet handed to the OS in full (nor settled): each settles when it is. */
  readonly #unsent = new Set<Promise<void>>();
  #whileWaiting: (() => void)[] = [];

  constructor(options: HttpOptions = {}) {
    this.#options = options;
  }

  #httpsAgent(): HttpsAgent {
    if (!this.#https) {
      const { caFile, insecureTls } = this.#options;
      const ca = caFile ? [...process.getBuiltinModule("node:tls").getCACertificates("default"), readFileSync(caFile, "utf8")] : undefined;
      this.#https = new (process.getBuiltinModule("node:https").Agent)({ keepAlive: true, ...(ca ? { ca } : {}), ...(insecureTls ? { rejectUnauthorized: false } : {}) });
    }
    return this.#https;
  }

  /**
   * Runs `task` the next time no request is left to hand to the OS and answers are awaited: work that can wait —
   * loading what is needed later — then takes time the process would spend waiting anyway. A task that throws is
   * ignored: it may only prepare.
   */
  whileWaiting(task: () => void): void {
    this.#whileWaiting.push(task);
  }

  /** Settles once every request made before the call is out (handed to the OS), answered or failed. */
  async sent(): Promise<void> {
    await Promise.all(this.#unsent);
  }

  #sentOrFailed(): void {
    if (this.#unsent.size > 0) return;
    for (const task of this.#whileWaiting.splice(0)) {
      try {
        task();
      } catch {
        /* only preparation */
      }
    }
  }

  /** The answer, whatever its status; rejects only when there is none (refused, reset, TLS, timeout). */
  async request(url: string, init: HttpInit): Promise<HttpAnswer> {
    const deadline = Date.now() + init.timeoutMs;
    let target = new URL(url);
    let { method = "GET", body } = init;
    const headers = { ...init.headers };
    for (let hop = 0; ; hop++) {
      const answer = await this.#once(target, method, headers, body, deadline);
      const location = answer.headers.location;
      if (init.redirect === "manual" || !REDIRECTS.has(answer.status) || !location || hop === MAX_REDIRECTS) return answer;
      const next = new URL(location, target);
      // As fetch does: 303 (and 301/302 after a POST) continue as GET without a body; credentials stay on their origin.
      if (answer.status === 303 || ((answer.status === 301 || answer.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
        delete headers["content-type"];
      }
      if (next.origin !== target.origin) delete headers.authorization;
      target = next;
    }
  }

  #once(url: URL, method: string, headers: Record<string, string>, body: string | undefined, deadline: number): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const options = { method, headers: body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) } };
      const req =
        url.protocol === "https:"
          ? process.getBuiltinModule("node:https").request(url, { ...options, agent: this.#httpsAgent() })
          : http.request(url, { ...options, agent: this.#http });
      let settled = false;
      // 'finish': the request is written to the socket in full; 'close' first: it never will be. Settled (an
      // answer before the whole body was read, say): nothing more is waited for.
      const written = Promise.withResolvers<void>();
      this.#unsent.add(written.promise);
      const sent = () => {
        if (!this.#unsent.delete(written.promise)) return;
        written.resolve();
        this.#sentOrFailed();
      };
      req.once("finish", sent);
      req.once("close", sent);
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        sent();
        reject(error);
      };
      const timer = setTimeout(() => fail(new TimeoutError(`no answer within ${Math.max(0, deadline - Date.now())} ms`)), Math.max(0, deadline - Date.now()));
      req.on("error", fail);
      req.on("response", (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", fail);
        res.on("aborted", () => fail(Object.assign(new Error("the connection closed before the answer was complete"), { code: "ECONNRESET" })));
        res.on("end", () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          sent();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") });
        });
      });
      req.end(body);
    });
  }

  /** Closes idle connections (kept alive between requests). */
  close(): void {
    this.#http.destroy();
    this.#https?.destroy();
  }
}
