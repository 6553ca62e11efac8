/**
 * Checks the result from the outside, the way NetBird will use it: discovery through the public URL (issuer
 * byte for byte), an RS256 key in the JWKS matching the provider's signing key, the client_credentials grant
 * with the service account's app password and an API call with the token it returns, the device
 * authorization endpoint, and the output file as its consumer reads it (the caller reads it: this module makes
 * requests, never reads files). Each failure says what the consumer would see and the likely cause.
 */
import { X509Certificate } from "node:crypto";
import type { AuthentikClient } from "./authentik/client.ts";
import type { Logger } from "./log.ts";
import type { WireCertificate, WireCurrentBrand } from "./authentik/wire.ts";

export interface VerifyInput {
  publicUrl: string;
  slug: string;
  clientId: string;
  /** Confidential clients: checked against the token endpoint. */
  clientSecret?: string | undefined;
  /** Service account + app password: checked with client_credentials and an API call, as NetBird's IdP manager does. */
  username?: string | undefined;
  appPassword?: string | undefined;
  /**
   * This run's own login with the same client id, user and password (accountTokens in run.ts), when nothing it
   * depends on changed since: the token endpoint it asked and the answer. Not asked again there; a token
   * endpoint discovery names otherwise is asked as NetBird would.
   */
  grant?: { endpoint: string; answer: Answer } | undefined;
  /** Probe the account's rights beyond the user list: (least privilege) be refused an admin call. */
  probeAccess?: boolean | undefined;
  /** The account should hold only NetBird's role: an admin-only call with its token must be refused. */
  leastPrivilege?: boolean | undefined;
  /** Device login (consumers that have it): what authentik should serve for the public host. */
  device?: DeviceExpectation | undefined;
  /** A strict authorization redirect URI of the provider: the client-secret probe must use a registered one. */
  redirectUri?: string | undefined;
  /** Certificate key pair uuid that should sign tokens. */
  signingKey: string | null | undefined;
  /** The key pair as read while waiting for authentik: when it is the signing key, its fingerprint spares a request. */
  certificate?: WireCertificate | undefined;
  /** Output file: the values it must yield, and what reading it as the consumer does gave. */
  file?: FileReading | (() => Promise<FileReading>) | undefined;
  /** The first requests, sent already by a run that then wrote nothing to authentik (their answers stand). */
  firstRound?: FirstRound | undefined;
}

export interface FileReading {
  path: string;
  /** How it was read ("sourced by bash"). */
  how: string;
  expected: readonly (readonly [string, string])[];
  read: { values: Readonly<Record<string, string>> } | { error: string };
}

export interface DeviceExpectation {
  /** The brand whose `flow_device_code` this run set or kept. */
  brandDomain: string;
  /** The slug of our device-code flow when the brand should carry it (undefined: a flow an admin chose is kept). */
  flowSlug: string | undefined;
  /** The provider's grant types on 2026.5+ (undefined before: no such field). */
  grantTypes: readonly string[] | undefined;
  /**
   * When to call the device authorization endpoint, which is throttled per client IP (20 an hour by default,
   * shared with every `netbird up` behind the same address) and stores a device code at each call:
   * - `always`: verification was asked for (`--verify`);
   * - `unproven`: this run changed an object it depends on. It is not called when NetBird's login with the same
   *   client id got a token in this run (in verification, or the run's own login before its writes when the
   *   provider and application did not change: `grant`): the endpoint checks nothing that login did not
   *   (`checkDeviceLogin`). What it no longer shows outside `--verify`: that a proxy routes its path;
   * - `never`: nothing it depends on changed.
   */
  call: DeviceCall;
}

export type DeviceCall = "always" | "unproven" | "never";

export interface CheckResult {
  check: string;
  ok: boolean;
  message: string;
  /** Could not be checked (e.g. throttled): reported as a warning, not a failure. */
  unknown?: boolean;
}

function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const part = token.split(".")[1];
  if (!part || token.split(".").length !== 3) return undefined;
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function oauthError(json: unknown, text: string): string {
  const j = json as { error?: string; error_description?: string; detail?: string } | undefined;
  return j?.error ? `${j.error}${j.error_description ? ` (${j.error_description})` : ""}` : (j?.detail ?? text.slice(0, 200));
}

