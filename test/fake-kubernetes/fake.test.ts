/**
 * The fake Kubernetes API server against what the real one does (README.md beside this file has the sources):
 * the pod's files, TLS with its CA, authentication, RBAC with resourceNames, Secrets' create/update/patch with
 * resourceVersion, schema and semantic validation, SelfSubjectAccessReviews, faults.
 */
import { lstatSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES, startFakeKubernetes, type FakeKubernetes } from "./index.ts";

interface Answer {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

function call(
  fake: FakeKubernetes,
  method: string,
  path: string,
  body?: unknown,
  opts: { token?: string | null; ca?: string | null; contentType?: string; raw?: string | Buffer } = {},
): Promise<Answer> {
  const token = opts.token === undefined ? readFileSync(join(fake.serviceAccountDir.path, "token"), "utf8") : opts.token;
  const payload = opts.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      `${fake.url}${path}`,
      {
        method,
        ...(opts.ca === null ? {} : { ca: opts.ca ?? readFileSync(join(fake.serviceAccountDir.path, "ca.crt"), "utf8") }),
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload !== undefined ? { "content-type": opts.contentType ?? "application/json" } : {}),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const SECRETS = "/api/v1/namespaces/netbird/secrets";
const ROLE = [{ verbs: ["get", "update", "patch"], resources: ["secrets"], resourceNames: ["netbird"] }];
const b64 = (s: string) => Buffer.from(s).toString("base64");
const secret = (name: string, data: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, ...extra },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});

describe("fake Kubernetes: the pod's service-account files", () => {
  it("lays them out as the kubelet's projected volume: ..data → a timestamped directory, files as links through it, mode 0644", async () => {
    await using fake = await startFakeKubernetes();
    const dir = fake.serviceAccountDir.path;
    for (const file of ["token", "ca.crt", "namespace"]) {
      expect(lstatSync(join(dir, file)).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(dir, file))).toBe(join("..data", file));
      expect(statSync(join(dir, file)).mode & 0o777).toBe(0o644);
    }
    expect(readlinkSync(join(dir, "..data"))).toMatch(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$/);
    expect(readFileSync(join(dir, "namespace"), "utf8")).toBe("netbird");
    expect(readFileSync(join(dir, "ca.crt"), "utf8")).toContain("BEGIN CERTIFICATE");
    const before = readlinkSync(join(dir, "..data"));
    const token = fake.rotateToken();
    expect(readlinkSync(join(dir, "..data"))).not.toBe(before);
    expect(readFileSync(join(dir, "token"), "utf8")).toBe(token);
  });

  it("issues a JWT-shaped token whose subject is the service account", async () => {
    await using fake = await startFakeKubernetes({ namespace: "ns1", serviceAccount: "sa1" });
    const token = readFileSync(join(fake.serviceAccountDir.path, "token"), "utf8");
    const payload = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
    expect(payload.sub).toBe("system:serviceaccount:ns1:sa1");
    expect(fake.user).toBe("system:serviceaccount:ns1:sa1");
  });
});

describe("fake Kubernetes: TLS and authentication", () => {
  it("serves a certificate only its CA (the pod's ca.crt) vouches for", async () => {
    await using fake = await startFakeKubernetes({ rules: ROLE });
    expect((await call(fake, "GET", `${SECRETS}/netbird`)).status).toBe(404);
    await expect(call(fake, "GET", `${SECRETS}/netbird`, undefined, { ca: null })).rejects.toThrow(/certificate/i);
  });

  it("treats a request without a token as system:anonymous (RBAC forbids it) and refuses an unknown token with 401", async () => {
    await using fake = await startFakeKubernetes({ rules: ROLE });
    const anonymous = await call(fake, "GET", `${SECRETS}/netbird`, undefined, { token: null });
    expect(anonymous.status).toBe(403);
    expect(anonymous.body.message).toContain('User "system:anonymous" cannot get resource "secrets"');
    const bad = await call(fake, "GET", `${SECRETS}/netbird`, undefined, { token: "not-a-token" });
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ kind: "Status", status: "Failure", reason: "Unauthorized", code: 401 });
  });

  it("stops accepting a revoked token after the kubelet wrote a new one", async () => {
    await using fake = await startFakeKubernetes({ rules: ROLE });
    const old = readFileSync(join(fake.serviceAccountDir.path, "token"), "utf8");
    fake.rotateToken(true);
    expect((await call(fake, "GET", `${SECRETS}/netbird`, undefined, { token: old })).status).toBe(401);
    expect((await call(fake, "GET", `${SECRETS}/netbird`)).status).toBe(404);
  });
});

