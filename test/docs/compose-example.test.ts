/**
 * docker-compose.example.yml, .env.example, the Dockerfile's labels and the README agree: every variable the
 * compose file demands or defaults is in .env.example (with the same default), one image name everywhere with
 * its tag pinned to package.json's version, `build: .` for a checkout where it cannot be pulled, and NetBird's
 * images at the release whose configure.sh the tests run (.github/shared-fixtures/files.txt).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT, SHARED } from "../helpers/images.ts";

const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const compose = read("docker-compose.example.yml");
const envExample = read(".env.example");
const pkg = JSON.parse(read("package.json")) as { version: string };
type Service = { image?: string; build?: string };
const services = (parse(compose) as { services: Record<string, Service> }).services;

const demanded = [...new Set([...compose.matchAll(/\$\{(\w+):\?[^}]*\}/g)].map((m) => m[1]!))].sort();
const defaulted = new Map([...compose.matchAll(/\$\{(\w+):-([^}]*)\}/g)].map((m) => [m[1]!, m[2]!]));

describe(".env.example", () => {
  const required = new Map([...envExample.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  const optional = new Map([...envExample.matchAll(/^# (\w+)=(\S*)$/gm)].map((m) => [m[1]!, m[2]!]));

  it("lists every variable the compose file demands (${VAR:?…}), empty, to be filled in", () => {
    expect(demanded.length).toBeGreaterThanOrEqual(6);
    expect([...required.keys()].sort()).toEqual(demanded);
    for (const value of required.values()) expect(value).toBe("");
  });

  it("lists every variable the compose file defaults (${VAR:-default}), commented out, with the same default", () => {
    expect(Object.fromEntries(optional)).toEqual(Object.fromEntries(defaulted));
  });
});

describe("one image name, pinned", () => {
  const source = /org\.opencontainers\.image\.source="https:\/\/github\.com\/([\w.-]+)\/([\w.-]+)"/.exec(read("Dockerfile"));
  const image = `ghcr.io/${source![1]!.toLowerCase()}/${source![2]!}`;

  it("the compose example pulls the Dockerfile's repository's image at package.json's version, and builds it from the checkout otherwise", () => {
    expect(image).toBe("ghcr.io/authentik-bootstrap/authentik-bootstrap");
    expect(services.bootstrap).toMatchObject({ image: `${image}:\${BOOTSTRAP_TAG:-${pkg.version}}`, build: "." });
    expect(read(".github/workflows/release.yml")).toContain("ghcr.io/${GITHUB_REPOSITORY_OWNER,,}/authentik-bootstrap");
  });

  it("the README names the same image with the same pinned tag, and never an unpinned one", () => {
    const readme = read("README.md");
    expect(readme).toContain(`${image}:${pkg.version}`);
    // Every reference with a tag uses the pinned one (the bare name appears only where the image is described).
    const tagged = [...readme.matchAll(/ghcr\.io\/[\w.-]+\/authentik-bootstrap:[\w.${}:-]+/g)].map((m) => m[0]);
    expect(tagged.length).toBeGreaterThanOrEqual(3);
    for (const name of tagged) expect(name).toBe(`${image}:${pkg.version}`);
    expect(readme).not.toMatch(/authentik-bootstrap:latest/);
  });

  it("no image in the compose example floats on `latest`", () => {
    for (const [name, service] of Object.entries(services)) if (service.image) expect({ name, latest: /:latest$|^[^:]+$/.test(service.image) }).toEqual({ name, latest: false });
  });
});

describe("NetBird's images match the configure.sh the example runs", () => {
  const netbirdTag = /github:netbirdio\/netbird@v([\d.]+):infrastructure_files\/configure\.sh$/m.exec(read(".github/shared-fixtures/files.txt"))?.[1];

  it("management, signal and relay run NetBird's release of the configure.sh and templates (goreleaser tags without the v)", () => {
    expect(netbirdTag).toBe("0.77.1");
    expect(defaulted.get("NETBIRD_TAG")).toBe(netbirdTag);
    for (const name of ["management", "signal", "relay"]) expect(services[name]?.image).toBe(`netbirdio/${name}:\${NETBIRD_TAG:-${netbirdTag}}`);
  });

  it("every service configure.sh's compose template runs is in the example", () => {
    const template = parse(readFileSync(join(SHARED, "netbird", "infrastructure_files", "docker-compose.yml.tmpl"), "utf8")) as { services: Record<string, unknown> };
    expect(Object.keys(services)).toEqual(expect.arrayContaining(Object.keys(template.services)));
  });
});
