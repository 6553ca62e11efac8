/**
 * Configuration: every variable is declared once here, with its description and example (the README table is
 * generated from these specs). `loadConfig` reads `NAME` or `NAME_FILE`, validates everything, and reports
 * every problem at once through a `ConfigError`; nothing is contacted or written before it returns.
 */
import { readFileSync } from "node:fs";
import { basename, isAbsolute, join } from "node:path";
import { bool, cleanEnv, makeValidator, str, type CleanedEnv, type Spec } from "envalid";
import { ConfigError } from "./errors.ts";
import { CONSUMER_IDS, type ConsumerId } from "./consumer-ids.ts";
import { LOG_FORMATS, type LogFormatSetting } from "./pretty.ts";
import { registerSecret } from "./secrets.ts";
import { ROTATABLE, type Rotatable } from "./reconcile/desired.ts";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

function fail(expected: string): never {
  throw new Error(`expected ${expected}`);
}

function parseHttpUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    fail("an absolute http(s) URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") fail(`an http:// or https:// URL, not '${url.protocol}'`);
  if (url.username || url.password) fail("a URL without user:password");
  if (url.search || url.hash) fail("a URL without query or fragment");
  return url.origin + url.pathname.replace(/\/+$/, "");
}

const httpUrl = makeValidator<string>(parseHttpUrl);
const optionalHttpUrl = makeValidator<string>((input) => (input === "" ? "" : parseHttpUrl(input)));

function domainCheck(input: string): string {
  if (/^[a-z]+:\/\//i.test(input)) fail("a host name without scheme (netbird.example.com, not https://…)");
  if (input.includes("/")) fail("a host name without a path");
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$/i.test(input) || input.length > 253) {
    fail("a DNS host name, optionally with :port");
  }
  return input.toLowerCase();
}

function slugCheck(input: string): string {
  if (!/^[-a-zA-Z0-9_]{1,50}$/.test(input)) fail("a slug: 1–50 letters, digits, '-' or '_'");
  return input;
}
const slug = makeValidator<string>(slugCheck);

/** Names end up in authentik and (for the service account) raw in NetBird's management.json. */
function nameCheck(input: string): string {
  if (!/^[\p{L}\p{N} ._@+-]{1,150}$/u.test(input) || input.trim() !== input) {
    fail("1–150 letters, digits, spaces or . _ @ + - (no quotes, backslashes or control characters), without leading/trailing spaces");
  }
  return input;
}
const safeName = makeValidator<string>(nameCheck);

function usernameCheck(input: string): string {
  if (!/^[A-Za-z0-9._@+-]{1,150}$/.test(input)) fail("a user name of 1–150 letters, digits or . _ @ + -");
  return input;
}

function fileNameCheck(input: string): string {
  if (input !== basename(input) || input === "." || input === ".." || input.startsWith(".")) fail("a plain file name (no directories, not starting with '.')");
  return input;
}

const seconds = makeValidator<number>((input) => {
  const n = Number(input);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400) fail("a number of seconds between 0 and 86400");
  return n;
});

const optionalSecret = makeValidator<string>((input) => {
  if (/[\s]/.test(input)) fail("a value without spaces or newlines");
  return input;
});

const token = makeValidator<string>((input) => {
  if (input === "") return input;
  if (input.length < 8) fail("the API token's key (at least 8 characters)");
  if (/\s/.test(input)) fail("a token without spaces or newlines");
  return input;
});

const rotateList = makeValidator<Rotatable[]>((input) => {
  const items = input
    .split(",")
    .map((s) => s.trim().toLowerCase().replace("_", "-"))
    .filter(Boolean);
  const bad = items.filter((i) => !(ROTATABLE as readonly string[]).includes(i));
  if (bad.length) fail(`a comma-separated list of ${ROTATABLE.join(", ")} (unknown: ${bad.join(", ")})`);
  return [...new Set(items)] as Rotatable[];
});