export async function verify(client: AuthentikClient, input: VerifyInput, logger: Logger): Promise<CheckResult[]> {
  let results = await checkAll(client, input);
  // Answers asked before the run ended may predate a change someone else made meanwhile (another run, an admin):
  // a failure judged from them is asked again before it counts.
  if (input.firstRound && results.some((r) => !r.ok)) {
    logger.debug({ failed: results.filter((r) => !r.ok).map((r) => r.check) }, "verify: a check failed on answers asked during observation; asking again");
    results = await checkAll(client, { ...input, firstRound: undefined });
  }
  return report(results, logger);
}

async function checkAll(client: AuthentikClient, input: VerifyInput): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const pass = (check: string, message: string) => results.push({ check, ok: true, message });
  const fail = (check: string, message: string) => results.push({ check, ok: false, message });
  const unknown = (check: string, message: string) => results.push({ check, ok: true, unknown: true, message });
  const publicOrigin = new URL(input.publicUrl).origin;
  const expectedIssuer = `${input.publicUrl}/application/o/${input.slug}/`;

  // 1. Discovery through the public URL, and beside it the requests at the URLs authentik gives when the public
  // URL is right (firstRound), or their answers if a run that wrote nothing sent them already.
  const round = input.firstRound ?? firstRound(client, { publicUrl: input.publicUrl, slug: input.slug, device: input.device !== undefined });
  const get = round.get;
  const grant = grantOnce(client, input);
  if (input.username !== undefined && input.appPassword !== undefined) {
    if (input.grant && accessOf(input.grant.answer)) round.loggedIn(input.grant.answer);
    // Where the run's own login goes too (run.ts accountTokens): the public URL, its path included.
    else void grant(`${input.publicUrl}${TOKEN_PATH}`);
  }
  const discoveryUrl = round.discoveryUrl;
  const disc = await get(discoveryUrl);
  const doc = disc.json as Record<string, string> | undefined;
  if (disc.status !== 200 || !doc || typeof doc.issuer !== "string") {
    fail(
      "discovery",
      disc.status === 0
        ? `NetBird would fail to fetch ${discoveryUrl} (${disc.text}): AUTHENTIK_PUBLIC_URL is wrong or not reachable from the containers`
        : `NetBird would get ${disc.status} from ${discoveryUrl}: ${disc.status === 404 ? "no application with this slug is bound to an OAuth2 provider, or AUTHENTIK_PUBLIC_URL points elsewhere" : "the public URL does not lead to authentik"}`,
    );
    return results;
  }
  if (doc.issuer !== expectedIssuer) {
    fail(
      "issuer",
      `discovery through the public URL says issuer '${doc.issuer}', but tokens must carry '${expectedIssuer}': the proxy in front of authentik must pass Host and X-Forwarded-Proto (authentik builds the issuer from them), or AUTHENTIK_PUBLIC_URL is not the URL users reach`,
    );
  } else pass("issuer", doc.issuer);
  const foreign = ["token_endpoint", "jwks_uri", "authorization_endpoint", "device_authorization_endpoint"].filter(
    (k) => typeof doc[k] === "string" && new URL(doc[k]).origin !== publicOrigin,
  );
  if (foreign.length)
    fail(
      "endpoints",
      `discovery lists ${foreign.join(", ")} on another host than ${publicOrigin}: NetBird's clients would be sent there (check the proxy's Host/X-Forwarded-* headers)`,
    );
  else pass("endpoints", `all on ${publicOrigin}`);

  // The remaining checks depend only on discovery: run them side by side.
  const checkJwks = async () => {
    // 2. JWKS: an RS256 key matching the provider's signing key.
    const jwks = await get(doc.jwks_uri ?? `${input.publicUrl}/application/o/${input.slug}/jwks/`);
    const keys = ((jwks.json as { keys?: Jwk[] } | undefined)?.keys ?? []).filter((k) => k.kty === "RSA");
    if (!input.signingKey) fail("jwks", "the provider has no signing key: tokens would be HS256-signed with the client secret and NetBird cannot validate them");
    else if (jwks.status !== 200 || keys.length === 0)
      fail("jwks", `the JWKS at ${doc.jwks_uri} has no RSA key (status ${jwks.status}): NetBird could not validate tokens; set a signing key on the provider`);
    else {
      const certificate = embeddedCertificate(keys, input.signingKey, input.certificate) ?? new X509Certificate(await client.certificatePem(input.signingKey));
      const n = (certificate.publicKey.export({ format: "jwk" }) as { n?: string }).n;
      if (keys.some((k) => k.n === n)) pass("jwks", "RS256 key matches the provider's signing key");
      else fail("jwks", "no key in the JWKS matches the provider's signing key: tokens would fail validation (was the certificate replaced?)");
    }
  };

  // 3. client_credentials as NetBird's IdP manager sends it, then an API call with the token.
  const checkIdp = async () => {
    if (input.username !== undefined && input.appPassword !== undefined) await checkIdpManager(get, grant, input, doc, publicOrigin, pass, fail);
  };

  // 4. Confidential clients: the token endpoint accepts the client's credentials. authentik checks the secret,
  // then the redirect URI (an unregistered one is `invalid_client` and a configuration-error event that the
  // default notification rule mails to every admin), then the code: so the probe sends a registered redirect
  // URI and a made-up code, and the right secret gets `invalid_grant` (views/token.py).
  const checkSecret = async () => {
    if (input.clientSecret === undefined) return;
    if (!input.redirectUri) {
      unknown("client_secret", "not checked: the provider has no strict redirect URI to probe the token endpoint with");
      return;
    }
    const probe = await client.external(tokenEndpoint(doc, publicOrigin), {
      form: {
        grant_type: "authorization_code",
        code: "authentik-bootstrap-verify-probe",
        redirect_uri: input.redirectUri,
        client_id: input.clientId,
        client_secret: input.clientSecret,
      },
    });
    const err = (probe.json as { error?: string } | undefined)?.error;
    if (err === "invalid_client" || probe.status === 401)
      fail("client_secret", "the token endpoint rejects the client id and secret (invalid_client): the secret in the output file is not the provider's (rotated elsewhere?)");
    else if (err === "invalid_grant") pass("client_secret", "the token endpoint accepts the client id and secret");
    else fail("client_secret", `unexpected answer from the token endpoint (${probe.status}: ${oauthError(probe.json, probe.text)})`);
  };

  // 5. Device login, as `netbird up` and its users meet it.
  const checkDevice = async () => {
    if (!input.device) return;
    const login =
      input.username !== undefined && input.appPassword !== undefined ? () => grant(tokenEndpoint(doc, publicOrigin)).then((a) => accessOf(a) !== undefined) : undefined;
    await checkDeviceLogin(client, get, input, input.device, doc, publicOrigin, login, { pass, fail, unknown });
  };

  // 6. The output file as the consumer reads it (with bash, say), side by side with the requests: read once they
  // are sent (starting bash holds up the event loop for a few milliseconds).
  const checkFile = async () => {
    await new Promise((sent) => setImmediate(sent));
    const file = typeof input.file === "function" ? await input.file() : input.file;
    if (!file) return;
    if ("error" in file.read) return fail("output", `${file.path} cannot be read: ${file.read.error}`);
    const got = file.read.values;
    const wrong = file.expected.filter(([k, v]) => got[k] !== v).map(([k]) => k);
    if (wrong.length) fail("output", `${file.path}, ${file.how}, has other values for ${wrong.join(", ")} than were provisioned (a later line overriding them?)`);
    else pass("output", `${file.path} yields the provisioned values`);
  };

  await Promise.all([checkFile(), checkJwks(), checkIdp(), checkSecret(), checkDevice()]);
  const clock = clockCheck(client.clockOffsetMs);
  if (clock) results.push(clock);
  const order = ["discovery", "issuer", "endpoints", "jwks", "client_credentials", "idp-manager", "client_secret", "device", "output", "clock"];
  results.sort((a, b) => order.indexOf(a.check) - order.indexOf(b.check));
  return results;
}

