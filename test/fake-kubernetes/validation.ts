/**
 * The API server's semantic validation of a Secret — the rules the OpenAPI schema cannot express, answered with
 * 422 Invalid: pkg/apis/core/validation `ValidateSecret` / `ValidateSecretUpdate` and apimachinery's
 * `ValidateObjectMeta` (name, labels, annotations), with their messages. Type-specific rules
 * (`kubernetes.io/tls` needs `tls.crt` …) are not emulated; `Opaque` has none.
 */
import type { FieldError } from "./status.ts";

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const CONFIG_KEY_MSG =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const QUALIFIED_NAME_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Secrets larger than this are refused (core.MaxSecretSize). */
export const MAX_SECRET_SIZE = 1024 * 1024;
/** Total size of all annotations (apimachinery TotalAnnotationSizeLimitB). */
export const MAX_ANNOTATIONS_SIZE = 256 * 1024;

const invalidValue = (field: string, value: string, msg: string): FieldError => ({ type: "FieldValueInvalid", field, detail: `Invalid value: ${JSON.stringify(value)}: ${msg}` });

function qualifiedName(key: string): string[] {
  const parts = key.split("/");
  if (parts.length > 2) return [`${QUALIFIED_NAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  const [prefix, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : ["", parts[0]!];
  const errs: string[] = [];
  if (parts.length === 2) {
    if (prefix.length === 0) errs.push("prefix part must be non-empty");
    else if (!DNS1123_SUBDOMAIN.test(prefix)) errs.push(`prefix part ${DNS1123_SUBDOMAIN_MSG}`);
    else if (prefix.length > 253) errs.push("prefix part must be no more than 253 characters");
  }
  if (name.length === 0) errs.push("name part must be non-empty");
  else if (name.length > 63) errs.push("name part must be no more than 63 characters");
  else if (!QUALIFIED_NAME.test(name)) errs.push(QUALIFIED_NAME_MSG);
  return errs;
}

export interface SecretLike {
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string>; uid?: string; creationTimestamp?: string };
  data?: Record<string, string>;
  type?: string;
  immutable?: boolean;
}

/** ValidateObjectMeta for a namespaced object whose name must be a DNS subdomain (ValidateSecretName). */
function objectMeta(meta: NonNullable<SecretLike["metadata"]>): FieldError[] {
  const errs: FieldError[] = [];
  const name = meta.name ?? "";
  if (!name) errs.push({ type: "FieldValueRequired", field: "metadata.name", detail: "Required value: name or generateName is required" });
  else if (name.length > 253) errs.push(invalidValue("metadata.name", name, "must be no more than 253 characters"));
  else if (!DNS1123_SUBDOMAIN.test(name)) errs.push(invalidValue("metadata.name", name, DNS1123_SUBDOMAIN_MSG));
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    for (const msg of qualifiedName(key)) errs.push(invalidValue("metadata.labels", key, msg));
    if (value.length > 63) errs.push(invalidValue("metadata.labels", value, "must be no more than 63 characters"));
    else if (!LABEL_VALUE.test(value)) errs.push(invalidValue("metadata.labels", value, LABEL_VALUE_MSG));
  }
  let size = 0;
  for (const [key, value] of Object.entries(meta.annotations ?? {})) {
    for (const msg of qualifiedName(key.toLowerCase())) errs.push(invalidValue("metadata.annotations", key, msg));
    size += key.length + value.length;
  }
  if (size > MAX_ANNOTATIONS_SIZE) errs.push({ type: "FieldValueTooLong", field: "metadata.annotations", detail: `Too long: may not be more than ${MAX_ANNOTATIONS_SIZE} bytes` });
  return errs;
}

/** ValidateSecret: object meta, data keys, total size. */
export function validateSecret(secret: SecretLike): FieldError[] {
  const errs = objectMeta(secret.metadata ?? {});
  let total = 0;
  for (const [key, value] of Object.entries(secret.data ?? {})) {
    if (key.length > 253) errs.push(invalidValue(`data[${key}]`, key, "must be no more than 253 characters"));
    else if (!CONFIG_KEY.test(key)) errs.push(invalidValue(`data[${key}]`, key, CONFIG_KEY_MSG));
    else if (key === "." || key === "..") errs.push(invalidValue(`data[${key}]`, key, `must not be '${key}'`));
    else if (key.startsWith("..")) errs.push(invalidValue(`data[${key}]`, key, "must not start with '..'"));
    total += Buffer.from(value, "base64").length;
  }
  if (total > MAX_SECRET_SIZE) errs.push({ type: "FieldValueTooLong", field: "data", detail: `Too long: may not be more than ${MAX_SECRET_SIZE} bytes` });
  return errs;
}

/**
 * ValidateSecretUpdate: `metadata.uid` (the server fills an empty one, and `creationTimestamp`, from the stored
 * object first), `type`, and `immutable: true` freezing `data` and itself.
 */
export function validateSecretUpdate(next: SecretLike, old: SecretLike): FieldError[] {
  const errs: FieldError[] = [];
  const immutable = (field: string, value: unknown): FieldError => ({ type: "FieldValueInvalid", field, detail: `Invalid value: ${JSON.stringify(value)}: field is immutable` });
  if (next.metadata?.uid !== old.metadata?.uid) errs.push(immutable("metadata.uid", next.metadata?.uid ?? ""));
  if ((next.type ?? "") !== (old.type ?? "")) errs.push(immutable("type", next.type ?? ""));
  if (old.immutable) {
    if (!next.immutable) errs.push({ type: "FieldValueForbidden", field: "immutable", detail: "Forbidden: field is immutable when `immutable` is set" });
    if (JSON.stringify(Object.entries(next.data ?? {}).sort()) !== JSON.stringify(Object.entries(old.data ?? {}).sort()))
      errs.push({ type: "FieldValueForbidden", field: "data", detail: "Forbidden: field is immutable when `immutable` is set" });
  }
  return [...errs, ...validateSecret(next)];
}
