/**
 * The shipped manifests (deploy/kubernetes/) as the fake Kubernetes API server takes them: the Role's rules in
 * the Role's namespace, the empty Secret; and the settings a pod made from job.yaml runs with.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { startFakeKubernetes, type FakeKubernetes, type FakeKubernetesOptions, type PolicyRule } from "../fake-kubernetes/index.ts";

const DEPLOY = fileURLToPath(new URL("../../deploy/kubernetes/", import.meta.url));
export const manifest = (file: string): any => parse(readFileSync(`${DEPLOY}${file}`, "utf8"));

/** The shipped Role's rules, each in the Role's namespace. */
export function shippedRole(): PolicyRule[] {
  const role = manifest("role.yaml");
  return (role.rules as PolicyRule[]).map((r) => ({ ...r, namespace: role.metadata.namespace }));
}

/** The Secret, the namespace it is in, and the pod's namespace, as the manifests have them. */
export const SHIPPED = {
  secret: manifest("secret.yaml").metadata.name as string,
  namespace: manifest("secret.yaml").metadata.namespace as string,
  podNamespace: manifest("job.yaml").metadata.namespace as string,
  serviceAccount: manifest("serviceaccount.yaml").metadata.name as string,
};

/** A fake cluster set up from the manifests: the Job's service account, the Role, the empty Secret (unless `secret: false`). */
export function startCluster(opts: Partial<FakeKubernetesOptions> & { secret?: boolean } = {}): Promise<FakeKubernetes> {
  const { secret = true, ...rest } = opts;
  return startFakeKubernetes({
    namespace: SHIPPED.podNamespace,
    serviceAccount: SHIPPED.serviceAccount,
    rules: shippedRole(),
    secrets: secret ? [manifest("secret.yaml")] : [],
    ...rest,
  });
}

/** The tool's Kubernetes settings for a run against `k8s` (what job.yaml and the kubelet set). */
export function kubernetesEnv(k8s: FakeKubernetes, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KUBERNETES_SECRET: SHIPPED.secret,
    KUBERNETES_NAMESPACE: SHIPPED.namespace,
    KUBERNETES_SERVICE_ACCOUNT_DIR: k8s.serviceAccountDir.path,
    ...k8s.env(),
    ...extra,
  };
}

export const decoded = (secret: any): Record<string, string> =>
  Object.fromEntries(Object.entries((secret?.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