type Mark = (check: string, message: string) => void;
type Answer = Awaited<ReturnType<AuthentikClient["external"]>>;
/** A GET (with a bearer token, or anonymous), sent once per verification whoever asks for it first. */
type Get = (url: string, bearer?: string) => Promise<Answer>;

/**
 * Verification's first requests, which need nothing the run makes: discovery through the public URL, the JWKS
 * and the brand serving the public host at the URLs authentik gives when that URL is right, and — once NetBird's
 * token is in hand (`loggedIn`) — its user list. They go out side by side, not after discovery: one round trip
 * fewer. Discovery's answer still decides: a URL it names otherwise is then asked as named, and after a failed
 * discovery their answers are not looked at. Each is sent once, whoever asks first (`get`).
 *
 * A run whose output already names the consumer's client sends them beside its own observation (run.ts);
 * verification takes those answers only if the run then wrote nothing to authentik (unit.ts), else asks again.
 */
export interface FirstRound {
  get: Get;
  discoveryUrl: string;
  /** The token endpoint's answer to NetBird's token request: with an access token in it, the user list goes out. */
  loggedIn: (answer: Answer) => void;
}

export function firstRound(client: AuthentikClient, at: { publicUrl: string; slug: string; device: boolean }): FirstRound {
  const get = getOnce(client);
  const publicOrigin = new URL(at.publicUrl).origin;
  const discoveryUrl = `${at.publicUrl}/application/o/${at.slug}/.well-known/openid-configuration`;
  void get(discoveryUrl);
  void get(`${at.publicUrl}/application/o/${at.slug}/jwks/`);
  if (at.device) void get(`${publicOrigin}${BRAND_CURRENT}`);
  return {
    get,
    discoveryUrl,
    loggedIn: (answer) => {
      const access = accessOf(answer);
      if (access) void get(`${publicOrigin}/api/v3/core/users/?page=1`, access);
    },
  };
}

