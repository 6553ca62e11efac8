/**
 * The Kubernetes output through the real entry point (`node dist/main.js`): the fake authentik, and the fake
 * Kubernetes API server set up from deploy/kubernetes/ (its Role enforced, its empty Secret), the service
 * account's files laid out as in a pod. Fresh run, no-op re-run, plan and verify, drift, conflicts with another
 * writer, a missing Secret, a Role without the verb, a token the kubelet rotates mid-run.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeAuthentik } from "../fake-authentik/index.ts";
import { admin, netbirdToken } from "../helpers/admin.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { decoded, kubernetesEnv, SHIPPED, startCluster } from "../helpers/kubernetes.ts";
import { runMain } from "../helpers/run-main.ts";
import type { FakeKubernetes } from "../fake-kubernetes/index.ts";

/** A run as the Job's pod makes it: no writable OUTPUT_DIR (read-only root file system), the Secret as output. */
function podEnv(akUrl: string, k8s: FakeKubernetes, extra: Record<string, string> = {}): Record<string, string> {
  return { ...baseEnv(akUrl, join(tempDir(), "not-there")), ...kubernetesEnv(k8s), ...extra };
}

const stored = (k8s: FakeKubernetes) => decoded(k8s.secret(SHIPPED.secret, SHIPPED.namespace));
const secretWrites = (k8s: FakeKubernetes) => k8s.log.filter((r) => r.path.includes("/secrets") && ["create", "update", "patch", "delete"].includes(r.verb));

