/**
 * authentik/providers/oauth2/tests/test_device_init.py (class TesOAuth2DeviceInit), ported to HTTP against the fake:
 * the code-entry page `/device`. It is a login-required Django view, not part of the API, so `force_login` is a
 * browser session here (the `authentik_session` cookie), not an API token. setUp: a provider with client id "test"
 * and a test flow, bound to an application; a test admin logged in; a test brand (the only one) whose device-code
 * flow is a new test flow.
 */
import { expect } from "vitest";
import { randomBytes } from "node:crypto";
import {
  atOrAfter,
  conformance,
  createApplication,
  createProvider,
  createTestAdminUser,
  createTestBrand,
  createTestFlow,
  generateId,
  request,
  sessionCookie,
  since,
  type Case,
  type Tag,
} from "./helpers.ts";
import type { Provider } from "../store.ts";

const CASES: Record<string, readonly Tag[]> = {
  "TesOAuth2DeviceInit.test_device_init": ["version/2024.2.0"],
  "TesOAuth2DeviceInit.test_device_init_get": since("version/2024.10.2"),
  "TesOAuth2DeviceInit.test_device_init_post": since("version/2024.10.2"),
  "TesOAuth2DeviceInit.test_no_flow": since("version/2024.2.0"),
  "TesOAuth2DeviceInit.test_device_init_qs": since("version/2024.2.0"),
  "TesOAuth2DeviceInit.test_device_init_denied": since("version/2024.10.2"),
};

const NOT_PORTED = {
  "TesOAuth2DeviceInit.test_device_init_post": {
    tags: since("version/2024.10.2"),
    reason: "needs flow execution (the flow executor API: GET/POST /api/v3/flows/executor/<slug>/ with the device-code stage)",
  },
  "TesOAuth2DeviceInit.test_device_init_denied": {
    tags: since("version/2024.10.2"),
    reason: "needs policies the fake does not model (a PolicyBinding of a group to the application)",
  },
};

const { port, done } = conformance(CASES, NOT_PORTED);

function setUp(c: Case) {
  const provider = createProvider(c, { name: generateId(), client_id: "test", authorization_flow: createTestFlow(c.store).pk });
  createApplication(c.store, { name: generateId(), slug: generateId(), provider: provider.pk });
  const user = createTestAdminUser(c.store);
  const cookie = sessionCookie(c.store, user);
  const deviceFlow = createTestFlow(c.store);
  const brand = createTestBrand(c.store, { flow_device_code: deviceFlow.pk });
  return { provider, cookie, deviceFlow, brand };
}

const device = (c: Case, cookie: string, query = "") => request(c.fake, "GET", `/device${query}`, { headers: { cookie } });

/** `DeviceToken.objects.create(user_code=…, provider=…)`. */
function deviceToken(c: Case, provider: Provider, userCode: string) {
  c.store.deviceCodes.push({ device_code: randomBytes(32).toString("hex"), user_code: userCode, client_id: provider.client_id, expires: Date.now() + 30 * 60_000 });
}

/** `reverse("authentik_core:if-flow", …)` + the query the source expects (`inspector=available` from 2025.10.0). */
function ifFlow(c: Case, slug: string, query: Record<string, string> = {}) {
  const qs = new URLSearchParams({ ...query, ...(atOrAfter(c.tag, "version/2025.10.0") ? { inspector: "available" } : {}) }).toString();
  return `/if/flow/${slug}/${qs ? `?${qs}` : ""}`;
}

for (const name of ["TesOAuth2DeviceInit.test_device_init", "TesOAuth2DeviceInit.test_device_init_get"]) {
  port(name, async (c) => {
    const { cookie, deviceFlow } = setUp(c);
    const res = await device(c, cookie);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(ifFlow(c, deviceFlow.slug));
  });
}

port("TesOAuth2DeviceInit.test_no_flow", async (c) => {
  const { cookie, brand } = setUp(c);
  brand.flow_device_code = null;
  expect((await device(c, cookie)).status).toBe(404);
});

port("TesOAuth2DeviceInit.test_device_init_qs", async (c) => {
  const { provider, cookie } = setUp(c);
  deviceToken(c, provider, "foo");
  const res = await device(c, cookie, `?${new URLSearchParams({ code: "foo" }).toString()}`);
  expect(res.status).toBe(302);
  expect(res.headers.location).toBe(ifFlow(c, c.store.flows.get(provider.authorization_flow!)!.slug, { code: "foo" }));
});

done();