function getOnce(client: AuthentikClient): Get {
  const sent = new Map<string, Promise<Answer>>();
  return (url, bearer) => {
    const key = `${bearer ?? ""} ${url}`;
    let answer = sent.get(key);
    if (!answer) sent.set(key, (answer = client.external(url, bearer ? { bearer } : {})));
    return answer;
  };
}

/** NetBird's token request at a token endpoint, sent once per endpoint. */
type Grant = (endpoint: string) => Promise<Answer>;

function grantOnce(client: AuthentikClient, input: VerifyInput): Grant {
  const sent = new Map<string, Promise<Answer>>(input.grant ? [[input.grant.endpoint, Promise.resolve(input.grant.answer)]] : []);
  // Exactly NetBird's request (management/server/idp/authentik.go, requestJWTToken).
  const form = { grant_type: "client_credentials", client_id: input.clientId, username: input.username ?? "", password: input.appPassword ?? "", scope: "goauthentik.io/api" };
  return (endpoint) => {
    let answer = sent.get(endpoint);
    if (!answer) sent.set(endpoint, (answer = client.external(endpoint, { form })));
    return answer;
  };
}

/** The token endpoint NetBird asks: as discovery names it. */
const tokenEndpoint = (doc: Record<string, string>, publicOrigin: string) => doc.token_endpoint ?? `${publicOrigin}${TOKEN_PATH}`;

/** The access token of a token endpoint answer, if it carries one. */
function accessOf(answer: { status: number; json: unknown } | undefined): string | undefined {
  const access = answer?.status === 200 ? (answer.json as { access_token?: unknown } | undefined)?.access_token : undefined;
  return typeof access === "string" && access ? access : undefined;
}

const BRAND_CURRENT = "/api/v3/core/brands/current/";
const TOKEN_PATH = "/application/o/token/";
/** What NetBird never needs and a least-privilege account must be refused: listing the OAuth2 providers. */
const ADMIN_ONLY = "/providers/oauth2/?page=1";

interface Jwk {
  kty?: string;
  alg?: string;
  n?: string;
  /** The key's certificate chain, base64 DER, the key's own first (authentik sends it). */
  x5c?: string[];
}

const hexOf = (fingerprint: string) => fingerprint.replace(/:/g, "").toLowerCase();

/**
 * The signing key pair's certificate as the JWKS carries it (`x5c`), when its fingerprint is the one authentik
 * listed for the key pair while we waited: then it need not be read again. Undefined: read it from authentik.
 */
function embeddedCertificate(keys: readonly Jwk[], signingKey: string, known: WireCertificate | undefined): X509Certificate | undefined {
  if (known?.pk !== signingKey || !known.fingerprint_sha256) return undefined;
  const want = hexOf(known.fingerprint_sha256);
  for (const der of keys.flatMap((k) => k.x5c?.slice(0, 1) ?? [])) {
    try {
      const certificate = new X509Certificate(Buffer.from(der, "base64"));
      if (hexOf(certificate.fingerprint256) === want) return certificate;
    } catch {
      /* not a certificate: read it from authentik */
    }
  }
  return undefined;
}

