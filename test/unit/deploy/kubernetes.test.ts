/**
 * deploy/kubernetes/ against Kubernetes' published OpenAPI schemas (kubernetes-models' validators, unknown fields
 * from its generated types) and against each other and the tool: the Role allows exactly what the tool does on
 * exactly the shipped Secret, the Job runs as the bound service account with the hardening the README promises,
 * its settings are the tool's, and its deadline covers its attempts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { SPECS } from "../../../src/config.ts";
import { EXIT_CODES } from "../../../src/errors.ts";
import { schemaErrors, unknownFields } from "../../fake-kubernetes/schema.ts";

const DIR = fileURLToPath(new URL("../../../deploy/kubernetes/", import.meta.url));
const docs = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .flatMap((file) => parseAllDocuments(readFileSync(join(DIR, file), "utf8")).map((d) => ({ file, obj: d.toJS() })));
const one = (kind: string) => {
  const found = docs.filter((d) => d.obj.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!.obj;
};

describe("deploy/kubernetes", () => {
  it("holds the five objects, one each", () => {
    expect(docs.map((d) => d.obj.kind).sort()).toEqual(["Job", "Role", "RoleBinding", "Secret", "ServiceAccount"]);
  });

  it.each(docs.map((d) => [`${d.file}: ${d.obj.kind} ${d.obj.metadata?.name}`, d.obj]))("%s matches Kubernetes' OpenAPI schema, without unknown fields", (_name, obj) => {
    expect(schemaErrors(obj)).toEqual([]);
    expect(unknownFields(obj)).toEqual([]);
  });

  it("the checks themselves catch a mistyped field and a wrong type (not a vacuous pass)", () => {
    const job = structuredClone(one("Job"));
    job.spec.backoffLimit = "2";
    job.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem = true;
    expect(schemaErrors(job).map((e) => e.path)).toEqual(["/spec/backoffLimit"]);
    expect(unknownFields(job)).toEqual(["spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem"]);
  });

  it("ships the Secret empty (kubectl apply never removes the keys the tool wrote)", () => {
    const secret = one("Secret");
    expect(secret.data).toBeUndefined();
    expect(secret.stringData).toBeUndefined();
    expect(secret.type).toBe("Opaque");
  });

  it("gives the Role exactly get and update on that one Secret, bound to the Job's service account", () => {
    const [secret, role, binding, account] = [one("Secret"), one("Role"), one("RoleBinding"), one("ServiceAccount")];
    expect(role.metadata.namespace).toBe(secret.metadata.namespace);
    expect(role.rules).toEqual([{ apiGroups: [""], resources: ["secrets"], resourceNames: [secret.metadata.name], verbs: ["get", "update"] }]);
    expect(binding.metadata.namespace).toBe(role.metadata.namespace);
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: account.metadata.name, namespace: account.metadata.namespace }]);
    expect(account.automountServiceAccountToken).toBe(false);
  });

  it("runs the Job non-root, read-only, without service links or privileges, with the token mounted only there", () => {
    const [job, account] = [one("Job"), one("ServiceAccount")];
    const pod = job.spec.template.spec;
    expect(job.metadata.namespace).toBe(account.metadata.namespace);
    expect(pod).toMatchObject({ serviceAccountName: account.metadata.name, automountServiceAccountToken: true, enableServiceLinks: false, restartPolicy: "Never" });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.containers).toHaveLength(1);
    expect(pod.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(pod.volumes).toBeUndefined();
  });

  it("configures the tool with its own settings: the token from an existing Secret, the Secret and namespace it writes", () => {
    const [job, secret] = [one("Job"), one("Secret")];
    const env: any[] = job.spec.template.spec.containers[0].env;
    for (const e of env) expect(Object.keys(SPECS), e.name).toContain(e.name);
    const byName = Object.fromEntries(env.map((e) => [e.name, e]));
    expect(byName.AUTHENTIK_TOKEN).toEqual({ name: "AUTHENTIK_TOKEN", valueFrom: { secretKeyRef: { name: "authentik-bootstrap-token", key: "token" } } });
    expect(byName.KUBERNETES_SECRET.value).toBe(secret.metadata.name);
    expect(byName.KUBERNETES_NAMESPACE.value).toBe(secret.metadata.namespace);
  });

  it("gives every attempt its full wait inside the deadline, and ends at once on exit codes another attempt cannot fix", () => {
    const job = one("Job");
    const env: any[] = job.spec.template.spec.containers[0].env;
    const wait = Number(env.find((e) => e.name === "WAIT_TIMEOUT").value);
    const attempts = job.spec.backoffLimit + 1;
    // Kubernetes waits 10 s before the second attempt, doubling after (pkg/controller/job: DefaultJobPodFailureBackOff).
    const backoff = Array.from({ length: attempts - 1 }, (_, i) => 10 * 2 ** i).reduce((a, b) => a + b, 0);
    expect(job.spec.activeDeadlineSeconds).toBeGreaterThanOrEqual(attempts * (wait + 60) + backoff);
    const [failJob] = job.spec.podFailurePolicy.rules;
    expect(failJob.action).toBe("FailJob");
    expect(failJob.onExitCodes.values).toEqual([EXIT_CODES.config, EXIT_CODES.auth, EXIT_CODES.conflict, EXIT_CODES.output]);
    expect(failJob.onExitCodes.values).not.toContain(EXIT_CODES.notReady);
  });
});
