/**
 * Kubernetes' `Status` objects, shaped and worded as k8s.io/apimachinery/pkg/api/errors builds them
 * (NewNotFound, NewAlreadyExists, NewConflict, NewForbidden, NewUnauthorized, NewInvalid, NewBadRequest, …).
 */

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

/** A failure to answer with: the HTTP status is `status.code`. */
export class StatusError extends Error {
  readonly status: Status;
  readonly headers: Record<string, string>;
  constructor(status: Status, headers: Record<string, string> = {}) {
    super(status.message);
    this.status = status;
    this.headers = headers;
  }
}

const failure = (code: number, reason: string | undefined, message: string, details?: Status["details"]): StatusError =>
  new StatusError({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    ...(reason ? { reason } : {}),
    ...(details ? { details } : {}),
    code,
  });

export const notFound = (resource: string, name: string) => failure(404, "NotFound", `${resource} "${name}" not found`, { name, kind: resource });

export const pathNotFound = () => failure(404, "NotFound", "the server could not find the requested resource", {});

export const alreadyExists = (resource: string, name: string) => failure(409, "AlreadyExists", `${resource} "${name}" already exists`, { name, kind: resource });

export const CONFLICT_MESSAGE = "the object has been modified; please apply your changes to the latest version and try again";

export const conflict = (resource: string, name: string, why = CONFLICT_MESSAGE) =>
  failure(409, "Conflict", `Operation cannot be fulfilled on ${resource} "${name}": ${why}`, { name, kind: resource });

/** RBAC's denial as the API server words it (responsewriters.Forbidden + authorizer attributes). */
export function forbidden(user: string, verb: string, resource: string, namespace: string, name?: string): StatusError {
  const subject = name ? `${resource} "${name}"` : resource;
  const where = namespace ? ` in the namespace "${namespace}"` : " at the cluster scope";
  return failure(403, "Forbidden", `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group ""${where}`, {
    ...(name ? { name } : {}),
    kind: resource,
  });
}

export const unauthorized = () => failure(401, "Unauthorized", "Unauthorized");

export interface FieldError {
  type: "FieldValueInvalid" | "FieldValueRequired" | "FieldValueForbidden" | "FieldValueTooLong" | "FieldValueNotSupported";
  field: string;
  /** The error body, e.g. `Invalid value: "x": must be …`. */
  detail: string;
}

/** NewInvalid: `Secret "x" is invalid: <field>: <detail>` (several errors in `[…, …]`), one cause per error. */
export function invalid(kind: string, name: string, errors: FieldError[]): StatusError {
  const each = errors.map((e) => `${e.field}: ${e.detail}`);
  const aggregate = each.length === 1 ? each[0]! : `[${each.join(", ")}]`;
  return failure(422, "Invalid", `${kind} "${name}" is invalid: ${aggregate}`, {
    name,
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.detail, field: e.field })),
  });
}

export const badRequest = (message: string) => failure(400, "BadRequest", message);

export const unsupportedMediaType = (accepted: string[]) =>
  failure(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`);

export const methodNotAllowed = () => failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {});

export const tooLarge = (limit: number) => failure(413, "RequestEntityTooLarge", `Request entity too large: limit is ${limit}`);

/** A Status for an injected fault of HTTP status `code`, worded as the API server would for that code. */
export function forCode(code: number, resource: string, name: string | undefined, message?: string, retryAfterSeconds?: number): StatusError {
  const n = name ?? "";
  switch (code) {
    case 401:
      return unauthorized();
    case 403:
      return failure(403, "Forbidden", message ?? `${resource} "${n}" is forbidden`, { name: n, kind: resource });
    case 404:
      return notFound(resource, n);
    case 409:
      return message ? failure(409, "Conflict", message, { name: n, kind: resource }) : conflict(resource, n);
    case 422:
      return failure(422, "Invalid", message ?? `${resource} "${n}" is invalid`, { name: n, kind: resource });
    case 429: {
      const after = retryAfterSeconds ?? 1;
      const e = failure(429, "TooManyRequests", message ?? "Too many requests, please try again later.", { retryAfterSeconds: after });
      return new StatusError(e.status, { "retry-after": String(after) });
    }
    case 500:
      return failure(500, "InternalError", `Internal error occurred: ${message ?? "injected fault"}`, { causes: [{ message: message ?? "injected fault" }] });
    case 503:
      return failure(503, "ServiceUnavailable", message ?? "the server is currently unable to handle the request");
    case 504:
      return failure(504, "Timeout", message ?? "the server was unable to return a response in the time allotted, but may still be processing the request");
    default:
      return failure(code, undefined, message ?? `injected status ${code}`);
  }
}
