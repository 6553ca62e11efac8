/**
 * authentik/providers/oauth2/tests/test_device_backchannel.py (class TesOAuth2DeviceBackchannel), ported to HTTP
 * against the fake: `POST /application/o/device/`. setUp: a provider with client id "test" and a test flow, bound to
 * an application.
 */
import { expect } from "vitest";
import { conformance, createApplication, createProvider, createTestFlow, generateId, request, since, until, type Case, type Tag } from "./helpers.ts";

const CASES: Record<string, readonly Tag[]> = {
  "TesOAuth2DeviceBackchannel.test_backchannel_invalid": until("version/2025.10.0"),
  "TesOAuth2DeviceBackchannel.test_backchannel": until("version/2025.10.0"),
  "TesOAuth2DeviceBackchannel.test_backchannel_invalid_client_id_via_post_body": since("version/2026.2.2"),
  "TesOAuth2DeviceBackchannel.test_backchannel_client_id_via_post_body": since("version/2026.2.2"),
  "TesOAuth2DeviceBackchannel.test_backchannel_invalid_client_id_via_auth_header": since("version/2026.2.2"),
  "TesOAuth2DeviceBackchannel.test_backchannel_client_id_via_auth_header": since("version/2026.2.2"),
  "TesOAuth2DeviceBackchannel.test_backchannel_client_id_via_auth_header_urlencoded": since("version/2026.2.2"),
};

const { port, done } = conformance(CASES);

function setUp(c: Case) {
  const provider = createProvider(c, { name: generateId(), client_id: "test", authorization_flow: createTestFlow(c.store).pk });
  const application = createApplication(c.store, { name: generateId(), slug: generateId(), provider: provider.pk });
  return { provider, application };
}

const device = (c: Case, form?: Record<string, string>, basicCredentials?: string) =>
  request(c.fake, "POST", "/application/o/device/", {
    form: form ?? {},
    headers: basicCredentials === undefined ? {} : { authorization: `Basic ${Buffer.from(basicCredentials).toString("base64")}` },
  });

/** Python's `urllib.parse.quote(text, safe="")`. */
const quote = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);

for (const name of ["TesOAuth2DeviceBackchannel.test_backchannel_invalid", "TesOAuth2DeviceBackchannel.test_backchannel_invalid_client_id_via_post_body"]) {
  port(name, async (c) => {
    const { application } = setUp(c);
    expect((await device(c, { client_id: "foo" })).status).toBe(400);
    expect((await device(c)).status).toBe(400);
    // test without application
    application.provider = null;
    expect((await device(c, { client_id: "test" })).status).toBe(400);
  });
}

for (const name of ["TesOAuth2DeviceBackchannel.test_backchannel", "TesOAuth2DeviceBackchannel.test_backchannel_client_id_via_post_body"]) {
  port(name, async (c) => {
    const { provider } = setUp(c);
    const res = await device(c, { client_id: provider.client_id });
    expect(res.status).toBe(200);
    expect(res.body.expires_in).toBe(60);
  });
}

port("TesOAuth2DeviceBackchannel.test_backchannel_invalid_client_id_via_auth_header", async (c) => {
  const { application } = setUp(c);
  expect((await device(c, undefined, "foo:")).status).toBe(400);
  expect((await device(c)).status).toBe(400);
  // test without application
  application.provider = null;
  expect((await device(c, { client_id: "test" })).status).toBe(400);
});

port("TesOAuth2DeviceBackchannel.test_backchannel_client_id_via_auth_header", async (c) => {
  const { provider } = setUp(c);
  const res = await device(c, undefined, `${provider.client_id}:`);
  expect(res.status).toBe(200);
  expect(res.body.expires_in).toBe(60);
});

port("TesOAuth2DeviceBackchannel.test_backchannel_client_id_via_auth_header_urlencoded", async (c) => {
  const { provider } = setUp(c);
  provider.client_id = "test/client+id";
  const res = await device(c, undefined, `${quote(provider.client_id)}:`);
  expect(res.status).toBe(200);
  expect(res.body.expires_in).toBe(60);
});

done();
