/**
 * Seeds a store like a fresh authentik: the real default and system blueprints are parsed (custom tags like
 * `!Find`, `!KeyOf`, `!Context` become placeholders and are resolved here), filtered to what the emulated
 * version ships, plus the self-signed certificate authentik creates at start-up.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, type Tags } from "yaml";
import { sharedDir } from "./paths.ts";
import type { Version } from "./schema.ts";
import type { Store } from "./store.ts";

interface Tagged {
  tag: string;
  value: unknown;
}

const TAGS = [
  "!Find",
  "!KeyOf",
  "!Context",
  "!Env",
  "!Format",
  "!If",
  "!Condition",
  "!Enumerate",
  "!Value",
  "!Index",
  "!AtIndex",
  "!ParseJSON",
  "!Iterator",
  "!FindObject",
  "!File",
];
const customTags: Tags = TAGS.flatMap((tag) => [
  { tag, collection: "seq" as const, resolve: (value: unknown) => ({ tag, value: (value as { toJSON(): unknown }).toJSON() }) },
  { tag, resolve: (value: string) => ({ tag, value }) },
]);

interface Entry {
  model: string;
  identifiers?: Record<string, unknown>;
  attrs?: Record<string, unknown>;
  id?: string;
}

interface Blueprint {
  file: string;
  entries: Entry[];
}

let cached: Blueprint[] | undefined;

function blueprints(): Blueprint[] {
  if (cached) return cached;
  const base = join(sharedDir(), "authentik", "blueprints");
  cached = ["default", "system"].flatMap((dir) =>
    readdirSync(join(base, dir))
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => {
        const doc = parse(readFileSync(join(base, dir, f), "utf8"), { customTags }) as { entries?: Entry[] };
        return { file: `${dir}/${f}`, entries: doc.entries ?? [] };
      }),
  );
  return cached;
}

function at(version: Version, major: number, minor: number): boolean {
  const [y, m] = version.split(".").map(Number) as [number, number];
  return y > major || (y === major && m >= minor);
}

/** What a version ships: newer blueprints and mappings are left out of older versions. */
function shipped(version: Version, file: string, managed?: string): boolean {
  if (file.endsWith("flow-default-provider-invalidation.yaml")) return at(version, 2024, 10);
  if (managed?.endsWith("scope-authentik_api")) return at(version, 2024, 6);
  if (managed?.endsWith("scope-entitlements")) return at(version, 2024, 12);
  return true;
}

export function seedFlows(store: Store, version: Version): void {
  for (const bp of blueprints()) {
    if (!shipped(version, bp.file)) continue;
    for (const e of bp.entries) {
      if (e.model !== "authentik_flows.flow") continue;
      const slug = String(e.identifiers?.slug);
      if (store.flowBySlug(slug)) continue;
      const a = e.attrs ?? {};
      store.addFlow({ slug, name: String(a.name ?? slug), title: String(a.title ?? slug), designation: String(a.designation), authentication: String(a.authentication ?? "none") });
    }
  }
}

export function seedScopeMappings(store: Store, version: Version): void {
  for (const bp of blueprints()) {
    for (const e of bp.entries) {
      if (e.model !== "authentik_providers_oauth2.scopemapping") continue;
      const managed = String(e.identifiers?.managed);
      if (!shipped(version, bp.file, managed)) continue;
      if ([...store.scopeMappings.values()].some((m) => m.managed === managed)) continue;
      const a = e.attrs ?? {};
      const pk = crypto.randomUUID();
      store.scopeMappings.set(pk, {
        pk,
        managed,
        name: String(a.name),
        scope_name: String(a.scope_name),
        expression: typeof a.expression === "string" ? a.expression : "",
        description: typeof a.description === "string" ? a.description : "",
      });
    }
  }
}

/** The brand blueprint: default brand `authentik-default`, its flows resolved from `!Find [flow, [slug, …]]`. */
export function seedBrand(store: Store): void {
  if ([...store.brands.values()].some((b) => b.default)) return;
  for (const bp of blueprints()) {
    for (const e of bp.entries) {
      if (e.model !== "authentik_brands.brand") continue;
      const flowRef = (v: unknown) => {
        const t = v as Tagged | undefined;
        const args = t?.tag === "!Find" ? (t.value as [string, [string, string]]) : undefined;
        return args ? (store.flowBySlug(args[1][1])?.pk ?? null) : null;
      };
      const a = e.attrs ?? {};
      const uuid = crypto.randomUUID();
      store.brands.set(uuid, {
        brand_uuid: uuid,
        domain: String(e.identifiers?.domain),
        default: e.identifiers?.default === true,
        branding_title: "authentik",
        flow_authentication: flowRef(a.flow_authentication),
        flow_invalidation: flowRef(a.flow_invalidation),
        flow_user_settings: flowRef(a.flow_user_settings),
        flow_device_code: null,
      });
    }
  }
}

/** bootstrap.yaml: the superuser group, akadmin in it, and the API token when one is configured. */
export function seedBootstrap(store: Store, token: string | undefined): void {
  const bp = blueprints().find((b) => b.file === "system/bootstrap.yaml");
  if (!bp) throw new Error("bootstrap blueprint missing");
  const context: Record<string, unknown> = { username: "akadmin", group_name: "authentik Admins", email: "root@example.com", token };
  const ctx = (v: unknown) => ((v as Tagged)?.tag === "!Context" ? context[String((v as Tagged).value)] : v);
  let groupPk: string | undefined;
  let userPk: number | undefined;
  for (const e of bp.entries) {
    // Blueprints are idempotent: applied again (a restart on the same database) they find what exists.
    if (e.model === "authentik_core.group") {
      const name = String(ctx(e.identifiers?.name));
      const g = store.groupByName(name) ?? store.addGroup({ name, is_superuser: e.attrs?.is_superuser === true });
      groupPk = g.pk;
    } else if (e.model === "authentik_core.user") {
      const username = String(ctx(e.identifiers?.username));
      const u = store.userByName(username) ?? store.addUser({ username, name: String(e.attrs?.name ?? ""), email: String(ctx(e.attrs?.email) ?? "") });
      userPk = u.pk;
      const group = groupPk ? store.groups.get(groupPk) : undefined;
      if (group && !group.users.includes(u.pk)) group.users.push(u.pk);
    } else if (e.model === "authentik_core.token" && token && userPk !== undefined && !store.tokens.has(String(e.identifiers?.identifier))) {
      store.addToken({ identifier: String(e.identifiers?.identifier), intent: "api", expiring: e.identifiers?.expiring === true, user: userPk, key: token, managed: null });
    }
  }
}

/** authentik creates this key pair in Python at start-up (no blueprint). */
export function seedCertificate(store: Store): void {
  if (![...store.certificates.values()].some((c) => c.name === "authentik Self-signed Certificate")) store.addCertificate("authentik Self-signed Certificate", null, true);
}
