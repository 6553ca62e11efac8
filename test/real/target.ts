/**
 * Which authentik the real suite runs against, and the names one run uses. Everything comes from the
 * environment; nothing here knows about the fake authentik.
 */
import { randomBytes } from "node:crypto";

export interface RealTarget {
  /** URL the tool (and these tests) use to reach authentik's API. */
  url: string;
  /** URL browsers and NetBird use: discovery, issuer, token and device endpoints. */
  publicUrl: string;
  /** API token of a superuser (intent `api`). */
  token: string;
}

const HOWTO = [
  "The real-authentik suite needs a throw-away authentik to run against. Set:",
  "  AUTHENTIK_TEST_URL          e.g. http://localhost:9000 (the API as this machine reaches it)",
  "  AUTHENTIK_TEST_TOKEN        an API token of a superuser, e.g. the AUTHENTIK_BOOTSTRAP_TOKEN of test/real/compose.yml",
  "  AUTHENTIK_TEST_PUBLIC_URL   optional: the public URL (default: AUTHENTIK_TEST_URL)",
  "See test/real/README.md.",
].join("\n");

const trimSlash = (url: string) => url.replace(/\/+$/, "");

/** The target from the environment; throws a message that says what to set when something is missing. */
export function realTarget(env: NodeJS.ProcessEnv = process.env): RealTarget {
  const url = env.AUTHENTIK_TEST_URL?.trim();
  const token = env.AUTHENTIK_TEST_TOKEN?.trim();
  const missing = [!url && "AUTHENTIK_TEST_URL", !token && "AUTHENTIK_TEST_TOKEN"].filter(Boolean);
  if (missing.length) throw new Error(`${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} not set.\n${HOWTO}`);
  for (const [name, value] of [
    ["AUTHENTIK_TEST_URL", url],
    ["AUTHENTIK_TEST_PUBLIC_URL", env.AUTHENTIK_TEST_PUBLIC_URL?.trim()],
  ] as const) {
    if (value && !/^https?:\/\/[^/]+/.test(value)) throw new Error(`${name} must be an http(s) URL, got '${value}'.\n${HOWTO}`);
  }
  return { url: trimSlash(url!), publicUrl: trimSlash(env.AUTHENTIK_TEST_PUBLIC_URL?.trim() || url!), token: token! };
}

/** Names of one consumer's objects in this run: a random suffix keeps runs apart on a shared instance. */
export interface RunNames {
  suffix: string;
  app: string;
  slug: string;
  provider: string;
  serviceAccount: string;
  /** The role (and its group) the service account gets: the tool's default name for it. */
  accessRole: string;
  deviceFlow: string;
}

export function runNames(prefix: string, suffix = randomBytes(4).toString("hex")): RunNames {
  return {
    suffix,
    app: `${prefix} test ${suffix}`,
    slug: `${prefix.toLowerCase()}-test-${suffix}`,
    provider: `${prefix} test ${suffix}`,
    serviceAccount: `${prefix}-test-${suffix}`,
    accessRole: `${prefix}-test-${suffix} IdP manager`,
    deviceFlow: `${prefix.toLowerCase()}-device-${suffix}`,
  };
}

/** authentik's identifier of a service account's app password (Django's slugify of the name). */
export function appPasswordId(username: string): string {
  const slug = `service-account-${username}-password`
    .toLowerCase()
    .replace(/[^\w\s-]/g, "")
    .replace(/[-\s]+/g, "-");
  return slug;
}