async function checkIdpManager(get: Get, grant: Grant, input: VerifyInput, doc: Record<string, string>, publicOrigin: string, pass: Mark, fail: Mark): Promise<void> {
  const tokenRes = await grant(tokenEndpoint(doc, publicOrigin));
  const access = accessOf(tokenRes);
  if (!access) {
    fail(
      "client_credentials",
      `NetBird would log "unable to get authentik token, statusCode ${tokenRes.status}": ${oauthError(tokenRes.json, tokenRes.text)}. Likely causes: the app password expired or was deleted, the service account is not allowed by the application's bindings, or the provider lacks the client_credentials grant`,
    );
  } else {
    const claims = decodeJwtPayload(access);
    if (!claims || typeof claims.exp !== "number")
      fail("client_credentials", "the access token is not a JWT with 'exp' (an encryption key on the provider?): NetBird cannot read it");
    else {
      const granted = (tokenRes.json as { scope?: unknown }).scope ?? claims.scope;
      const scope = typeof granted === "string" ? granted : "";
      const api = `${new URL(doc.issuer ?? publicOrigin).origin}/api/v3`;
      // The admin-only call that must be refused does not wait for the user list.
      if (input.probeAccess && input.leastPrivilege) void get(`${api}${ADMIN_ONLY}`, access);
      const users = await get(`${api}/core/users/?page=1`, access);
      if (users.status === 200) await checkIdpCalls(get, input, api, access, pass, fail);
      else
        fail(
          "idp-manager",
          `NetBird's user lookups would fail with ${users.status}: ${
            !scope.includes("goauthentik.io/api")
              ? "the token lacks the goauthentik.io/api scope (add the 'authentik API access' scope mapping to the provider)"
              : users.status === 403
                ? "the service account lacks permission (is it in the group carrying its role — or, with SERVICE_ACCOUNT_ACCESS=admin-group, in the admin group?)"
                : oauthError(users.json, users.text)
          }`,
        );
    }
  }
}

/**
 * What the user list proves of the rest of NetBird's IdP manager's calls, and, with least privilege, that the
 * token is refused what NetBird never needs (listing OAuth2 providers). NetBird also reads one user (authentik.go:
 * GetUserDataByID). That read needs no request here: authentik decides it as it decides the list, from the same
 * `get_queryset` (core/api/users.py) and `ObjectFilter` (rbac/filters.py), and `ObjectPermissions` asks no
 * permission of a GET on one object (rbac/permissions.py; DRF's `perms_map`), at every tag 2024.2.0 → 2026.2.2 and
 * on main of 2026-04-20 (addbf5a). So every user the list shows can be read, and a list refused is NetBird's
 * lookups refused.
 */
async function checkIdpCalls(get: Get, input: VerifyInput, api: string, access: string, pass: Mark, fail: Mark): Promise<void> {
  const lists = "the service account's token lists users through the API, so it may read each of them";
  if (!input.probeAccess || !input.leastPrivilege) {
    pass("idp-manager", input.probeAccess ? lists : `${lists} (its role and group found unchanged: the rights are probed when they change, and with --verify)`);
    return;
  }
  const admin = await get(`${api}${ADMIN_ONLY}`, access);
  if (admin.status === 403) pass("idp-manager", `${lists}, and is refused an admin-only call (least privilege)`);
  else
    fail(
      "idp-manager",
      `the service account's token may list OAuth2 providers (answered ${admin.status}, expected 403): it holds more than NetBird needs. Is it in another privileged group?`,
    );
}

type Marks = { pass: Mark; fail: Mark; unknown: Mark };

/**
 * The brand authentik really uses for the public host is the one `GET /api/v3/core/brands/current/` returns
 * through the public URL (anonymous; brands/api.py): the user page `/device` is `login_required`, so an anonymous
 * request to it says nothing (it always redirects to the login). Then, only when needed (see `call`), a device
 * code from the device authorization endpoint, whose throttled answer (429) means "could not check".
 *
 * That endpoint (`DeviceView.parse_request`, providers/oauth2/views/device_backchannel.py, the same at every tag
 * 2024.2.0 → 2026.2.2) checks that a provider has the client id and is bound to an application; from 2026.5 also
 * that the provider allows the device-code grant (branch providers/oauth2/allowed-grant-types, authentik PR
 * #20363), checked here from the provider itself. NetBird's client_credentials login with the same client id gets
 * a token only when the same provider is found and bound to an application (`TokenView.post` and
 * `__post_init_client_credentials`, views/token.py @2024.2.0, @2026.2.2). After that login (`login`), calling the
 * endpoint would prove nothing more; it would spend a slot of its throttle and store a device code.
 */
