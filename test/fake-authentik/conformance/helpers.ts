/**
 * Shared pieces of the conformance suite: which authentik source each emulated version runs the cases of, the
 * per-case `describe.each`, an HTTP client that talks to the fake like Django's test client talks to authentik
 * (Host `testserver`), the arrange helpers of authentik's `core/tests/utils.py`, and JWT/JWE checks.
 */
import { createDecipheriv, createHmac, constants, privateDecrypt, verify, type KeyObject } from "node:crypto";
import { request as httpRequest } from "node:http";
import { describe, it } from "vitest";
import { startFakeAuthentik, VERSIONS, type FakeAuthentik } from "../index.ts";
import { slugify } from "../api.ts";
import { randomUUID } from "node:crypto";
import {
  randomKey,
  type Application,
  type Brand,
  type CertificateKeyPair,
  type Flow,
  type Group,
  type Provider,
  type RedirectUri,
  type Store,
  type Token,
  type User,
} from "../store.ts";

export type Version = (typeof VERSIONS)[number];

/** The authentik sources the cases come from: release tags, and upstream main at addbf5a2f (2026-04-20, 2026.5.0-rc1). */
export type Tag = "version/2024.2.0" | "version/2024.10.2" | "version/2024.12.0" | "version/2025.10.0" | "version/2026.2.2" | "addbf5a2f";

/** Whose tests each emulated version runs: its own tag; 2026.5.6 and 2026.8.3 have none, so main at addbf5a2f. */
export const SOURCE: Record<Version, Tag> = {
  "2024.2.0": "version/2024.2.0",
  "2024.10.2": "version/2024.10.2",
  "2024.12.0": "version/2024.12.0",
  "2025.10.0": "version/2025.10.0",
  "2026.2.2": "version/2026.2.2",
  "2026.5.6": "addbf5a2f",
  "2026.8.3": "addbf5a2f",
};

export const ALL_TAGS: readonly Tag[] = ["version/2024.2.0", "version/2024.10.2", "version/2024.12.0", "version/2025.10.0", "version/2026.2.2", "addbf5a2f"];

/** Tags from `from` on (inclusive), in release order. */
export function since(from: Tag): Tag[] {
  return ALL_TAGS.slice(ALL_TAGS.indexOf(from));
}

/** Tags up to `to` (inclusive). */
export function until(to: Tag): Tag[] {
  return ALL_TAGS.slice(0, ALL_TAGS.indexOf(to) + 1);
}

export function versionsOf(tags: readonly Tag[]): Version[] {
  return VERSIONS.filter((v) => tags.includes(SOURCE[v]));
}

/** Is the emulated version's source at or after `tag`? */
export function atOrAfter(tag: Tag, from: Tag): boolean {
  return ALL_TAGS.indexOf(tag) >= ALL_TAGS.indexOf(from);
}

export const BOOTSTRAP = "conformance-bootstrap-token-0123456789abcdefghij";

export interface Case {
  version: Version;
  tag: Tag;
  fake: FakeAuthentik;
  store: Store;
}

/** A case not ported at some sources, and why (the suite's README lists them too). */
export interface NotPorted {
  tags: readonly Tag[];
  reason: string;
}

/**
 * The cases of one authentik test file. `cases`: each case and the sources that have it (read from the tags);
 * `notPorted`: where a case is not ported and why. Returns `port(name, body)`: a `describe` per emulated version
 * whose source has the case (and where it is ported), holding one test named after the case, run against a fresh
 * fake of that version; and `done()`, which throws when a case is neither ported nor listed as not ported.
 */
export function conformance(cases: Readonly<Record<string, readonly Tag[]>>, notPorted: Readonly<Record<string, NotPorted>> = {}) {
  const seen = new Set<string>();
  const port = (name: string, body: (c: Case) => Promise<void>): void => {
    const tags = cases[name];
    if (!tags) throw new Error(`${name} is not in the case table`);
    seen.add(name);
    const skipped = notPorted[name]?.tags ?? [];
    describe.each(versionsOf(tags.filter((t) => !skipped.includes(t))))("authentik %s", (version) => {
      it(name, async () => {
        await using fake = await startFakeAuthentik({ version, bootstrapToken: BOOTSTRAP });
        await body({ version, tag: SOURCE[version], fake, store: fake.store });
      });
    });
  };
  const done = (): void => {
    for (const [name, tags] of Object.entries(cases)) {
      const skipped = notPorted[name]?.tags ?? [];
      const missing = tags.filter((t) => !skipped.includes(t));
      if (missing.length && !seen.has(name)) throw new Error(`${name} (${missing.join(", ")}) is neither ported nor listed as not ported`);
    }
    for (const name of Object.keys(notPorted)) if (!cases[name]) throw new Error(`${name} (not ported) is not in the case table`);
  };
  return { port, done };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
}

