/** The fake Kubernetes API server's public surface. */
export {
  startFakeKubernetes,
  MAX_BODY_BYTES,
  type FakeKubernetes,
  type FakeKubernetesOptions,
  type Fault,
  type RequestRecord,
  type BeforeWrite,
  type OnRequest,
} from "./server.ts";
export { writeServiceAccountDir, type ServiceAccountDir, type ServiceAccountPayload } from "./pod-files.ts";
export { serviceAccountUser, type PolicyRule } from "./rbac.ts";
export { schemaErrors, unknownFields, SUPPORTED_KINDS } from "./schema.ts";
