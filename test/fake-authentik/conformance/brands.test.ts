/**
 * authentik/brands/tests.py (class TestBrands), ported to HTTP against the fake: `GET /api/v3/core/brands/current/`
 * (anonymous, by Host), brand creation and `/.well-known/webfinger`. Requests carry Host `testserver` like Django's
 * test client unless the case sets HTTP_HOST. setUp from 2026.2.2: every brand deleted.
 */
import { expect } from "vitest";
import { seedBrand } from "../seed.ts";
import {
  ALL_TAGS,
  atOrAfter,
  conformance,
  createApplication,
  createProvider,
  createTestAdminUser,
  createTestBrand,
  forceLogin,
  generateId,
  request,
  since,
  type Case,
  type Tag,
} from "./helpers.ts";

const CASES: Record<string, readonly Tag[]> = {
  "TestBrands.test_current_brand": ALL_TAGS,
  "TestBrands.test_brand_subdomain": ALL_TAGS,
  "TestBrands.test_fallback": ALL_TAGS,
  "TestBrands.test_blueprint": since("version/2026.2.2"),
  "TestBrands.test_blueprint_with_other_brand": since("version/2026.2.2"),
  "TestBrands.test_brand_subdomain_same_suffix": since("version/2026.2.2"),
  "TestBrands.test_brand_subdomain_other_suffix": since("version/2026.2.2"),
  "TestBrands.test_create_default_multiple": ALL_TAGS,
  "TestBrands.test_webfinger_no_app": since("version/2024.10.2"),
  "TestBrands.test_webfinger_not_supported": since("version/2024.10.2"),
  "TestBrands.test_webfinger_oidc": since("version/2024.10.2"),
  "TestBrands.test_branding_url": since("version/2025.10.0"),
  "TestBrands.test_custom_css": since("version/2025.10.0"),
};

const NOT_PORTED = {
  "TestBrands.test_custom_css": { tags: since("version/2025.10.0"), reason: "renders the user interface page /if/user/ (HTML), which the fake does not serve" },
};

const { port, done } = conformance(CASES, NOT_PORTED);

/**
 * `self.default_flags`: the public flags at each source (Flag subclasses with visibility "public", their defaults):
 * policies/apps.py at 2025.10.0; flows/apps.py and policies/apps.py at 2026.2.2; flows/apps.py at addbf5a2f.
 */
const DEFAULT_FLAGS: Partial<Record<Tag, Record<string, boolean>>> = {
  "version/2025.10.0": { policies_buffered_access_view: false },
  "version/2026.2.2": { flows_refresh_others: false, flows_continuous_login: false, policies_buffered_access_view: false },
  addbf5a2f: { flows_refresh_others: false, flows_continuous_login: false },
};

/** The body the case's source expects from brands/current/: its fields grew with the releases. */
function currentBody(c: Case, fields: { matched_domain: string; branding_title?: string; branding_logo?: string; branding_favicon?: string }) {
  return {
    branding_logo: fields.branding_logo ?? "/static/dist/assets/icons/icon_left_brand.svg",
    ...(atOrAfter(c.tag, "version/2026.2.2") ? { branding_logo_themed_urls: null } : {}),
    branding_favicon: fields.branding_favicon ?? "/static/dist/assets/icons/icon.png",
    ...(atOrAfter(c.tag, "version/2026.2.2") ? { branding_favicon_themed_urls: null } : {}),
    branding_title: fields.branding_title ?? "authentik",
    ...(atOrAfter(c.tag, "version/2025.10.0") ? { branding_custom_css: "" } : {}),
    matched_domain: fields.matched_domain,
    ui_footer_links: [],
    ui_theme: "automatic",
    default_locale: "",
    ...(atOrAfter(c.tag, "version/2025.10.0") ? { flags: DEFAULT_FLAGS[c.tag] } : {}),
  };
}

/**
 * GET brands/current/ with a Host. 2026.8.3 adds the required `branding_map_tiles` (its schema), which the cases'
 * source (main at addbf5a2f) predates: it is left out of the comparison there.
 */
async function current(c: Case, host = "testserver") {
  const res = await request(c.fake, "GET", "/api/v3/core/brands/current/", { headers: { host } });
  expect(res.status).toBe(200);
  const body = { ...res.body };
  if (c.version === "2026.8.3") delete body.branding_map_tiles;
  return body;
}

function setUp(c: Case) {
  if (atOrAfter(c.tag, "version/2026.2.2")) c.store.brands.clear();
}

port("TestBrands.test_current_brand", async (c) => {
  setUp(c);
  const brand = createTestBrand(c.store);
  expect(await current(c)).toEqual(currentBody(c, { matched_domain: brand.domain }));
});