/** A raw HTTP request (fetch cannot set Host); Host defaults to Django's test client's `testserver`. */
export function request(
  fake: FakeAuthentik,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; json?: unknown; form?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { host: "testserver", ...opts.headers };
  let payload: string | undefined;
  if (opts.json !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(opts.json);
  } else if (opts.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    payload = new URLSearchParams(opts.form).toString();
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, fake.url), { method, headers }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => {
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** An API client; `token` undefined sends no credentials (Django's anonymous test client). */
export class Client {
  readonly fake: FakeAuthentik;
  readonly token: string | undefined;
  readonly host: string;

  constructor(fake: FakeAuthentik, token?: string, host = "testserver") {
    this.fake = fake;
    this.token = token;
    this.host = host;
  }

  call(method: string, path: string, json?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { host: this.host };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    return request(this.fake, method, path.startsWith("/") ? path : `/api/v3/${path}`, { headers, ...(json === undefined ? {} : { json }) });
  }

  get = (path: string, query?: Record<string, string>) => this.call("GET", query ? `${path}?${new URLSearchParams(query).toString()}` : path);
  post = (path: string, json: unknown = {}) => this.call("POST", path, json);
  patch = (path: string, json: unknown) => this.call("PATCH", path, json);
  put = (path: string, json: unknown) => this.call("PUT", path, json);
  del = (path: string) => this.call("DELETE", path);
}

/**
 * `self.client.force_login(user)` for API requests: an API token of that user (intent `api`, not expiring), sent as
 * `Authorization: Bearer`. Its identifier starts with `force-login-` so cases that count tokens can leave it out.
 */
export function forceLogin(fake: FakeAuthentik, user: User): Client {
  const identifier = `force-login-${user.pk}`;
  const existing = fake.store.tokens.get(identifier);
  const token = existing ?? fake.store.addToken({ identifier, user: user.pk, intent: "api", expiring: false, key: randomKey(60) });
  return new Client(fake, token.key);
}

export const isLoginToken = (t: Pick<Token, "identifier">) => t.identifier.startsWith("force-login-");

/**
 * `self.client.force_login(user)` for the non-API views (`/device`): a browser session, i.e. the
 * `authentik_session` cookie of a session in the store.
 */
export function sessionCookie(store: Store, user: User): string {
  const key = randomKey(32);
  store.sessions.set(key, user.pk);
  return `authentik_session=${key}`;
}

/** `authentik.lib.generators.generate_id`. */
export const generateId = (length = 40) => randomKey(length);

/** `create_test_flow` (core/tests/utils.py). */
export function createTestFlow(store: Store, designation = "stage_configuration", extra: Partial<Flow> = {}): Flow {
  const uid = generateId(10);
  return store.addFlow({ name: uid, title: uid, slug: slugify(uid), designation, ...extra });
}

/** `create_test_user`: name, username and e-mail from one id unless a name is given. */
export function createTestUser(store: Store, name?: string, extra: Partial<User> = {}): User {
  const uid = name ?? generateId(20);
  return store.addUser({ name: uid, email: `${uid}@goauthentik.io`, username: uid, ...extra });
}

/** `create_test_admin_user`: a test user in a new superuser group named like the user. */
export function createTestAdminUser(store: Store, name?: string, extra: Partial<User> = {}): User {
  const user = createTestUser(store, name, extra);
  store.addGroup({ name: user.name || (name ?? ""), is_superuser: true, users: [user.pk] });
  return user;
}

/** `create_test_brand`: every other brand deleted, a new default brand with a random domain. */
export function createTestBrand(store: Store, extra: Partial<Brand> = {}): Brand {
  store.brands.clear();
  return store.addBrand({ domain: generateId(20), default: true, ...extra });
}

/** `create_test_cert`: an RSA key pair (the fake's cached start-up key, so no key generation per case). */
export function createTestCert(store: Store): CertificateKeyPair {
  return store.addCertificate(`${generateId()}.self-signed.goauthentik.io`, null, true);
}

/** `Token.objects.create(...)` with the model's defaults: intent `verification`, expiring, `default_token_duration()`. */
export function createToken(store: Store, fields: Partial<Token> & { identifier: string; user: number }): Token {
  return store.addToken({ intent: "verification", expiring: true, expires: new Date(Date.now() + 30 * 60_000).toISOString(), ...fields });
}

/** guardian's `get_anonymous_user()`: the `AnonymousUser` row authentik's database has. */
export function anonymousUser(store: Store): User {
  return store.userByName("AnonymousUser") ?? store.addUser({ username: "AnonymousUser", name: "" });
}

export const ALL_GRANT_TYPES = ["authorization_code", "refresh_token", "implicit", "client_credentials", "password", "urn:ietf:params:oauth:grant-type:device_code"];

/**
 * `OAuth2Provider.objects.create(...)` with the model's defaults (the store's). The cases for 2026.5.6 and 2026.8.3
 * come from main at addbf5a2f, whose providers have no `grant_types` and allow every grant; those releases restrict
 * grants to `grant_types`, so the provider gets every grant type there.
 */
export function createProvider(c: Case, fields: Partial<Provider> & { name: string }): Provider {
  return c.store.addProvider({ ...(c.tag === "addbf5a2f" ? { grant_types: [...ALL_GRANT_TYPES] } : {}), ...fields });
}

export function addGroup(store: Store, g: Partial<Group> & { name: string }): Group {
  return store.addGroup(g);
}

/**
 * A redirect URI as the case writes it: `RedirectURI(RedirectURIMatchingMode.STRICT, url)` from 2024.12, the plain
 * string `url` before (a regular expression then, `fullmatch`ed; the store keeps old lines as regex entries).
 */
export function redirectUri(c: Case, url: string): RedirectUri {
  return atOrAfter(c.tag, "version/2024.12.0") ? { matching_mode: "strict", url } : { matching_mode: "regex", url };
}

/** `Application.objects.create(name=…, slug=…, provider=…)` with the model's defaults. */
export function createApplication(store: Store, a: { name: string; slug: string; provider: number | null }): Application {
  const app: Application = {
    pk: randomUUID(),
    meta_launch_url: "",
    meta_description: "",
    meta_publisher: "",
    policy_engine_mode: "any",
    open_in_new_tab: false,
    group: "",
    ...a,
  };
  store.applications.set(app.pk, app);
  return app;
}

const b64json = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, any>;

export function jwtParts(jwt: string): { header: Record<string, any>; payload: Record<string, any> } {
  const [h, p] = jwt.split(".");
  return { header: b64json(h!), payload: b64json(p!) };
}

/**
 * PyJWT's `decode(token, key, algorithms=[alg], audience=aud)`: the signature (RS256 with the public key or HS256
 * with the secret), `aud` and `exp`; returns the payload or throws.
 */
export function decodeJwt(jwt: string, key: KeyObject | string, alg: "RS256" | "HS256", audience: string): Record<string, any> {
  const [h, p, s] = jwt.split(".");
  if (!h || !p || s === undefined) throw new Error("not a JWT");
  const { header, payload } = jwtParts(jwt);
  if (header.alg !== alg) throw new Error(`alg ${String(header.alg)} is not ${alg}`);
  const input = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, "base64url");
  const ok = alg === "RS256" ? verify("sha256", input, key, sig) : createHmac("sha256", key).update(input).digest().equals(sig);
  if (!ok) throw new Error("signature verification failed");
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!aud.includes(audience)) throw new Error("invalid audience");
  if (typeof payload.exp === "number" && payload.exp * 1000 < Date.now()) throw new Error("expired");
  return payload;
}

/** jwcrypto's `JWE.deserialize(token, key)` for RSA-OAEP-256 + A256CBC-HS512 (RFC 7516/7518), returns the plaintext. */
export function decryptJwe(jwe: string, privateKey: KeyObject): string {
  const [h, k, iv, ct, tag] = jwe.split(".");
  if (!h || !k || !iv || !ct || !tag) throw new Error("not a compact JWE");
  const header = b64json(h);
  if (header.alg !== "RSA-OAEP-256" || header.enc !== "A256CBC-HS512") throw new Error(`unexpected JWE ${String(header.alg)}/${String(header.enc)}`);
  const cek = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, Buffer.from(k, "base64url"));
  const ivb = Buffer.from(iv, "base64url");
  const ctb = Buffer.from(ct, "base64url");
  const aad = Buffer.from(h, "ascii");
  const al = Buffer.alloc(8);
  al.writeBigUInt64BE(BigInt(aad.length * 8));
  const mac = createHmac("sha512", cek.subarray(0, 32))
    .update(Buffer.concat([aad, ivb, ctb, al]))
    .digest()
    .subarray(0, 32);
  if (!mac.equals(Buffer.from(tag, "base64url"))) throw new Error("JWE tag mismatch");
  const decipher = createDecipheriv("aes-256-cbc", cek.subarray(32), ivb);
  return Buffer.concat([decipher.update(ctb), decipher.final()]).toString("utf8");
}

/** POST to the token endpoint with a form (Django's test client posts forms), optional Basic auth and Origin. */
export function tokenRequest(fake: FakeAuthentik, form: Record<string, string>, opts: { basic?: string; origin?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.basic) headers.authorization = `Basic ${opts.basic}`;
  if (opts.origin) headers.origin = opts.origin;
  return request(fake, "POST", "/application/o/token/", { form, headers });
}

export const basic = (id: string, secret: string) => Buffer.from(`${id}:${secret}`).toString("base64");
