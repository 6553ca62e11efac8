/**
 * Role-like rules and RBAC's matching (plugin/pkg/auth/authorizer/rbac: VerbMatches, APIGroupMatches,
 * ResourceMatches, ResourceNameMatches). A request is allowed when any rule of its user matches; there are no
 * deny rules.
 *
 * `resourceNames` only matches requests that carry a name: get, update, patch, delete — and list/watch with a
 * `fieldSelector=metadata.name=<name>`. A create (the name is in the body, unknown at authorization time), a
 * plain list and a deletecollection have no name, so a rule with `resourceNames` never allows them.
 */

export interface PolicyRule {
  /** get, list, watch, create, update, patch, delete, deletecollection, or "*". */
  verbs: string[];
  /** "secrets" or "*". */
  resources: string[];
  /** Default `[""]` (the core group). */
  apiGroups?: string[];
  resourceNames?: string[];
  /**
   * The namespace of the Role (and RoleBinding) the rule comes from; default the fake's `namespace`.
   * "*" = granted in every namespace (a ClusterRole bound with a ClusterRoleBinding).
   */
  namespace?: string;
}

export interface RequestAttributes {
  verb: string;
  resource: string;
  namespace: string;
  /** Empty for create, list without a name selector, deletecollection. */
  name: string;
}

/** The user name the API server gives a pod's service-account token. */
export const serviceAccountUser = (namespace: string, name: string) => `system:serviceaccount:${namespace}:${name}`;

export function ruleAllows(rule: PolicyRule, attrs: RequestAttributes, defaultNamespace: string): boolean {
  const namespace = rule.namespace ?? defaultNamespace;
  if (namespace !== "*" && namespace !== attrs.namespace) return false;
  if (!rule.verbs.includes("*") && !rule.verbs.includes(attrs.verb)) return false;
  const groups = rule.apiGroups ?? [""];
  if (!groups.includes("*") && !groups.includes("")) return false;
  if (!rule.resources.includes("*") && !rule.resources.includes(attrs.resource)) return false;
  if (rule.resourceNames?.length) return attrs.name !== "" && rule.resourceNames.includes(attrs.name);
  return true;
}

export function allows(rules: PolicyRule[], attrs: RequestAttributes, defaultNamespace: string): boolean {
  return rules.some((r) => ruleAllows(r, attrs, defaultNamespace));
}
