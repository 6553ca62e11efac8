/**
 * TLS: an HTTPS fake authentik with a certificate from a private CA. Without the CA the run fails closed;
 * with AUTHENTIK_CA_FILE or NODE_EXTRA_CA_CERTS it succeeds; the explicit insecure switch works and warns.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { startFakeAuthentik } from "../fake-authentik/index.ts";
import { baseEnv, tempDir, TOKEN } from "../helpers/env.ts";
import { runMain } from "../helpers/run-main.ts";

let dir = "";
const pem = (name: string) => join(dir, name);

/** A private CA and a server certificate for localhost/127.0.0.1 signed by it (openssl). */
beforeAll(() => {
  dir = tempDir("akb-tls-");
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=Test Private CA", "-days", "2");
  ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
  writeFileSync(pem("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf");
});

async function httpsFake() {
  return startFakeAuthentik({ bootstrapToken: TOKEN, tls: { key: readFileSync(pem("server.key")), cert: readFileSync(pem("server.pem")) } });
}

describe("TLS with a private CA", () => {
  it("fails closed without the CA: readiness never passes, the message names the certificate problem", async () => {
    await using fake = await httpsFake();
    const r = await runMain(baseEnv(fake.url, tempDir(), { WAIT_TIMEOUT: "2" }));
    expect(r.code).toBe(4);
    expect(r.summary.error?.message).toMatch(/CERT|certificate/i);
    expect(r.summary.error?.message).toContain("AUTHENTIK_CA_FILE");
    expect(fake.writes()).toEqual([]);
  });

  it("succeeds with AUTHENTIK_CA_FILE", async () => {
    await using fake = await httpsFake();
    const r = await runMain(baseEnv(fake.url, tempDir(), { AUTHENTIK_CA_FILE: pem("ca.pem") }));
    expect(r.summary.error?.message).toBeUndefined();
    expect(r.code).toBe(0);
  });

  it("succeeds with NODE_EXTRA_CA_CERTS", async () => {
    await using fake = await httpsFake();
    const r = await runMain({ ...baseEnv(fake.url, tempDir()), NODE_EXTRA_CA_CERTS: pem("ca.pem") });
    expect(r.summary.error?.message).toBeUndefined();
    expect(r.code).toBe(0);
  });

  it("AUTHENTIK_INSECURE_TLS=true works and warns on every run", async () => {
    await using fake = await httpsFake();
    const env = baseEnv(fake.url, tempDir(), { AUTHENTIK_INSECURE_TLS: "true" });
    for (let i = 0; i < 2; i++) {
      const r = await runMain(env);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("TLS certificate verification is OFF");
    }
  });
});