describe("fake Kubernetes: RBAC", () => {
  it("allows only the named Secret and only the Role's verbs; never create or list through resourceNames", async () => {
    await using fake = await startFakeKubernetes({ rules: ROLE, secrets: [secret("other")] });
    expect((await call(fake, "GET", `${SECRETS}/netbird`)).status).toBe(404);
    const other = await call(fake, "GET", `${SECRETS}/other`);
    expect(other.status).toBe(403);
    expect(other.body.message).toBe(
      'secrets "other" is forbidden: User "system:serviceaccount:netbird:authentik-bootstrap" cannot get resource "secrets" in API group "" in the namespace "netbird"',
    );
    expect((await call(fake, "GET", SECRETS)).status).toBe(403);
    const create = await call(fake, "POST", SECRETS, secret("netbird"));
    expect(create.status).toBe(403);
    expect(create.body.message).toContain("cannot create resource");
    expect((await call(fake, "GET", "/api/v1/namespaces/default/secrets/netbird")).status).toBe(403);
    expect((await call(fake, "DELETE", `${SECRETS}/netbird`)).status).toBe(403);
  });

  it("answers SelfSubjectAccessReviews from the same rules", async () => {
    await using fake = await startFakeKubernetes({ rules: ROLE });
    const ask = async (verb: string, name?: string) =>
      (
        await call(fake, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SelfSubjectAccessReview",
          spec: { resourceAttributes: { namespace: "netbird", verb, resource: "secrets", ...(name ? { name } : {}) } },
        })
      ).body.status.allowed;
    expect(await ask("update", "netbird")).toBe(true);
    expect(await ask("update", "other")).toBe(false);
    expect(await ask("create")).toBe(false);
    expect(await ask("delete", "netbird")).toBe(false);
  });
});