describe("Kubernetes: the output as a Secret", () => {
  it("fills the shipped Secret through the Role (get, update), keeps foreign keys, and a second run writes nothing anywhere", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using k8s = await startCluster();
    // A key the admin put there for NetBird's chart (not ours): kept.
    k8s.putSecret({ ...k8s.secret(SHIPPED.secret, SHIPPED.namespace), stringData: { postgresDSN: "postgresql://netbird@db/netbird" } });
    const env = podEnv(ak.url, k8s);

    const first = await runMain(env);
    expect(first.summary.error?.message).toBeUndefined();
    expect(first.code).toBe(0);
    expect(first.summary.output).toEqual({ file: `Secret ${SHIPPED.namespace}/${SHIPPED.secret}`, written: true });
    expect(existsSync(env.OUTPUT_DIR!)).toBe(false);

    const [provider] = await admin(ak.url).provider();
    const values = stored(k8s);
    expect(values).toMatchObject({
      postgresDSN: "postgresql://netbird@db/netbird",
      NETBIRD_DOMAIN: "netbird.example.com",
      NETBIRD_AUTH_CLIENT_ID: provider.client_id,
      NETBIRD_MGMT_IDP: "authentik",
      NETBIRD_IDP_MGMT_EXTRA_USERNAME: "NetBird",
      NETBIRD_AUTH_OIDC_CONFIGURATION_ENDPOINT: `${ak.url}/application/o/netbird/.well-known/openid-configuration`,
      // What NetBird's chart reads (netbirdio/helms examples/*/authentik).
      idpClientID: provider.client_id,
      idpServiceAccountUser: "NetBird",
      idpServiceAccountPassword: values.NETBIRD_IDP_MGMT_EXTRA_PASSWORD,
    });
    expect(Buffer.from(values.datastoreEncryptionKey!, "base64")).toHaveLength(32);
    expect(Buffer.from(values.relayPassword!, "base64")).toHaveLength(32);
    // The password in the Secret is the one authentik accepts.
    expect((await netbirdToken(ak.url, provider.client_id, "NetBird", values.idpServiceAccountPassword!)).status).toBe(200);

    const secret = k8s.secret(SHIPPED.secret, SHIPPED.namespace);
    expect(secret.metadata.labels).toMatchObject({ "app.kubernetes.io/managed-by": "authentik-bootstrap", "app.kubernetes.io/part-of": "netbird" });
    const owned = secret.metadata.annotations["authentik-bootstrap/owned-keys"].split(",");
    expect(owned).toEqual(expect.arrayContaining(["NETBIRD_AUTH_CLIENT_ID", "idpClientID", "datastoreEncryptionKey"]));
    expect(owned).not.toContain("postgresDSN");
    // One update, carrying the resourceVersion it read, recorded under our field manager; no create, nothing refused.
    const writes = secretWrites(k8s);
    expect(writes.map((w) => [w.method, w.status])).toEqual([["PUT", 200]]);
    expect(writes[0]!.query).toBe("fieldManager=authentik-bootstrap");
    expect((writes[0]!.body as any).metadata.resourceVersion).toMatch(/^\d+$/);
    expect(k8s.log.filter((r) => r.status === 403)).toEqual([]);
    expect(k8s.log.filter((r) => r.warnings)).toEqual([]);
    for (const secretValue of [values.NETBIRD_IDP_MGMT_EXTRA_PASSWORD!, values.datastoreEncryptionKey!, TOKEN]) expect(first.stdout + first.stderr).not.toContain(secretValue);

    ak.resetLog();
    k8s.resetLog();
    const second = await runMain(env);
    expect(second.code).toBe(0);
    expect(second.summary.output).toEqual({ file: `Secret ${SHIPPED.namespace}/${SHIPPED.secret}`, written: false });
    expect(ak.writes()).toEqual([]);
    expect(secretWrites(k8s)).toEqual([]);
    expect(k8s.secret(SHIPPED.secret, SHIPPED.namespace).metadata.resourceVersion).toBe(secret.metadata.resourceVersion);

    const plan = await runMain(env, ["--plan"]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(`Secret '${SHIPPED.namespace}/${SHIPPED.secret}': unchanged`);
    const verify = await runMain(env, ["--verify"]);
    expect(verify.summary.error?.message).toBeUndefined();
    expect(verify.code).toBe(0);
    expect(secretWrites(k8s)).toEqual([]);
  });

  it("plan mode on a fresh install names the Secret and writes nothing; verify mode checks the Secret's values", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using k8s = await startCluster();
    const env = podEnv(ak.url, k8s);
    const plan = await runMain(env, ["--plan"]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain(`~ Secret '${SHIPPED.namespace}/${SHIPPED.secret}': update`);
    expect(plan.stdout).toMatch(/^Plan: .*; 1 Secret\(s\) to write\.$/m);
    expect(ak.writes()).toEqual([]);
    expect(secretWrites(k8s)).toEqual([]);
    const early = await runMain(env, ["--verify"]);
    expect(early.code).toBe(10);
    expect(early.summary.error?.message).toContain(`Secret ${SHIPPED.namespace}/${SHIPPED.secret} holds none of the keys yet`);

    expect((await runMain(env)).code).toBe(0);
    // Someone edits a value by hand: plan says which key would change (never the value), verify names it.
    const tampered = { ...k8s.secret(SHIPPED.secret, SHIPPED.namespace) };
    tampered.data = { ...tampered.data, NETBIRD_AUTH_CLIENT_ID: Buffer.from("someone-elses-client").toString("base64") };
    k8s.putSecret(tampered);
    const drifted = await runMain(env, ["--plan"]);
    expect(drifted.code).toBe(2);
    expect(drifted.stdout).toMatch(/keys: NETBIRD_AUTH_CLIENT_ID\b/);
    const verify = await runMain(env, ["--verify"]);
    expect(verify.code).toBe(10);
    expect(verify.summary.error?.message).toContain(`Secret ${SHIPPED.namespace}/${SHIPPED.secret}`);
  });

  it("repairs a drifted owned key and says who must restart; keys generated once stay as they are", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using k8s = await startCluster();
    const env = podEnv(ak.url, k8s);
    expect((await runMain(env)).code).toBe(0);
    const before = stored(k8s);
    const s = k8s.secret(SHIPPED.secret, SHIPPED.namespace);
    k8s.putSecret({ ...s, data: { ...s.data, idpServiceAccountPassword: Buffer.from("wrong").toString("base64") } });

    const repair = await runMain(env);
    expect(repair.code).toBe(0);
    expect(stored(k8s)).toEqual(before);
    expect(repair.stderr).toContain("pods that read these keys as environment variables see the new values only after a restart");
    expect(repair.stderr).toContain("idpServiceAccountPassword");
  });

  it("rotates the app password into the Secret (ROTATE=app-password): new value, generated keys unchanged", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using k8s = await startCluster();
    const env = podEnv(ak.url, k8s);
    expect((await runMain(env)).code).toBe(0);
    const before = stored(k8s);
    const rotated = await runMain({ ...env, ROTATE: "app-password" });
    expect(rotated.summary.error?.message).toBeUndefined();
    expect(rotated.code).toBe(0);
    const after = stored(k8s);
    expect(after.idpServiceAccountPassword).not.toBe(before.idpServiceAccountPassword);
    expect(after.NETBIRD_IDP_MGMT_EXTRA_PASSWORD).toBe(after.idpServiceAccountPassword);
    expect(after.datastoreEncryptionKey).toBe(before.datastoreEncryptionKey);
    expect(after.relayPassword).toBe(before.relayPassword);
    const [provider] = await admin(ak.url).provider();
    expect((await netbirdToken(ak.url, provider.client_id, "NetBird", after.idpServiceAccountPassword!)).status).toBe(200);
  });

  it("keeps the least-privilege tool token in the Secret (TOOL_TOKEN_SECRET_KEY); later runs use it without AUTHENTIK_TOKEN", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using k8s = await startCluster();
    const env = podEnv(ak.url, k8s, { TOOL_TOKEN_SECRET_KEY: "AUTHENTIK_TOOL_TOKEN" });
    const first = await runMain(env);
    expect(first.code, first.stdout.slice(-1500)).toBe(0);
    const key = stored(k8s).AUTHENTIK_TOOL_TOKEN!;
    expect(key).toBe(await admin(ak.url).key("authentik-bootstrap-api-token"));
    expect(first.stdout + first.stderr).not.toContain(key);

    const { AUTHENTIK_TOKEN: _superuser, ...withoutToken } = env;
    ak.resetLog();
    const again = await runMain({ ...withoutToken, ROTATE: "app-password" });
    expect(again.code, again.stdout.slice(-1500)).toBe(0);
    expect(new Set(ak.log.filter((r) => r.caller).map((r) => r.caller))).toEqual(new Set(["authentik-bootstrap", "NetBird"]));
    expect(stored(k8s).AUTHENTIK_TOOL_TOKEN).toBe(key);
    expect(stored(k8s).NETBIRD_IDP_MGMT_EXTRA_PASSWORD).toBe(await admin(ak.url).key("service-account-netbird-password"));
  });

  it("netbird-embedded on Kubernetes: the fields to paste point at the Secret, not at a file", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using k8s = await startCluster();
    const r = await runMain(podEnv(ak.url, k8s, { CONSUMER: "netbird-embedded" }));
    expect(r.code, r.stdout.slice(-1500)).toBe(0);
    expect(r.stdout).toContain(`Client Secret: NETBIRD_IDP_CLIENT_SECRET in Secret ${SHIPPED.namespace}/${SHIPPED.secret} (not printed)`);
    expect(stored(k8s).NETBIRD_IDP_CLIENT_SECRET).toBeTruthy();
  });

  it("reads the Secret again when another writer changed it in between (409 Conflict), and keeps that writer's key", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using k8s = await startCluster();
    let raced = false;
    k8s.beforeWrite(({ method, fake }) => {
      if (method !== "PUT" || raced) return;
      raced = true;
      const s = fake.secret(SHIPPED.secret, SHIPPED.namespace);
      fake.putSecret({ ...s, data: { ...(s.data ?? {}), turnServerPassword: Buffer.from("theirs").toString("base64") } });
    });
    const run = await runMain(podEnv(ak.url, k8s));
    expect(run.summary.error?.message).toBeUndefined();
    expect(run.code).toBe(0);
    expect(secretWrites(k8s).map((w) => [w.method, w.status])).toEqual([
      ["PUT", 409],
      ["PUT", 200],
    ]);
    expect(stored(k8s)).toMatchObject({ turnServerPassword: "theirs", idpServiceAccountUser: "NetBird" });
  });

  it("gives up with the reason when the Secret keeps changing under it (exit 8), after a bounded number of tries", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using k8s = await startCluster();
    let n = 0;
    k8s.beforeWrite(({ method, fake }) => {
      if (method !== "PUT") return;
      const s = fake.secret(SHIPPED.secret, SHIPPED.namespace);
      fake.putSecret({ ...s, data: { ...(s.data ?? {}), counter: Buffer.from(String(++n)).toString("base64") } });
    });
    const run = await runMain(podEnv(ak.url, k8s));
    expect(run.code).toBe(8);
    expect(run.summary.error?.message).toContain(`Cannot update Secret '${SHIPPED.namespace}/${SHIPPED.secret}': 409 Conflict`);
    expect(secretWrites(k8s).length).toBeLessThanOrEqual(5);
    expect(stored(k8s)).not.toHaveProperty("idpClientID");
  });

  it("stops before authentik is touched when the Role lacks update, naming the Secret and the verb (exit 8)", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using k8s = await startCluster({ rules: [{ verbs: ["get"], resources: ["secrets"], resourceNames: [SHIPPED.secret], namespace: SHIPPED.namespace }] });
    const run = await runMain(podEnv(ak.url, k8s));
    expect(run.code).toBe(8);
    expect(run.summary.error?.message).toBe(
      `Cannot update Secret '${SHIPPED.namespace}/${SHIPPED.secret}': the Role bound to ${k8s.user} lacks 'update' on secrets '${SHIPPED.secret}' in namespace '${SHIPPED.namespace}' (resourceNames)`,
    );
    expect(ak.log.filter((r) => r.path.startsWith("/api/"))).toEqual([]);
  });

  it("when the Role's own check cannot be asked, the API server's 403 on the write names the verb the Role lacks", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using k8s = await startCluster({ rules: [{ verbs: ["get"], resources: ["secrets"], resourceNames: [SHIPPED.secret], namespace: SHIPPED.namespace }] });
    k8s.inject({ path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", status: 404, times: 10 });
    const run = await runMain(podEnv(ak.url, k8s));
    expect(run.code).toBe(8);
    expect(run.summary.error?.message).toContain(`Cannot update Secret '${SHIPPED.namespace}/${SHIPPED.secret}': 403 Forbidden: the Role bound to ${k8s.user} lacks 'update'`);
    expect(run.summary.error?.message).toContain(`(the API server: secrets "${SHIPPED.secret}" is forbidden: User "${k8s.user}" cannot update resource "secrets"`);
  });

  it("without the shipped Secret: says to apply it (RBAC cannot limit create to one name), before authentik is touched", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using k8s = await startCluster({ secret: false });
    const run = await runMain(podEnv(ak.url, k8s));
    expect(run.code).toBe(8);
    expect(run.summary.error?.message).toContain(
      `Cannot create Secret '${SHIPPED.namespace}/${SHIPPED.secret}': it does not exist and the Role bound to ${k8s.user} lacks 'create'`,
    );
    expect(run.summary.error?.message).toContain("deploy/kubernetes/secret.yaml");
    expect(ak.log.filter((r) => r.path.startsWith("/api/"))).toEqual([]);
  });

  it("with a Role that may create: creates the Secret, and on AlreadyExists (created meanwhile) reads it and updates", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const broad = [{ verbs: ["get", "create", "update"], resources: ["secrets"], namespace: SHIPPED.namespace }];
    await using k8s = await startCluster({ secret: false, rules: broad });
    const created = await runMain(podEnv(ak.url, k8s));
    expect(created.code).toBe(0);
    expect(secretWrites(k8s).map((w) => [w.method, w.status])).toEqual([["POST", 201]]);
    expect(k8s.secret(SHIPPED.secret, SHIPPED.namespace).type).toBe("Opaque");

    await using k8s2 = await startCluster({ secret: false, rules: broad });
    k8s2.beforeWrite(({ method, fake }) => {
      if (method === "POST" && !fake.secret(SHIPPED.secret, SHIPPED.namespace))
        fake.putSecret({ metadata: { name: SHIPPED.secret, namespace: SHIPPED.namespace }, data: { theirs: "eA==" } });
    });
    const raced = await runMain(podEnv(ak.url, k8s2));
    expect(raced.code).toBe(0);
    expect(secretWrites(k8s2).map((w) => [w.method, w.status])).toEqual([
      ["POST", 409],
      ["PUT", 200],
    ]);
    expect(stored(k8s2)).toMatchObject({ theirs: "x", idpServiceAccountUser: "NetBird" });
  });

  it("reads the token file again on every request: the kubelet's rotation mid-run (old token revoked) goes unnoticed", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using k8s = await startCluster();
    // The kubelet writes a new token; the old one stays valid a while (bound tokens live an hour), then is revoked here.
    k8s.onRequest(({ index, fake }) => {
      if (index === 1) fake.rotateToken();
      if (index === 2) fake.revokeOldTokens();
    });
    const run = await runMain(podEnv(ak.url, k8s));
    expect(run.summary.error?.message).toBeUndefined();
    expect(run.code).toBe(0);
    expect(k8s.log.filter((r) => r.status === 401)).toEqual([]);
  });

  it("retries the API server's transient answers (503, then a 429 with Retry-After); the checks read the Secret once that late write is done", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using k8s = await startCluster();
    k8s.inject({ method: "GET", path: `/api/v1/namespaces/${SHIPPED.namespace}/secrets/${SHIPPED.secret}`, status: 503, times: 1 });
    k8s.inject({ method: "PUT", path: `/api/v1/namespaces/${SHIPPED.namespace}/secrets/${SHIPPED.secret}`, status: 429, retryAfterSeconds: 1, times: 1 });
    const run = await runMain(podEnv(ak.url, k8s));
    expect(run.summary.error?.message).toBeUndefined();
    expect(run.code).toBe(0);
    expect(stored(k8s)).toHaveProperty("idpClientID");
  });

  it("refuses a token the API server does not accept (401), naming the token file, and an untrusted server certificate", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using k8s = await startCluster();
    k8s.rotateToken(true);
    k8s.serviceAccountDir.rotate({ token: "expired.token.value" });
    const refused = await runMain(podEnv(ak.url, k8s));
    expect(refused.code).toBe(8);
    expect(refused.summary.error?.message).toBe(
      `Cannot get Secret '${SHIPPED.namespace}/${SHIPPED.secret}': 401 Unauthorized: the API server refused the service account token from '${join(k8s.serviceAccountDir.path, "token")}' (expired, revoked, or from another cluster)`,
    );

    await using other = await startCluster();
    other.serviceAccountDir.rotate({ caCrt: k8s.ca.certPem });
    const untrusted = await runMain(podEnv(ak.url, other));
    expect(untrusted.code).toBe(8);
    expect(untrusted.summary.error?.message).toMatch(
      /^Cannot get Secret '[^']+': no trusted answer from https:\/\/127\.0\.0\.1:\d+: its certificate is not accepted with the CA in '.*ca\.crt'/,
    );
  });

  it("Firezone on Kubernetes: OPENID_CONNECT_PROVIDERS as a key, the client secret harvested, the namespace the pod's own", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    // The pod runs in the Secret's namespace: KUBERNETES_NAMESPACE left empty, read from the namespace file.
    await using k8s = await startCluster({ namespace: SHIPPED.namespace });
    const env = { ...podEnv(ak.url, k8s, { CONSUMER: "firezone", FIREZONE_URL: "https://firezone.example.com", KUBERNETES_NAMESPACE: "" }), NETBIRD_DOMAIN: "" };
    const run = await runMain(env);
    expect(run.summary.error?.message).toBeUndefined();
    expect(run.code).toBe(0);
    const [provider] = await admin(ak.url).provider("Firezone");
    const values = stored(k8s);
    expect(Object.keys(values).sort()).toEqual(["OPENID_CONNECT_PROVIDERS"]);
    expect(JSON.parse(values.OPENID_CONNECT_PROVIDERS!)[0]).toMatchObject({ client_id: provider.client_id, client_secret: provider.client_secret });
    k8s.resetLog();
    expect((await runMain(env)).code).toBe(0);
    expect(secretWrites(k8s)).toEqual([]);
  });
});