const consumerList = makeValidator<ConsumerId[]>((input) => {
  const items = [
    ...new Set(
      input
        .split(",")
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  const bad = items.filter((i) => !(CONSUMER_IDS as readonly string[]).includes(i));
  if (items.length === 0 || bad.length) fail(`a comma-separated list of ${CONSUMER_IDS.join(", ")}${bad.length ? ` (unknown: ${bad.join(", ")})` : ""}`);
  return items as ConsumerId[];
});

/** Naming variables that only make sense with one consumer (each consumer has its own defaults). */
const PER_CONSUMER: readonly VarName[] = ["APP_NAME", "APP_SLUG", "PROVIDER_NAME", "SERVICE_ACCOUNT", "ACCESS_ROLE", "AUTHORIZATION_FLOW", "OUTPUT_FILE"];
const safeUsername = makeValidator<string>(usernameCheck);
const optionalEnvKey = makeValidator<string>((input) => {
  if (input !== "" && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(input)) fail("a variable name: letters, digits and '_', not starting with a digit");
  return input;
});
const optionalSlug = makeValidator<string>((input) => (input === "" ? "" : slugCheck(input)));
const optionalName = makeValidator<string>((input) => (input === "" ? "" : nameCheck(input)));
const optionalUsername = makeValidator<string>((input) => (input === "" ? "" : usernameCheck(input)));
const optionalFileName = makeValidator<string>((input) => (input === "" ? "" : fileNameCheck(input)));
const optionalDomain = makeValidator<string>((input) => (input === "" ? "" : domainCheck(input)));

/** Kubernetes' names: a Secret's is a DNS subdomain, a namespace's a DNS label (apimachinery validation IsDNS1123Subdomain/Label). */
const optionalSecretName = makeValidator<string>((input) => {
  if (input !== "" && (input.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(input))) {
    fail("a Secret name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters");
  }
  return input;
});
const optionalNamespace = makeValidator<string>((input) => {
  if (input !== "" && (input.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(input))) {
    fail("a namespace: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters");
  }
  return input;
});

/** The specs: the single source of the variables, their defaults and their documentation. */
export const SPECS = {
  AUTHENTIK_URL: httpUrl({ desc: "URL this container uses to reach authentik (the internal one in compose).", example: "http://authentik-server:9000" }),
  AUTHENTIK_PUBLIC_URL: optionalHttpUrl({
    default: "",
    desc: "URL browsers and NetBird use to reach authentik; goes into the issuer and discovery URL. Empty: same as AUTHENTIK_URL.",
    example: "https://auth.example.com",
  }),
  AUTHENTIK_TOKEN: token({
    default: "",
    desc: "API token (intent `api`) of a superuser, e.g. the value of AUTHENTIK_BOOTSTRAP_TOKEN. Secret: prefer AUTHENTIK_TOKEN_FILE. Required, unless TOOL_TOKEN_FILE or TOOL_TOKEN_SECRET_KEY holds the least-privilege token an earlier run made.",
    example: "(64 random characters)",
  }),
  TOOL_TOKEN_FILE: str({
    default: "",
    desc: "Absolute path of a file (mode 0600) for this tool's own least-privilege API token. The first run with a superuser AUTHENTIK_TOKEN makes the account TOOL_ACCOUNT, a role with only the permissions this tool's calls need, and the token, and writes it here as AUTHENTIK_TOKEN=…; later runs without AUTHENTIK_TOKEN use it.",
    example: "/var/lib/authentik-bootstrap/tool-token.env",
  }),
  TOOL_TOKEN_SECRET_KEY: optionalEnvKey({
    default: "",
    desc: "With KUBERNETES_SECRET: the key of that Secret that holds the least-privilege token (as TOOL_TOKEN_FILE does for files).",
    example: "AUTHENTIK_TOOL_TOKEN",
  }),
  TOOL_ACCOUNT: safeUsername({
    default: "authentik-bootstrap",
    desc: "User name of this tool's own service account (TOOL_TOKEN_FILE / TOOL_TOKEN_SECRET_KEY); its role and group are '<TOOL_ACCOUNT> provisioner'.",
    example: "authentik-bootstrap",
  }),
  AUTHENTIK_CA_FILE: str({ default: "", desc: "PEM file with the CA that signed authentik's certificate (private TLS). Verification stays on.", example: "/run/secrets/ca.pem" }),
  AUTHENTIK_INSECURE_TLS: bool({ default: false, desc: "Turn off TLS certificate verification (warns on every run). Prefer AUTHENTIK_CA_FILE.", example: "false" }),
  CONSUMER: consumerList({ default: ["netbird"], desc: `Which consumer(s) to provision for, comma-separated: ${CONSUMER_IDS.join(", ")}.`, example: "netbird" }),
  NETBIRD_DOMAIN: optionalDomain({
    default: "",
    desc: "Public host name of NetBird (no scheme, no path; a :port only for netbird-embedded); redirect URIs are built from it. Required for the NetBird consumers.",
    example: "netbird.example.com",
  }),
  OPENZRO_DOMAIN: optionalDomain({ default: "", desc: "Public host name of openZro. Required for CONSUMER=openzro.", example: "openzro.example.com" }),
  FIREZONE_URL: optionalHttpUrl({ default: "", desc: "Firezone's EXTERNAL_URL. Required for CONSUMER=firezone.", example: "https://firezone.example.com" }),
  FIREZONE_OIDC_ID: optionalSlug({ default: "", desc: "Firezone's OIDC config id (part of its callback URL). Empty: authentik.", example: "authentik" }),
  NETBIRD_MGMT_URL: optionalHttpUrl({
    default: "",
    desc: "CONSUMER=netbird-embedded: NetBird management's URL, to register authentik as an identity provider through its API. Empty: only write the values and print the fields to paste.",
    example: "http://netbird-server:80",
  }),
  NETBIRD_PAT: optionalSecret({
    default: "",
    desc: "CONSUMER=netbird-embedded: a NetBird personal access token (owner or admin). Secret: prefer NETBIRD_PAT_FILE.",
    example: "nbp_…",
  }),
  NETBIRD_SETUP_EMAIL: str({
    default: "",
    desc: "CONSUMER=netbird-embedded, first run without a PAT: owner e-mail for NetBird's /api/setup (NetBird v0.70.5+ with NB_SETUP_PAT_ENABLED=true); the PAT it returns (365 days) is kept in the output file and renewed by later runs.",
    example: "admin@example.com",
  }),
  NETBIRD_SETUP_PASSWORD: optionalSecret({
    default: "",
    desc: "CONSUMER=netbird-embedded: owner password for /api/setup (8 to 72 bytes, NetBird's rule). Secret.",
    example: "(8 to 72 bytes)",
  }),
  NETBIRD_IDP_NAME: optionalName({ default: "", desc: "CONSUMER=netbird-embedded: the connector's name in NetBird. Empty: authentik.", example: "authentik" }),
  NETBIRD_IDP_REDIRECT_URI: optionalHttpUrl({
    default: "",
    desc: "CONSUMER=netbird-embedded: the callback NetBird's embedded IdP uses. Empty: read from NetBird's issuer (NETBIRD_MGMT_URL/oauth2/.well-known/openid-configuration) + /callback, else https://<NETBIRD_DOMAIN>/oauth2/callback.",
    example: "https://netbird.example.com/oauth2/callback",
  }),
  OUTPUT_DIR: str({ default: "/output", desc: "Directory (a shared volume) that receives the output file.", example: "/output" }),
  OUTPUT_FILE: optionalFileName({ default: "", desc: "Name of the output file inside OUTPUT_DIR. Empty: the consumer's own (setup.env for NetBird).", example: "setup.env" }),
  KUBERNETES_SECRET: optionalSecretName({
    default: "",
    desc: "Write the output into this Kubernetes Secret instead of OUTPUT_DIR, through the in-cluster API with the pod's service account: the output file's variables as keys (for NetBird also the keys its Helm chart reads); other keys are kept. Empty: write files.",
    example: "netbird",
  }),
  KUBERNETES_NAMESPACE: optionalNamespace({
    default: "",
    desc: "Namespace of KUBERNETES_SECRET. Empty: the pod's own (the namespace file in KUBERNETES_SERVICE_ACCOUNT_DIR).",
    example: "netbird",
  }),
  KUBERNETES_SERVICE_ACCOUNT_DIR: str({
    default: "/var/run/secrets/kubernetes.io/serviceaccount",
    desc: "Where the pod's service account token, ca.crt and namespace are (Kubernetes mounts them there). Read only with KUBERNETES_SECRET.",
    example: "/var/run/secrets/kubernetes.io/serviceaccount",
  }),
  KUBERNETES_SERVICE_HOST: str({
    default: "",
    desc: "The API server's address; Kubernetes sets it in every pod (also with enableServiceLinks: false). Read only with KUBERNETES_SECRET.",
    example: "10.96.0.1",
  }),
  KUBERNETES_SERVICE_PORT: str({ default: "", desc: "The API server's HTTPS port; Kubernetes sets it in every pod. Read only with KUBERNETES_SECRET.", example: "443" }),
  CONFIGURE_SH: str({
    default: "",
    desc: "Path of NetBird's (or openZro's) configure.sh. The first run runs it in its own directory (OUTPUT_DIR's setup.env copied beside it); later runs never re-run it over its artifacts but update only the places of this tool's values in them. Empty: don't touch NetBird's configuration.",
    example: "/netbird/infrastructure_files/configure.sh",
  }),
  CONFIGURE_TIMEOUT: seconds({ default: 300, desc: "Seconds configure.sh may run before it is stopped.", example: "300" }),
  WAIT_TIMEOUT: seconds({ default: 300, desc: "Seconds to wait for authentik to become ready to be configured.", example: "300" }),
  REQUEST_TIMEOUT: seconds({ default: 15, desc: "Seconds one HTTP request to authentik may take.", example: "15" }),
  LOG_LEVEL: str({ default: "info", choices: [...LOG_LEVELS], desc: "Log level of the log lines on stderr (stdout carries the plan and the summary).", example: "info" }),
  LOG_FORMAT: str({
    default: "auto",
    choices: [...LOG_FORMATS],
    desc: "Log lines on stderr: json (one JSON object a line), pretty (for reading: one line per stage and object with the plan's + ~ markers, errors over several lines, colour on a terminal unless NO_COLOR is set), auto: pretty when stderr is a terminal, else json. Secrets are hidden alike in both.",
    example: "auto",
  }),
  PLAN: bool({ default: false, desc: "Plan mode: show what would change, write nothing; exit 0 if nothing to do, 2 if changes are pending (same as --plan).", example: "false" }),
  VERIFY: bool({
    default: true,
    desc: "After applying, check the result as the consumer will use it (discovery and issuer via the public URL, JWKS, token grant, API access, device code, the file); a failure exits 10.",
    example: "true",
  }),
  VERIFY_ONLY: bool({
    default: false,
    desc: "Verify mode: change nothing, only run the checks against what exists and what the output file says (same as --verify).",
    example: "false",
  }),
  APP_NAME: optionalName({ default: "", desc: "Name of the authentik application. Empty: the consumer's (NetBird).", example: "NetBird" }),
  APP_SLUG: optionalSlug({ default: "", desc: "Slug of the authentik application (part of the issuer URL). Empty: the consumer's (netbird).", example: "netbird" }),
  PROVIDER_NAME: optionalName({ default: "", desc: "Name of the OAuth2 provider (unique across all provider types). Empty: the consumer's (NetBird).", example: "NetBird" }),
  SERVICE_ACCOUNT: optionalUsername({ default: "", desc: "User name of the service account NetBird uses to read users. Empty: the consumer's (NetBird).", example: "NetBird" }),
  SERVICE_ACCOUNT_ACCESS: str({
    default: "role",
    choices: ["role", "admin-group"],
    desc: "What NetBird's service account may do in authentik. role: a role with exactly what NetBird's IdP manager calls (view_user, delete_user), through the group ACCESS_ROLE. admin-group: membership in ADMIN_GROUP, a superuser group, as the guides set it up.",
    example: "role",
  }),
  ACCESS_ROLE: optionalName({
    default: "",
    desc: "Name of the role and of the group carrying it (SERVICE_ACCOUNT_ACCESS=role). Empty: '<service account> IdP manager'.",
    example: "NetBird IdP manager",
  }),
  LEAVE_ADMIN_GROUP: bool({
    default: false,
    desc: "With SERVICE_ACCOUNT_ACCESS=role: take the service account out of ADMIN_GROUP if an earlier set-up put it there (never done without this setting; the plan and the summary say so).",
    example: "true",
  }),
  ADMIN_GROUP: safeName({
    default: "authentik Admins",
    desc: "The superuser group: the service account is put in it with SERVICE_ACCOUNT_ACCESS=admin-group; otherwise a membership in it is reported (and left with LEAVE_ADMIN_GROUP=true).",
    example: "authentik Admins",
  }),
  AUTHORIZATION_FLOW: optionalSlug({
    default: "",
    desc: "Slug of the authorization flow used when the provider is created. Empty: the consumer's (implicit consent for NetBird standalone).",
    example: "default-provider-authorization-explicit-consent",
  }),
  INVALIDATION_FLOW: slug({
    default: "default-provider-invalidation-flow",
    desc: "Slug of the invalidation flow used when the provider is created (authentik 2024.10+).",
    example: "default-provider-invalidation-flow",
  }),
  SIGNING_KEY: safeName({
    default: "authentik Self-signed Certificate",
    desc: "Name of the certificate key pair that signs tokens (RS256).",
    example: "authentik Self-signed Certificate",
  }),
  DEVICE_FLOW_SLUG: slug({ default: "default-device-code-flow", desc: "Slug of the device-code flow created and set on the brand.", example: "default-device-code-flow" }),
  ROTATE: rotateList({
    default: [],
    desc: "Rotate these secrets in this run, updating authentik and the output file together: app-password, client-secret (confidential clients only). Without it no run ever changes a secret.",
    example: "app-password",
  }),
  ROTATE_GRACE: seconds({
    default: 3600,
    desc: "Seconds the old app password stays valid after a rotation (it then expires by itself); restart NetBird's management within it. authentik caps an app password's lifetime (30 minutes on a fresh install): a longer grace raises the service account's own goauthentik.io/user/token-maximum-lifetime.",
    example: "3600",
  }),
  DEVICE_FLOW_REPLACE: bool({ default: false, desc: "Replace a device-code flow the brand already has (default: keep it).", example: "false" }),
};

export type VarName = keyof typeof SPECS;

/** Variables whose value is a secret: never logged, registered for scrubbing. */
const SECRET_VARS = ["AUTHENTIK_TOKEN", "NETBIRD_PAT", "NETBIRD_SETUP_PASSWORD"] as const satisfies readonly VarName[];

export interface Config {
  readonly authentikUrl: string;
  readonly publicUrl: string;
  /** The superuser token of AUTHENTIK_TOKEN; empty when the run is to use the tool token. */
  readonly token: string;
  /** Least-privilege mode: where this tool keeps its own token, and its account's name. */
  readonly tool: { readonly store: ToolTokenStore; readonly account: string } | undefined;
  readonly caFile: string | undefined;
  readonly insecureTls: boolean;
  readonly domain: string;
  readonly openzroDomain: string;
  readonly firezone: { readonly url: string; readonly oidcId: string };
  readonly netbirdMgmt: {
    readonly url: string;
    readonly pat: string;
    readonly setupEmail: string;
    readonly setupPassword: string;
    readonly idpName: string;
    readonly redirectUri: string;
  };
  readonly consumers: readonly ConsumerId[];
  readonly outputDir: string;
  /** KUBERNETES_SECRET set: the output goes into this Secret, not into OUTPUT_DIR. */
  readonly kubernetes: { readonly secret: string; readonly namespace: string; readonly serviceAccountDir: string; readonly host: string; readonly port: string } | undefined;
  readonly configureSh: string | undefined;
  readonly configureTimeoutMs: number;
  readonly waitTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly logLevel: string;
  readonly logFormat: LogFormatSetting;
  readonly mode: Mode;
  /** After applying, check the result as the consumer uses it. */
  readonly verify: boolean;
  readonly names: {
    readonly app: string;
    readonly slug: string;
    readonly provider: string;
    readonly serviceAccount: string;
    readonly adminGroup: string;
    readonly accessRole: string;
    readonly authorizationFlow: string;
    readonly invalidationFlow: string;
    readonly signingKey: string;
    readonly deviceFlow: string;
    readonly outputFile: string;
  };
  readonly replaceDeviceFlow: boolean;
  /** The service account's rights: a least-privilege role, or the superuser group. */
  readonly serviceAccountAccess: "role" | "admin-group";
  readonly leaveAdminGroup: boolean;
  readonly rotate: readonly Rotatable[];
  readonly rotateGraceMs: number;
}

/** Where the tool token lives: a key in an env file (absolute path), or a key of the Kubernetes Secret. */
export interface ToolTokenStore {
  readonly path: string;
  readonly key: string;
}

/** Resolve `NAME_FILE` into `NAME` (Docker secrets); problems are collected, not thrown. */
function resolveFiles(env: Record<string, string | undefined>, problems: string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name of Object.keys(SPECS)) {
    const direct = env[name];
    const file = env[`${name}_FILE`];
    if (file !== undefined && file !== "") {
      if (direct !== undefined && direct !== "") {
        problems.push(`${name} and ${name}_FILE are both set: set only one`);
        out[name] = direct; // reported once, not also as missing
        continue;
      }
      try {
        const content = readFileSync(file, "utf8").replace(/\r?\n$/, "");
        if (content === "") problems.push(`${name}_FILE: file '${file}' is empty`);
        else out[name] = content;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
        problems.push(`${name}_FILE: cannot read '${file}' (${code})`);
      }
    } else if (direct !== undefined && direct !== "") {
      out[name] = direct;
    }
  }
  return out;
}

function describeProblem(name: string, error: Error, value: string | undefined): string {
  const spec = (SPECS as Record<string, Spec<unknown>>)[name];
  const shown =
    value === undefined
      ? ""
      : (SECRET_VARS as readonly string[]).includes(name)
        ? " (value hidden)"
        : ` (got ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)})`;
  const reason = value === undefined ? "is required but not set" : error.message.replace(/^Invalid value for env var \S+$/, "is invalid");
  const choices = spec?.choices ? `; one of: ${spec.choices.join(", ")}` : "";
  return `${name} ${reason}${shown}${choices}${spec?.example ? `; example: ${name}=${spec.example}` : ""}`;
}

/** What the run does: apply (the default), plan (`--plan`: show, write nothing), verify (`--verify`: check only). */
export type Mode = "apply" | "plan" | "verify";

const ARGS = ["--plan", "--verify"] as const;

type Env = CleanedEnv<typeof SPECS>;

function toConfig(e: Env, argv: readonly string[]): Config {
  const plan = e.PLAN || argv.includes("--plan");
  const verifyOnly = e.VERIFY_ONLY || argv.includes("--verify");
  return {
    authentikUrl: e.AUTHENTIK_URL,
    publicUrl: e.AUTHENTIK_PUBLIC_URL || e.AUTHENTIK_URL,
    token: e.AUTHENTIK_TOKEN,
    tool: toolOf(e),
    caFile: e.AUTHENTIK_CA_FILE || undefined,
    insecureTls: e.AUTHENTIK_INSECURE_TLS,
    domain: e.NETBIRD_DOMAIN,
    consumers: e.CONSUMER,
    openzroDomain: e.OPENZRO_DOMAIN,
    firezone: { url: e.FIREZONE_URL, oidcId: e.FIREZONE_OIDC_ID || "authentik" },
    netbirdMgmt: {
      url: e.NETBIRD_MGMT_URL,
      pat: e.NETBIRD_PAT,
      setupEmail: e.NETBIRD_SETUP_EMAIL,
      setupPassword: e.NETBIRD_SETUP_PASSWORD,
      idpName: e.NETBIRD_IDP_NAME || "authentik",
      redirectUri: e.NETBIRD_IDP_REDIRECT_URI,
    },
    outputDir: e.OUTPUT_DIR,
    kubernetes: e.KUBERNETES_SECRET
      ? {
          secret: e.KUBERNETES_SECRET,
          namespace: e.KUBERNETES_NAMESPACE || podNamespace(e.KUBERNETES_SERVICE_ACCOUNT_DIR).namespace,
          serviceAccountDir: e.KUBERNETES_SERVICE_ACCOUNT_DIR,
          host: e.KUBERNETES_SERVICE_HOST,
          port: e.KUBERNETES_SERVICE_PORT,
        }
      : undefined,
    configureSh: e.CONFIGURE_SH || undefined,
    configureTimeoutMs: e.CONFIGURE_TIMEOUT * 1000,
    waitTimeoutMs: e.WAIT_TIMEOUT * 1000,
    requestTimeoutMs: e.REQUEST_TIMEOUT * 1000,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    mode: plan ? "plan" : verifyOnly ? "verify" : "apply",
    verify: e.VERIFY,
    names: {
      app: e.APP_NAME,
      slug: e.APP_SLUG,
      provider: e.PROVIDER_NAME,
      serviceAccount: e.SERVICE_ACCOUNT,
      adminGroup: e.ADMIN_GROUP,
      accessRole: e.ACCESS_ROLE,
      authorizationFlow: e.AUTHORIZATION_FLOW,
      invalidationFlow: e.INVALIDATION_FLOW,
      signingKey: e.SIGNING_KEY,
      deviceFlow: e.DEVICE_FLOW_SLUG,
      outputFile: e.OUTPUT_FILE,
    },
    replaceDeviceFlow: e.DEVICE_FLOW_REPLACE,
    serviceAccountAccess: e.SERVICE_ACCOUNT_ACCESS,
    leaveAdminGroup: e.LEAVE_ADMIN_GROUP,
    rotate: e.ROTATE,
    rotateGraceMs: e.ROTATE_GRACE * 1000,
  };
}

/** TOOL_TOKEN_FILE: the file's key is AUTHENTIK_TOKEN, so the file also serves as `--env-file`. */
function toolOf(e: Env): Config["tool"] {
  if (e.TOOL_TOKEN_FILE) return { store: { path: e.TOOL_TOKEN_FILE, key: "AUTHENTIK_TOKEN" }, account: e.TOOL_ACCOUNT };
  if (e.TOOL_TOKEN_SECRET_KEY) return { store: { path: e.TOOL_TOKEN_SECRET_KEY, key: e.TOOL_TOKEN_SECRET_KEY }, account: e.TOOL_ACCOUNT };
  return undefined;
}

/** Problems that need several variables at once (each variable on its own is valid). */
function crossChecks(e: Env, raw: Record<string, string | undefined>, argv: readonly string[]): string[] {
  const problems: string[] = [];
  if (e.AUTHENTIK_CA_FILE) {
    try {
      readFileSync(e.AUTHENTIK_CA_FILE);
    } catch (error) {
      problems.push(`AUTHENTIK_CA_FILE: cannot read '${e.AUTHENTIK_CA_FILE}' (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`);
    }
    if (e.AUTHENTIK_INSECURE_TLS) problems.push("AUTHENTIK_CA_FILE and AUTHENTIK_INSECURE_TLS=true contradict each other: set only one");
  }
  if (e.CONSUMER.length > 1) {
    for (const name of PER_CONSUMER) {
      if (raw[name]) problems.push(`${name} cannot be set when CONSUMER lists several consumers (${e.CONSUMER.join(", ")}): each uses its own default`);
    }
  }
  if (e.KUBERNETES_SECRET) problems.push(...kubernetesChecks(e));
  problems.push(...toolTokenChecks(e));
  if ((e.PLAN || argv.includes("--plan")) && (e.VERIFY_ONLY || argv.includes("--verify"))) problems.push("plan mode and verify mode exclude each other: choose one");
  return problems;
}

/** The namespace a pod runs in, as Kubernetes writes it beside the service account token. */
function podNamespace(dir: string): { namespace: string; problem?: string } {
  const file = join(dir, "namespace");
  try {
    const namespace = readFileSync(file, "utf8").trim();
    return namespace ? { namespace } : { namespace: "", problem: `'${file}' is empty` };
  } catch (error) {
    return { namespace: "", problem: `cannot read '${file}' (${(error as NodeJS.ErrnoException).code ?? "unreadable"})` };
  }
}

/** The token: AUTHENTIK_TOKEN, or the tool token's store; each store with its output. */
function toolTokenChecks(e: Env): string[] {
  const problems: string[] = [];
  if (e.TOOL_TOKEN_FILE && !isAbsolute(e.TOOL_TOKEN_FILE)) problems.push(`TOOL_TOKEN_FILE must be an absolute path (got ${JSON.stringify(e.TOOL_TOKEN_FILE)})`);
  if (e.TOOL_TOKEN_FILE && e.KUBERNETES_SECRET)
    problems.push("TOOL_TOKEN_FILE cannot be combined with KUBERNETES_SECRET: set TOOL_TOKEN_SECRET_KEY to keep the tool token in the Secret");
  if (e.TOOL_TOKEN_SECRET_KEY && !e.KUBERNETES_SECRET)
    problems.push("TOOL_TOKEN_SECRET_KEY needs KUBERNETES_SECRET (the Secret it names a key of); with files, set TOOL_TOKEN_FILE");
  return problems;
}

/** KUBERNETES_SECRET: the rest of what the in-cluster API needs, and what cannot go with it. */
function kubernetesChecks(e: Env): string[] {
  const problems: string[] = [];
  if (!e.KUBERNETES_SERVICE_HOST || !e.KUBERNETES_SERVICE_PORT) {
    problems.push("KUBERNETES_SECRET is set but KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not: it works from inside a pod, where Kubernetes sets both");
  } else if (!/^\d{1,5}$/.test(e.KUBERNETES_SERVICE_PORT) || Number(e.KUBERNETES_SERVICE_PORT) < 1 || Number(e.KUBERNETES_SERVICE_PORT) > 65535) {
    problems.push(`KUBERNETES_SERVICE_PORT is invalid (got ${JSON.stringify(e.KUBERNETES_SERVICE_PORT)}): expected a port number`);
  }
  if (!e.KUBERNETES_NAMESPACE) {
    const { problem } = podNamespace(e.KUBERNETES_SERVICE_ACCOUNT_DIR);
    if (problem) problems.push(`KUBERNETES_NAMESPACE is empty and the pod's namespace file ${problem}: set KUBERNETES_NAMESPACE`);
  }
  if (e.CONFIGURE_SH) {
    problems.push("CONFIGURE_SH cannot be combined with KUBERNETES_SECRET: on Kubernetes NetBird's chart renders its configuration and reads the values from the Secret");
  }
  return problems;
}

export function loadConfig(env: Record<string, string | undefined>, argv: readonly string[] = []): Config {
  const problems: string[] = [];
  for (const arg of argv) if (!(ARGS as readonly string[]).includes(arg)) problems.push(`unknown argument '${arg}' (supported: ${ARGS.join(", ")}, --help, --version)`);
  const raw = resolveFiles(env, problems);
  // Required unless a tool token may stand in for it; listed in its place among envalid's problems.
  const noToken =
    !raw.AUTHENTIK_TOKEN && !raw.TOOL_TOKEN_FILE && !raw.TOOL_TOKEN_SECRET_KEY && !problems.some((p) => p.startsWith("AUTHENTIK_TOKEN"))
      ? `AUTHENTIK_TOKEN is required but not set (a superuser's API token; later runs may use the least-privilege token of TOOL_TOKEN_FILE instead); example: AUTHENTIK_TOKEN=${SPECS.AUTHENTIK_TOKEN.example ?? ""}`
      : undefined;
  // envalid's reporter sees every variable's problem at once; the tool's error lists them with the others.
  const e = cleanEnv(raw, SPECS, {
    reporter: ({ errors }) => {
      for (const [name, error] of Object.entries(errors)) if (error) problems.push(describeProblem(name, error, raw[name]));
      if (noToken) {
        const at = problems.findIndex((p) => !p.startsWith("AUTHENTIK_URL"));
        problems.splice(at === -1 ? problems.length : at, 0, noToken);
      }
      if (problems.length) throw new ConfigError(problems);
    },
  });
  problems.push(...crossChecks(e, raw, argv));
  if (problems.length > 0) throw new ConfigError(problems);
  for (const name of SECRET_VARS) registerSecret(e[name]);
  return Object.freeze(toConfig(e, argv));
}

/** Rows for the README's variable table: name, type, default, description, example. */
export function describeVariables(): { name: string; type: string; default: string; desc: string; example: string }[] {
  return Object.entries(SPECS as Record<string, Spec<unknown> & { type?: string }>).map(([name, spec]) => ({
    name,
    type: spec.choices
      ? spec.choices.map((v) => `\`${String(v)}\``).join(" \\| ")
      : typeof spec.default === "boolean"
        ? "boolean"
        : typeof spec.default === "number"
          ? "seconds"
          : Array.isArray(spec.default)
            ? "list"
            : "string",
    default:
      "default" in spec && spec.default !== undefined
        ? spec.default === "" || (Array.isArray(spec.default) && spec.default.length === 0)
          ? "(empty)"
          : defaultText(spec.default)
        : "**required**",
    desc: spec.desc ?? "",
    example: spec.example ?? "",
  }));
}

function defaultText(value: unknown): string {
  if (Array.isArray(value)) return value.join(",");
  return typeof value === "string" ? value : JSON.stringify(value);
}