describe("fake Kubernetes: Secrets", () => {
  const ALL = [{ verbs: ["*"], resources: ["secrets"] }];

  it("creates (201, server fields set, type defaulted), then refuses the same name with 409 AlreadyExists", async () => {
    await using fake = await startFakeKubernetes({ rules: ALL });
    const created = await call(fake, "POST", SECRETS, secret("netbird", { A: "1" }));
    expect(created.status).toBe(201);
    expect(created.body.metadata).toMatchObject({ name: "netbird", namespace: "netbird", uid: expect.any(String), resourceVersion: expect.stringMatching(/^\d+$/) });
    expect(created.body.type).toBe("Opaque");
    const again = await call(fake, "POST", SECRETS, secret("netbird"));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ reason: "AlreadyExists", message: 'secrets "netbird" already exists', details: { name: "netbird", kind: "secrets" } });
    const withVersion = await call(fake, "POST", SECRETS, secret("x", {}, { resourceVersion: "5" }));
    expect(withVersion.status).toBe(500);
    expect(withVersion.body.message).toContain("resourceVersion should not be set on objects to be created");
    expect((await call(fake, "POST", SECRETS, secret("y", {}, { namespace: "elsewhere" }))).status).toBe(400);
  });

  it("updates with the resourceVersion it was read at; a stale one is 409 Conflict, an empty one is unconditional", async () => {
    await using fake = await startFakeKubernetes({ rules: ALL, secrets: [secret("netbird", { A: "1" })] });
    const read = (await call(fake, "GET", `${SECRETS}/netbird`)).body;
    const first = await call(fake, "PUT", `${SECRETS}/netbird`, { ...read, data: { A: b64("2") } });
    expect(first.status).toBe(200);
    expect(Number(first.body.metadata.resourceVersion)).toBeGreaterThan(Number(read.metadata.resourceVersion));
    expect(first.body.metadata.uid).toBe(read.metadata.uid);
    const stale = await call(fake, "PUT", `${SECRETS}/netbird`, { ...read, data: { A: b64("3") } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      reason: "Conflict",
      message: 'Operation cannot be fulfilled on secrets "netbird": the object has been modified; please apply your changes to the latest version and try again',
    });
    const { resourceVersion: _, ...meta } = read.metadata;
    expect((await call(fake, "PUT", `${SECRETS}/netbird`, { ...read, metadata: meta, data: { A: b64("4") } })).status).toBe(200);
    expect(fake.secret("netbird").data.A).toBe(b64("4"));
    expect((await call(fake, "PUT", `${SECRETS}/missing`, secret("missing"))).status).toBe(404);
    const renamed = await call(fake, "PUT", `${SECRETS}/netbird`, secret("other"));
    expect(renamed.status).toBe(400);
    expect(renamed.body.message).toBe("the name of the object (other) does not match the name on the URL (netbird)");
  });

  it("checks bodies against the OpenAPI schema for Secrets: wrong types and bad base64 are the decoder's 400", async () => {
    await using fake = await startFakeKubernetes({ rules: ALL });
    const notBase64 = await call(fake, "POST", SECRETS, { ...secret("a"), data: { A: "not base64!" } });
    expect(notBase64.status).toBe(400);
    expect(notBase64.body.message).toMatch(/^Secret in version "v1" cannot be handled as a Secret: \/data\/A must match format "byte"/);
    expect((await call(fake, "POST", SECRETS, { ...secret("b"), data: { A: 1 } })).status).toBe(400);
    expect((await call(fake, "POST", SECRETS, { ...secret("c"), kind: "ConfigMap" })).status).toBe(400);
    expect((await call(fake, "POST", SECRETS, undefined, { raw: "{not json" })).status).toBe(400);
    expect((await call(fake, "POST", SECRETS, undefined, { raw: "{}", contentType: "text/plain" })).status).toBe(415);
  });

  it("warns about unknown fields and drops them (fieldValidation=Warn, the default); Strict refuses them", async () => {
    await using fake = await startFakeKubernetes({ rules: ALL });
    const warned = await call(fake, "POST", SECRETS, { ...secret("a"), metadata: { name: "a", labelz: { x: "y" } }, extra: true });
    expect(warned.status).toBe(201);
    expect(warned.headers.warning).toEqual(expect.stringContaining('299 - "unknown field \\"metadata.labelz\\""'));
    expect(warned.body.metadata).not.toHaveProperty("labelz");
    const strict = await call(fake, "POST", `${SECRETS}?fieldValidation=Strict`, { ...secret("b"), extra: true });
    expect(strict.status).toBe(400);
    expect(strict.body.message).toContain('strict decoding error: unknown field "extra"');
  });

  it("validates what the schema cannot say (422 Invalid with causes): keys, names, labels; an immutable Secret's data", async () => {
    await using fake = await startFakeKubernetes({ rules: ALL });
    const badKey = await call(fake, "POST", SECRETS, secret("a", { "bad key": "x" }));
    expect(badKey.status).toBe(422);
    expect(badKey.body).toMatchObject({ reason: "Invalid", details: { causes: [{ reason: "FieldValueInvalid", field: "data[bad key]" }] } });
    expect((await call(fake, "POST", SECRETS, secret("Upper"))).status).toBe(422);
    expect((await call(fake, "POST", SECRETS, secret("l", {}, { labels: { "a/b/c": "x" } }))).status).toBe(422);
    const frozen = (await call(fake, "POST", SECRETS, { ...secret("frozen", { A: "1" }), immutable: true })).body;
    const change = await call(fake, "PUT", `${SECRETS}/frozen`, { ...frozen, data: { A: b64("2") } });
    expect(change.status).toBe(422);
    expect(change.body.message).toContain("field is immutable when `immutable` is set");
  });

  it("merges stringData into data and never returns it", async () => {
    await using fake = await startFakeKubernetes({ rules: ALL });
    const created = await call(fake, "POST", SECRETS, { ...secret("a", { A: "1" }), stringData: { A: "over", B: "two" } });
    expect(created.body.data).toEqual({ A: b64("over"), B: b64("two") });
    expect(created.body).not.toHaveProperty("stringData");
  });

  it("applies merge and JSON patches, with metadata.resourceVersion as a precondition", async () => {
    await using fake = await startFakeKubernetes({ rules: ALL, secrets: [secret("netbird", { A: "1", B: "2" })] });
    const rv = fake.secret("netbird").metadata.resourceVersion;
    const merged = await call(
      fake,
      "PATCH",
      `${SECRETS}/netbird`,
      { metadata: { resourceVersion: rv }, data: { B: null, C: b64("3") } },
      { contentType: "application/merge-patch+json" },
    );
    expect(merged.status).toBe(200);
    expect(merged.body.data).toEqual({ A: b64("1"), C: b64("3") });
    const stale = await call(fake, "PATCH", `${SECRETS}/netbird`, { metadata: { resourceVersion: rv }, data: { A: null } }, { contentType: "application/merge-patch+json" });
    expect(stale.status).toBe(409);
    const json = await call(fake, "PATCH", `${SECRETS}/netbird`, [{ op: "add", path: "/data/D", value: b64("4") }], { contentType: "application/json-patch+json" });
    expect(json.body.data.D).toBe(b64("4"));
    expect((await call(fake, "PATCH", `${SECRETS}/netbird`, {}, { contentType: "application/apply-patch+yaml" })).status).toBe(415);
  });

  it("refuses bodies over 3 MiB and injects faults on request", async () => {
    await using fake = await startFakeKubernetes({ rules: ALL });
    expect((await call(fake, "POST", SECRETS, undefined, { raw: Buffer.alloc(MAX_BODY_BYTES + 1, 32) })).status).toBe(413);
    fake.inject({ method: "GET", path: `${SECRETS}/netbird`, status: 503, times: 2 });
    expect((await call(fake, "GET", `${SECRETS}/netbird`)).status).toBe(503);
    expect((await call(fake, "GET", `${SECRETS}/netbird`)).status).toBe(503);
    expect((await call(fake, "GET", `${SECRETS}/netbird`)).status).toBe(404);
    expect((await call(fake, "GET", "/api/v1/namespaces/netbird/configmaps/x")).status).toBe(404);
  });

  it("logs every request with its verb and user, and counts only state-changing ones as writes", async () => {
    await using fake = await startFakeKubernetes({ rules: ROLE, secrets: [secret("netbird")] });
    const read = (await call(fake, "GET", `${SECRETS}/netbird`)).body;
    await call(fake, "PUT", `${SECRETS}/netbird`, { ...read, data: { A: b64("1") } });
    await call(fake, "POST", SECRETS, secret("x"));
    expect(fake.log.map((r) => [r.verb, r.status])).toEqual([
      ["get", 200],
      ["update", 200],
      ["create", 403],
    ]);
    expect(fake.writes()).toHaveLength(1);
    expect(fake.writes()[0]!.user).toBe(fake.user);
  });
});
