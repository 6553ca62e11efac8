/** The plan's vocabulary: every object gets one action, with the owned fields that differ. */
export type Action = "create" | "update" | "noop";
/** Past tense for logs and the summary ("has been …"). */
export const DONE: Record<Action, "created" | "updated" | "unchanged"> = { create: "created", update: "updated", noop: "unchanged" };

/** One owned field that differs. Values are display strings and never secrets. */
export interface FieldChange {
  field: string;
  from: string;
  to: string;
}

export interface Step {
  /** e.g. "OAuth2 provider" */
  kind: string;
  /** natural key, e.g. "NetBird" */
  name: string;
  action: Action;
  changes: FieldChange[];
  /** Why nothing is done although something differs (e.g. a device flow the brand already has is kept). */
  note?: string;
  /** The note is a warning: something the user should change (it goes into the summary's `warnings`). */
  warn?: boolean;
}

export function show(value: unknown): string {
  if (value === undefined || value === null) return "(none)";
  if (Array.isArray(value)) return value.length ? value.map(show).join(", ") : "(none)";
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
    default:
      return JSON.stringify(value) ?? "(none)";
  }
}