describe("Kubernetes: configuration", () => {
  it("refuses KUBERNETES_SECRET outside a pod, with CONFIGURE_SH, or without a namespace (exit 3, nothing contacted)", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    const dir = tempDir();
    const run = await runMain({
      ...baseEnv(ak.url, dir),
      KUBERNETES_SECRET: "netbird",
      KUBERNETES_SERVICE_ACCOUNT_DIR: join(dir, "none"),
      CONFIGURE_SH: "/netbird/configure.sh",
    });
    expect(run.code).toBe(3);
    const message = run.summary.error?.message ?? "";
    expect(message).toContain("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not");
    expect(message).toContain(`KUBERNETES_NAMESPACE is empty and the pod's namespace file cannot read '${join(dir, "none", "namespace")}' (ENOENT)`);
    expect(message).toContain("CONFIGURE_SH cannot be combined with KUBERNETES_SECRET");
    expect(ak.log.filter((r) => r.path.startsWith("/api/"))).toEqual([]);
    const bad = await runMain({ ...baseEnv(ak.url, dir), KUBERNETES_SECRET: "Not_A_Name" });
    expect(bad.code).toBe(3);
    expect(bad.summary.error?.message).toContain("KUBERNETES_SECRET expected a Secret name: lower-case letters, digits, '-' and '.'");
  });
});
