/**
 * A real self-signed X.509 v3 certificate built with node:crypto alone (DER by hand, RSA + SHA-256), like
 * the one authentik's `CertificateBuilder` makes: CN = the key pair's name, O = authentik, OU = Self-signed.
 * No openssl binary needed, so the fake runs in a bare node image. Also a small certificate authority
 * (`certificateAuthority` + `issueCertificate`, IP and DNS SANs) for stand-ins that serve a CA-signed certificate
 * (the fake Kubernetes API server).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isIP } from "node:net";

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);
const NULL = Buffer.from([0x05, 0x00]);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number) as [number, number, ...number[]];
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14); // YYYYMMDDHHMMSS
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

function name(cn: string, organization = "authentik", unit = "Self-signed"): Buffer {
  const rdn = (type: string, value: string) => set(seq(oid(type), tlv(0x0c, Buffer.from(value, "utf8"))));
  return seq(rdn("2.5.4.3", cn), rdn("2.5.4.10", organization), rdn("2.5.4.11", unit));
}

/** The 4 or 16 bytes of an IPv4 / IPv6 address (no zone, no embedded IPv4). */
function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split(".").map(Number));
  const [head = "", tail] = ip.split("::") as [string, string | undefined];
  const groups = (part: string) => (part ? part.split(":").map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = groups(tail ?? "");
  const all = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return Buffer.from(all.flatMap((g) => [g >> 8, g & 0xff]));
}

/** dNSName for host names, iPAddress for literal addresses (TLS clients match an IP host only against these). */
function subjectAltName(names: string[]): Buffer {
  const general = names.map((n) => (isIP(n) ? tlv(0x87, ipBytes(n)) : tlv(0x82, Buffer.from(n, "ascii"))));
  return seq(oid("2.5.29.17"), tlv(0x04, seq(...general)));
}

const TRUE = Buffer.from([0x01, 0x01, 0xff]);
const critical = (id: string, value: Buffer) => seq(oid(id), TRUE, tlv(0x04, value));
/** keyUsage bits, bit 0 = digitalSignature … bit 6 = cRLSign, as a DER BIT STRING. */
function keyUsage(bits: number[]): Buffer {
  const byte = bits.reduce((b, bit) => b | (0x80 >> bit), 0);
  const unused = 7 - Math.max(...bits);
  return critical("2.5.29.15", tlv(0x03, Buffer.from([unused, byte])));
}

export interface KeyPairPem {
  keyPem: string;
  certPem: string;
}

/** A fresh RSA key and a self-signed certificate for it. */
export function selfSigned(commonName: string, opts: { validityDays?: number; altNames?: string[]; bits?: number } = {}): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: opts.bits ?? 2048 });
  return { keyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string, certPem: certificateFor(privateKey, publicKey, commonName, opts) };
}

export function certificateFor(privateKey: KeyObject, publicKey: KeyObject, commonName: string, opts: { validityDays?: number; altNames?: string[] } = {}): string {
  const now = new Date();
  const until = new Date(now.getTime() + (opts.validityDays ?? 365) * 86_400_000);
  const sigAlg = seq(oid("1.2.840.113549.1.1.11"), NULL); // sha256WithRSAEncryption
  const spki = publicKey.export({ type: "spki", format: "der" });
  const extensions = opts.altNames?.length ? [tlv(0xa3, seq(subjectAltName(opts.altNames)))] : [];
  const tbs = seq(tlv(0xa0, integer(Buffer.from([2]))), integer(randomBytes(16)), sigAlg, name(commonName), seq(time(now), time(until)), name(commonName), spki, ...extensions);
  const signature = sign("sha256", tbs, privateKey);
  const der = seq(tbs, sigAlg, tlv(0x03, Buffer.from([0]), signature));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/** A certificate authority: a key pair whose self-signed certificate may sign others (CA:TRUE, keyCertSign). */
export interface CertificateAuthority extends KeyPairPem {
  commonName: string;
  organization: string;
}

export function certificateAuthority(commonName: string, opts: { organization?: string; validityDays?: number; bits?: number } = {}): CertificateAuthority {
  const organization = opts.organization ?? "authentik";
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: opts.bits ?? 2048 });
  const subject = name(commonName, organization, "Certificate authority");
  const extensions = [critical("2.5.29.19", seq(TRUE)), keyUsage([0, 5, 6])];
  const certPem = build(privateKey, publicKey, subject, subject, opts.validityDays ?? 3650, extensions);
  return { commonName, organization, keyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string, certPem };
}

/** A fresh RSA key and a server certificate for it signed by `ca` (SANs: host names and IP addresses). */
export function issueCertificate(ca: CertificateAuthority, commonName: string, opts: { altNames?: string[]; validityDays?: number; bits?: number } = {}): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: opts.bits ?? 2048 });
  const issuer = name(ca.commonName, ca.organization, "Certificate authority");
  const extensions = [critical("2.5.29.19", seq()), keyUsage([0, 2]), seq(oid("2.5.29.37"), tlv(0x04, seq(oid("1.3.6.1.5.5.7.3.1"))))];
  if (opts.altNames?.length) extensions.push(subjectAltName(opts.altNames));
  const certPem = build(createPrivateKey(ca.keyPem), publicKey, name(commonName, ca.organization, "Server"), issuer, opts.validityDays ?? 365, extensions);
  return { keyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string, certPem };
}

function build(signer: KeyObject, publicKey: KeyObject, subject: Buffer, issuer: Buffer, validityDays: number, extensions: Buffer[]): string {
  const now = new Date();
  const until = new Date(now.getTime() + validityDays * 86_400_000);
  const sigAlg = seq(oid("1.2.840.113549.1.1.11"), NULL);
  const spki = publicKey.export({ type: "spki", format: "der" });
  const tbs = seq(tlv(0xa0, integer(Buffer.from([2]))), integer(randomBytes(16)), sigAlg, issuer, seq(time(now), time(until)), subject, spki, tlv(0xa3, seq(...extensions)));
  const der = seq(tbs, sigAlg, tlv(0x03, Buffer.from([0]), sign("sha256", tbs, signer)));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

export function keysOf(keyPem: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const privateKey = createPrivateKey(keyPem);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