port("TestBrands.test_brand_subdomain", async (c) => {
  setUp(c);
  c.store.brands.clear();
  c.store.addBrand({ domain: "bar.baz", branding_title: "custom" });
  expect(await current(c, "foo.bar.baz")).toEqual(currentBody(c, { matched_domain: "bar.baz", branding_title: "custom" }));
});

port("TestBrands.test_fallback", async (c) => {
  setUp(c);
  c.store.brands.clear();
  expect(await current(c)).toEqual(currentBody(c, { matched_domain: "fallback" }));
});

/** `@apply_blueprint("default/default-brand.yaml")`, then the response without the three flows the blueprint sets. */
async function blueprintCurrent(c: Case, host?: string) {
  const body = await current(c, host);
  delete body.flow_authentication;
  delete body.flow_invalidation;
  delete body.flow_user_settings;
  return body;
}

port("TestBrands.test_blueprint", async (c) => {
  setUp(c);
  seedBrand(c.store);
  expect(await blueprintCurrent(c)).toEqual(currentBody(c, { matched_domain: "authentik-default" }));
});

port("TestBrands.test_blueprint_with_other_brand", async (c) => {
  setUp(c);
  seedBrand(c.store);
  c.store.addBrand({ domain: "bar.baz", branding_title: "custom" });
  expect(await blueprintCurrent(c)).toEqual(currentBody(c, { matched_domain: "authentik-default" }));
  expect(await current(c, "foo.bar.baz")).toEqual(currentBody(c, { matched_domain: "bar.baz", branding_title: "custom" }));
});

port("TestBrands.test_brand_subdomain_same_suffix", async (c) => {
  setUp(c);
  c.store.addBrand({ domain: "bar.baz", branding_title: "custom-weak" });
  c.store.addBrand({ domain: "foo.bar.baz", branding_title: "custom-strong" });
  expect(await current(c, "foo.bar.baz")).toEqual(currentBody(c, { matched_domain: "foo.bar.baz", branding_title: "custom-strong" }));
});

port("TestBrands.test_brand_subdomain_other_suffix", async (c) => {
  setUp(c);
  c.store.addBrand({ domain: "bar.baz", branding_title: "custom-weak" });
  c.store.addBrand({ domain: "foo.bar.baz", branding_title: "custom-strong" });
  expect(await current(c, "other.bar.baz")).toEqual(currentBody(c, { matched_domain: "bar.baz", branding_title: "custom-weak" }));
});

port("TestBrands.test_create_default_multiple", async (c) => {
  setUp(c);
  c.store.addBrand({ domain: "foo", default: true, branding_title: "custom" });
  const user = createTestAdminUser(c.store);
  const res = await forceLogin(c.fake, user).post("core/brands/", { domain: "bar", default: true });
  expect(res.status).toBe(400);
});

const webfinger = async (c: Case) => {
  const res = await request(c.fake, "GET", "/.well-known/webfinger");
  expect(res.status).toBe(200);
  return JSON.parse(res.text) as unknown;
};

port("TestBrands.test_webfinger_no_app", async (c) => {
  setUp(c);
  createTestBrand(c.store);
  expect(await webfinger(c)).toEqual({});
});

port("TestBrands.test_webfinger_not_supported", async (c) => {
  setUp(c);
  const brand = createTestBrand(c.store);
  const provider = c.store.addProvider({ name: generateId(), type: "saml" });
  const app = createApplication(c.store, { name: generateId(), slug: generateId(), provider: provider.pk });
  brand.default_application = app.pk;
  expect(await webfinger(c)).toEqual({});
});

port("TestBrands.test_webfinger_oidc", async (c) => {
  setUp(c);
  const brand = createTestBrand(c.store);
  const provider = createProvider(c, { name: generateId() });
  const app = createApplication(c.store, { name: generateId(), slug: generateId(), provider: provider.pk });
  brand.default_application = app.pk;
  expect(await webfinger(c)).toEqual({
    links: [{ href: `http://testserver/application/o/${app.slug}/`, rel: "http://openid.net/specs/connect/1.0/issuer" }],
    subject: null,
  });
});

port("TestBrands.test_branding_url", async (c) => {
  setUp(c);
  const url = "https://goauthentik.io/img/icon.png";
  // brand.branding_default_flow_background_url() is a Python method, not part of the HTTP answer.
  const brand = createTestBrand(c.store, { branding_default_flow_background: url, branding_favicon: url, branding_logo: url });
  expect(await current(c)).toEqual(currentBody(c, { matched_domain: brand.domain, branding_logo: url, branding_favicon: url }));
});

done();