async function checkDeviceLogin(
  client: AuthentikClient,
  get: Get,
  input: VerifyInput,
  device: DeviceExpectation,
  doc: Record<string, string>,
  publicOrigin: string,
  /** NetBird's login with this client id, if the consumer has one: whether it got a token. */
  login: (() => Promise<boolean>) | undefined,
  m: Marks,
): Promise<void> {
  const host = new URL(input.publicUrl).host;
  const current = await get(`${publicOrigin}${BRAND_CURRENT}`);
  const brand = current.json as WireCurrentBrand | undefined;
  if (current.status !== 200 || typeof brand?.matched_domain !== "string") {
    m.unknown("device", `could not ask authentik which brand serves ${host} (GET /api/v3/core/brands/current/ answered ${current.status || "nothing"})`);
    return;
  }
  if (brand.matched_domain.toLowerCase() !== device.brandDomain.toLowerCase()) {
    m.fail(
      "device",
      `authentik serves ${host} with brand '${brand.matched_domain}', but the device-code flow was set on brand '${device.brandDomain}': users would get 404 at /device after logging in (check the brands' domains in authentik)`,
    );
    return;
  }
  if (!brand.flow_device_code) {
    m.fail(
      "device",
      `'netbird up' would show a code users cannot enter: brand '${brand.matched_domain}', which serves ${host}, has no device-code flow (404 at /device after login)`,
    );
    return;
  }
  if (device.flowSlug && brand.flow_device_code !== device.flowSlug) {
    m.fail("device", `brand '${brand.matched_domain}' serves device login with flow '${brand.flow_device_code}', not '${device.flowSlug}'`);
    return;
  }
  if (device.grantTypes && !device.grantTypes.includes(DEVICE_GRANT)) {
    m.fail("device", "the provider does not allow the device-code grant: 'netbird up' would get no code");
    return;
  }
  const served = `brand '${brand.matched_domain}' serves ${host} with device-code flow '${brand.flow_device_code}'`;
  if (device.call === "never") {
    m.pass("device", `${served} (device endpoint not called: nothing it depends on changed)`);
    return;
  }
  if (device.call === "unproven" && (await login?.())) {
    m.pass(
      "device",
      `${served}, and device codes would be issued: NetBird's login with this client id shows its provider bound to an application${device.grantTypes ? ", and the provider allows the device-code grant" : ""} (the endpoint itself is called with --verify)`,
    );
    return;
  }
  const code = await client.external(doc.device_authorization_endpoint ?? `${publicOrigin}/application/o/device/`, { form: { client_id: input.clientId, scope: "openid" } });
  if (code.status === 429) {
    m.unknown("device", "could not check the device authorization endpoint: authentik throttles it (20 requests an hour per address by default); try --verify later");
  } else if (code.status !== 200 || !(code.json as { device_code?: string } | undefined)?.device_code) {
    m.fail(
      "device",
      `'netbird up' would get no device code (${code.status}: ${oauthError(code.json, code.text)}): the provider must allow the device-code grant and be bound to an application`,
    );
  } else m.pass("device", `device authorization issues a code, and brand '${brand.matched_domain}' serves ${host} with flow '${brand.flow_device_code}'`);
}

const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** NetBird rejects a token "used before issued" when its clock lags authentik's (NetBird issue 2941). */
function clockCheck(offsetMs: number | undefined): CheckResult | undefined {
  if (offsetMs === undefined || Math.abs(offsetMs) <= 5000) return undefined;
  const s = Math.round(Math.abs(offsetMs) / 1000);
  return {
    check: "clock",
    ok: true,
    unknown: true,
    message: `authentik's clock is ${s} s ${offsetMs > 0 ? "ahead of" : "behind"} this container's: NetBird refuses tokens "used before issued" when its clock lags authentik's; keep both hosts in sync (NTP)`,
  };
}

function report(results: CheckResult[], logger: Logger): CheckResult[] {
  for (const r of results) logger[r.ok ? (r.unknown ? "warn" : "info") : "error"]({ check: r.check, ok: r.ok }, `verify ${r.check}: ${r.message}`);
  return results;
}
