/**
 * A real self-signed X.509 v3 certificate built with node:crypto alone (DER by hand, RSA + SHA-256), like
 * the one authentik's `CertificateBuilder` makes: CN = the key pair's name, O = authentik, OU = Self-signed.
 * No openssl binary needed, so the fake runs in a bare node image.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";

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

function name(cn: string): Buffer {
  const rdn = (type: string, value: string) => set(seq(oid(type), tlv(0x0c, Buffer.from(value, "utf8"))));
  return seq(rdn("2.5.4.3", cn), rdn("2.5.4.10", "authentik"), rdn("2.5.4.11", "Self-signed"));
}

function subjectAltName(names: string[]): Buffer {
  const general = names.map((n) => tlv(0x82, Buffer.from(n, "ascii"))); // dNSName
  return seq(oid("2.5.29.17"), tlv(0x04, seq(...general)));
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

export function keysOf(keyPem: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const privateKey = createPrivateKey(keyPem);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
