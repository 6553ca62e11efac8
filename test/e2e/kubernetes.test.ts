/**
 * The built image as the Job in deploy/kubernetes/job.yaml runs it: its settings from the manifest, the user,
 * read-only root file system and dropped capabilities of its securityContext, and the service account's files
 * mounted where a pod has them (/var/run/secrets/kubernetes.io/serviceaccount, the projected layout with its
 * `..data` links). The fake authentik and the fake Kubernetes API server run on this host; the container shares
 * the host's network (--network host), so it reaches both on 127.0.0.1 as a pod reaches its Services.
 */
import { describe, expect, it, beforeAll } from "vitest";
import { startFakeAuthentik } from "../fake-authentik/index.ts";
import { decoded, kubernetesEnv, manifest, SHIPPED, startCluster } from "../helpers/kubernetes.ts";
import { buildToolImage, dockerAvailable, dockerRun } from "../helpers/images.ts";

const TOKEN = "e2e-bootstrap-token-kubernetes-0123456789abcdef";
const TAG = "authentik-bootstrap:kubernetes-test";
const MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";
const K8S_TIMEOUT_MS = 180_000;
const docker = dockerAvailable();
if (!docker && process.env.CI) throw new Error("No Docker engine reachable: the image tests must run in CI (.ci/run starts one)");

/** docker run flags for what job.yaml's pod and container securityContext say. */
function podFlags(): string[] {
  const pod = manifest("job.yaml").spec.template.spec;
  const container = pod.containers[0];
  const flags = ["--user", `${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`];
  if (container.securityContext.readOnlyRootFilesystem) flags.push("--read-only");
  if (container.securityContext.allowPrivilegeEscalation === false) flags.push("--security-opt", "no-new-privileges");
  for (const cap of container.securityContext.capabilities.drop) flags.push("--cap-drop", cap);
  return flags;
}

/** The Job's env with the values a cluster would resolve: authentik's URL here, the token from its Secret. */
function jobEnv(authentikUrl: string): Record<string, string> {
  const env: { name: string; value?: string }[] = manifest("job.yaml").spec.template.spec.containers[0].env;
  const out: Record<string, string> = {};
  for (const e of env) if (e.value !== undefined) out[e.name] = e.value;
  return { ...out, AUTHENTIK_URL: authentikUrl, AUTHENTIK_PUBLIC_URL: authentikUrl, AUTHENTIK_TOKEN: TOKEN };
}

describe.skipIf(!docker)("the built image as a Kubernetes Job", () => {
  let image: string;
  beforeAll(() => {
    image = buildToolImage(TAG);
  }, 900_000);

  it("writes the Secret through the API with the mounted token and CA, read-only and non-root; a second Job writes nothing", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using k8s = await startCluster();
    const { KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT } = kubernetesEnv(k8s);
    const env = { ...jobEnv(ak.url), KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT };
    const args = ["--network", "host", ...podFlags(), "-v", `${k8s.serviceAccountDir.path}:${MOUNT}:ro`, ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]), image];

    const first = await dockerRun(args, K8S_TIMEOUT_MS);
    expect(first.stderr).not.toContain('"level":50');
    expect(first.code).toBe(0);
    const values = decoded(k8s.secret(SHIPPED.secret, SHIPPED.namespace));
    const [provider] = ((await (await fetch(`${ak.url}/api/v3/providers/oauth2/?name=NetBird`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as any).results;
    expect(values).toMatchObject({ idpClientID: provider.client_id, NETBIRD_AUTH_CLIENT_ID: provider.client_id, idpServiceAccountUser: "NetBird" });
    expect(values.datastoreEncryptionKey).toBeTruthy();
    expect(k8s.log.filter((r) => r.status === 401 || r.status === 403)).toEqual([]);
    expect(first.stdout + first.stderr).not.toContain(TOKEN);
    expect(first.stdout + first.stderr).not.toContain(values.idpServiceAccountPassword!);

    k8s.resetLog();
    ak.resetLog();
    const second = await dockerRun(args, K8S_TIMEOUT_MS);
    expect(second.code).toBe(0);
    expect(k8s.writes()).toEqual([]);
    expect(ak.writes()).toEqual([]);
  });

  it("without the service account's files (automountServiceAccountToken off): exit 8 naming the token file", async () => {
    await using ak = await startFakeAuthentik({ bootstrapToken: TOKEN });
    await using k8s = await startCluster();
    const { KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT } = kubernetesEnv(k8s);
    const env = { ...jobEnv(ak.url), KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT };
    const r = await dockerRun(["--network", "host", ...podFlags(), ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]), image], K8S_TIMEOUT_MS);
    expect(r.code).toBe(8);
    expect(r.stdout).toContain(
      `Cannot get Secret '${SHIPPED.namespace}/${SHIPPED.secret}': the service account token '${MOUNT}/token' cannot be read (ENOENT): is automountServiceAccountToken off for this pod?`,
    );
    expect(ak.log.filter((x) => x.path.startsWith("/api/"))).toEqual([]);
  });
});
